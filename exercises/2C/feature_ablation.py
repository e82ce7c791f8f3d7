"""Exercise 2C: a feature direction in the residual stream: project onto it, remove it, read the logit change.

See the prompt (`practice show 2C`) for the full rules.
"""

import numpy as np


def feature_projection(x, f):
    """The coordinate of each residual vector along the unit direction f / ||f||.

    Args:
        x: residual vectors, float array [..., d_model] (e.g. [B, L, d_model] or [d_model]).
        f: feature direction, float array [d_model]; need not be unit length.

    Returns:
        [...]: x·f / ||f|| for each vector (a scalar for a 1-D x).

    Raises:
        ValueError: if ||f|| == 0.
    """
    raise NotImplementedError  # TODO: dot each row of x with the unit vector f / ||f||


def ablate_feature(x, f):
    """x with its component along f removed.

    Args:
        x: float array [..., d_model].
        f: float array [d_model]; need not be unit length.

    Returns:
        [..., d_model]: x - (x·f_hat) f_hat, where f_hat = f / ||f||.

    Raises:
        ValueError: if ||f|| == 0.
    """
    raise NotImplementedError  # TODO: subtract the projection onto f_hat


def ablation_logit_change(x, f, W_E):
    """How the logits move when the feature f is ablated from x.

    Args:
        x: float array [..., d_model].
        f: float array [d_model]; need not be unit length.
        W_E: embedding, [d_model, vocab] (column t embeds token t). The unembedding is tied: W_U = W_E.T,
            so logits(x) = W_U x. No final LayerNorm.

    Returns:
        [..., vocab]: logits(ablate_feature(x, f)) - logits(x).

    Raises:
        ValueError: if ||f|| == 0.
    """
    raise NotImplementedError  # TODO: logits of the ablated x minus logits of x, with W_U = W_E.T
