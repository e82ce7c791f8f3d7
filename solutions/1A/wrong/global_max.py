"""Wrong: subtracts the max of the WHOLE array (np.max without axis) instead of each slice's max.

Mathematically fine, but a slice far below the global max underflows to 0 / 0 = NaN.
"""

import numpy as np


def softmax(x, axis=-1):
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    m = np.max(x)
    m = m if np.isfinite(m) else 0
    e = np.exp(x - m)
    s = np.sum(e, axis=axis, keepdims=True)
    return e / np.where(s > 0, s, 1)
