"""Wrong: uses the unbiased variance (divides by d - 1, ddof=1) instead of the biased one."""

import numpy as np


def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    x = np.asarray(x)
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True, ddof=1)
    y = (x - mu) / np.sqrt(var + x.dtype.type(eps))
    if gamma is not None:
        y = y * np.asarray(gamma, dtype=x.dtype)
    if beta is not None:
        y = y + np.asarray(beta, dtype=x.dtype)
    return y
