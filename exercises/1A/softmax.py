"""Exercise 1A: a numerically stable softmax along any axis.

Write `softmax(x, axis=-1)` with NumPy only. See the prompt (`practice show 1A`) for the full rules.
"""

import numpy as np


def softmax(x, axis=-1):
    """Softmax of `x` along `axis`.

    Args:
        x: array of any shape (float32, float64 or integer). Entries may be -inf; never modify it.
        axis: the axis to normalise over; negative values count from the end (default: the last axis).

    Returns:
        An array of the same shape as `x`. Every slice along `axis` holds non-negative numbers that sum
        to 1, except a slice whose entries are all -inf, which is all zeros. float32 input gives float32,
        float64 gives float64, integer input gives float64.
    """
    raise NotImplementedError  # TODO: subtract the max along `axis`, exponentiate, normalise
