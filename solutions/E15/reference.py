"""Reference solution for E15: interference error p c^2 / 3 and its Monte-Carlo estimate."""

import numpy as np


def _validate(c, p):
    c, p = np.asarray(c, dtype=np.float64), np.asarray(p, dtype=np.float64)
    if np.any(~np.isfinite(c)) or np.any(np.abs(c) > 1.0):
        raise ValueError("the cosine c must lie in [-1, 1]")
    if np.any(~np.isfinite(p)) or np.any((p < 0.0) | (p > 1.0)):
        raise ValueError("the activation probability p must lie in [0, 1]")
    return c, p


def interference_error(c, p):
    c, p = _validate(c, p)
    err = p * c**2 / 3.0  # E[(c a2)^2] = c^2 · p · E[U^2], E[U^2] = 1/3
    return float(err) if err.ndim == 0 else err


def interference_error_mc(c, p, n_samples, rng):
    c, p = _validate(c, p)
    if c.ndim or p.ndim:
        raise ValueError("interference_error_mc takes scalar c and p")
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError("n_samples must be a positive integer")
    c, p, n = float(c), float(p), int(n_samples)
    f1 = np.array([1.0, 0.0])
    f2 = np.array([c, np.sqrt(max(0.0, 1.0 - c * c))])
    active = rng.random((n, 2)) < p
    a = np.where(active, rng.random((n, 2)), 0.0)
    x = a[:, :1] * f1 + a[:, 1:] * f2
    readout = x @ f1
    return float(np.mean((readout - a[:, 0]) ** 2))


def error_vs_sparsity(c, sparsities, n_samples, rng):
    S = np.asarray(sparsities, dtype=np.float64)
    closed = np.array([interference_error(c, 1.0 - s) for s in S], dtype=np.float64)
    mc = np.array([interference_error_mc(c, 1.0 - s, n_samples, rng) for s in S], dtype=np.float64)
    return S, {"closed form": closed, "monte carlo": mc}
