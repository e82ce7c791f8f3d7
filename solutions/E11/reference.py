"""Reference solution for E11: causal attention with an exact -inf mask."""

import numpy as np


def causal_attention(Q, K, V):
    Q, K, V = np.asarray(Q), np.asarray(K), np.asarray(V)
    if Q.ndim != 3 or K.ndim != 3 or V.ndim != 3:
        raise ValueError("Q, K and V must be 3-D: [B, L, d], [B, L, d], [B, L, dv]")
    if Q.shape != K.shape or V.shape[:2] != Q.shape[:2]:
        raise ValueError("Q and K must share [B, L, d] and V must share [B, L]")
    L, d = Q.shape[1], Q.shape[2]
    dtype = np.result_type(Q, K, V, np.float32)
    scale = dtype.type(1.0 / np.sqrt(d))
    scores = np.einsum("bid,bjd->bij", Q, K) * scale
    allowed = np.tril(np.ones((L, L), dtype=bool))
    scores = np.where(allowed, scores, dtype.type(-np.inf))
    scores = scores - scores.max(axis=-1, keepdims=True)  # max over allowed entries only
    with np.errstate(under="ignore"):  # tiny weights underflowing to 0 is expected
        weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return np.einsum("bij,bjv->biv", weights, V).astype(dtype, copy=False)
