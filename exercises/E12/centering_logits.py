"""E12: how LayerNorm's centering changes attention logits, and folding it into W_Q / W_K.

Implement the three functions below; see the prompt (`practice show E12`) for the full contract.
"""

import numpy as np


def attention_logits(X, W_Q, W_K, center=False):
    """Attention logits (W_Q x_i)·(W_K x_j) / sqrt(d_head), no mask.

    X: [..., L, d_model]; W_Q, W_K: [d_head, d_model]. Returns [..., L, L] (query i, key j).
    center=True first subtracts each row's mean over the d_model features.
    """
    raise NotImplementedError  # TODO: optionally center X, project to queries and keys, scaled dot products


def centering_terms(X, W_Q, W_K):
    """Split raw - centered logits into {"query_mean", "key_mean", "mean_mean"}, each [..., L, L].

    With m_i = mean(x_i), c_i = x_i - m_i·1, u_Q = W_Q 1, u_K = W_K 1, all divided by sqrt(d_head):
      query_mean[i, j] = m_i (u_Q · W_K c_j)
      key_mean[i, j]   = m_j (W_Q c_i · u_K)
      mean_mean[i, j]  = m_i m_j (u_Q · u_K)
    """
    raise NotImplementedError  # TODO: means, centered rows, row sums of the weights, three outer products


def fold_centering(W):
    """Return W P with P = I - 1 1^T / d_model, for W of shape [..., d_out, d_model] (same shape out).

    fold_centering(W) @ x == W @ (x - mean(x)·1) for every x, and fold_centering(W) @ 1 == 0.
    """
    raise NotImplementedError  # TODO: subtract from each row of W its mean over the d_model axis
