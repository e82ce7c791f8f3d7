"""Hidden checks for 3D: strict induction score, previous-token score, OV copying score, detector."""

import numpy as np
import pytest
from toymodel import load_model

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape


def repeated(seed, n, seg, vocab, distinct=False):
    rng = np.random.default_rng(seed)
    if distinct:
        r = np.array([rng.permutation(np.arange(1, vocab))[:seg] for _ in range(n)])
    else:
        r = rng.integers(1, vocab, size=(n, seg))
    return np.concatenate([np.zeros((n, 1), dtype=np.int64), r, r], axis=1)


def random_model(seed, n_layers=2, n_heads=3, d_model=10, d_head=6, vocab=9, n_ctx=15):
    rng = np.random.default_rng(seed)
    return {
        "W_E": rng.normal(size=(d_model, vocab)),
        "W_pos": rng.normal(size=(d_model, n_ctx)),
        "W_Q": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.6,
        "W_K": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.6,
        "W_V": rng.normal(size=(n_layers, n_heads, d_head, d_model)),
        "W_O": rng.normal(size=(n_layers, n_heads, d_model, d_head)),
        "W_U": rng.normal(size=(vocab, d_model)),
    }


def patterns(model, tokens):
    _, cache = load_model(model).run_with_cache(tokens)
    m = load_model(model)
    return [cache[f"blocks.{layer}.attn.pattern"] for layer in range(m.n_layers)]


def expected_induction(model, tokens):
    """Explicit loops over layers, heads, sequences and second-half positions."""
    m = load_model(model)
    seg = (tokens.shape[1] - 1) // 2
    pats = patterns(model, tokens)
    out = np.zeros((m.n_layers, m.n_heads))
    for layer in range(m.n_layers):
        for h in range(m.n_heads):
            vals = [pats[layer][b, h, t, t - seg + 1] for b in range(len(tokens)) for t in range(seg + 1, 2 * seg + 1)]
            out[layer, h] = np.mean(vals)
    return out


def expected_prev(model, tokens):
    m = load_model(model)
    pats = patterns(model, tokens)
    out = np.zeros((m.n_layers, m.n_heads))
    for layer in range(m.n_layers):
        for h in range(m.n_heads):
            vals = [pats[layer][b, h, t, t - 1] for b in range(len(tokens)) for t in range(1, tokens.shape[1])]
            out[layer, h] = np.mean(vals)
    return out


def expected_copying(model):
    m = load_model(model)
    out = np.zeros((m.n_layers, m.n_heads))
    for layer in range(m.n_layers):
        for h in range(m.n_heads):
            hits = 0
            for s in range(1, m.vocab):
                column = m.W_U @ (m.W_O[layer, h] @ (m.W_V[layer, h] @ m.W_E[:, s]))
                hits += int(np.argmax(column) == s)
            out[layer, h] = hits / (m.vocab - 1)
    return out


# ---- induction score ---------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_induction_scores_match_definition_on_random_model(solution):
    """Induction scores equal the mean of pattern[t, t-L+1] over the L second-half positions (random model)."""
    model = random_model(1)
    tokens = repeated(2, 4, 7, 9)
    got = solution.induction_scores(model, tokens)
    assert_shape(got, (2, 3), "induction_scores")
    assert_dtype(got, np.float64, "induction_scores")
    assert_close(got, expected_induction(model, tokens), what="induction scores of a random model")


@pytest.mark.points(2)
def test_induction_scores_on_trained_model(solution):
    """Induction scores of the trained model (tokens with repeats inside the segment) match the definition."""
    tokens = repeated(3, 6, 9, 24)
    assert_close(solution.induction_scores("induction-2l", tokens), expected_induction("induction-2l", tokens),
                 what="induction scores of induction-2l")


@pytest.mark.points(2)
def test_offset_minus_L_does_not_count(solution):
    """The duplicate-token head attends to t-L (the earlier copy of the same token) and must score ~0."""
    tokens = repeated(4, 5, 8, 12, distinct=True)
    got = solution.induction_scores("handmade-2l", tokens)
    assert abs(got[0, 1]) < 1e-6, "a head attending to t-L got a nonzero induction score; only t-L+1 counts"
    assert got[1, 0] > 0.999, "the real induction head should score ~1 on sequences of distinct tokens"


