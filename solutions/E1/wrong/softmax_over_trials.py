"""Wrong: normalizes the softmax over the trials axis instead of over the L keys of each trial."""

import numpy as np


def logit_variance(d, n_samples, rng, scaled=True):
    q = rng.standard_normal((n_samples, d))
    k = rng.standard_normal((n_samples, d))
    s = np.einsum("nd,nd->n", q, k)
    if scaled:
        s = s / np.sqrt(d)
    return float(np.var(s))


def softmax_jacobian_norm(d, L, n_samples, rng, scaled=True):
    q = rng.standard_normal((n_samples, d))
    k = rng.standard_normal((n_samples, L, d))
    s = np.einsum("nd,nld->nl", q, k)
    if scaled:
        s = s / np.sqrt(d)
    s = s - s.max(axis=0, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=0, keepdims=True)
    J = p[:, :, None] * np.eye(L) - p[:, :, None] * p[:, None, :]
    return float(np.mean(np.sqrt(np.sum(J * J, axis=(-2, -1)))))
