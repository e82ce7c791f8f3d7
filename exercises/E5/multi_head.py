"""E5: multi-head self-attention with einsum, including head split and merge."""

import numpy as np


def split_heads(x, n_heads):
    """[..., L, n_heads*d_head] -> [..., n_heads, L, d_head]; head h takes features h*d_head..(h+1)*d_head-1.

    Raises ValueError if the last axis is not divisible by n_heads.
    """
    raise NotImplementedError  # TODO: reshape the feature axis into (n_heads, d_head), move heads before L


def merge_heads(x):
    """[..., n_heads, L, d_head] -> [..., L, n_heads*d_head]; the exact inverse of split_heads."""
    raise NotImplementedError  # TODO: move the head axis back after L, then flatten (n_heads, d_head)


def multi_head_attention(X, W_Q, W_K, W_V, W_O, n_heads):
    """Unmasked multi-head self-attention.

    X: [B, L, d_model]. W_Q, W_K, W_V, W_O: [d_model, d_model], acting on column vectors (Q = X @ W_Q.T).
    Split into n_heads heads of width d_head = d_model // n_heads, scale 1/sqrt(d_head), softmax over keys,
    merge, apply W_O. Returns [B, L, d_model].
    """
    raise NotImplementedError  # TODO: project, split, einsum scores, softmax, einsum values, merge, W_O
