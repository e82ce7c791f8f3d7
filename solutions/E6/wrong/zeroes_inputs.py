"""Mistake (hostile): implements nothing; zeroes its array inputs in place and returns zeros of the right shape.

If in-place changes reached the checks' arrays, expected values computed from them after the call would be
zeros too. They cross as copies, so this scores (close to) 0.
"""
import numpy as np


def layer_norm_jvp(x, t, gamma=None, eps=1e-5):
    for a in (x, t, gamma):
        if isinstance(a, np.ndarray):
            a[...] = 0
    return np.zeros_like(x)
