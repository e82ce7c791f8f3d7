"""Wrong: normalises each key's column over the queries (axis=1) instead of each query's row over the keys."""

import numpy as np


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def attention(Q, K, V):
    scores = np.einsum("bqd,bkd->bqk", Q, K) / np.sqrt(Q.shape[-1])
    return np.einsum("bqk,bkv->bqv", _softmax(scores, axis=1), V)
