"""Wrong: only rejects negative tau, so tau = 0 silently returns NaN instead of raising ValueError."""

import numpy as np


def softmax_temperature(x, tau, axis=-1):
    tau = float(tau)
    if tau < 0 or np.isnan(tau):
        raise ValueError("tau must be > 0")
    x = np.asarray(x)
    z = x - np.max(x, axis=axis, keepdims=True)
    if np.isinf(tau):
        z = np.where(np.isneginf(z), -np.inf, 0.0).astype(x.dtype)
    else:
        z = z / tau
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
