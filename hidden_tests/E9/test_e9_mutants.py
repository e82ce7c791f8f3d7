"""Hidden checks for E9 found by mutation analysis: attention on the names is a mean over prompts."""

import numpy as np
import pytest
from toymodel import load_model


def _prompts(seed, n, L=10):
    rng = np.random.default_rng(seed)
    tokens = rng.choice(np.arange(7, 15), size=(n, L))
    tokens[:, 0], tokens[:, L - 1] = 0, 15
    name_pos = np.zeros((n, 2), dtype=np.int64)
    for b in range(n):
        name_pos[b] = rng.choice(np.arange(1, L - 1), size=2, replace=False)
        tokens[b, name_pos[b]] = rng.choice(np.arange(1, 7), size=2, replace=False)
    return tokens.astype(np.int64), name_pos, L - 1


@pytest.mark.points(1)
def test_attention_criterion_is_a_mean_over_prompts(solution):
    """min_attn compares each head's total attention on the names, averaged over the prompts (6 prompts here)."""
    tokens, name_pos, end = _prompts(31, 6)
    m = load_model("e9-name-movers")
    _, cache = m.run_with_cache(tokens)
    on_names = np.array([[np.mean([cache[f"blocks.{layer}.attn.pattern"][b, h, end, name_pos[b]].sum()
                                   for b in range(6)]) for h in range(m.n_heads)] for layer in range(m.n_layers)])
    for threshold in (0.3, 0.6):
        _, flags = solution.detect_name_movers("e9-name-movers", tokens.copy(), name_pos.copy(), end,
                                               min_corr=-2.0, min_attn=threshold)
        assert np.array_equal(np.asarray(flags, dtype=bool), on_names >= threshold), \
            f"wrong heads pass min_attn={threshold} (with min_corr=-2 every head passes the correlation test)"
