"""Wrong: replaces small tau by a hard one-hot argmax, which puts all mass on the first of tied maxima."""

import numpy as np


def softmax_temperature(x, tau, axis=-1):
    tau = float(tau)
    if not tau > 0:
        raise ValueError("tau must be > 0")
    x = np.asarray(x)
    if tau < 1e-6:
        idx = np.expand_dims(np.argmax(x, axis=axis), axis)
        out = np.zeros_like(x)
        np.put_along_axis(out, idx, 1.0, axis=axis)
        return out
    z = x - np.max(x, axis=axis, keepdims=True)
    if np.isinf(tau):
        z = np.where(np.isneginf(z), -np.inf, 0.0).astype(x.dtype)
    else:
        z = z / tau
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
