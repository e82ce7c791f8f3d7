"""Wrong: builds the default gamma with np.ones(d) (float64), so float32 input comes back as float64."""

import numpy as np


def rms_norm(x, gamma=None, eps=1e-5):
    """x / sqrt(mean(x^2) + eps) * gamma over the last axis."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    ms = np.mean(x * x, axis=-1, keepdims=True)
    y = x / np.sqrt(ms + x.dtype.type(eps))  # a new array: the input is untouched
    if gamma is None:
        gamma = np.ones(x.shape[-1])
    y = y * gamma
    return y
