"""Wrong: softmax_jacobian uses np.diag(p) - np.outer(p, p), which is only right for a single 1-D vector.

For batched p, np.diag extracts a diagonal instead of building one and np.outer flattens the batch.
"""

import numpy as np


def softmax_jvp(p, v, axis=-1):
    return p * (v - np.sum(p * v, axis=axis, keepdims=True))


def softmax_jacobian(p):
    return np.diag(p) - np.outer(p, p)
