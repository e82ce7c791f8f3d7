"""E3 reference: temperature softmax, stable for every tau in (0, inf]."""

import numpy as np


def softmax_temperature(x, tau, axis=-1):
    tau = float(tau)
    if not tau > 0:  # also catches NaN
        raise ValueError(f"tau must be > 0, got {tau!r}")
    x = np.asarray(x)
    out_dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    z = x.astype(np.float64)
    z = z - np.max(z, axis=axis, keepdims=True)  # <= 0; -inf stays -inf (masked)
    if np.isinf(tau):
        z = np.where(np.isneginf(z), -np.inf, 0.0)
    else:
        with np.errstate(over="ignore", under="ignore"):
            z = z / tau
    e = np.exp(z)
    return (e / e.sum(axis=axis, keepdims=True)).astype(out_dtype)
