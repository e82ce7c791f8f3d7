"""Reference solution for 2C: project onto, ablate, and measure the logit effect of a residual-stream direction."""

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
    W_E = np.asarray(W_E, dtype=x.dtype)
    # logits(x) = W_U x = x @ W_E, and the ablation subtracts (x·f_hat) f_hat from x.
    return -(x @ f_hat)[..., None] * (f_hat @ W_E)
