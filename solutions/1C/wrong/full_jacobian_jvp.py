"""Wrong: softmax_jvp builds the full n x n Jacobian and multiplies it by v (O(n^2) memory).

Correct values for small n, but at n = 10**6 the Jacobian would need 8 TB and the call runs out of memory.
"""

import numpy as np


def softmax_jacobian(p):
    p = np.asarray(p)
    n = p.shape[-1]
    return p[..., :, None] * np.eye(n, dtype=p.dtype) - p[..., :, None] * p[..., None, :]


def softmax_jvp(p, v, axis=-1):
    p_last = np.moveaxis(np.asarray(p), axis, -1)
    v_last = np.moveaxis(np.asarray(v), axis, -1)
    out = np.einsum("...ij,...j->...i", softmax_jacobian(p_last), v_last)
    return np.moveaxis(out, -1, axis)
