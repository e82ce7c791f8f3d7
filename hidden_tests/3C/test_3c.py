"""Hidden checks for 3C: attention patterns, OV contributions, reading a skip-trigram table, OV-incoherence."""

import numpy as np
import pytest
from toymodel import load_model

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape

A_TOKENS, B_TOKENS, C_TOKENS = np.arange(12, 17), np.arange(17, 22), np.arange(22, 28)


def random_model(seed, d_model=10, d_head=6, vocab=9, n_ctx=12, ov_scale=1.0):
    rng = np.random.default_rng(seed)
    return {
        "W_E": rng.normal(size=(d_model, vocab)),
        "W_pos": rng.normal(size=(d_model, n_ctx)) * 0.5,
        "W_Q": rng.normal(size=(1, 1, d_head, d_model)) * 0.5,
        "W_K": rng.normal(size=(1, 1, d_head, d_model)) * 0.5,
        "W_V": rng.normal(size=(1, 1, d_head, d_model)),
        "W_O": rng.normal(size=(1, 1, d_model, d_head)) * ov_scale,
        "W_U": rng.normal(size=(vocab, d_model)),
    }


def loop_pattern(w, seq):
    """Attention pattern of one sequence from the weights, with explicit loops."""
    WQ, WK = w["W_Q"][0, 0], w["W_K"][0, 0]
    L = len(seq)
    x = [w["W_E"][:, seq[i]] + w["W_pos"][:, i] for i in range(L)]
    A = np.zeros((L, L))
    for i in range(L):
        s = np.array([(WQ @ x[i]) @ (WK @ x[j]) / np.sqrt(WQ.shape[0]) for j in range(i + 1)])
        e = np.exp(s - s.max())
        A[i, : i + 1] = e / e.sum()
    return A, x


def loop_ov_table(w):
    vocab = w["W_E"].shape[1]
    return np.array([w["W_U"] @ (w["W_O"][0, 0] @ (w["W_V"][0, 0] @ w["W_E"][:, s])) for s in range(vocab)])


# ---- patterns and contributions ----------------------------------------------------------------------


@pytest.mark.points(2)
def test_attention_patterns_random_model(solution):
    """Patterns match a softmax of q_i . k_j / sqrt(d_head) over j <= i (random model, batch of 3)."""
    w = random_model(1)
    tokens = np.random.default_rng(2).integers(0, 9, size=(3, 8))
    got = solution.attention_patterns(w, tokens)
    assert_shape(got, (3, 8, 8), "attention_patterns")
    assert_dtype(got, np.float64, "attention_patterns")
    assert_close(got, np.array([loop_pattern(w, seq)[0] for seq in tokens]), what="attention patterns")


@pytest.mark.points(3)
def test_source_contributions_random_model(solution):
    """Contribution [b, i, j] = A[i, j] * W_U W_O W_V x_j with x_j = token + position embedding."""
    w = random_model(3)
    tokens = np.random.default_rng(4).integers(0, 9, size=(2, 7))
    got = solution.source_logit_contributions(w, tokens)
    assert_shape(got, (2, 7, 7, 9), "source_logit_contributions")
    want = np.zeros((2, 7, 7, 9))
    for b, seq in enumerate(tokens):
        A, x = loop_pattern(w, seq)
        for i in range(7):
            for j in range(i + 1):
                want[b, i, j] = A[i, j] * (w["W_U"] @ w["W_O"][0, 0] @ w["W_V"][0, 0] @ x[j])
    assert_close(got, want, what="source logit contributions")


@pytest.mark.points(1)
def test_contributions_add_up_to_logits(solution):
    """On the skip-trigram model, contributions summed over sources plus the direct path give the logits."""
    m = load_model("skip-trigram")
    tokens = np.random.default_rng(5).integers(0, 28, size=(2, 12))
    got = solution.source_logit_contributions("skip-trigram", tokens)
    logits, cache = m.run_with_cache(tokens)
    direct = cache["blocks.0.resid_pre"] @ m.W_U.T
    assert_close(got.sum(axis=2) + direct, logits, rtol=1e-6, atol=1e-6, what="sum of contributions + direct path")


