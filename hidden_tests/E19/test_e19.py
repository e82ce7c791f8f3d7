"""Hidden checks for E19: self-attention fraction, OV argmax map and the local-but-transforming detector."""

import numpy as np
import pytest
from toymodel import load_model
from toymodel.quick_fixtures import permute_heads

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape

FIXTURE = "e19-local-permutation"
PERM = [2, 0, 3, 1]  # new head h is old head PERM[h]: the local permutation head (old 0) is now head 1


def permuted():
    return permute_heads(load_model(FIXTURE).weights, [PERM])


def loop_self_fraction(weights, tokens):
    m = load_model(weights)
    tokens = np.atleast_2d(tokens)
    _, cache = m.run_with_cache(tokens)
    out = np.zeros((m.n_layers, m.n_heads))
    for layer in range(m.n_layers):
        for h in range(m.n_heads):
            vals = [cache[f"blocks.{layer}.attn.pattern"][b, h, i, i]
                    for b in range(tokens.shape[0]) for i in range(1, tokens.shape[1])]
            out[layer, h] = np.mean(vals)
    return out


def loop_sigma(weights, layer, head):
    m = load_model(weights)
    sigma = np.zeros(m.vocab, dtype=np.int64)
    for s in range(m.vocab):
        write = m.W_O[layer, head] @ (m.W_V[layer, head] @ m.W_E[:, s])
        sigma[s] = int(np.argmax([m.W_U[t] @ write for t in range(m.vocab)]))
    return sigma


@pytest.mark.points(2)
def test_self_attention_fraction(solution):
    """Mean of pattern[i, i] over sequences and positions 1..L-1 (position 0 excluded), heads reordered."""
    w = permuted()
    tokens = np.random.default_rng(1).integers(0, 10, size=(5, 12))
    got = solution.self_attention_fraction(w, tokens)
    assert_not_modified(tokens, "tokens")
    assert_shape(got, (1, 4), "self-attention fraction")
    assert_close(got, loop_self_fraction(w, tokens), what="self-attention fraction")


@pytest.mark.points(1)
def test_self_attention_fraction_shapes(solution):
    """Works for a single sequence [L] and for a random 2-layer, 3-head model."""
    tokens = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    assert_close(solution.self_attention_fraction(FIXTURE, tokens), loop_self_fraction(load_model(FIXTURE).weights,
                 tokens), what="self-attention fraction of one sequence")
    rng = np.random.default_rng(2)
    w = {"W_E": rng.normal(size=(6, 7)), "W_pos": rng.normal(size=(6, 8)), "W_Q": rng.normal(size=(2, 3, 4, 6)),
         "W_K": rng.normal(size=(2, 3, 4, 6)), "W_V": rng.normal(size=(2, 3, 4, 6)) / 3,
         "W_O": rng.normal(size=(2, 3, 6, 4)) / 3, "W_U": rng.normal(size=(7, 6))}
    t = rng.integers(0, 7, size=(3, 8))
    got = solution.self_attention_fraction(w, t)
    assert_shape(got, (2, 3), "self-attention fraction of a 2-layer, 3-head model")
    assert_close(got, loop_self_fraction(w, t), what="self-attention fraction of a 2-layer model")


@pytest.mark.points(2)
def test_ov_argmax_map(solution):
    """sigma[s] = argmax over output tokens of the direct OV circuit, for every head (heads reordered)."""
    w = permuted()
    for head in range(4):
        got = solution.ov_argmax_map(w, 0, head)
        assert_shape(got, (10,), "sigma")
        assert np.array_equal(np.asarray(got), loop_sigma(w, 0, head)), f"wrong OV map for head {head}"
    rng = np.random.default_rng(3)
    w2 = {"W_E": rng.normal(size=(6, 7)), "W_pos": rng.normal(size=(6, 4)), "W_Q": rng.normal(size=(2, 2, 3, 6)),
          "W_K": rng.normal(size=(2, 2, 3, 6)), "W_V": rng.normal(size=(2, 2, 5, 6)),
          "W_O": rng.normal(size=(2, 2, 6, 5)), "W_U": rng.normal(size=(7, 6))}
    assert np.array_equal(np.asarray(solution.ov_argmax_map(w2, 1, 0)), loop_sigma(w2, 1, 0)), \
        "wrong OV map on a random model (d_v != d_model)"


@pytest.mark.points(2)
def test_detects_local_permutation_head(solution):
    """Only the self-attending head whose OV permutes tokens is flagged, in the fixture and reordered."""
    tokens = np.random.default_rng(4).integers(0, 10, size=(6, 12))
    for weights, expect in ((FIXTURE, 0), (permuted(), PERM.index(0))):
        got = solution.local_transform_heads(weights, tokens)
        assert_shape(got, (1, 4), "flags")
        assert_dtype(got, np.bool_, "flags")
        flagged = np.nonzero(np.asarray(got)[0])[0].tolist()
        assert flagged == [expect], f"flagged {len(flagged)} head(s); exactly the local permuting head should be"


@pytest.mark.points(1)
def test_thresholds_are_used(solution):
    """min_moved=0.1 adds the head that swaps one pair; min_self=0 adds the non-local permuting head."""
    tokens = np.random.default_rng(5).integers(0, 10, size=(6, 12))
    got = np.asarray(solution.local_transform_heads(FIXTURE, tokens, min_moved=0.1))[0].tolist()
    assert got == [True, False, False, True], "with min_moved=0.1 the swap head (20% moved) must be flagged too"
    got = np.asarray(solution.local_transform_heads(FIXTURE, tokens, min_self=0.0))[0].tolist()
    assert got == [True, False, True, False], "with min_self=0 the previous-token permuting head must be flagged too"


@pytest.mark.points(1)
def test_thresholds_are_inclusive(solution):
    """A head exactly at min_self or min_moved is flagged (>=): moved fractions 1 and 0, self fraction exactly 1."""
    tokens = np.random.default_rng(6).integers(0, 10, size=(6, 12))
    got = np.asarray(solution.local_transform_heads(FIXTURE, tokens, min_moved=1.0))[0].tolist()
    assert got == [True, False, False, False], "the permuting head moves every token: min_moved=1.0 must keep it"
    got = np.asarray(solution.local_transform_heads(FIXTURE, tokens, min_moved=0.0))[0].tolist()
    assert got == [True, True, False, True], "with min_moved=0 every self-attending head is flagged (0 >= 0)"
    w = load_model(FIXTURE).weights
    w["W_Q"][0, 0] *= 1000.0  # head 0 now attends to itself with weight exactly 1
    assert loop_self_fraction(w, tokens)[0, 0] == 1.0
    got = np.asarray(solution.local_transform_heads(w, tokens, min_self=1.0, min_moved=1.0))[0].tolist()
    assert got == [True, False, False, False], "a self-attention fraction of exactly 1 meets min_self=1.0"


@pytest.mark.points(1)
def test_ov_argmax_map_is_int64(solution):
    """ov_argmax_map returns int64 token ids."""
    assert_dtype(solution.ov_argmax_map(FIXTURE, 0, 3), np.int64, "sigma")
