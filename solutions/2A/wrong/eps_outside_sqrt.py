"""Wrong: adds eps to the standard deviation, (x - mu) / (sqrt(var) + eps), instead of inside the square root."""

import numpy as np


def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    x = np.asarray(x)
    mu = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    y = (x - mu) / (std + x.dtype.type(eps))
    if gamma is not None:
        y = y * np.asarray(gamma, dtype=x.dtype)
    if beta is not None:
        y = y + np.asarray(beta, dtype=x.dtype)
    return y
