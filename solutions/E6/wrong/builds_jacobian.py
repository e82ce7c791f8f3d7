"""Wrong: builds the explicit d x d Jacobian per row (correct values, but O(d^2) memory: fails at d = 10**6)."""

import numpy as np


def layer_norm_jvp(x, t, gamma=None, eps=1e-5):
    x = np.asarray(x)
    t = np.asarray(t)
    d = x.shape[-1]
    g = np.ones(d, dtype=x.dtype) if gamma is None else np.asarray(gamma)
    flat_x, flat_t = x.reshape(-1, d), t.reshape(-1, d)
    out = np.empty_like(flat_x)
    for r in range(flat_x.shape[0]):
        row = flat_x[r]
        mu = row.mean()
        s = np.sqrt(((row - mu) ** 2).mean() + eps)
        xh = (row - mu) / s
        J = (g[:, None] / s) * (np.eye(d, dtype=x.dtype) - 1.0 / d - np.outer(xh, xh) / d)
        out[r] = J @ flat_t[r]
    return out.reshape(x.shape)
