"""Wrong: `pos` is only checked against L, so a negative pos is accepted and (by Python indexing) patches a
position counted from the end, although the prompt requires ValueError for pos outside 0..L-1."""

import numpy as np
from toymodel import load_model


def _name(m, layer):
    """Hook point of residual-stream index `layer` (0..n_layers)."""
    if not 0 <= layer <= m.n_layers:
        raise ValueError(f"layer must be in 0..{m.n_layers}")
    return f"blocks.{layer}.resid_pre" if layer < m.n_layers else f"blocks.{m.n_layers - 1}.resid_post"


def residual_stack(model, tokens):
    """[n_layers + 1, L, d_model]: the residual stream entering each layer, then the final one."""
    m = load_model(model)
    tokens = np.asarray(tokens)
    if tokens.ndim != 1:
        raise ValueError("tokens must be 1-D [L]")
    _, cache = m.run_with_cache(tokens)
    return np.stack([cache[_name(m, layer)] for layer in range(m.n_layers + 1)])


def patched_logits(model, corrupt_tokens, clean_resid, layer, pos):
    """Logits [L, vocab] of the corrupted run with residual (layer, pos) taken from clean_resid."""
    m = load_model(model)
    corrupt_tokens = np.asarray(corrupt_tokens)
    L = corrupt_tokens.shape[-1]
    if corrupt_tokens.ndim != 1 or np.shape(clean_resid) != (m.n_layers + 1, L, m.d_model):
        raise ValueError("corrupt_tokens must be [L] and clean_resid [n_layers + 1, L, d_model]")
    if pos >= L:  # mistake: a negative pos slips through
        raise ValueError(f"pos must be in 0..{L - 1}")
    name = _name(m, layer)
    value = np.array(clean_resid[layer, pos], dtype=np.float64)

    def hook(resid):  # [L, d_model]
        resid[pos] = value

    return m.run_with_hooks(corrupt_tokens, {name: hook})


def _metric(logits, target, other):
    value = logits[-1, target]
    return value - logits[-1, other] if other is not None else value


def _runs(model, clean_tokens, corrupt_tokens, target, other):
    m = load_model(model)
    clean_tokens, corrupt_tokens = np.asarray(clean_tokens), np.asarray(corrupt_tokens)
    if clean_tokens.ndim != 1 or clean_tokens.shape != corrupt_tokens.shape:
        raise ValueError("clean_tokens and corrupt_tokens must be 1-D of the same length")
    m_clean = _metric(m(clean_tokens), target, other)
    m_corrupt = _metric(m(corrupt_tokens), target, other)
    return m, residual_stack(model, clean_tokens), m_clean, m_corrupt


def _effect(m_patched, m_clean, m_corrupt, normalize):
    if not normalize:
        return float(m_patched - m_corrupt)
    if m_clean == m_corrupt:
        raise ValueError("clean and corrupted metrics are equal: the normalized metric is undefined")
    return float((m_patched - m_corrupt) / (m_clean - m_corrupt))


def patching_effect(model, clean_tokens, corrupt_tokens, layer, pos, target, other=None, normalize=False):
    """Change of the metric when residual (layer, pos) is patched from the clean into the corrupted run."""
    m, clean_resid, m_clean, m_corrupt = _runs(model, clean_tokens, corrupt_tokens, target, other)
    m_patched = _metric(patched_logits(model, corrupt_tokens, clean_resid, layer, pos), target, other)
    return _effect(m_patched, m_clean, m_corrupt, normalize)


def patching_sweep(model, clean_tokens, corrupt_tokens, target, other=None, normalize=True):
    """[n_layers + 1, L]: patching_effect for every residual index and position."""
    m, clean_resid, m_clean, m_corrupt = _runs(model, clean_tokens, corrupt_tokens, target, other)
    L = len(clean_tokens)
    out = np.zeros((m.n_layers + 1, L))
    for layer in range(m.n_layers + 1):
        for pos in range(L):
            logits = patched_logits(model, corrupt_tokens, clean_resid, layer, pos)
            out[layer, pos] = _effect(_metric(logits, target, other), m_clean, m_corrupt, normalize)
    return out
