"""Wrong: forgets that the mean moves too (uses t instead of t - mean(t) in the first term)."""

import numpy as np


def layer_norm_jvp(x, t, gamma=None, eps=1e-5):
    x = np.asarray(x)
    t = np.asarray(t)
    mu = x.mean(axis=-1, keepdims=True)
    s = np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps)
    x_hat = (x - mu) / s
    out = (t - x_hat * (x_hat * t).mean(axis=-1, keepdims=True)) / s
    return out if gamma is None else out * gamma
