"""Wrong: gauge_fix returns log-softmax (z - logsumexp), a different gauge whose row max is not 0."""

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
        m = z.max(axis=axis, keepdims=True)
        return z - (m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True)))


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
    return softmax(z, axis)  # softmax(z + c) = softmax(z) exactly: never form z + c
