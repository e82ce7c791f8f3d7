"""E18: edge mean-ablation versus node zeroing in a toy attention-only model.

Implement the three functions; see the prompt (`practice show E18`) for the full contract.
"""

import numpy as np
from toymodel import load_model  # noqa: F401  (load_model(model) accepts a fixture name or a dict of weights)


def mean_head_output(model, ref_tokens, layer, head):
    """[L, d_model]: head (layer, head)'s output at each position, averaged over the sequences of ref_tokens."""
    raise NotImplementedError  # TODO: cache head_out, select the head, average over sequences


def node_zero_ablate(model, tokens, layer, head):
    """Logits [..., L, vocab] with head (layer, head)'s output zeroed for every reader."""
    raise NotImplementedError  # TODO: a head_out hook


def edge_mean_ablate(model, tokens, src_layer, src_head, dst_layer, dst_head, mean_out, inputs="qkv"):
    """Logits when only the dst head's `inputs` (q, k and/or v) read resid - src_out + mean_out.

    mean_out: [L, d_model]. Raises ValueError if src_layer >= dst_layer or `inputs` is not a
    non-empty combination of 'q', 'k', 'v'.
    """
    raise NotImplementedError  # TODO: clean cache, ablated residual, hooks on the dst head's q/k/v
