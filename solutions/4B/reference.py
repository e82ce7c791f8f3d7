"""Reference solution for 4B: zero and mean ablation of one attention head, downstream layers included."""

import numpy as np
from toymodel import load_model


def head_mean_activation(model, corrupt_tokens, layer, head):
    """Per-position mean of head (layer, head)'s write over a corrupted batch: [L, d_model]."""
    m = load_model(model)
    _, cache = m.run_with_cache(np.asarray(corrupt_tokens))
    return cache[f"blocks.{layer}.attn.head_out"][:, head].mean(axis=0)


def _hooks(model, tokens, layer, head, method, corrupt_tokens):
    m = load_model(model)
    tokens = np.asarray(tokens)
    if method == "zero":
        replacement = np.zeros((tokens.shape[-1], m.d_model))
    elif method == "mean":
        if corrupt_tokens is None:
            raise ValueError("mean ablation needs corrupt_tokens")
        corrupt_tokens = np.asarray(corrupt_tokens)
        if corrupt_tokens.ndim != 2 or corrupt_tokens.shape[1] != tokens.shape[-1]:
            raise ValueError("corrupt_tokens must be [N, L] with the same L as tokens")
        replacement = head_mean_activation(model, corrupt_tokens, layer, head)
    else:
        raise ValueError(f"unknown method {method!r}")

    def hook(head_out):  # [B, H, L, d_model]
        head_out[:, head] = replacement

    return m, {f"blocks.{layer}.attn.head_out": hook}


def ablated_logits(model, tokens, layer, head, method="zero", corrupt_tokens=None):
    """Logits [B, L, vocab] with head (layer, head)'s write replaced; later layers see the change."""
    m, hooks = _hooks(model, tokens, layer, head, method, corrupt_tokens)
    return m.run_with_hooks(np.asarray(tokens), hooks)


def ablated_induction_scores(model, tokens, layer, head, method="zero", corrupt_tokens=None):
    """Strict induction scores [n_layers, n_heads] on [BOS, r, r] tokens with the head ablated."""
    tokens = np.asarray(tokens)
    m, hooks = _hooks(model, tokens, layer, head, method, corrupt_tokens)
    _, cache = m.run_with_hooks(tokens, hooks, return_cache=True)
    L = (tokens.shape[1] - 1) // 2
    t = np.arange(L + 1, 2 * L + 1)
    return np.stack([cache[f"blocks.{i}.attn.pattern"][:, :, t, t - L + 1].mean(axis=(0, 2))
                     for i in range(m.n_layers)])


def _loss(logits, tokens):
    logits = logits[:, :-1]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(logp, tokens[:, 1:, None], axis=-1).mean()


def loss_increase(model, tokens, layer, head, method="zero", corrupt_tokens=None):
    """Mean next-token cross-entropy with the head ablated minus without (a float)."""
    tokens = np.asarray(tokens)
    m = load_model(model)
    clean = _loss(m(tokens), tokens)
    ablated = _loss(ablated_logits(model, tokens, layer, head, method, corrupt_tokens), tokens)
    return float(ablated - clean)
