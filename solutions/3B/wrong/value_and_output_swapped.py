"""Wrong: applies W_O before W_V (x @ W_O @ W_V), i.e. computes W_U W_V^T W_O^T x instead of W_U W_O W_V x."""

import numpy as np


def ov_logit_delta(x_j, a_ij, W_V, W_O, W_U):
    """a_ij * W_U W_O W_V x_j for every row x_j: [..., d_model] -> [..., vocab]."""
    x_j = np.asarray(x_j)
    if not np.issubdtype(x_j.dtype, np.floating):
        x_j = x_j.astype(np.float64)
    dt = x_j.dtype
    W_V, W_O, W_U = (np.asarray(w, dtype=dt) for w in (W_V, W_O, W_U))
    a = np.asarray(a_ij, dtype=dt)
    # rows: W_U W_O W_V x  ==  x @ W_V.T @ W_O.T @ W_U.T
    written = ((x_j @ W_O) @ W_V) @ W_U.T
    return a[..., None] * written
