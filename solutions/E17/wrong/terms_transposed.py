"""Wrong: puts key parts on the rows of the QK terms (T[b, a] instead of T[a, b])."""

import numpy as np
from toymodel import load_model


def _check(tokens, i, j):
    L = np.asarray(tokens).shape[-1]
    if not (0 <= j <= i < L):
        raise ValueError("need 0 <= j <= i < L: edges go from a source j to a destination i at or after it")


def edge_contribution(model, tokens, layer, head, i, j, target):
    _check(tokens, i, j)
    m = load_model(model)
    _, cache = m.run_with_cache(np.asarray(tokens))
    x = cache[f"blocks.{layer}.resid_pre"]
    W_Q, W_K = m.W_Q[layer, head], m.W_K[layer, head]
    score = (W_Q @ x[i]) @ (W_K @ x[j]) / np.sqrt(m.d_head)
    weight = cache[f"blocks.{layer}.attn.pattern"][head, i, j]
    write = m.W_U[target] @ (m.W_O[layer, head] @ (m.W_V[layer, head] @ x[j]))
    return float(score), float(weight), float(write), float(weight * write)


def qk_edge_terms(model, tokens, head, i, j):
    _check(tokens, i, j)
    m = load_model(model)
    tokens = np.asarray(tokens)
    W_Q, W_K = m.W_Q[0, head], m.W_K[0, head]
    query = [m.W_E[:, tokens[i]], m.W_pos[:, i]]
    key = [m.W_E[:, tokens[j]], m.W_pos[:, j]]
    return np.array([[(W_Q @ u) @ (W_K @ v) for u in query] for v in key]) / np.sqrt(m.d_head)
