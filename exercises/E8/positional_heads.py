"""E8: previous-token versus next-token heads built from absolute positional embeddings.

Implement the three functions; see the prompt (`practice show E8`) for the full contract.
"""

import numpy as np


def offset_head(W_pos, offset, strength):
    """Query and key maps of a head that attends from position i to position i + offset.

    W_pos: [d_model, n_ctx], linearly independent columns. Returns (W_Q, W_K), each [n_ctx, d_model],
    such that on x_i = W_pos[:, i] the scaled scores (W_Q x_i)·(W_K x_j)/sqrt(n_ctx) equal `strength`
    where j == i + offset and 0 elsewhere (no wrap-around). W_Q and W_K vanish on vectors orthogonal
    to the columns of W_pos. Raises ValueError if d_model < n_ctx.
    """
    raise NotImplementedError  # TODO: a left inverse of W_pos, a shift matrix, the sqrt(d_head) factor


def positional_pattern(W_pos, W_Q, W_K, L, causal=True):
    """[L, L] attention pattern of head (W_Q, W_K) ([d_head, d_model]) on residuals x_i = W_pos[:, i].

    Scores are scaled by 1/sqrt(d_head). causal=True gives keys j > i weight exactly 0.
    """
    raise NotImplementedError  # TODO: positional residuals, scores, optional -inf mask, stable softmax


def offset_score(pattern, offset):
    """Mean of pattern[i, i + offset] over rows with 0 <= i + offset < L, as a float.

    pattern: [L, L]. Raises ValueError if no row has such a key.
    """
    raise NotImplementedError  # TODO: select the valid rows, average their entries
