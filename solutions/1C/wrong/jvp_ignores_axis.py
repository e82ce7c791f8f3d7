"""Wrong: softmax_jvp ignores `axis` and always contracts over the last axis."""

import numpy as np


def softmax_jvp(p, v, axis=-1):
    return p * (v - np.sum(p * v, axis=-1, keepdims=True))


def softmax_jacobian(p):
    n = p.shape[-1]
    return p[..., :, None] * np.eye(n, dtype=p.dtype) - p[..., :, None] * p[..., None, :]