@pytest.mark.points(2)
def test_ov_logit_table_random_model(solution):
    """Row s of the OV table is W_U W_O W_V W_E[:, s] (rows are source tokens)."""
    w = random_model(6)
    got = solution.ov_logit_table(w)
    assert_shape(got, (9, 9), "ov_logit_table")
    assert_close(got, loop_ov_table(w), what="OV logit table")


# ---- reading the table -------------------------------------------------------------------------------


def expected_trigrams(w, a_tokens, b_tokens, c_tokens, thr):
    WQ, WK = w["W_Q"][0, 0], w["W_K"][0, 0]
    E, U = w["W_E"], w["W_U"]
    vocab = E.shape[1]
    ov = loop_ov_table(w)
    rows = []
    for b in b_tokens:
        S = np.array([(WQ @ E[:, b]) @ (WK @ E[:, s]) / np.sqrt(WQ.shape[0]) for s in range(vocab)])
        S = S - S.mean()
        for a in a_tokens:
            if S[a] > thr:
                direct = U @ E[:, b]
                scores = [ov[a, c] + direct[c] for c in c_tokens]
                rows.append((a, b, c_tokens[int(np.argmax(scores))]))
    return np.array(sorted(rows), dtype=np.int64).reshape(-1, 3)


@pytest.mark.points(3)
def test_reads_the_trained_table(solution):
    """From the weights of the skip-trigram model, the rule recovers its six trigrams exactly."""
    got = solution.read_trigrams("skip-trigram", A_TOKENS, B_TOKENS, C_TOKENS)
    truth = np.array(sorted(load_model("skip-trigram").meta["trigrams"]), dtype=np.int64)
    assert_shape(got, truth.shape, "read_trigrams")
    assert np.array_equal(np.asarray(got), truth), "the recovered table differs from the trained trigrams"


@pytest.mark.points(2)
def test_read_trigrams_random_model(solution):
    """The rule (centred QK over all sources, OV + direct path over c_tokens) on a random model."""
    w = random_model(12, vocab=12, ov_scale=0.15)  # OV and direct path of similar size
    a_tok, b_tok, c_tok = np.array([1, 2, 3, 4]), np.array([5, 6, 7]), np.array([11, 8, 9, 10])
    want = expected_trigrams(w, a_tok, b_tok, c_tok, 0.3)
    assert len(want) >= 3
    got = solution.read_trigrams(w, a_tok, b_tok, c_tok, 0.3)
    assert_shape(got, want.shape, "read_trigrams")
    assert np.array_equal(np.asarray(got), want), "wrong trigrams read from a random model"


@pytest.mark.points(1)
def test_read_trigrams_empty(solution):
    """A threshold no pair clears gives an int array of shape (0, 3)."""
    got = solution.read_trigrams("skip-trigram", A_TOKENS, B_TOKENS, C_TOKENS, 1e9)
    assert_shape(got, (0, 3), "read_trigrams with a huge threshold")


# ---- behaviour ---------------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_probe_predictions_random_model(solution):
    """Predictions at the end of [a, *filler, b] match the model run on each probe separately."""
    w = random_model(8)
    m = load_model(w)
    a_tok, b_tok, filler = np.array([1, 2, 3]), np.array([4, 5]), np.array([0, 6, 0])
    got = solution.probe_predictions(w, a_tok, b_tok, filler)
    assert_shape(got, (3, 2), "probe_predictions")
    assert np.asarray(got).dtype.kind in "iu", "predictions should be integer token ids"
    want = np.array([[m(np.array([a, *filler, b]))[-1].argmax() for b in b_tok] for a in a_tok])
    assert np.array_equal(np.asarray(got), want), "wrong probe predictions"


