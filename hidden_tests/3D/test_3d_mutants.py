"""Hidden checks for 3D found by mutation analysis: token validation, and >= at an exact threshold."""

import numpy as np
import pytest
from toymodel import load_model

from runner.checks import assert_close


def _repeated(seed, n, seg, vocab):
    rng = np.random.default_rng(seed)
    r = np.array([rng.permutation(np.arange(1, vocab))[:seg] for _ in range(n)])
    return np.concatenate([np.zeros((n, 1), dtype=np.int64), r, r], axis=1)


def _loop_prev(model, tokens):
    m = load_model(model)
    _, cache = m.run_with_cache(tokens)
    out = np.zeros((m.n_layers, m.n_heads))
    for layer in range(m.n_layers):
        pat = cache[f"blocks.{layer}.attn.pattern"]
        for h in range(m.n_heads):
            out[layer, h] = np.mean([pat[b, h, t, t - 1] for b in range(len(tokens))
                                     for t in range(1, tokens.shape[1])])
    return out


@pytest.mark.points(1)
def test_length_3_repeat_raises(solution):
    """A repeated sequence of length 3 (L = 1, halves equal) raises ValueError: L >= 2 is required."""
    for fn in (lambda t: solution.induction_scores("handmade-2l", t),
               lambda t: solution.detect_induction_heads("handmade-2l", t)):
        with pytest.raises(ValueError):
            fn(np.array([[0, 5, 5], [0, 7, 7]]))


@pytest.mark.points(1)
def test_prev_token_scores_shapes(solution):
    """prev_token_scores takes one sequence [1, T] and T = 2, and raises ValueError for T = 1 or 1-D tokens."""
    for tokens in (np.array([[0, 3, 4, 5, 9]]), np.array([[0, 3], [0, 7]])):
        got = np.asarray(solution.prev_token_scores("handmade-2l", tokens.copy()))
        assert_close(got, _loop_prev("handmade-2l", tokens),
                     what=f"prev_token_scores of tokens of shape {tokens.shape}")
    for bad in (np.array([[0], [3]]), np.array([0, 3, 4, 5])):
        with pytest.raises(ValueError):
            solution.prev_token_scores("handmade-2l", bad)


@pytest.mark.points(1)
def test_induction_threshold_is_inclusive(solution):
    """A head whose induction score is exactly the threshold is flagged (>=): sharpened handmade heads score 1.0."""
    w = load_model("handmade-2l").weights
    w["W_Q"] = w["W_Q"] * 10.0  # saturated attention: the two layer-1 induction heads attend with weight exactly 1
    tokens = _repeated(5, 3, 6, 12)
    m = load_model(w)
    _, cache = m.run_with_cache(tokens)
    L = (tokens.shape[1] - 1) // 2
    score = np.array([[np.mean([cache[f"blocks.{layer}.attn.pattern"][b, h, t, t - L + 1]
                                for b in range(3) for t in range(L + 1, 2 * L + 1)]) for h in range(m.n_heads)]
                      for layer in range(m.n_layers)])
    want = score >= 1.0
    assert want[1, 0] and want[1, 1] and want.sum() == 2
    got = solution.detect_induction_heads(w, tokens, 1.0, 0.0)
    assert np.array_equal(np.asarray(got, dtype=bool), want), "a head scoring exactly the threshold is not flagged"
