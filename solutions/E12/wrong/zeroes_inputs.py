"""Mistake (hostile): implements nothing; zeroes its array inputs in place and returns zeros of the right shape.

If in-place changes reached the checks' arrays, expected values computed from them after the call would be
zeros too (this file scored 90.9 that way). They cross as copies, so this scores (close to) 0.
"""
import numpy as np


def _zero(*arrays):
    for a in arrays:
        a[...] = 0


def attention_logits(X, W_Q, W_K, center=False):
    _zero(X, W_Q, W_K)
    return np.zeros(X.shape[:-1] + X.shape[-2:-1], dtype=X.dtype)


def centering_terms(X, W_Q, W_K):
    _zero(X, W_Q, W_K)
    shape = X.shape[:-1] + X.shape[-2:-1]
    return {key: np.zeros(shape, dtype=X.dtype) for key in ("query_mean", "key_mean", "mean_mean")}


def fold_centering(W):
    _zero(W)
    return np.zeros_like(W)
