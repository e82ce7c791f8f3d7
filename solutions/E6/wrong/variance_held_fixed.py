"""Wrong: treats s = sqrt(var + eps) as a constant and drops the term from differentiating the variance."""

import numpy as np


def layer_norm_jvp(x, t, gamma=None, eps=1e-5):
    x = np.asarray(x)
    t = np.asarray(t)
    mu = x.mean(axis=-1, keepdims=True)
    s = np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps)
    out = (t - t.mean(axis=-1, keepdims=True)) / s
    return out if gamma is None else out * gamma
