"""Wrong: uses the unbiased variance (divides by d - 1) instead of the biased one LayerNorm uses."""

import numpy as np


def layer_norm_jvp(x, t, gamma=None, eps=1e-5):
    x = np.asarray(x)
    t = np.asarray(t)
    d = x.shape[-1]
    mu = x.mean(axis=-1, keepdims=True)
    s = np.sqrt(((x - mu) ** 2).sum(axis=-1, keepdims=True) / (d - 1) + eps)
    x_hat = (x - mu) / s
    tc = t - t.mean(axis=-1, keepdims=True)
    out = (tc - x_hat * (x_hat * tc).sum(axis=-1, keepdims=True) / (d - 1)) / s
    return out if gamma is None else out * gamma
