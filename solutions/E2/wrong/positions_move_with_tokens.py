"""Wrong: adds positions before permuting, so positions travel with the tokens (gap always ~0)."""

import numpy as np


def attention_no_pos(X, W_Q, W_K, W_V):
    X = np.asarray(X, dtype=np.float64)
    d_head = W_Q.shape[0]
    Q = X @ W_Q.T
    K = X @ W_K.T
    V = X @ W_V.T
    S = np.einsum("...id,...jd->...ij", Q, K) / np.sqrt(d_head)
    S = S - S.max(axis=-1, keepdims=True)
    A = np.exp(S)
    A /= A.sum(axis=-1, keepdims=True)
    return A @ V


def equivariance_gap(X, W_Q, W_K, W_V, perm, W_pos=None):
    X = np.asarray(X, dtype=np.float64)
    L = X.shape[-2]
    Z = X if W_pos is None else X + W_pos[:, :L].T
    a = attention_no_pos(Z[..., perm, :], W_Q, W_K, W_V)
    b = attention_no_pos(Z, W_Q, W_K, W_V)[..., perm, :]
    return float(np.max(np.abs(a - b)))
