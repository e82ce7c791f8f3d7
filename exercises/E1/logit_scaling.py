"""E1: Monte-Carlo look at the 1/sqrt(d) scale of attention logits.

Draw every random number from `rng` (a numpy.random.Generator); never use np.random.* directly.
"""

import numpy as np


def logit_variance(d, n_samples, rng, scaled=True):
    """Sample variance of attention logits s = q·k (divided by sqrt(d) if `scaled`).

    d: int >= 1, width of q and k.
    n_samples: int >= 2, number of independent (q, k) pairs, each with N(0, 1) entries.
    rng: numpy.random.Generator, the only source of randomness.
    Returns a Python float: about 1 when scaled, about d when not.
    """
    raise NotImplementedError  # TODO: draw q, k of shape [n_samples, d], take the variance of q·k


def softmax_jacobian_norm(d, L, n_samples, rng, scaled=True):
    """Mean Frobenius norm of the softmax Jacobian J = diag(p) - p p^T over random attention rows.

    Per trial: q [d] and keys [L, d] with N(0, 1) entries; s_j = q·k_j (/ sqrt(d) if `scaled`);
    p = softmax(s) over the L keys. Returns a Python float, the mean of ||J||_F over n_samples trials.
    """
    raise NotImplementedError  # TODO: batch the trials, softmax over the key axis, average ||J||_F