@pytest.mark.points(1)
def test_probe_with_empty_filler(solution):
    """An empty filler probes the two-token sequence [a, b]."""
    w = random_model(9)
    m = load_model(w)
    got = solution.probe_predictions(w, np.array([2, 7]), np.array([1, 3, 8]), np.array([], dtype=np.int64))
    want = np.array([[m(np.array([a, b]))[-1].argmax() for b in (1, 3, 8)] for a in (2, 7)])
    assert np.array_equal(np.asarray(got), want), "wrong predictions with an empty filler"


@pytest.mark.points(1)
def test_behaviour_confirms_the_table(solution):
    """On the trained model, probes of every trigram predict its C."""
    table = np.array(load_model("skip-trigram").meta["trigrams"])
    got = np.asarray(solution.probe_predictions("skip-trigram", A_TOKENS, B_TOKENS, np.array([3, 7, 1, 0, 5, 9, 2])))
    for a, b, c in table:
        assert got[a - 12, b - 17] == c, "a trigram of the trained table is not what the model predicts"


# ---- OV-incoherence ----------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_incoherence_bugs_combinatorics(solution):
    """Bugs are (a, b, c2) for rows sharing a with a different C; shared B's create none."""
    w = random_model(10, vocab=12)
    table = np.array([[1, 5, 8], [1, 6, 9], [1, 7, 9], [2, 5, 10], [3, 5, 11], [4, 7, 8]])
    bugs, boost = solution.incoherence_bugs(w, table, np.array([8, 9, 10, 11]))
    want = np.array([[1, 5, 9], [1, 6, 8], [1, 7, 8]])
    assert_shape(bugs, (3, 3), "bugs")
    assert np.array_equal(np.asarray(bugs), want), "wrong bug triples (sorted, unique, same A, different C)"
    ov = loop_ov_table(w)
    want_boost = np.array([ov[1, c] - ov[1, [8, 9, 10, 11]].mean() for c in (9, 8, 8)])
    assert_close(boost, want_boost, what="bug boosts")


@pytest.mark.points(1)
def test_no_bugs_without_shared_a(solution):
    """A table with no shared A has no bugs: shapes (0, 3) and (0,)."""
    bugs, boost = solution.incoherence_bugs("skip-trigram", np.array([[13, 19, 24], [14, 19, 25]]), C_TOKENS)
    assert_shape(bugs, (0, 3), "bugs")
    assert_shape(boost, (0,), "boost")


@pytest.mark.points(1)
def test_trained_model_bugs_are_boosted(solution):
    """In the trained model the shared A's OV raises the other trigram's C (positive boost)."""
    table = np.array(load_model("skip-trigram").meta["trigrams"])
    bugs, boost = solution.incoherence_bugs("skip-trigram", table, C_TOKENS)
    assert np.array_equal(np.asarray(bugs), np.array([[12, 17, 23], [12, 18, 22]])), "wrong bugs for the trained table"
    assert np.all(np.asarray(boost) > 2.0), "the bug outputs should be clearly boosted by the OV circuit"


@pytest.mark.points(1)
def test_inputs_not_modified(solution):
    """Token arrays and tables are left unchanged."""
    tokens = np.random.default_rng(11).integers(0, 28, size=(2, 6))
    table = np.array([[12, 17, 22], [12, 18, 23]])
    a_tok, b_tok, c_tok, filler = A_TOKENS.copy(), B_TOKENS.copy(), C_TOKENS.copy(), np.array([1, 2])
    solution.attention_patterns("skip-trigram", tokens)
    solution.source_logit_contributions("skip-trigram", tokens)
    solution.read_trigrams("skip-trigram", a_tok, b_tok, c_tok)
    solution.probe_predictions("skip-trigram", a_tok, b_tok, filler)
    solution.incoherence_bugs("skip-trigram", table, c_tok)
    for after in (tokens, table, a_tok, b_tok, c_tok, filler):
        assert_not_modified(after, "an input array")
