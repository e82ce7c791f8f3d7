"""E9: detect name-mover heads by correlating attention to names with OV write-ins to name logits.

Implement the two functions; see the prompt (`practice show E9`) for the full contract.
"""

import numpy as np
from toymodel import load_model  # noqa: F401  (load_model(model) accepts a fixture name or a dict of weights)


def name_attention_and_writes(model, tokens, name_pos, end_pos):
    """Attention from end_pos to each name, and each head's write-in to that name's logit.

    tokens: int [B, L]; name_pos: int [B, K]; end_pos: int.
    Returns (attn, write), each float64 [n_layers, n_heads, B, K]:
      attn[l, h, b, k]  = pattern of head (l, h), prompt b, from end_pos to name_pos[b, k]
      write[l, h, b, k] = head_out[b, h, end_pos] · W_U[tokens[b, name_pos[b, k]]]
    """
    raise NotImplementedError  # TODO: run_with_cache, gather the pattern entries, project head_out on W_U


def detect_name_movers(model, tokens, name_pos, end_pos, min_corr=0.9, min_attn=0.5):
    """(corr [n_layers, n_heads] float64, movers [n_layers, n_heads] bool).

    corr: Pearson correlation of attn and write over all B*K pairs (0.0 if either std < 1e-12).
    movers: corr >= min_corr and mean over prompts of total attention on the names >= min_attn.
    """
    raise NotImplementedError  # TODO: per-head correlation and mean attention, then both thresholds
