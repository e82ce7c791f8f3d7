"""Wrong: treats rows of W_E as embeddings (resid @ W_E.T), mixing up W_E [d_model, vocab] with W_U."""

import numpy as np


def _layer_norm(x, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


def logit_lens(resid, W_E, final_ln=False, eps=1e-5):
    x = np.asarray(resid)
    if final_ln:
        x = _layer_norm(x, eps)
    return x @ W_E.T


def lens_scale(resid, eps=1e-5):
    x = np.asarray(resid)
    return 1.0 / np.sqrt(x.var(axis=-1) + eps)


def top_tokens(resid, W_E, k, final_ln=False, eps=1e-5):
    return np.argsort(-logit_lens(resid, W_E, final_ln, eps), axis=-1)[..., :k]
