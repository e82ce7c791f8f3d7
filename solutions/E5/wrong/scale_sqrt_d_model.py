"""Wrong: scales the scores by 1/sqrt(d_model) instead of 1/sqrt(d_head)."""

import math

import numpy as np


def split_heads(x, n_heads):
    x = np.asarray(x)
    D = x.shape[-1]
    if D % n_heads != 0:
        raise ValueError("not divisible")
    return np.swapaxes(x.reshape(x.shape[:-1] + (n_heads, D // n_heads)), -2, -3)


def merge_heads(x):
    y = np.swapaxes(np.asarray(x), -2, -3)
    return y.reshape(y.shape[:-2] + (y.shape[-2] * y.shape[-1],))



def multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads):
    X = np.asarray(X)
    Q = split_heads(X @ W_Q.T, n_heads)
    K = split_heads(X @ W_K.T, n_heads)
    V = split_heads(X @ W_V.T, n_heads)
    S = np.einsum("bhid,bhjd->bhij", Q, K) / math.sqrt(X.shape[-1])
    S = S - S.max(axis=-1, keepdims=True)
    A = np.exp(S)
    A /= A.sum(axis=-1, keepdims=True)
    return merge_heads(np.einsum("bhij,bhjd->bhid", A, V)) @ W_O.T

