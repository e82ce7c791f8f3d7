"""Wrong: cosine_preserved answers "both means are zero", missing pairs with non-zero means that keep their cosine."""

import numpy as np


def _as_rows(u):
    u = np.asarray(u, dtype=np.float64)
    if u.ndim < 1 or u.shape[-1] < 2:
        raise ValueError("inputs need a last axis of length d >= 2")
    return u


def _require_not_constant(u, name):
    if np.any(np.all(u == u[..., :1], axis=-1)):
        raise ValueError(f"{name} has a constant row: LayerNorm with eps=0 is undefined there")


def _centre(u):
    return u - u.mean(axis=-1, keepdims=True)


def normalize(u):
    """N(u) = (u - mean) / std over the last axis (biased std, eps = 0)."""
    u = _as_rows(u)
    _require_not_constant(u, "u")
    c = _centre(u)
    return c / np.sqrt(np.mean(c * c, axis=-1, keepdims=True))


def dot_decomposition(u, v):
    """(d * mean(u) * mean(v), (u - mean u)·(v - mean v)); the two add up to u·v."""
    u, v = _as_rows(u), _as_rows(v)
    d = u.shape[-1]
    mean_term = d * u.mean(axis=-1) * v.mean(axis=-1)
    centered_term = np.sum(_centre(u) * _centre(v), axis=-1)
    return mean_term, centered_term


def ln_dot(u, v):
    """N(u)·N(v) = d * pearson(u, v)."""
    u, v = _as_rows(u), _as_rows(v)
    _require_not_constant(u, "u")
    _require_not_constant(v, "v")
    cu, cv = _centre(u), _centre(v)
    d = u.shape[-1]
    return d * np.sum(cu * cv, axis=-1) / np.sqrt(np.sum(cu * cu, axis=-1) * np.sum(cv * cv, axis=-1))


def cosine_preserved(u, v, atol=1e-9):
    """True where |cos(N u, N v) - cos(u, v)| <= atol."""
    u, v = _as_rows(u), _as_rows(v)
    ln_dot(u, v)  # for the ValueError on constant rows
    return (np.abs(u.mean(axis=-1)) <= atol) & (np.abs(v.mean(axis=-1)) <= atol)
