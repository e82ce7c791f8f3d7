"""Wrong: builds the scores as K Q^T ([B, Lk, Lq]) and multiplies by V directly.

The shapes only line up when Lq == Lk, and even then each output row mixes the wrong weights.
"""

import numpy as np


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def attention(Q, K, V):
    scores = np.einsum("bkd,bqd->bkq", K, Q) / np.sqrt(Q.shape[-1])
    return _softmax(scores) @ V
