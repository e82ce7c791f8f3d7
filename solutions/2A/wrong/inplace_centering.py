"""Wrong: centres and scales x in place (x -= mu, x /= std), overwriting the caller's array."""

import numpy as np


def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    x -= mu
    x /= np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + x.dtype.type(eps))
    y = x
    if gamma is not None:
        y = y * np.asarray(gamma, dtype=x.dtype)
    if beta is not None:
        y = y + np.asarray(beta, dtype=x.dtype)
    return y
