"""E2: permutation equivariance of attention without positional information."""

import numpy as np


def attention_no_pos(X, W_Q, W_K, W_V):
    """Unmasked single-head self-attention with no positional information.

    X: [..., L, d_model] (rows are tokens). W_Q, W_K: [d_head, d_model]. W_V: [d_v, d_model].
    Weights act on column vectors: Q = X @ W_Q.T. Scale 1/sqrt(d_head), softmax over keys.
    Returns A @ V of shape [..., L, d_v].
    """
    raise NotImplementedError  # TODO: Q, K, V projections, scaled scores, stable softmax over keys, A @ V


def equivariance_gap(X, W_Q, W_K, W_V, perm, W_pos=None):
    """max |f(X[..., perm, :]) - f(X)[..., perm, :]| as a Python float.

    f(Z) = attention_no_pos(Z + P, ...) with P[i] = W_pos[:, i] (positions stay with slots), or P = 0
    when W_pos is None. perm: int array [L], a permutation of 0..L-1. W_pos: [d_model, n_ctx], n_ctx >= L.
    """
    raise NotImplementedError  # TODO: permute tokens, add positions to both runs, compare outputs
