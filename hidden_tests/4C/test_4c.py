"""Hidden checks for 4C: residual-stream activation patching and the (layer, position) sweep."""

import numpy as np
import pytest
from toymodel import load_model

from runner.checks import assert_close, assert_not_modified, assert_scalar, assert_shape

CLEAN = np.array([0, 3, 7, 5, 9, 3])
CORRUPT_B = np.array([0, 3, 8, 5, 9, 3])  # the token after the first 3 changed: induction now predicts 8
CORRUPT_A = np.array([0, 4, 7, 5, 9, 3])  # the first 3 changed: nothing to induct from


def random_model(seed, n_layers=3, n_heads=2, d_model=10, d_head=6, vocab=9, n_ctx=12):
    rng = np.random.default_rng(seed)
    return {
        "W_E": rng.normal(size=(d_model, vocab)),
        "W_pos": rng.normal(size=(d_model, n_ctx)),
        "W_Q": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.5,
        "W_K": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.5,
        "W_V": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.5,
        "W_O": rng.normal(size=(n_layers, n_heads, d_model, d_head)) * 0.5,
        "W_U": rng.normal(size=(vocab, d_model)),
    }


def manual_forward(w, tokens, patch=None):
    """Forward pass with explicit loops; `patch = (index, pos, vector)` overwrites residual `index` at `pos`."""
    n_layers, n_heads, d_head, _ = w["W_Q"].shape
    L = len(tokens)
    x = np.array([w["W_E"][:, tokens[i]] + w["W_pos"][:, i] for i in range(L)])
    for layer in range(n_layers + 1):
        if patch is not None and patch[0] == layer:
            x = x.copy()
            x[patch[1]] = patch[2]
        if layer == n_layers:
            break
        new = x.copy()
        for h in range(n_heads):
            q, k, v = (x @ w[key][layer, h].T for key in ("W_Q", "W_K", "W_V"))
            for i in range(L):
                s = np.array([q[i] @ k[j] for j in range(i + 1)]) / np.sqrt(d_head)
                a = np.exp(s - s.max())
                a /= a.sum()
                new[i] += w["W_O"][layer, h] @ (a @ v[: i + 1])
        x = new
    return x, x @ w["W_U"].T


def stack(w, tokens):
    """Residual stream entering each layer and the final one, by explicit loops."""
    n_layers = w["W_Q"].shape[0]
    out = []
    for layer in range(n_layers + 1):
        sub = {k: (v[:layer] if k in ("W_Q", "W_K", "W_V", "W_O") else v) for k, v in w.items()}
        out.append(manual_forward(sub, tokens)[0])
    return np.array(out)


# ---- residual stack and single patches ---------------------------------------------------------------


@pytest.mark.points(2)
def test_residual_stack(solution):
    """Index l < n_layers is the residual entering layer l, index n_layers the final residual stream."""
    w = random_model(1)
    tokens = np.array([1, 4, 2, 8, 0, 5, 3])
    got = solution.residual_stack(w, tokens)
    assert_shape(got, (4, 7, 10), "residual_stack")
    assert_close(got, stack(w, tokens), what="residual stack")


@pytest.mark.points(2)
def test_patch_at_layer_zero_is_a_token_swap(solution):
    """Patching index 0 at position p equals running the corrupted sequence with the clean token at p."""
    w = random_model(2)
    clean, corrupt = np.array([1, 2, 3, 4, 5, 6, 7]), np.array([1, 8, 3, 0, 5, 6, 2])
    clean_resid = stack(w, clean)
    for p in (1, 3, 6):
        swapped = corrupt.copy()
        swapped[p] = clean[p]
        got = solution.patched_logits(w, corrupt, clean_resid, 0, p)
        assert_shape(got, (7, 9), "patched_logits")
        assert_close(got, manual_forward(w, swapped)[1], what=f"logits after patching index 0, position {p}")


