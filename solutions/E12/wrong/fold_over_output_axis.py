"""Wrong: fold_centering subtracts the mean over the d_out axis (columns) instead of over d_model (rows)."""

import numpy as np


def _scale(d_head, dtype):
    return dtype.type(1.0 / np.sqrt(d_head))


def attention_logits(X, W_Q, W_K, center=False):
    X, W_Q, W_K = np.asarray(X), np.asarray(W_Q), np.asarray(W_K)
    if center:
        X = X - X.mean(axis=-1, keepdims=True)
    Q = X @ W_Q.T
    K = X @ W_K.T
    logits = Q @ np.swapaxes(K, -1, -2)
    return logits * _scale(W_Q.shape[0], logits.dtype)


def centering_terms(X, W_Q, W_K):
    X, W_Q, W_K = np.asarray(X), np.asarray(W_Q), np.asarray(W_K)
    m = X.mean(axis=-1)                       # [..., L]
    C = X - m[..., None]                      # [..., L, d_model]
    u_Q, u_K = W_Q.sum(axis=-1), W_K.sum(axis=-1)   # [d_head]
    s = _scale(W_Q.shape[0], np.result_type(X, W_Q, W_K, np.float32))
    key_side = C @ W_K.T @ u_Q                # [..., L]: u_Q · W_K c_j
    query_side = C @ W_Q.T @ u_K              # [..., L]: W_Q c_i · u_K
    return {
        "query_mean": m[..., :, None] * key_side[..., None, :] * s,
        "key_mean": query_side[..., :, None] * m[..., None, :] * s,
        "mean_mean": m[..., :, None] * m[..., None, :] * (u_Q @ u_K) * s,
    }


def fold_centering(W):
    W = np.asarray(W)
    return W - W.mean(axis=-2, keepdims=True)
