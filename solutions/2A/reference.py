"""Reference solution for 2A: LayerNorm over the last axis, two-pass variance, float32 kept."""

import numpy as np


def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    """(x - mean) / sqrt(biased var + eps) * gamma + beta over the last axis."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    mu = x.mean(axis=-1, keepdims=True)
    centred = x - mu  # a new array: the input is untouched
    var = np.mean(centred * centred, axis=-1, keepdims=True)  # two-pass: no E[x^2] - mu^2 cancellation
    y = centred / np.sqrt(var + x.dtype.type(eps))
    if gamma is not None:
        y = y * np.asarray(gamma, dtype=x.dtype)
    if beta is not None:
        y = y + np.asarray(beta, dtype=x.dtype)
    return y
