"""Exercise 2A: LayerNorm over the feature (last) axis.

Write `layer_norm(x, gamma=None, beta=None, eps=1e-5)` with NumPy only. See the prompt (`practice show 2A`)
for the full rules.
"""

import numpy as np


def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    """LayerNorm of `x` over its last axis.

    Args:
        x: float32 or float64 array of shape [..., d] (for example [B, L, d] or [d]). Never modify it.
        gamma: scale, shape [d], or None for all ones.
        beta: shift, shape [d], or None for all zeros.
        eps: a non-negative number added to the variance inside the square root.

    Returns:
        An array of shape [..., d]: (x - mu) / sqrt(var + eps) * gamma + beta, where mu and var are the mean
        and the biased variance (divide by d) of each row along the last axis. float32 input gives float32.
    """
    raise NotImplementedError  # TODO: centre each row, divide by sqrt(biased variance + eps), then scale and shift
