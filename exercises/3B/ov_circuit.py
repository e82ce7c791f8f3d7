"""Exercise 3B: the OV circuit, from an attended token to a change in the output logits.

See the prompt (`practice show 3B`) for the full rules.
"""

import numpy as np


def ov_logit_delta(x_j, a_ij, W_V, W_O, W_U):
    """The direct logit update a_ij * W_U W_O W_V x_j.

    Args:
        x_j: residual vector(s) of the attended source position(s), [..., d_model].
        a_ij: attention weight(s), a scalar or an array that broadcasts against x_j.shape[:-1].
        W_V: [d_head, d_model]; W_O: [d_model, d_head]; W_U: [vocab, d_model] (a tied one is W_E.T).

    Returns:
        [..., vocab] (the broadcast of a_ij's shape with x_j.shape[:-1], then vocab): the change in the
        logits at the destination i caused by moving a_ij of x_j through the head.
    """
    raise NotImplementedError  # TODO: value, output and unembedding maps applied to each row, scaled by a_ij
