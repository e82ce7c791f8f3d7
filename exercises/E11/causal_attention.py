"""E11: causal scaled dot-product self-attention with an exact (leak-free) mask.

Implement `causal_attention`; see the prompt (`practice show E11`) for the full contract.
"""

import numpy as np


def causal_attention(Q, K, V):
    """Causal self-attention softmax(Q K^T / sqrt(d) + causal mask) V.

    Q: [B, L, d], K: [B, L, d], V: [B, L, dv]. Returns [B, L, dv].
    Position i attends only to positions j <= i; masked positions get weight exactly 0.0,
    so changing inputs at positions >= t leaves outputs at positions < t bit-identical.
    float32 stays float32. Raises ValueError on inconsistent shapes.
    """
    raise NotImplementedError  # TODO: scores, -inf mask, stable softmax over j <= i, weights @ V
