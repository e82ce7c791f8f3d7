"""E4 reference: logit lens with tied unembedding, optional final LayerNorm."""

import numpy as np


def _layer_norm(x, eps):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=-1, keepdims=True)
    return xc / np.sqrt(var + eps)


def logit_lens(resid, W_E, final_ln=False, eps=1e-5):
    x = np.asarray(resid)
    if final_ln:
        x = _layer_norm(x, eps)
    return x @ W_E.astype(x.dtype, copy=False)


def lens_scale(resid, eps=1e-5):
    x = np.asarray(resid)
    xc = x - x.mean(axis=-1, keepdims=True)
    return 1.0 / np.sqrt((xc * xc).mean(axis=-1) + eps)


def top_tokens(resid, W_E, k, final_ln=False, eps=1e-5):
    logits = logit_lens(resid, W_E, final_ln=final_ln, eps=eps)
    return np.argsort(-logits, axis=-1, kind="stable")[..., :k]
