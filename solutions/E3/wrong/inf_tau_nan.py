"""Wrong: no special case for tau = inf, so masked entries give -inf / inf = NaN there."""

import numpy as np


def softmax_temperature(x, tau, axis=-1):
    tau = float(tau)
    if not tau > 0:
        raise ValueError("tau must be > 0")
    x = np.asarray(x)
    z = (x - np.max(x, axis=axis, keepdims=True)) / tau
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
