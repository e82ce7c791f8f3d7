"""4C: activation patching of the residual stream.

`model` is a fixture name ("induction-2l", "handmade-2l") or a dict of weight arrays; call `load_model(model)`
either way. Residual index l < n_layers: stream entering layer l (cache["blocks.{l}.resid_pre"]);
l = n_layers: the final stream (cache[f"blocks.{n_layers - 1}.resid_post"]). Tokens are 1-D [L].
Never modify an input, least of all the clean residual stack.
"""

import numpy as np
from toymodel import load_model


def residual_stack(model, tokens):
    """tokens: int [L]. Returns float64 [n_layers + 1, L, d_model]: every residual index."""
    raise NotImplementedError  # TODO: read the cache


def patched_logits(model, corrupt_tokens, clean_resid, layer, pos):
    """Logits [L, vocab] of corrupt_tokens with residual index `layer` at `pos` set to clean_resid[layer, pos].

    ValueError: layer not in 0..n_layers, pos not in 0..L-1, clean_resid not [n_layers + 1, L, d_model].
    """
    raise NotImplementedError  # TODO: one hook that overwrites a single row


def patching_effect(model, clean_tokens, corrupt_tokens, layer, pos, target, other=None, normalize=False):
    """m = logits[-1, target] (- logits[-1, other]); returns m_patched - m_corrupt,
    or (m_patched - m_corrupt) / (m_clean - m_corrupt) when normalize.

    ValueError: lengths differ, or normalize with m_clean == m_corrupt.
    """
    raise NotImplementedError  # TODO: clean run, corrupted run, patched run


def patching_sweep(model, clean_tokens, corrupt_tokens, target, other=None, normalize=True):
    """float64 [n_layers + 1, L]: the patching effect of every (residual index, position)."""
    raise NotImplementedError  # TODO: loop over residual indices and positions
