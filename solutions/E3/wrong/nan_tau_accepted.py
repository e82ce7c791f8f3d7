"""Wrong: validates with `tau <= 0`, which is False for NaN, so tau = NaN is not rejected."""

import numpy as np


def softmax_temperature(x, tau, axis=-1):
    if tau <= 0:
        raise ValueError("tau must be > 0")
    x = np.asarray(x)
    z = x - np.max(x, axis=axis, keepdims=True)
    if np.isinf(tau):
        z = np.where(np.isneginf(z), -np.inf, 0.0).astype(x.dtype)
    else:
        z = z / tau
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
