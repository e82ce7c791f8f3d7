"""Wrong: reads W_E as [vocab, d_model] and computes logits as x @ W_E.T, which only runs when vocab == d_model."""

import numpy as np


def _unit(f, dtype):
    f = np.asarray(f)
    norm = np.linalg.norm(f)
    if not norm > 0:
        raise ValueError("the feature direction f must have non-zero norm")
    return (f / norm).astype(dtype, copy=False)


def _float(x):
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def feature_projection(x, f):
    """x·f/||f|| over the last axis: [..., d] -> [...]."""
    x = _float(x)
    return x @ _unit(f, x.dtype)


def ablate_feature(x, f):
    """x minus its component along f: [..., d] -> [..., d]."""
    x = _float(x)
    f_hat = _unit(f, x.dtype)
    return x - (x @ f_hat)[..., None] * f_hat


def ablation_logit_change(x, f, W_E):
    """logits(ablate_feature(x, f)) - logits(x) with tied unembedding W_U = W_E.T: [..., vocab]."""
    x = _float(x)
    f_hat = _unit(f, x.dtype)
    W_U = np.asarray(W_E, dtype=x.dtype)  # mistaken for [vocab, d_model]
    x_abl = x - (x @ f_hat)[..., None] * f_hat
    return x_abl @ W_U.T - x @ W_U.T
