"""Reference solution for 1C: softmax Jacobian and an O(n) Jacobian-vector product."""

import numpy as np


def softmax_jvp(p, v, axis=-1):
    """J v per slice along `axis`, with J = diag(p) - p p^T: (J v)_i = p_i (v_i - sum_j p_j v_j)."""
    p = np.asarray(p)
    v = np.asarray(v)
    inner = np.sum(p * v, axis=axis, keepdims=True)  # p . v for each slice
    return p * (v - inner)


def softmax_jacobian(p):
    """[..., n] -> [..., n, n] with J[..., i, j] = p_i (delta_ij - p_j)."""
    p = np.asarray(p)
    n = p.shape[-1]
    eye = np.eye(n, dtype=p.dtype)
    return p[..., :, None] * eye - p[..., :, None] * p[..., None, :]
