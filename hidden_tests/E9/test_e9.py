"""Hidden checks for E9: name-mover detection on the hand-built e9-name-movers fixture and reordered copies."""

import numpy as np
import pytest
from toymodel import load_model
from toymodel.quick_fixtures import permute_heads

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape

FIXTURE = "e9-name-movers"
BOS, END = 0, 15
NAMES = np.arange(1, 7)
FILLERS = np.arange(7, 15)
MOVERS = {(0, 2), (1, 1)}
PERM = [[3, 2, 0, 1], [1, 3, 0, 2]]  # new head h is old head PERM[l][h]


def permuted():
    return permute_heads(load_model(FIXTURE).weights, PERM)


def prompts(seed, n=40, L=10, k=2, end_pos=None):
    """BOS, fillers, k distinct names at random positions before END; name_pos in random order."""
    rng = np.random.default_rng(seed)
    end_pos = L - 1 if end_pos is None else end_pos
    tokens = rng.choice(FILLERS, size=(n, L))
    tokens[:, 0], tokens[:, end_pos] = BOS, END
    name_pos = np.zeros((n, k), dtype=np.int64)
    for b in range(n):
        name_pos[b] = rng.choice(np.arange(1, end_pos), size=k, replace=False)
        tokens[b, name_pos[b]] = rng.choice(NAMES, size=k, replace=False)
    return tokens.astype(np.int64), name_pos, end_pos


def expected(weights, tokens, name_pos, end_pos):
    """attn and write by explicit loops over the library's cache."""
    m = load_model(weights)
    _, cache = m.run_with_cache(tokens)
    B, K = name_pos.shape
    attn = np.zeros((m.n_layers, m.n_heads, B, K))
    write = np.zeros_like(attn)
    for layer in range(m.n_layers):
        for h in range(m.n_heads):
            for b in range(B):
                for k in range(K):
                    p = name_pos[b, k]
                    attn[layer, h, b, k] = cache[f"blocks.{layer}.attn.pattern"][b, h, end_pos, p]
                    write[layer, h, b, k] = cache[f"blocks.{layer}.attn.head_out"][b, h, end_pos] @ m.W_U[tokens[b, p]]
    return attn, write


def pearson(a, w):
    a, w = a.ravel(), w.ravel()
    if a.std() < 1e-12 or w.std() < 1e-12:
        return 0.0
    return float(np.mean((a - a.mean()) * (w - w.mean())) / (a.std() * w.std()))


@pytest.mark.points(2)
def test_attention_and_writes(solution):
    """attn and write match per-entry loops over the cache, shape [n_layers, n_heads, B, K] (heads reordered)."""
    weights = permuted()
    tokens, name_pos, end_pos = prompts(1, n=12)
    attn, write = solution.name_attention_and_writes(weights, tokens, name_pos, end_pos)
    assert_not_modified(tokens, "tokens")
    assert_not_modified(name_pos, "name_pos")
    e_attn, e_write = expected(weights, tokens, name_pos, end_pos)
    assert_shape(attn, e_attn.shape, "attn")
    assert_shape(write, e_write.shape, "write")
    assert_close(attn, e_attn, what="attention from end_pos to the names")
    assert_close(write, e_write, what="write-ins to the names' logits")


@pytest.mark.points(1)
def test_end_position_not_last(solution):
    """end_pos is honoured when END is not the last position (fillers follow it)."""
    tokens, name_pos, end_pos = prompts(2, n=10, L=11, end_pos=7)
    attn, write = solution.name_attention_and_writes(FIXTURE, tokens, name_pos, end_pos)
    e_attn, e_write = expected(load_model(FIXTURE).weights, tokens, name_pos, end_pos)
    assert_close(attn, e_attn, what="attention from end_pos (not the last position)")
    assert_close(write, e_write, what="write-ins at end_pos (not the last position)")


@pytest.mark.points(1)
def test_three_names_in_any_order(solution):
    """K = 3 names listed in arbitrary order: each write-in uses the name sitting at that source position."""
    tokens, name_pos, end_pos = prompts(3, n=10, k=3)
    name_pos = name_pos[:, ::-1].copy()
    attn, write = solution.name_attention_and_writes(FIXTURE, tokens, name_pos, end_pos)
    e_attn, e_write = expected(load_model(FIXTURE).weights, tokens, name_pos, end_pos)
    assert_close(attn, e_attn, what="attention with K = 3 names")
    assert_close(write, e_write, what="write-ins with K = 3 names")


@pytest.mark.points(2)
def test_correlations(solution):
    """corr is the Pearson correlation over all B*K pairs, and 0.0 (not NaN) for constant series."""
    weights = permuted()
    tokens, name_pos, end_pos = prompts(4, n=40)
    corr, movers = solution.detect_name_movers(weights, tokens, name_pos, end_pos)
    e_attn, e_write = expected(weights, tokens, name_pos, end_pos)
    expect = np.array([[pearson(e_attn[layer, h], e_write[layer, h]) for h in range(4)] for layer in range(2)])
    assert_shape(corr, (2, 4), "corr")
    assert np.all(np.isfinite(corr)), "corr has NaN or inf: a constant series must give 0.0"
    assert_close(corr, expect, rtol=1e-6, atol=1e-6, what="correlations")


@pytest.mark.points(2)
def test_detects_the_movers(solution):
    """Flags exactly the two name movers, in the fixture and with its heads reordered."""
    for seed, weights, perm in ((5, FIXTURE, [[0, 1, 2, 3], [0, 1, 2, 3]]), (6, permuted(), PERM)):
        tokens, name_pos, end_pos = prompts(seed, n=40)
        _, movers = solution.detect_name_movers(weights, tokens, name_pos, end_pos)
        assert_shape(movers, (2, 4), "movers")
        assert_dtype(movers, np.bool_, "movers")
        found = {(layer, perm[layer][h]) for layer, h in zip(*np.nonzero(movers))}
        missing, extra = len(MOVERS - found), len(found - MOVERS)
        assert not missing and not extra, f"missed {missing} name mover(s) and flagged {extra} decoy(s)"


@pytest.mark.points(1)
def test_thresholds_are_used(solution):
    """min_corr and min_attn are honoured (a BOS-attending copier passes on correlation alone)."""
    tokens, name_pos, end_pos = prompts(7, n=40)
    _, loose = solution.detect_name_movers(FIXTURE, tokens, name_pos, end_pos, min_corr=0.9, min_attn=0.0)
    assert loose[0, 0] and loose[0, 2] and loose[1, 1], "with min_attn=0 every head with corr >= 0.9 is flagged"
    _, strict = solution.detect_name_movers(FIXTURE, tokens, name_pos, end_pos, min_corr=0.99, min_attn=0.5)
    assert strict[0, 2] and not strict[1, 1], "min_corr=0.99 keeps the exact mover and drops the 0.97 one"
