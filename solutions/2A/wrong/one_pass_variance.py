"""Wrong: computes the variance in one pass as E[x^2] - mean^2, which cancels catastrophically when |mean| >> std."""

import numpy as np


def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    x = np.asarray(x)
    mu = x.mean(axis=-1, keepdims=True)
    var = np.mean(x * x, axis=-1, keepdims=True) - mu * mu
    var = np.maximum(var, 0)  # the usual "fix" for negative variances: it does not restore accuracy
    y = (x - mu) / np.sqrt(var + x.dtype.type(eps))
    if gamma is not None:
        y = y * np.asarray(gamma, dtype=x.dtype)
    if beta is not None:
        y = y + np.asarray(beta, dtype=x.dtype)
    return y
