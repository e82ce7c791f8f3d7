"""E17: the contribution of one attention edge to a target logit, via selection (QK) and write (OV).

Implement the two functions; see the prompt (`practice show E17`) for the full contract.
"""

import numpy as np
from toymodel import load_model  # noqa: F401  (load_model(model) accepts a fixture name or a dict of weights)


def edge_contribution(model, tokens, layer, head, i, j, target):
    """(score, weight, write, contribution) as floats for the edge i <- j of head (layer, head).

    score = (W_Q x_i)·(W_K x_j)/sqrt(d_head) with x = resid_pre of `layer`; weight = A[i, j];
    write = W_U[target]·(W_O W_V x_j); contribution = weight * write. tokens: int [L].
    Raises ValueError unless 0 <= j <= i < L.
    """
    raise NotImplementedError  # TODO: cache, the two residual rows, the QK and OV pieces


def qk_edge_terms(model, tokens, head, i, j):
    """[2, 2]: T[a, b] = (W_Q u_a)·(W_K v_b)/sqrt(d_head) for a layer-0 head, u = (e_i, p_i), v = (e_j, p_j)."""
    raise NotImplementedError  # TODO: token and position embeddings of i and j, four bilinear terms