@pytest.mark.points(3)
def test_patch_middle_layers(solution):
    """Patching index l at position p overwrites the residual entering layer l (3-layer random model)."""
    w = random_model(3)
    clean, corrupt = np.array([3, 1, 4, 1, 5, 2, 6, 8]), np.array([2, 7, 1, 8, 2, 8, 1, 8])
    clean_resid = stack(w, clean)
    for layer, p in ((1, 2), (2, 5), (3, 7), (3, 4)):
        want = manual_forward(w, corrupt, (layer, p, clean_resid[layer, p]))[1]
        assert_close(solution.patched_logits(w, corrupt, clean_resid, layer, p), want,
                     what=f"logits after patching index {layer}, position {p}")


@pytest.mark.points(1)
def test_patch_is_causal(solution):
    """Positions before the patched one keep their corrupted logits."""
    w = random_model(4)
    clean, corrupt = np.array([1, 2, 3, 4, 5, 6]), np.array([6, 5, 4, 3, 2, 1])
    got = solution.patched_logits(w, corrupt, stack(w, clean), 1, 3)
    assert_close(got[:3], manual_forward(w, corrupt)[1][:3], what="logits before the patched position")


@pytest.mark.points(2)
def test_clean_cache_is_never_mutated(solution):
    """The clean residual stack passed in is left unchanged, as are the token arrays."""
    clean_resid = solution.residual_stack("handmade-2l", CLEAN)
    clean_resid = np.array(clean_resid, dtype=np.float64)
    toks = CORRUPT_B.copy()
    for layer in range(3):
        for p in range(6):
            solution.patched_logits("handmade-2l", toks, clean_resid, layer, p)
    assert_not_modified(clean_resid, "the clean residual stack")
    assert_not_modified(toks, "corrupt_tokens")


# ---- metric ------------------------------------------------------------------------------------------


def metric(logits, target, other):
    return logits[-1, target] - (logits[-1, other] if other is not None else 0.0)


@pytest.mark.points(2)
def test_patching_effect(solution):
    """Raw effect = m_patched - m_corrupt; normalized = that over m_clean - m_corrupt (last-position logit)."""
    w = random_model(5)
    clean, corrupt = np.array([1, 2, 3, 4, 5, 6]), np.array([1, 7, 3, 0, 5, 6])
    m_clean = metric(manual_forward(w, clean)[1], 4, None)
    m_corrupt = metric(manual_forward(w, corrupt)[1], 4, None)
    m_patched = metric(manual_forward(w, corrupt, (2, 1, stack(w, clean)[2, 1]))[1], 4, None)
    raw = assert_scalar(solution.patching_effect(w, clean, corrupt, 2, 1, 4), "patching_effect")
    assert_close(raw, m_patched - m_corrupt, what="raw patching effect")
    norm = assert_scalar(solution.patching_effect(w, clean, corrupt, 2, 1, 4, normalize=True), "patching_effect")
    assert_close(norm, (m_patched - m_corrupt) / (m_clean - m_corrupt), what="normalized patching effect")


@pytest.mark.points(1)
def test_patching_effect_logit_difference(solution):
    """With `other`, the metric is the logit difference target - other at the last position."""
    w = random_model(6)
    clean, corrupt = np.array([2, 2, 3, 4, 5]), np.array([2, 8, 3, 1, 5])
    m_clean = metric(manual_forward(w, clean)[1], 1, 7)
    m_corrupt = metric(manual_forward(w, corrupt)[1], 1, 7)
    m_patched = metric(manual_forward(w, corrupt, (1, 3, stack(w, clean)[1, 3]))[1], 1, 7)
    got = solution.patching_effect(w, clean, corrupt, 1, 3, 1, 7, True)
    assert_close(got, (m_patched - m_corrupt) / (m_clean - m_corrupt), what="normalized logit-difference effect")


