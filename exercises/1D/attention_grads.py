"""Exercise 1D: backpropagation through attention and a cross-entropy readout.

Write `attention_ce_grads(Q, K, V, W_o, y)`. See the prompt (`practice show 1D`) for the full rules.
You may define helper functions (softmax, attention, ...) in this file.
"""

import numpy as np


def attention_ce_grads(Q, K, V, W_o, y):
    """Mean cross-entropy of an attention readout and its gradients with respect to Q, K and V.

    Forward pass (no mask; every query sees every key; d = Q.shape[-1]):
        S = Q K^T / sqrt(d)         [B, L, L]
        A = softmax(S, axis=-1)     [B, L, L]   (over the keys)
        O = A V                     [B, L, d]
        Z = O @ W_o                 [B, L, C]   (logits)
        loss = mean over the B*L positions of -log softmax(Z[b, i])[y[b, i]]

    Args:
        Q, K, V: float arrays, shape [B, L, d].
        W_o: float array, shape [d, C] (applied to row activations: Z = O @ W_o).
        y: int array, shape [B, L], labels in [0, C).

    Returns:
        (loss, dQ, dK, dV): loss as a Python float; dQ, dK, dV = d loss / d Q, K, V, each [B, L, d].
    """
    raise NotImplementedError  # TODO: forward pass, then backprop through CE, W_o, A V and the softmax
