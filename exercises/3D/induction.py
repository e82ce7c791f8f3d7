"""3D: detect an induction head.

`model` is a fixture name ("handmade-2l", "induction-2l", ...) or a dict of weight arrays; call
`load_model(model)` either way. Patterns: `m.run_with_cache(tokens)[1][f"blocks.{l}.attn.pattern"]`,
shape [B, n_heads, T, T]. Scores are float64 arrays [n_layers, n_heads]. Never modify `tokens`.
"""

import numpy as np
from toymodel import load_model


def induction_scores(model, tokens):
    """Strict induction score of every head.

    tokens: int [B, 2L+1] = BOS, r_1..r_L, r_1..r_L (L >= 2).
    Returns [n_layers, n_heads]: mean over b and t = L+1..2L of pattern[b, h, t, t - L + 1].
    Raises ValueError if tokens is not 2-D, has even length or length < 5, or the halves differ.
    """
    raise NotImplementedError  # TODO: load the model, get patterns, average the t - L + 1 entries


def prev_token_scores(model, tokens):
    """Previous-token score of every head.

    tokens: int [B, T], T >= 2 (else ValueError).
    Returns [n_layers, n_heads]: mean over b and t = 1..T-1 of pattern[b, h, t, t - 1].
    """
    raise NotImplementedError  # TODO: average the sub-diagonal of each pattern


def copying_scores(model):
    """OV copying score of every head.

    M = W_U @ W_O[l, h] @ W_V[l, h] @ W_E  [vocab, vocab]; column s = logit change from source token s.
    Returns [n_layers, n_heads]: fraction of s in 1..vocab-1 with argmax(M[:, s]) == s.
    """
    raise NotImplementedError  # TODO: build the full OV circuit per head and test its column maxima


def detect_induction_heads(model, tokens, induction_threshold=0.4, copy_threshold=0.7):
    """Bool [n_layers, n_heads]: induction score >= induction_threshold AND copying score >= copy_threshold.

    tokens as in induction_scores (ValueError for bad tokens).
    """
    raise NotImplementedError  # TODO: combine both criteria