@pytest.mark.points(1)
def test_bos_sink_scores_zero(solution):
    """A head that attends only to BOS scores 0."""
    tokens = repeated(5, 3, 6, 12, distinct=True)
    got = solution.induction_scores("handmade-2l", tokens)
    assert abs(got[0, 2]) < 1e-8, "the BOS-sink head should have induction score 0"


@pytest.mark.points(1)
def test_uniform_head_short_segment(solution):
    """A uniformly attending head scores the mean of 1/(t+1) over second-half t (L = 2)."""
    tokens = np.array([[0, 4, 9, 4, 9], [0, 2, 2, 2, 2]])
    got = solution.induction_scores("handmade-2l", tokens)
    assert_close(got[1, 2], np.mean([1 / 4, 1 / 5]), what="score of the uniform head at L=2")


@pytest.mark.points(2)
def test_permuted_heads_follow(solution):
    """On the head-permuted model the scores move with the heads (no hard-coded indices)."""
    tokens = repeated(6, 4, 8, 12, distinct=True)
    base = solution.induction_scores("handmade-2l", tokens)
    perm = load_model("handmade-2l-perm").meta["head_permutation"]
    got = solution.induction_scores("handmade-2l-perm", tokens)
    want = np.array([base[layer][p] for layer, p in enumerate(perm)])
    assert_close(got, want, what="induction scores of the permuted model")


@pytest.mark.points(1)
def test_bad_tokens_raise(solution):
    """Even length, length < 5, 1-D input or halves that differ raise ValueError."""
    good = repeated(7, 2, 4, 12)
    bad_half = good.copy()
    bad_half[1, -1] = (bad_half[1, -1] % 11) + 1
    for bad in (good[:, :-1], good[:, :3], good[0], bad_half):
        with pytest.raises(ValueError):
            solution.induction_scores("handmade-2l", bad)


@pytest.mark.points(1)
def test_tokens_not_modified(solution):
    """The token array is left unchanged."""
    tokens = repeated(8, 3, 5, 12)
    solution.induction_scores("handmade-2l", tokens)
    solution.prev_token_scores("handmade-2l", tokens)
    solution.detect_induction_heads("handmade-2l", tokens)
    assert_not_modified(tokens, "tokens")


# ---- previous-token score ----------------------------------------------------------------------------


@pytest.mark.points(2)
def test_prev_token_scores_match_definition(solution):
    """Previous-token scores average pattern[t, t-1] over t = 1..T-1 (random model, random tokens)."""
    model = random_model(9)
    tokens = np.random.default_rng(10).integers(0, 9, size=(3, 11))
    got = solution.prev_token_scores(model, tokens)
    assert_shape(got, (2, 3), "prev_token_scores")
    assert_close(got, expected_prev(model, tokens), what="previous-token scores")


@pytest.mark.points(1)
def test_prev_token_head_found(solution):
    """The previous-token head of handmade-2l scores ~1; on the permuted model it moves."""
    tokens = np.random.default_rng(11).integers(1, 12, size=(2, 20))
    got = solution.prev_token_scores("handmade-2l", tokens)
    assert got[0, 0] > 0.999 and got[0, 1:].max() < 0.5, "the previous-token head is head 0 of layer 0"
    perm = load_model("handmade-2l-perm").meta["head_permutation"][0]
    got = solution.prev_token_scores("handmade-2l-perm", tokens)
    assert np.argmax(got[0]) == perm.index(0), "on the permuted model the previous-token head moved"


# ---- copying score -----------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_copying_scores_random_model(solution):
    """Copying scores take argmax over each source column of W_U W_O W_V W_E, excluding BOS."""
    rng = np.random.default_rng(12)
    model = random_model(13, vocab=9, d_model=12, d_head=5)
    # make some heads copy some tokens: add a scaled identity path for a random subset
    for layer in range(2):
        for h in range(3):
            keep = rng.random(9) < 0.5
            model["W_U"] = model["W_U"]  # untouched
            boost = model["W_E"][:, keep] @ model["W_E"][:, keep].T
            model["W_O"][layer, h] = model["W_O"][layer, h] + 0.3 * boost @ model["W_V"][layer, h].T
    got = solution.copying_scores(model)
    assert_shape(got, (2, 3), "copying_scores")
    assert_close(got, expected_copying(model), what="copying scores of a random model")


