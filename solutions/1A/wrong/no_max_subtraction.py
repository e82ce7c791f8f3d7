"""Wrong: exponentiates the raw inputs without subtracting the max, so exp(1e4) overflows to inf."""

import numpy as np


def softmax(x, axis=-1):
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)
