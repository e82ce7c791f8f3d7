"""Wrong: builds the default gamma and beta with np.ones(d) / np.zeros(d) (float64), so float32 input comes back
as float64."""

import numpy as np


def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    x = np.asarray(x)
    d = x.shape[-1]
    gamma = np.ones(d) if gamma is None else gamma
    beta = np.zeros(d) if beta is None else beta
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta
