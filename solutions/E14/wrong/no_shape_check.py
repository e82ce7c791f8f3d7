"""Wrong: replace_direction never checks the shapes of f and g, so g of shape [1, d] broadcasts into a result
instead of raising ValueError as the prompt asks."""

import numpy as np
from toymodel import load_model


def replace_direction(x, f, g):
    x = np.asarray(x)
    f = np.asarray(f, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    nf, ng = np.linalg.norm(f), np.linalg.norm(g)
    if nf == 0 or ng == 0:
        raise ValueError("f and g must have non-zero norm")
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    f_hat, g_hat = (f / nf).astype(dtype), (g / ng).astype(dtype)
    c = x @ f_hat
    return x - c[..., None] * f_hat + c[..., None] * g_hat


def patch_direction(model, tokens, layer, f, g, pos=None):
    m = load_model(model)
    if not 0 <= layer <= m.n_layers:
        raise ValueError(f"layer must be in 0..{m.n_layers}")
    name = f"blocks.{layer}.resid_pre" if layer < m.n_layers else f"blocks.{m.n_layers - 1}.resid_post"

    def hook(resid):
        if pos is None:
            return replace_direction(resid, f, g)
        out = resid.copy()
        out[..., pos, :] = replace_direction(resid[..., pos, :], f, g)
        return out

    clean = m(tokens)
    patched = m.run_with_hooks(tokens, {name: hook})
    return patched - clean
