"""Reference solution for 2D: RMSNorm over the last axis, float32 kept."""

import numpy as np


def rms_norm(x, gamma=None, eps=1e-5):
    """x / sqrt(mean(x^2) + eps) * gamma over the last axis."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    ms = np.mean(x * x, axis=-1, keepdims=True)
    y = x / np.sqrt(ms + x.dtype.type(eps))  # a new array: the input is untouched
    if gamma is not None:
        y = y * np.asarray(gamma, dtype=x.dtype)
    return y
