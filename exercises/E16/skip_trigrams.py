"""E16: a skip-trigram generator, a 1-layer attention-only model trained on it in NumPy, and its OV readout.

Implement the three functions; see the prompt (`practice show E16`) for the full contract.
"""

import numpy as np


def skip_trigram_batch(trigrams, fillers, n_ctx, n, rng):
    """(tokens int64 [n, n_ctx], targets int64 [n]).

    Each row: a trigram (a, b, c) drawn uniformly; b at the last position; a at a uniform position in
    0..n_ctx-2; one distractor (the a of a trigram with a different b) at another such position;
    fillers elsewhere; target c. rng: np.random.Generator.
    """
    raise NotImplementedError  # TODO: vectorised or per-row sampling with rng


def train_skip_trigram(trigrams, fillers, vocab, n_ctx, seed):
    """Train a 1-layer, 1-head attention-only model; return its weights dict (toymodel format).

    Held-out accuracy at the last position must reach 90%; at most 20 s on one core.
    """
    raise NotImplementedError  # TODO: parametrise, forward, hand-written backward, Adam, export


def read_ov_mapping(weights, src_tokens):
    """int64 [len(src_tokens)]: argmax_t (W_U W_O W_V W_E)[t, s] of head (0, 0) for each source token s."""
    raise NotImplementedError  # TODO: the OV circuit and an argmax over output tokens
