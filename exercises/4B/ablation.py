"""4B: zero ablation against mean ablation of one attention head.

`model` is a fixture name ("induction-2l", "handmade-2l", ...) or a dict of weight arrays; call
`load_model(model)` either way. A head's write: cache[f"blocks.{layer}.attn.head_out"][:, head],
[B, L, d_model]. Hooks: m.run_with_hooks(tokens, {name: fn}). Never modify the token arrays.
"""

import numpy as np
from toymodel import load_model


def head_mean_activation(model, corrupt_tokens, layer, head):
    """corrupt_tokens: int [N, L]. Returns float64 [L, d_model]: the head's write averaged over N, per position."""
    raise NotImplementedError  # TODO: run the corrupted batch and average over the batch axis only


def ablated_logits(model, tokens, layer, head, method="zero", corrupt_tokens=None):
    """tokens: int [B, L]. Returns [B, L, vocab] with the head's write replaced ("zero" or "mean").

    "mean" uses head_mean_activation(model, corrupt_tokens, layer, head); later layers see the change.
    ValueError: unknown method, "mean" without corrupt_tokens, or corrupt_tokens not [N, L].
    """
    raise NotImplementedError  # TODO: a hook on blocks.{layer}.attn.head_out


def ablated_induction_scores(model, tokens, layer, head, method="zero", corrupt_tokens=None):
    """tokens: [B, 2K+1] = BOS, r_1..r_K, r_1..r_K. Returns [n_layers, n_heads] strict induction scores
    (mean of pattern[b, h, t, t - K + 1] over b and t = K+1..2K) with the head ablated."""
    raise NotImplementedError  # TODO: same ablation, then read the patterns of the hooked run


def loss_increase(model, tokens, layer, head, method="zero", corrupt_tokens=None):
    """Float: mean next-token cross-entropy (positions 0..L-2 predict tokens 1..L-1) ablated minus clean."""
    raise NotImplementedError  # TODO: stable log-softmax, shift by one
