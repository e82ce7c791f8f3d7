"""3C: read a skip-trigram circuit off a one-layer, one-head attention-only model.

`model` is a fixture name ("skip-trigram") or a dict of weight arrays; call `load_model(model)` either
way. One layer, one head: use W_Q[0, 0], W_K[0, 0], W_V[0, 0] [d_head, d_model], W_O[0, 0] [d_model, d_head],
W_E [d_model, vocab], W_pos [d_model, n_ctx], W_U [vocab, d_model]. Never modify inputs.
"""

import numpy as np
from toymodel import load_model


def attention_patterns(model, tokens):
    """tokens: int [B, L]. Returns float64 [B, L, L]: [b, i, j] = attention from destination i to source j."""
    raise NotImplementedError  # TODO: run the model with its cache (or compute Q, K yourself)


def source_logit_contributions(model, tokens):
    """tokens: int [B, L]. Returns float64 [B, L, L, vocab].

    [b, i, j, :] = A[b, i, j] * (W_U W_O W_V x_j) with x_j = W_E[:, tok_j] + W_pos[:, j].
    """
    raise NotImplementedError  # TODO: OV logits of each source, weighted by the pattern


def ov_logit_table(model):
    """Returns float64 [vocab, vocab]: [s, c] = (W_U W_O W_V W_E)[c, s]; rows are source tokens."""
    raise NotImplementedError  # TODO: the full OV circuit, transposed


def read_trigrams(model, a_tokens, b_tokens, c_tokens, qk_threshold=2.0):
    """Skip-trigrams read from the weights: int64 [n, 3] rows (a, b, c), sorted; (0, 3) if none.

    S[d, s] = (W_Q W_E[:, d]) . (W_K W_E[:, s]) / sqrt(d_head), centred per row over all vocab sources.
    b attends to a when S'[b, a] > qk_threshold; c = argmax over c_tokens of ov_logit_table[a, c] + (W_U W_E)[c, b].
    """
    raise NotImplementedError  # TODO: QK decides the pairs, OV + direct path decides c


def probe_predictions(model, a_tokens, b_tokens, filler):
    """int64 [len(a_tokens), len(b_tokens)]: argmax token at the end of the sequence [a, *filler, b]."""
    raise NotImplementedError  # TODO: one batch of probe sequences through the model


def incoherence_bugs(model, table, c_tokens):
    """OV-incoherence predictions of a trigram table (int [n, 3] rows (a, b, c)).

    bugs: int64 [m, 3] unique sorted triples (a, b, c2) with (a, b, c), (a, b2, c2) in table, c2 != c.
    boost: float64 [m], ov_logit_table[a, c2] - mean over c in c_tokens of ov_logit_table[a, c].
    Returns (bugs, boost).
    """
    raise NotImplementedError  # TODO: pair up rows that share an A
