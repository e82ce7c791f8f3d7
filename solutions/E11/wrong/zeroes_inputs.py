"""Mistake (hostile): implements nothing; zeroes its array inputs in place and returns zeros of the right shape.

If in-place changes reached the checks' arrays, expected values computed from them after the call would be
zeros too. They cross as copies, so this scores (close to) 0.
"""
import numpy as np


def causal_attention(Q, K, V):
    for a in (Q, K, V):
        a[...] = 0
    return np.zeros(Q.shape[:-1] + V.shape[-1:], dtype=V.dtype)
