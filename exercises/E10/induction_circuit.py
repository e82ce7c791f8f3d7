"""E10: composition scores, and a hand-built 2-layer induction circuit (previous-token head + copying head).

Implement the two functions; see the prompt (`practice show E10`) for the full contract.
"""

import numpy as np


def composition_scores(W_Q1, W_K1, W_V1, W_O1, W_V0, W_O0):
    """(q_comp, k_comp, v_comp) as floats, for a layer-1 head reading a layer-0 head.

    W_Q1, W_K1, W_V1, W_V0: [d_head, d_model]; W_O1, W_O0: [d_model, d_head].
    With A = W_O0 @ W_V0, W_QK1 = W_Q1.T @ W_K1, W_OV1 = W_O1 @ W_V1 and Frobenius norms:
      k_comp = ||W_QK1 @ A|| / (||W_QK1|| ||A||)
      q_comp = ||W_QK1.T @ A|| / (||W_QK1|| ||A||)
      v_comp = ||W_OV1 @ A|| / (||W_OV1|| ||A||)
    """
    raise NotImplementedError  # TODO: the three composed matrices and their normalised Frobenius norms


def build_induction_model(vocab, n_ctx):
    """Weights dict of a 2-layer, 1-head attention-only model that performs induction.

    Keys W_E [d_model, vocab], W_pos [d_model, n_ctx], W_Q/W_K/W_V [2, 1, d_head, d_model],
    W_O [2, 1, d_model, d_head], W_U [vocab, d_model]. Layer 0: previous-token head; layer 1:
    induction head by K-composition; argmax logits predict the repeated segment.
    """
    raise NotImplementedError  # TODO: choose a layout of the residual stream and fill in the weights
