"""Wrong: the detector compares with `>` where the prompt says `>=`, so a head scoring exactly the threshold
(for example copying score 0 at copy_threshold=0) is not flagged."""

import numpy as np
from toymodel import load_model


def _patterns(model, tokens):
    """Attention patterns of every layer: [n_layers, B, n_heads, T, T]."""
    _, cache = model.run_with_cache(tokens)
    return np.stack([cache[f"blocks.{layer}.attn.pattern"] for layer in range(model.n_layers)])


def _check_repeated(tokens):
    tokens = np.asarray(tokens)
    if tokens.ndim != 2:
        raise ValueError("tokens must be a 2-D array [B, 2L+1]")
    T = tokens.shape[1]
    if T % 2 == 0 or T < 5:
        raise ValueError("tokens must have odd length 2L+1 with L >= 2")
    L = (T - 1) // 2
    if not np.array_equal(tokens[:, 1:L + 1], tokens[:, L + 1:]):
        raise ValueError("the second half must repeat the first half")
    return tokens, L


def induction_scores(model, tokens):
    """Mean attention from each second-half position t to t - L + 1, per head: [n_layers, n_heads]."""
    tokens, L = _check_repeated(tokens)
    m = load_model(model)
    pattern = _patterns(m, tokens)
    t = np.arange(L + 1, 2 * L + 1)
    return pattern[:, :, :, t, t - L + 1].mean(axis=(1, 3))


def prev_token_scores(model, tokens):
    """Mean attention from each position t >= 1 to t - 1, per head: [n_layers, n_heads]."""
    tokens = np.asarray(tokens)
    if tokens.ndim != 2 or tokens.shape[1] < 2:
        raise ValueError("tokens must be a 2-D array [B, T] with T >= 2")
    m = load_model(model)
    pattern = _patterns(m, tokens)
    t = np.arange(1, tokens.shape[1])
    return pattern[:, :, :, t, t - 1].mean(axis=(1, 3))


def copying_scores(model):
    """Fraction of tokens s in 1..vocab-1 whose full-OV column W_U W_O W_V W_E[:, s] peaks at s."""
    m = load_model(model)
    full = np.einsum("vd,lhde,lhef,fw->lhvw", m.W_U, m.W_O, m.W_V, m.W_E, optimize=True)
    s = np.arange(1, m.vocab)
    return (full[..., s].argmax(axis=2) == s).mean(axis=-1)


def detect_induction_heads(model, tokens, induction_threshold=0.4, copy_threshold=0.7):
    """Bool [n_layers, n_heads]: induction score >= threshold AND copying score >= threshold."""
    return (induction_scores(model, tokens) > induction_threshold) & (copying_scores(model) > copy_threshold)
