"""Wrong: always normalizes over the last axis and ignores the `axis` argument."""

import numpy as np


def softmax_temperature(x, tau, axis=-1):
    tau = float(tau)
    if not tau > 0:
        raise ValueError("tau must be > 0")
    x = np.asarray(x)
    z = x - np.max(x, axis=-1, keepdims=True)
    if np.isinf(tau):
        z = np.where(np.isneginf(z), -np.inf, 0.0).astype(x.dtype)
    else:
        z = z / tau
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