# ---- sweep -------------------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_sweep_random_model(solution):
    """The sweep holds the normalized effect of every (residual index, position)."""
    w = random_model(7)
    clean, corrupt = np.array([1, 2, 3, 4, 5, 6]), np.array([1, 2, 0, 4, 8, 6])
    clean_resid = stack(w, clean)
    m_clean = metric(manual_forward(w, clean)[1], 3, 5)
    m_corrupt = metric(manual_forward(w, corrupt)[1], 3, 5)
    want = np.zeros((4, 6))
    for layer in range(4):
        for p in range(6):
            m_p = metric(manual_forward(w, corrupt, (layer, p, clean_resid[layer, p]))[1], 3, 5)
            want[layer, p] = (m_p - m_corrupt) / (m_clean - m_corrupt)
    got = solution.patching_sweep(w, clean, corrupt, 3, 5)
    assert_shape(got, (4, 6), "patching_sweep")
    assert_close(got, want, what="patching sweep")


@pytest.mark.points(2)
def test_sweep_handmade_induction_circuit(solution):
    """On handmade-2l the first A matters at position 1, then (after the previous-token head) at position 2."""
    got = np.asarray(solution.patching_sweep("handmade-2l", CLEAN, CORRUPT_A, 7))
    assert_shape(got, (3, 6), "patching_sweep")
    want_mask = np.zeros((3, 6), dtype=bool)
    want_mask[0, 1] = want_mask[1, 2] = want_mask[2, 5] = True
    assert np.all(np.abs(got[want_mask] - 1.0) < 0.05), "the three nodes carrying the first A should restore ~1"
    assert np.all(np.abs(got[~want_mask]) < 0.05), "other nodes should have ~0 effect"
    got = np.asarray(solution.patching_sweep("handmade-2l", CLEAN, CORRUPT_B, 7, 8, False))
    assert_close(got[0, 0], 0.0, what="patching a position where clean and corrupted agree")
    m = load_model("handmade-2l")
    assert_close(got[2, 5], metric(m(CLEAN), 7, 8) - metric(m(CORRUPT_B), 7, 8),
                 what="patching the whole final residual at the last position")


@pytest.mark.points(1)
def test_sweep_trained_model(solution):
    """The trained model's sweep matches the definition (compared through the library)."""
    m = load_model("induction-2l")
    clean, corrupt = np.array([0, 3, 7, 5, 9, 11, 3]), np.array([0, 3, 8, 5, 9, 11, 3])
    _, cache = m.run_with_cache(clean)
    names = ["blocks.0.resid_pre", "blocks.1.resid_pre", "blocks.1.resid_post"]
    m_clean, m_corrupt = metric(m(clean), 7, 8), metric(m(corrupt), 7, 8)
    want = np.zeros((3, 7))
    for i, name in enumerate(names):
        for p in range(7):
            def hook(act, p=p, name=name):
                act[p] = cache[name][p]
            want[i, p] = (metric(m.run_with_hooks(corrupt, {name: hook}), 7, 8) - m_corrupt) / (m_clean - m_corrupt)
    assert_close(solution.patching_sweep("induction-2l", clean, corrupt, 7, 8), want, what="sweep on induction-2l")


@pytest.mark.points(1)
def test_errors(solution):
    """ValueError for different lengths, an undefined normalized metric, or a residual index out of range."""
    with pytest.raises(ValueError):
        solution.patching_effect("handmade-2l", CLEAN, CLEAN[:-1], 0, 1, 7)
    with pytest.raises(ValueError):
        solution.patching_effect("handmade-2l", CLEAN, CLEAN.copy(), 0, 1, 7, normalize=True)
    with pytest.raises(ValueError):
        solution.patched_logits("handmade-2l", CORRUPT_B, np.zeros((3, 6, 64)), 3, 1)


@pytest.mark.points(1)
def test_position_and_layer_out_of_range(solution):
    """ValueError for pos outside 0..L-1 (negative too) or layer outside 0..n_layers, each on its own."""
    w = random_model(30, vocab=12)
    clean = stack(w, CLEAN)
    want = manual_forward(w, CORRUPT_B, (3, 5, clean[3, 5]))[1]
    assert_close(solution.patched_logits(w, CORRUPT_B, clean, 3, 5), want,
                 what="logits after patching the last position of the final residual")
    for layer, pos in ((0, -1), (1, -6), (2, 6), (-1, 2), (4, 2)):
        with pytest.raises(ValueError):
            solution.patched_logits(w, CORRUPT_B, clean, layer, pos)
