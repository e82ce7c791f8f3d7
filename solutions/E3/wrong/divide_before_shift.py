"""Wrong: divides by tau before subtracting the max, so x / tau overflows to inf (NaN) at tiny tau."""

import numpy as np


def softmax_temperature(x, tau, axis=-1):
    tau = float(tau)
    if not tau > 0:
        raise ValueError("tau must be > 0")
    x = np.asarray(x)
    if np.isinf(tau):
        z = np.where(np.isneginf(x), -np.inf, 0.0).astype(x.dtype)
    else:
        z = x / tau
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
