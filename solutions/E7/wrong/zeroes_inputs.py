"""Mistake (hostile): implements nothing; zeroes its array inputs in place and returns zeros of the right shape.

If in-place changes reached the checks' arrays, expected values computed from them after the call would be
zeros too. They cross as copies, so this scores (close to) 0.
"""
import numpy as np


def _zero(*arrays):
    for a in arrays:
        if isinstance(a, np.ndarray) and a.flags.writeable:
            a[...] = 0


def embed_tokens(tokens, W_E, W_pos=None):
    _zero(tokens, W_E, W_pos)
    return np.zeros(np.shape(tokens) + W_E.shape[:1], dtype=W_E.dtype)


def attention_pattern(X, W_Q, W_K, causal=False):
    _zero(X, W_Q, W_K)
    return np.zeros(X.shape[:-1] + X.shape[-2:-1], dtype=X.dtype)


def is_valid_pattern(A, causal=False, atol=1e-6):
    _zero(A)
    return True
