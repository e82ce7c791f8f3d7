"""Reference solution for 1A: a numerically stable softmax along any axis."""

import numpy as np


def softmax(x, axis=-1):
    """Softmax of `x` along `axis`; all -inf slices give zeros; float dtypes are kept."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True)  # raises AxisError (a ValueError) for a bad axis
    m = np.where(np.isfinite(m), m, 0)  # an all -inf slice has max -inf: shift by 0 instead
    e = np.exp(x - m)  # a new array: the input is untouched
    s = np.sum(e, axis=axis, keepdims=True)
    return e / np.where(s > 0, s, 1)  # s == 0 only for an all -inf slice, whose e is all zeros
