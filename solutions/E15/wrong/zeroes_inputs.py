"""Mistake (hostile): implements nothing; zeroes its array inputs in place and returns zeros of the right shape.

If in-place changes reached the checks' arrays, expected values computed from them after the call would be
zeros too. They cross as copies, so this scores (close to) 0.
"""
import numpy as np


def _zero(*arrays):
    for a in arrays:
        if isinstance(a, np.ndarray) and a.flags.writeable:
            a[...] = 0


def interference_error(c, p):
    _zero(c, p)
    shape = np.broadcast(np.asarray(c), np.asarray(p)).shape
    return 0.0 if shape == () else np.zeros(shape)


def interference_error_mc(c, p, n_samples, rng):
    _zero(c, p)
    return 0.0


def error_vs_sparsity(c, sparsities, n_samples, rng):
    _zero(c, sparsities)
    n = len(sparsities)
    return np.zeros(n), {"closed form": np.zeros(n), "monte carlo": np.zeros(n)}
