"""E6 reference: O(d) Jacobian-vector product of LayerNorm without beta."""

import numpy as np


def layer_norm_jvp(x, t, gamma=None, eps=1e-5):
    x = np.asarray(x)
    t = np.asarray(t)
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    s = np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + eps)
    x_hat = xc / s
    tc = t - t.mean(axis=-1, keepdims=True)
    out = (tc - x_hat * (x_hat * tc).mean(axis=-1, keepdims=True)) / s
    if gamma is not None:
        out = out * gamma
    return out
