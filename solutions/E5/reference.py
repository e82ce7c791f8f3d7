"""E5 reference: multi-head attention with einsum and contiguous head split/merge."""

import math

import numpy as np


def split_heads(x, n_heads):
    x = np.asarray(x)
    D = x.shape[-1]
    if n_heads <= 0 or D % n_heads != 0:
        raise ValueError(f"last axis {D} is not divisible by n_heads={n_heads}")
    y = x.reshape(x.shape[:-1] + (n_heads, D // n_heads))  # [..., L, H, d_head]
    return np.swapaxes(y, -2, -3)  # [..., H, L, d_head]


def merge_heads(x):
    x = np.asarray(x)
    y = np.swapaxes(x, -2, -3)  # [..., L, H, d_head]
    return y.reshape(y.shape[:-2] + (y.shape[-2] * y.shape[-1],))


def multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads):
    X = np.asarray(X)
    d_head = X.shape[-1] // n_heads
    Q = split_heads(X @ W_Q.T, n_heads)
    K = split_heads(X @ W_K.T, n_heads)
    V = split_heads(X @ W_V.T, n_heads)
    S = np.einsum("bhid,bhjd->bhij", Q, K) / math.sqrt(d_head)  # a Python float keeps float32 as float32
    S = S - S.max(axis=-1, keepdims=True)
    A = np.exp(S)
    A /= A.sum(axis=-1, keepdims=True)
    out = np.einsum("bhij,bhjd->bhid", A, V)
    return merge_heads(out) @ W_O.T
