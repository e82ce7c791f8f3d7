"""Wrong: ignores gamma (returns the JVP of the un-scaled normalization)."""

import numpy as np


def layer_norm_jvp(x, t, gamma=None, eps=1e-5):
    x = np.asarray(x)
    t = np.asarray(t)
    mu = x.mean(axis=-1, keepdims=True)
    s = np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps)
    x_hat = (x - mu) / s
    tc = t - t.mean(axis=-1, keepdims=True)
    return (tc - x_hat * (x_hat * tc).mean(axis=-1, keepdims=True)) / s
