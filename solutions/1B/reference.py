"""Reference solution for 1B: batched scaled dot-product attention."""

import numpy as np


def _softmax_last(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def attention(Q, K, V):
    """softmax(Q K^T / sqrt(dk)) V per batch element: [B, Lq, dk], [B, Lk, dk], [B, Lk, dv] -> [B, Lq, dv]."""
    dk = Q.shape[-1]
    scores = np.einsum("bqd,bkd->bqk", Q, K) / np.sqrt(dk).astype(Q.dtype)  # [B, Lq, Lk]
    weights = _softmax_last(scores)  # each query's row sums to 1 over the keys
    return np.einsum("bqk,bkv->bqv", weights, V)
