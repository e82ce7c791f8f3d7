"""Returns a fully masked array: its data is garbage, only the mask says so."""
import numpy as np


def double(x):
    return np.ma.masked_all(x.shape, dtype=x.dtype)
