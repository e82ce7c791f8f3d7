"""Wrong: scales scores by 1/sqrt(dv) (the value width) instead of 1/sqrt(d) (the query/key width)."""

import numpy as np


def causal_attention(Q, K, V):
    Q, K, V = np.asarray(Q), np.asarray(K), np.asarray(V)
    if Q.ndim != 3 or K.ndim != 3 or V.ndim != 3 or Q.shape != K.shape or V.shape[:2] != Q.shape[:2]:
        raise ValueError("bad shapes")
    L, dv = Q.shape[1], V.shape[2]
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(dv)
    scores = np.where(np.tril(np.ones((L, L), dtype=bool)), scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    return (w @ V).astype(np.result_type(Q, K, V, np.float32))
