"""Allocate far more memory than the cap allows."""
import numpy as np


def double(x):
    big = np.ones((40_000, 40_000))
    return big[: x.size].reshape(x.shape) * 0
