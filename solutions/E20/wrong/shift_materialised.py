"""Wrong: softmax_with_shift forms z + c in floating point; at |c| = 1e300 that erases z (uniform output)."""

import numpy as np


def softmax(z, axis=-1):
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    e = np.exp(gauge_fix(z, axis))  # exponents <= 0, one exactly 0 per row: no overflow, sum >= 1
    return e / e.sum(axis=axis, keepdims=True)


def gauge_fix(z, axis=-1):
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    with np.errstate(over="ignore"):  # a row spanning more than ~1.8e308 gives -inf, whose exp is exactly 0
        return z - z.max(axis=axis, keepdims=True)


def softmax_with_shift(z, c, axis=-1):
    z = np.asarray(z)
    c = np.asarray(c, dtype=np.float64)
    try:
        cb = np.broadcast_to(c, z.shape)
    except ValueError:
        raise ValueError("c must broadcast to z.shape") from None
    if not np.all(np.isfinite(cb)):
        raise ValueError("c must be finite")
    if cb.size and not np.all(cb == cb.max(axis=axis, keepdims=True)):
        raise ValueError("c must be constant along the softmax axis (a per-row shift)")
    return softmax(z + cb, axis)
