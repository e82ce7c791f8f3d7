"""Exercise 1B: batched scaled dot-product attention with NumPy and einsum.

Write `attention(Q, K, V)`. See the prompt (`practice show 1B`) for the full rules.
"""

import numpy as np


def attention(Q, K, V):
    """Scaled dot-product attention, softmax(Q K^T / sqrt(dk)) V, for each batch element.

    Args:
        Q: queries, shape [B, Lq, dk].
        K: keys, shape [B, Lk, dk].
        V: values, shape [B, Lk, dv].

    Returns:
        Array of shape [B, Lq, dv]. Row i of batch b is the average of the rows of V[b], weighted by the
        softmax over the Lk keys of the scores Q[b, i] . K[b, j] / sqrt(dk). Batch elements never mix;
        float32 inputs give float32; the inputs are not modified.
    """
    raise NotImplementedError  # TODO: scores with einsum, stable softmax over keys, weighted sum of V
