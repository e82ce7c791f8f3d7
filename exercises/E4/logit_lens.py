"""E4: the logit lens with a tied unembedding W_U = W_E.T."""

import numpy as np


def logit_lens(resid, W_E, final_ln=False, eps=1e-5):
    """Logits W_E^T x for every residual row x, optionally after a final LayerNorm (no gamma/beta).

    resid: [..., d_model]. W_E: [d_model, vocab] (column t embeds token t).
    final_ln: if True use LN(x) = (x - mean) / sqrt(var + eps) over d_model (biased var) before unembedding.
    Returns [..., vocab]; float32 resid gives float32.
    """
    raise NotImplementedError  # TODO: (optional LN) then unembed with the tied W_U = W_E.T


def lens_scale(resid, eps=1e-5):
    """Per-row factor c(x) = 1 / sqrt(var(x) + eps) (biased variance over d_model). Returns [...]."""
    raise NotImplementedError  # TODO: the factor relating final-LN logits to raw dot products


def top_tokens(resid, W_E, k, final_ln=False, eps=1e-5):
    """Ids of the k largest logit-lens logits, largest first. Returns an int array [..., k]."""
    raise NotImplementedError  # TODO: sort the logit-lens logits in descending order
