"""Wrong: the detector never flags a layer-0 head ("an induction head needs an earlier layer"), although the
prompt defines the flag by the two thresholds alone."""

import numpy as np
from toymodel import load_model


def _patterns(model, tokens):
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
    tokens, L = _check_repeated(tokens)
    m = load_model(model)
    pattern = _patterns(m, tokens)
    t = np.arange(L + 1, 2 * L + 1)
    return pattern[:, :, :, t, t - L + 1].mean(axis=(1, 3))


def prev_token_scores(model, tokens):
    tokens = np.asarray(tokens)
    if tokens.ndim != 2 or tokens.shape[1] < 2:
        raise ValueError("tokens must be a 2-D array [B, T] with T >= 2")
    m = load_model(model)
    pattern = _patterns(m, tokens)
    t = np.arange(1, tokens.shape[1])
    return pattern[:, :, :, t, t - 1].mean(axis=(1, 3))


def copying_scores(model):
    m = load_model(model)
    full = np.einsum("vd,lhde,lhef,fw->lhvw", m.W_U, m.W_O, m.W_V, m.W_E, optimize=True)
    s = np.arange(1, m.vocab)
    return (full[..., s].argmax(axis=2) == s).mean(axis=-1)


def detect_induction_heads(model, tokens, induction_threshold=0.4, copy_threshold=0.7):
    flags = (induction_scores(model, tokens) >= induction_threshold) & (copying_scores(model) >= copy_threshold)
    flags[0] = False  # mistake: layer 0 has no earlier layer to compose with, so it is never flagged
    return flags
