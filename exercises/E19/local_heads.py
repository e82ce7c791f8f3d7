"""E19: heads that attend to themselves yet transform what they read through their OV circuit.

Implement the three functions; see the prompt (`practice show E19`) for the full contract.
"""

import numpy as np
from toymodel import load_model  # noqa: F401  (load_model(model) accepts a fixture name or a dict of weights)


def self_attention_fraction(model, tokens):
    """[n_layers, n_heads]: mean of pattern[b, i, i] over sequences b and positions i = 1..L-1."""
    raise NotImplementedError  # TODO: patterns from the cache, their diagonals without position 0


def ov_argmax_map(model, layer, head):
    """int64 [vocab]: sigma[s] = argmax_t (W_U W_O W_V W_E)[t, s] for head (layer, head)."""
    raise NotImplementedError  # TODO: the direct OV circuit and an argmax over output tokens


def local_transform_heads(model, tokens, min_self=0.8, min_moved=0.5):
    """bool [n_layers, n_heads]: self fraction >= min_self and fraction of s with sigma[s] != s >= min_moved."""
    raise NotImplementedError  # TODO: combine the two measurements
