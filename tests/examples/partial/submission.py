"""Mistake: converts to float64, so float32 input comes back float64."""
import numpy as np


def double(x):
    return np.asarray(x, dtype=np.float64) * 2
