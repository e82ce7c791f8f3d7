"""4D: a sparse autoencoder (dictionary) that recovers features in superposition.

Shapes: X [N, d] (rows are residual vectors); params is a dict of float64 arrays
    W_enc [m, d], b_enc [m], W_dec [d, m] (column j = dictionary vector j, unit norm), b_dec [d].
Encoder: Z = ReLU((X - b_dec) @ W_enc.T + b_enc)   [N, m]
Decoder: X_hat = Z @ W_dec.T + b_dec                [N, d]
Loss:    mean over rows of ||x_hat - x||^2 + l1 * ||z||_1
True features F are rows [k, d]. Never modify inputs. Sample only from `rng`.
"""

import numpy as np


def sae_forward(X, params):
    """Return (Z [N, m], X_hat [N, d]) for inputs X [N, d]."""
    raise NotImplementedError  # TODO: subtract b_dec before encoding, add it back after decoding


def sae_loss(X, params, l1):
    """Mean over rows of sum_d (x_hat - x)^2 + l1 * sum_m z, as a float."""
    raise NotImplementedError  # TODO


def sae_grads(X, params, l1):
    """Gradients of sae_loss: a dict with keys W_enc, b_enc, W_dec, b_dec, shaped like params.

    Raw gradients (do not project W_dec's gradient here). b_dec reaches the loss twice.
    """
    raise NotImplementedError  # TODO: backprop by hand


def normalize_decoder(W_dec):
    """Return a copy of W_dec [d, m] whose columns have unit norm."""
    raise NotImplementedError  # TODO


def dead_latents(X, params):
    """Boolean array [m]: True for latents whose activation is 0 on every row of X."""
    raise NotImplementedError  # TODO


def train_sae(X, m, rng, l1=0.2, lr=1e-2, steps=1000, batch_size=256):
    """Train an SAE with m latents on X [N, d] using Adam and minibatches drawn with rng.

    Keep W_dec's columns at unit norm after every step and resample dead latents.
    Returns {"W_enc": [m, d], "b_enc": [m], "W_dec": [d, m], "b_dec": [d]} (float64).
    """
    raise NotImplementedError  # TODO


def feature_recovery(F, W_dec):
    """For each true feature F[i] ([k, d] rows), the max SIGNED cosine to any column of W_dec [d, m].

    Returns [k]. Rows and columns need not be unit norm; a zero column counts as cosine 0.
    """
    raise NotImplementedError  # TODO


def mmcs(F, W_dec):
    """Mean max cosine similarity: the mean of feature_recovery(F, W_dec) over true features, as a float."""
    raise NotImplementedError  # TODO
