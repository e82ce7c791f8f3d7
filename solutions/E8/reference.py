"""E8 reference: offset heads from a left inverse of W_pos; causal and bidirectional positional patterns."""

import numpy as np


def offset_head(W_pos, offset, strength):
    W_pos = np.asarray(W_pos, dtype=np.float64)
    d_model, n_ctx = W_pos.shape
    if d_model < n_ctx:
        raise ValueError("W_pos needs at least as many rows as columns (independent columns)")
    P = np.linalg.pinv(W_pos)  # [n_ctx, d_model], P @ W_pos = I, zero on the orthogonal complement
    S = np.zeros((n_ctx, n_ctx))
    for i in range(n_ctx):
        if 0 <= i + offset < n_ctx:
            S[i + offset, i] = 1.0  # q_i = e_{i + offset}
    W_Q = strength * np.sqrt(n_ctx) * (S @ P)
    W_K = P.copy()
    return W_Q, W_K


def positional_pattern(W_pos, W_Q, W_K, L, causal=True):
    W_pos, W_Q, W_K = (np.asarray(a, dtype=np.float64) for a in (W_pos, W_Q, W_K))
    X = W_pos[:, :L].T  # [L, d_model]
    q, k = X @ W_Q.T, X @ W_K.T
    scores = q @ k.T / np.sqrt(W_Q.shape[0])
    if causal:
        scores = np.where(np.tril(np.ones((L, L), dtype=bool)), scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    return w / w.sum(axis=-1, keepdims=True)


def offset_score(pattern, offset):
    pattern = np.asarray(pattern, dtype=np.float64)
    L = pattern.shape[0]
    rows = [i for i in range(L) if 0 <= i + offset < L]
    if not rows:
        raise ValueError("no row has a key at i + offset")
    return float(np.mean([pattern[i, i + offset] for i in rows]))