@pytest.mark.points(1)
def test_copying_scores_handmade(solution):
    """Known copying scores of the hand-built heads (permuting decoy 0, copy heads 1)."""
    assert_close(solution.copying_scores("handmade-2l"), np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]),
                 what="copying scores of handmade-2l")


@pytest.mark.points(1)
def test_copying_excludes_bos(solution):
    """Token 0 (BOS) is not one of the tokens the copying score averages over."""
    w = load_model("handmade-2l").weights
    # head 1.1 permutes v -> v % 11 + 1 and maps BOS to BOS: its score must stay 0, not 1/12
    got = solution.copying_scores(w)
    assert abs(got[1, 1]) < 1e-12, "token 0 (BOS) was counted in the copying score"
    w["W_O"][1, 2][:, 3] = 0.0  # head 1.2 no longer writes token 3: 10 of 11 tokens copied
    got = solution.copying_scores(w)
    assert_close(got[1, 2], 10 / 11, what="copying score with one token not copied")


# ---- detector ----------------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_detector_flags_only_the_induction_head(solution):
    """On handmade-2l only head 1.0 is flagged: the decoys fail one criterion each."""
    tokens = repeated(14, 6, 8, 12)
    got = solution.detect_induction_heads("handmade-2l", tokens)
    assert_shape(got, (2, 3), "detect_induction_heads")
    assert got.dtype == np.bool_, "the detector should return a bool array"
    want = np.zeros((2, 3), dtype=bool)
    want[1, 0] = True
    assert np.array_equal(got, want), "flags the wrong heads of handmade-2l (decoys flagged or head 1.0 missed)"


@pytest.mark.points(2)
def test_detector_on_permuted_model(solution):
    """On handmade-2l-perm the flag moves with the induction head."""
    tokens = repeated(15, 6, 8, 12)
    perm = load_model("handmade-2l-perm").meta["head_permutation"]
    got = solution.detect_induction_heads("handmade-2l-perm", tokens)
    want = np.zeros((2, 3), dtype=bool)
    want[1, perm[1].index(0)] = True
    assert np.array_equal(got, want), "flags the wrong heads of the permuted model"


@pytest.mark.points(2)
def test_detector_on_trained_models(solution):
    """The trained model's induction head is flagged (and only heads meeting both criteria), permuted too."""
    tokens = repeated(16, 8, 10, 24)
    for name in ("induction-2l", "induction-2l-perm"):
        want = (expected_induction(name, tokens) >= 0.4) & (expected_copying(name) >= 0.7)
        assert want.sum() >= 1
        got = solution.detect_induction_heads(name, tokens)
        assert np.array_equal(np.asarray(got, dtype=bool), want), f"flags the wrong heads of {name}"


@pytest.mark.points(1)
def test_detector_thresholds_are_used(solution):
    """Both thresholds are honoured (a strict copy threshold drops a head, a loose one adds none)."""
    tokens = repeated(17, 6, 8, 12)
    w = load_model("handmade-2l").weights
    w["W_O"][1, 0][:, 3] = 0.0  # induction head copies 10 of 11 tokens
    assert solution.detect_induction_heads(w, tokens, 0.4, 0.95).sum() == 0, "copy_threshold ignored"
    assert solution.detect_induction_heads(w, tokens, 0.4, 0.9)[1, 0], "copy_threshold applied wrongly"
    assert not solution.detect_induction_heads(w, tokens, 1.5, 0.0).any(), "induction_threshold ignored"


@pytest.mark.points(1)
def test_detector_can_flag_layer_0(solution):
    """Any layer can meet both thresholds: low thresholds flag layer-0 heads of a random model, 0 and 0 flag all."""
    model = random_model(21)
    tokens = repeated(22, 4, 6, 9)
    want = (expected_induction(model, tokens) >= 0.07) & (expected_copying(model) >= 0.06)
    assert want[0].any() and not want.all()
    got = solution.detect_induction_heads(model, tokens, 0.07, 0.06)
    assert np.array_equal(np.asarray(got, dtype=bool), want), "flags the wrong heads at low thresholds"
    got = solution.detect_induction_heads("handmade-2l", repeated(23, 3, 6, 12), 0.0, 0.0)
    assert np.asarray(got, dtype=bool).all(), "with both thresholds 0 every head meets both criteria (>=)"
