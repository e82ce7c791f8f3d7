"""Wrong: draws from the global np.random state instead of the rng argument (not reproducible)."""

import numpy as np


def logit_variance(d, n_samples, rng, scaled=True):
    q = np.random.standard_normal((n_samples, d))
    k = np.random.standard_normal((n_samples, d))
    s = np.einsum("nd,nd->n", q, k)
    if scaled:
        s = s / np.sqrt(d)
    return float(np.var(s))


def softmax_jacobian_norm(d, L, n_samples, rng, scaled=True):
    q = np.random.standard_normal((n_samples, d))
    k = np.random.standard_normal((n_samples, L, d))
    s = np.einsum("nd,nld->nl", q, k)
    if scaled:
        s = s / np.sqrt(d)
    s = s - s.max(axis=-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=-1, keepdims=True)
    J = p[:, :, None] * np.eye(L) - p[:, :, None] * p[:, None, :]
    return float(np.mean(np.sqrt(np.sum(J * J, axis=(-2, -1)))))
