"""E7: attention patterns for a toy sentence, and a validity check for them."""

import numpy as np


def embed_tokens(tokens, W_E, W_pos=None):
    """Rows W_E[:, tokens[..., i]] (+ W_pos[:, i]). tokens: int [L] or [B, L]; W_E: [d_model, vocab];
    W_pos: [d_model, n_ctx] (n_ctx >= L) or None. Returns [..., L, d_model]."""
    raise NotImplementedError  # TODO: index columns of W_E, add position columns 0..L-1


def attention_pattern(X, W_Q, W_K, causal=False):
    """A[..., i, j] = softmax_j((W_Q x_i) · (W_K x_j) / sqrt(d_head)); rows are queries, sum to 1.

    X: [..., L, d_model]; W_Q, W_K: [d_head, d_model]. causal=True: entries with j > i are exactly 0.
    Returns [..., L, L]; stable for large logits; float32 stays float32.
    """
    raise NotImplementedError  # TODO: scores, optional -inf mask above the diagonal, stable row softmax


def is_valid_pattern(A, causal=False, atol=1e-6):
    """True iff A [..., L, L] is finite, >= 0, rows sum to 1 within atol, and (if causal) zero above the
    diagonal. Returns a Python bool; never raises."""
    raise NotImplementedError  # TODO: finiteness, sign, row sums, causal zeros
