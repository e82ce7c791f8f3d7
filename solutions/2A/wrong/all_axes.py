"""Wrong: normalizes over every axis at once (x.mean(), x.var()) instead of over the feature axis only."""

import numpy as np


def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    x = np.asarray(x)
    mu = x.mean()
    var = x.var()
    y = (x - mu) / np.sqrt(var + x.dtype.type(eps))
    if gamma is not None:
        y = y * np.asarray(gamma, dtype=x.dtype)
    if beta is not None:
        y = y + np.asarray(beta, dtype=x.dtype)
    return y
