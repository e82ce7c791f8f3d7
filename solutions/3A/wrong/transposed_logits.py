"""Wrong: puts keys on rows and queries on columns (entry [i, j] = q_j·k_i), i.e. K Q^T instead of Q K^T."""

import numpy as np


def _float(a):
    a = np.asarray(a)
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


def qk_logits(X, W_Q, W_K, P=None):
    """logits[..., i, j] = (W_Q r_i)·(W_K r_j) / sqrt(d_head), with r = x + p (rows of X + P)."""
    X = _float(X)
    R = X if P is None else X + np.asarray(P, dtype=X.dtype)  # P [L, d_model] broadcasts over a batch axis
    W_Q = np.asarray(W_Q, dtype=X.dtype)
    W_K = np.asarray(W_K, dtype=X.dtype)
    d_head = W_Q.shape[0]
    q = R @ W_Q.T  # [..., L, d_head]
    k = R @ W_K.T
    return (k @ np.swapaxes(q, -1, -2)) / X.dtype.type(np.sqrt(d_head))


def qk_logit_terms(X, W_Q, W_K, P):
    """The four parts of qk_logits(X, W_Q, W_K, P): token-token, token-position, position-token, position-position."""
    X = _float(X)
    P = np.asarray(P, dtype=X.dtype)
    W_Q = np.asarray(W_Q, dtype=X.dtype)
    W_K = np.asarray(W_K, dtype=X.dtype)
    scale = X.dtype.type(np.sqrt(W_Q.shape[0]))
    qx, kx = X @ W_Q.T, X @ W_K.T
    qp, kp = P @ W_Q.T, P @ W_K.T

    def dots(q, k):
        return q @ np.swapaxes(k, -1, -2) / scale

    shape = X.shape[:-1] + (X.shape[-2],)
    tt = dots(qx, kx)
    tp = np.broadcast_to(dots(qx, kp), shape).copy()
    pt = np.broadcast_to(dots(qp, kx), shape).copy()
    pp = np.broadcast_to(dots(qp, kp), shape).copy()
    return tt, tp, pt, pp
