"""E13: the QK and OV circuits of a head, computed and then measured on an isolated toy model.

Implement the three functions; see the prompt (`practice show E13`) for the full contract.
"""

import numpy as np
from toymodel import load_model  # noqa: F401  (load_model(weights) builds a model from a dict)


def qk_circuit(W_E, W_Q, W_K):
    """[vocab, vocab]: QK[q, k] = (W_Q W_E[:, q]) · (W_K W_E[:, k]) / sqrt(d_head). Rows: query tokens."""
    raise NotImplementedError  # TODO: token-token attention logits


def ov_circuit(W_E, W_V, W_O, W_U):
    """[vocab, vocab]: OV[s, t] = W_U[t] · (W_O W_V W_E[:, s]). Rows: source tokens."""
    raise NotImplementedError  # TODO: token-to-logit map of the head


def empirical_circuits(weights, head):
    """(qk_emp, ov_emp), each [vocab, vocab], measured on the 1-layer model `weights` with W_pos zeroed.

    qk_emp[q, k]: scaled score from position 1 to position 0 of the sequence [k, q] (this head).
    ov_emp[s]:    this head's head_out at position 0 of the sequence [s], times W_U.T.
    """
    raise NotImplementedError  # TODO: zero W_pos, run all pairs / all single tokens, read the cache
