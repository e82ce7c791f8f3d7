"""Wrong: thresholds |corr|, so a head that writes minus the name (a negative mover) is flagged."""

import numpy as np
from toymodel import load_model


def name_attention_and_writes(model, tokens, name_pos, end_pos):
    m = load_model(model)
    tokens = np.asarray(tokens)
    name_pos = np.asarray(name_pos)
    _, cache = m.run_with_cache(tokens)
    B, K = name_pos.shape
    rows = np.arange(B)[:, None]
    unembed = m.W_U[tokens[rows, name_pos]]  # [B, K, d_model]
    attn = np.zeros((m.n_layers, m.n_heads, B, K))
    write = np.zeros_like(attn)
    for layer in range(m.n_layers):
        pattern = cache[f"blocks.{layer}.attn.pattern"]  # [B, H, L, L]
        head_out = cache[f"blocks.{layer}.attn.head_out"]  # [B, H, L, d_model]
        for h in range(m.n_heads):
            attn[layer, h] = pattern[:, h, end_pos][rows, name_pos]
            write[layer, h] = np.einsum("bkd,bd->bk", unembed, head_out[:, h, end_pos])
    return attn, write


def detect_name_movers(model, tokens, name_pos, end_pos, min_corr=0.9, min_attn=0.5):
    attn, write = name_attention_and_writes(model, tokens, name_pos, end_pos)
    n_layers, n_heads = attn.shape[:2]
    corr = np.zeros((n_layers, n_heads))
    for layer in range(n_layers):
        for h in range(n_heads):
            a, w = attn[layer, h].ravel(), write[layer, h].ravel()
            if a.std() < 1e-12 or w.std() < 1e-12:
                continue
            a, w = a - a.mean(), w - w.mean()
            corr[layer, h] = np.dot(a, w) / np.sqrt(np.dot(a, a) * np.dot(w, w))
    on_names = attn.sum(axis=-1).mean(axis=-1)
    return corr, (np.abs(corr) >= min_corr) & (on_names >= min_attn)
