"""Wrong: the detector uses `>` where the prompt says `>=`, so a head exactly at a threshold is dropped."""

import numpy as np
from toymodel import load_model


def self_attention_fraction(model, tokens):
    m = load_model(model)
    _, cache = m.run_with_cache(np.asarray(tokens))
    out = np.zeros((m.n_layers, m.n_heads))
    for layer in range(m.n_layers):
        diag = np.diagonal(cache[f"blocks.{layer}.attn.pattern"], axis1=-2, axis2=-1)  # [..., H, L]
        diag = diag[..., 1:].reshape(-1, m.n_heads, diag.shape[-1] - 1)
        out[layer] = diag.mean(axis=(0, 2))
    return out


def ov_argmax_map(model, layer, head):
    m = load_model(model)
    M = m.W_U @ m.W_O[layer, head] @ m.W_V[layer, head] @ m.W_E  # [out, src]
    return M.argmax(axis=0).astype(np.int64)


def local_transform_heads(model, tokens, min_self=0.8, min_moved=0.5):
    m = load_model(model)
    frac = self_attention_fraction(model, tokens)
    moved = np.array([[np.mean(ov_argmax_map(model, layer, h) != np.arange(m.vocab)) for h in range(m.n_heads)]
                      for layer in range(m.n_layers)])
    return (frac > min_self) & (moved > min_moved)
