"""Wrong: flips the sign, using p p^T - diag(p) instead of diag(p) - p p^T."""

import numpy as np


def softmax_jvp(p, v, axis=-1):
    return p * (np.sum(p * v, axis=axis, keepdims=True) - v)


def softmax_jacobian(p):
    n = p.shape[-1]
    return p[..., :, None] * p[..., None, :] - p[..., :, None] * np.eye(n, dtype=p.dtype)
