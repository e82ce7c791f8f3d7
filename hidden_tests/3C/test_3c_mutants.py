"""Hidden checks for 3C found by mutation analysis: the default threshold, int64 empty tables."""

import numpy as np
import pytest

from runner.checks import assert_dtype, assert_shape


def _random_model(seed, d_model=10, d_head=6, vocab=12, n_ctx=12):
    rng = np.random.default_rng(seed)
    return {
        "W_E": rng.normal(size=(d_model, vocab)),
        "W_pos": rng.normal(size=(d_model, n_ctx)) * 0.5,
        "W_Q": rng.normal(size=(1, 1, d_head, d_model)) * 0.6,
        "W_K": rng.normal(size=(1, 1, d_head, d_model)) * 0.6,
        "W_V": rng.normal(size=(1, 1, d_head, d_model)),
        "W_O": rng.normal(size=(1, 1, d_model, d_head)) * 0.15,
        "W_U": rng.normal(size=(vocab, d_model)),
    }


def _trigrams(w, a_tokens, b_tokens, c_tokens, thr):
    """The prompt's rule with explicit loops."""
    WQ, WK, WO, WV, E, U = (w[k] for k in ("W_Q", "W_K", "W_O", "W_V", "W_E", "W_U"))
    WQ, WK, WO, WV = WQ[0, 0], WK[0, 0], WO[0, 0], WV[0, 0]
    vocab = E.shape[1]
    rows = []
    for b in b_tokens:
        S = np.array([(WQ @ E[:, b]) @ (WK @ E[:, s]) / np.sqrt(WQ.shape[0]) for s in range(vocab)])
        S = S - S.mean()
        for a in a_tokens:
            if S[a] > thr:
                scores = [(U @ (WO @ (WV @ E[:, a])))[c] + (U @ E[:, b])[c] for c in c_tokens]
                rows.append((a, b, c_tokens[int(np.argmax(scores))]))
    return np.array(sorted(rows), dtype=np.int64).reshape(-1, 3)


@pytest.mark.points(1)
def test_default_threshold_is_2(solution):
    """Without qk_threshold the rule uses 2.0 (a random model with centred QK logits between 2 and 3)."""
    w = _random_model(49)
    a_tok, b_tok, c_tok = np.array([1, 2, 3, 4]), np.array([5, 6, 7]), np.array([11, 8, 9, 10])
    want = _trigrams(w, a_tok, b_tok, c_tok, 2.0)
    got = solution.read_trigrams(w, a_tok, b_tok, c_tok)
    assert_shape(got, want.shape, "read_trigrams with the default threshold")
    assert np.array_equal(np.asarray(got), want), "wrong trigrams with the default qk_threshold"


@pytest.mark.points(1)
def test_empty_results_are_int64(solution):
    """An empty trigram table and an empty bug list are int64 of shape (0, 3); the empty boost is float64."""
    got = solution.read_trigrams("skip-trigram", np.arange(12, 17), np.arange(17, 22), np.arange(22, 28), 1e9)
    assert_shape(got, (0, 3), "read_trigrams with a huge threshold")
    assert_dtype(got, np.int64, "read_trigrams with a huge threshold")
    bugs, boost = solution.incoherence_bugs("skip-trigram", np.array([[13, 19, 24]]), np.arange(22, 28))
    assert_shape(bugs, (0, 3), "bugs of a one-row table")
    assert_dtype(bugs, np.int64, "bugs of a one-row table")
    assert_dtype(boost, np.float64, "boost of a one-row table")
