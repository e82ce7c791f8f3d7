"""Wrong: top_tokens takes the first k of an ascending argsort, i.e. the k *smallest* logits."""

import numpy as np


def logit_lens(resid, W_E, final_ln=False, eps=1e-5):
    x = np.asarray(resid)
    if final_ln:
        mu = x.mean(axis=-1, keepdims=True)
        x = (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps)
    return x @ W_E


def lens_scale(resid, eps=1e-5):
    x = np.asarray(resid)
    return 1.0 / np.sqrt(x.var(axis=-1) + eps)


def top_tokens(resid, W_E, k, final_ln=False, eps=1e-5):
    return np.argsort(logit_lens(resid, W_E, final_ln, eps), axis=-1)[..., :k]
