"""Wrong: subtracts the row max taken over ALL positions (future included) before applying the -inf mask."""

import numpy as np


def causal_attention(Q, K, V):
    Q, K, V = np.asarray(Q), np.asarray(K), np.asarray(V)
    if Q.ndim != 3 or K.ndim != 3 or V.ndim != 3 or Q.shape != K.shape or V.shape[:2] != Q.shape[:2]:
        raise ValueError("bad shapes")
    L, d = Q.shape[1], Q.shape[2]
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d)
    scores = scores - scores.max(axis=-1, keepdims=True)
    scores = np.where(np.tril(np.ones((L, L), dtype=bool)), scores, -np.inf)
    w = np.exp(scores)
    with np.errstate(invalid="ignore"):
        w = w / w.sum(axis=-1, keepdims=True)
    return (w @ V).astype(np.result_type(Q, K, V, np.float32))
