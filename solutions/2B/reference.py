"""Reference solution for 2B: what LayerNorm (gamma=1, beta=0, eps=0) does to dot products and cosines."""

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


def _rescale(u):
    """Divide each row by its largest absolute entry (> 0 for a non-constant row): N, ρ and cos ignore a
    positive scale, and squares of the rescaled row can neither overflow (1e200) nor underflow (1e-200)."""
    return u / np.max(np.abs(u), axis=-1, keepdims=True)


def normalize(u):
    """N(u) = (u - mean) / std over the last axis (biased std, eps = 0)."""
    u = _as_rows(u)
    _require_not_constant(u, "u")
    c = _centre(_rescale(u))
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
    cu, cv = _centre(_rescale(u)), _centre(_rescale(v))
    d = u.shape[-1]
    return d * np.sum(cu * cv, axis=-1) / np.sqrt(np.sum(cu * cu, axis=-1) * np.sum(cv * cv, axis=-1))


def cosine_preserved(u, v, atol=1e-9):
    """True where |cos(N u, N v) - cos(u, v)| <= atol."""
    u, v = _as_rows(u), _as_rows(v)
    d = u.shape[-1]
    cos_ln = ln_dot(u, v) / d  # N(u) and N(v) both have norm sqrt(d); ln_dot checks for constant rows
    u, v = _rescale(u), _rescale(v)
    cos_raw = np.sum(u * v, axis=-1) / np.sqrt(np.sum(u * u, axis=-1) * np.sum(v * v, axis=-1))
    return np.abs(cos_ln - cos_raw) <= atol
