"""Exercise 3A: attention logits from the QK circuit, with and without absolute positional embeddings.

See the prompt (`practice show 3A`) for the full rules.
"""

import numpy as np


def qk_logits(X, W_Q, W_K, P=None):
    """Attention logits of one head.

    Args:
        X: residual stream, [L, d_model] or [B, L, d_model] (row i is x_i).
        W_Q, W_K: [d_head, d_model]; they act on column vectors (W_Q x_i).
        P: optional absolute positional embeddings [L, d_model] (row i is p_i), added to X (to every batch
            element) before the projections. None means no positions.

    Returns:
        [..., L, L]: entry [i, j] = (W_Q r_i)·(W_K r_j) / sqrt(d_head), with r_i = x_i + p_i (or x_i).
        Row i is the query (destination), column j the key (source). No mask, no softmax.
    """
    raise NotImplementedError  # TODO: project queries and keys, take all pairwise dot products, scale


def qk_logit_terms(X, W_Q, W_K, P):
    """Split qk_logits(X, W_Q, W_K, P) into its four bilinear parts.

    Args:
        X: [L, d_model] or [B, L, d_model]; W_Q, W_K: [d_head, d_model]; P: [L, d_model] (required).

    Returns:
        A tuple (tt, tp, pt, pp), each with the shape of qk_logits(X, W_Q, W_K, P), where entry [i, j] is
        (W_Q a_i)·(W_K b_j) / sqrt(d_head) with (a, b) = (x, x), (x, p), (p, x), (p, p) respectively.
        tt + tp + pt + pp equals qk_logits(X, W_Q, W_K, P).
    """
    raise NotImplementedError  # TODO: the four query/key combinations of tokens and positions
