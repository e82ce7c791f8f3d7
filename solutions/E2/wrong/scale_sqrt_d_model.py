"""Wrong: scales the scores by 1/sqrt(d_model) instead of 1/sqrt(d_head)."""

import numpy as np


def attention_no_pos(X, W_Q, W_K, W_V):
    X = np.asarray(X, dtype=np.float64)
    Q = X @ W_Q.T
    K = X @ W_K.T
    V = X @ W_V.T
    S = np.einsum("...id,...jd->...ij", Q, K) / np.sqrt(X.shape[-1])
    S = S - S.max(axis=-1, keepdims=True)
    A = np.exp(S)
    A /= A.sum(axis=-1, keepdims=True)
    return A @ V


def equivariance_gap(X, W_Q, W_K, W_V, perm, W_pos=None):
    X = np.asarray(X, dtype=np.float64)
    L = X.shape[-2]
    P = 0.0 if W_pos is None else W_pos[:, :L].T
    a = attention_no_pos(X[..., perm, :] + P, W_Q, W_K, W_V)
    b = attention_no_pos(X + P, W_Q, W_K, W_V)[..., perm, :]
    return float(np.max(np.abs(a - b)))
