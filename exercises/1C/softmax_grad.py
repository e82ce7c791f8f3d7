"""Exercise 1C: the softmax Jacobian and a memory-efficient Jacobian-vector product.

Write `softmax_jvp(p, v, axis=-1)` and `softmax_jacobian(p)`. See the prompt (`practice show 1C`).
"""

import numpy as np


def softmax_jvp(p, v, axis=-1):
    """Jacobian-vector product of softmax, J v, taken independently for each slice along `axis`.

    Args:
        p: softmax probabilities p = softmax(z, axis), any shape; each slice along `axis` sums to 1.
        v: the vector(s) to multiply, same shape as p.
        axis: the softmax axis (negative values count from the end).

    Returns:
        Array of the same shape as p: for each slice, J v with J = diag(p) - p p^T (n = p.shape[axis]).
        Must use O(p.size) time and memory: never build an n x n matrix.
    """
    raise NotImplementedError  # TODO: J v without forming J


def softmax_jacobian(p):
    """Full softmax Jacobian for each slice along the LAST axis.

    Args:
        p: softmax probabilities, shape [..., n].

    Returns:
        Array of shape [..., n, n] with J[..., i, j] = d p_i / d z_j = p_i * (delta_ij - p_j).
    """
    raise NotImplementedError  # TODO: diag(p) - p p^T, batched over the leading axes
