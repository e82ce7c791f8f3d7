"""Exercise 2D: RMSNorm, LayerNorm without the centring.

Write `rms_norm(x, gamma=None, eps=1e-5)` with NumPy only. See the prompt (`practice show 2D`) for the full rules.
"""

import numpy as np


def rms_norm(x, gamma=None, eps=1e-5):
    """RMSNorm of `x` over its last axis.

    Args:
        x: float32 or float64 array of shape [..., d] (for example [B, L, d] or [d]). Never modify it.
        gamma: scale, shape [d], or None for all ones.
        eps: a non-negative number added to the mean square inside the square root.

    Returns:
        An array of shape [..., d]: x / sqrt(mean(x**2) + eps) * gamma, the mean taken over the last axis of
        each row. No mean is subtracted. float32 input gives float32.
    """
    raise NotImplementedError  # TODO: divide each row by its root-mean-square (with eps inside), then scale
