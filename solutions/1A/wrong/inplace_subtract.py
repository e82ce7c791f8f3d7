"""Wrong: subtracts the max in place (`x -= ...`), modifying the caller's array."""

import numpy as np


def softmax(x, axis=-1):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    x -= m
    np.exp(x, out=x)
    s = np.sum(x, axis=axis, keepdims=True)
    return x / np.where(s > 0, s, 1)
