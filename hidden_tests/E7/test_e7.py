"""Hidden checks for E7: embed_tokens, attention_pattern, is_valid_pattern."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified, assert_shape

D_MODEL, D_HEAD, VOCAB, N_CTX = 6, 3, 11, 9
SENTENCE = np.array([0, 1, 2, 3, 4, 1, 5])  # "<bos> the cat sat on the mat"
L = SENTENCE.size


def _model(seed):
    rng = np.random.default_rng(seed)
    W_E = rng.normal(size=(D_MODEL, VOCAB))
    W_pos = rng.normal(size=(D_MODEL, N_CTX)) * 0.5
    W_Q = rng.normal(size=(D_HEAD, D_MODEL)) / math.sqrt(D_MODEL)
    W_K = rng.normal(size=(D_HEAD, D_MODEL)) / math.sqrt(D_MODEL)
    return W_E, W_pos, W_Q, W_K


def _embed_loop(tokens, W_E, W_pos):
    X = np.zeros((tokens.size, D_MODEL))
    for i, tok in enumerate(tokens):
        X[i] = W_E[:, tok] + (0.0 if W_pos is None else W_pos[:, i])
    return X


def _pattern_loop(X, W_Q, W_K, causal):
    n = X.shape[0]
    A = np.zeros((n, n))
    for i in range(n):
        q = W_Q @ X[i]
        keys = range(i + 1) if causal else range(n)
        s = np.array([q @ (W_K @ X[j]) for j in keys]) / math.sqrt(W_Q.shape[0])
        w = np.exp(s - s.max())
        A[i, : len(s)] = w / w.sum()
    return A


@pytest.mark.points(2)
def test_embed_tokens(solution):
    """embed_tokens takes columns of W_E [d_model, vocab] and adds position columns 0..L-1 (n_ctx > L)."""
    W_E, W_pos, _, _ = _model(0)
    assert_close(solution.embed_tokens(SENTENCE, W_E, W_pos), _embed_loop(SENTENCE, W_E, W_pos),
                 what="embedding of the sentence")
    assert_close(solution.embed_tokens(SENTENCE, W_E), _embed_loop(SENTENCE, W_E, None),
                 what="embedding without positions")
    batch = np.array([SENTENCE, [0, 10, 9, 8, 7, 6, 5]])
    expected = np.stack([_embed_loop(b, W_E, W_pos) for b in batch])
    assert_close(solution.embed_tokens(batch, W_E, W_pos), expected, what="embedding of a [B, L] batch")


@pytest.mark.points(3)
def test_pattern_matches_loop(solution):
    """attention_pattern rows are queries, columns keys: softmax_j(W_Q x_i · W_K x_j / sqrt(d_head))."""
    W_E, W_pos, W_Q, W_K = _model(1)
    X = _embed_loop(SENTENCE, W_E, W_pos)
    A = solution.attention_pattern(X, W_Q, W_K)
    assert_shape(A, (L, L), "attention pattern")
    assert_close(A, _pattern_loop(X, W_Q, W_K, False), what="attention pattern")
    Xb = np.stack([X, _embed_loop(SENTENCE[::-1].copy(), W_E, W_pos)])
    expected = np.stack([_pattern_loop(x, W_Q, W_K, False) for x in Xb])
    assert_close(solution.attention_pattern(Xb, W_Q, W_K), expected, what="batched attention pattern")


@pytest.mark.points(2)
def test_causal_pattern(solution):
    """With causal=True, query i attends only to j <= i; entries above the diagonal are exactly 0."""
    W_E, W_pos, W_Q, W_K = _model(2)
    X = _embed_loop(SENTENCE, W_E, W_pos)
    A = solution.attention_pattern(X, W_Q, W_K, causal=True)
    assert_shape(A, (L, L), "causal attention pattern")
    assert np.all(A[np.triu_indices(L, k=1)] == 0), "causal pattern has non-zero weight on future keys (j > i)"
    assert_close(A, _pattern_loop(X, W_Q, W_K, True), what="causal attention pattern")


@pytest.mark.points(1)
def test_large_logits_stay_finite(solution):
    """Logits in the hundreds give finite patterns whose rows sum to 1 (causal and not)."""
    W_E, W_pos, W_Q, W_K = _model(3)
    X = _embed_loop(SENTENCE, W_E, W_pos)
    for causal in (False, True):
        A = solution.attention_pattern(X, 300.0 * W_Q, W_K, causal=causal)
        assert_finite(A, f"pattern with large logits (causal={causal})")
        assert_close(A, _pattern_loop(X, 300.0 * W_Q, W_K, causal), what=f"large-logit pattern (causal={causal})")


def _as_bool(value, what):
    assert isinstance(value, (bool, np.bool_)), f"{what} should return a bool, got {type(value).__name__}"
    return bool(value)


@pytest.mark.points(1)
def test_validator_accepts_valid_patterns(solution):
    """is_valid_pattern returns True for real patterns, causal and not, batched or single."""
    W_E, W_pos, W_Q, W_K = _model(4)
    X = _embed_loop(SENTENCE, W_E, W_pos)
    A = _pattern_loop(X, W_Q, W_K, False)
    C = _pattern_loop(X, W_Q, W_K, True)
    assert _as_bool(solution.is_valid_pattern(A), "is_valid_pattern"), "rejected a valid pattern"
    assert _as_bool(solution.is_valid_pattern(C, causal=True), "is_valid_pattern"), "rejected a valid causal pattern"
    assert _as_bool(solution.is_valid_pattern(np.stack([C, C]), causal=True), "is_valid_pattern"), (
        "rejected a valid batch of causal patterns")
    near = A.copy()
    near[2] *= 1 + 1e-8
    assert _as_bool(solution.is_valid_pattern(near), "is_valid_pattern"), "rejected rows that sum to 1 within atol"


@pytest.mark.points(2)
def test_validator_rejects_invalid_patterns(solution):
    """is_valid_pattern rejects column-normalized, negative, NaN, off-by-1e-3 and future-leaking patterns."""
    W_E, W_pos, W_Q, W_K = _model(5)
    X = _embed_loop(SENTENCE, W_E, W_pos)
    A = _pattern_loop(X, W_Q, W_K, False)
    bad = {}
    bad["columns sum to 1, rows do not"] = (A.T.copy(), False)
    neg = A.copy()
    neg[3, 0] += A[3, 1] + 0.05
    neg[3, 1] = -0.05  # a negative entry; the row still sums to 1
    bad["a negative entry"] = (neg, False)
    nan = A.copy()
    nan[1, 1] = np.nan
    bad["a NaN entry"] = (nan, False)
    off = A.copy()
    off[4] *= 1.001
    bad["a row summing to 1.001"] = (off, False)
    bad["weight on a future key"] = (A, True)
    for name, (pattern, causal) in bad.items():
        if name == "a negative entry":
            assert pattern.min() < 0 and abs(pattern[3].sum() - 1) < 1e-9  # sanity of the test itself
        got = _as_bool(solution.is_valid_pattern(pattern, causal=causal), "is_valid_pattern")
        assert not got, f"is_valid_pattern accepted a pattern with {name}"


@pytest.mark.points(1)
def test_validator_masked_entries_exactly_zero(solution):
    """With causal=True a masked entry of 1e-12 is rejected (exactly 0 above the diagonal, not within atol)."""
    W_E, W_pos, W_Q, W_K = _model(7)
    C = _pattern_loop(_embed_loop(SENTENCE, W_E, W_pos), W_Q, W_K, True)
    for tiny in (1e-12, 1e-9):
        leak = C.copy()
        leak[3, 5] = tiny
        leak[3, 3] -= tiny  # the row still sums to 1 within atol
        got = _as_bool(solution.is_valid_pattern(leak, causal=True), "is_valid_pattern")
        assert not got, "accepted a causal pattern with a tiny nonzero entry above the diagonal"
    signed = C.copy()
    signed[2, 4] = -0.0  # negative zero is zero
    got = _as_bool(solution.is_valid_pattern(signed, causal=True), "is_valid_pattern")
    assert got, "rejected -0.0 above the diagonal"


@pytest.mark.points(1)
def test_float32_kept_and_inputs_unchanged(solution):
    """float32 X and weights give a float32 pattern (rtol 1e-4); no input is modified."""
    W_E, W_pos, W_Q, W_K = _model(6)
    X = _embed_loop(SENTENCE, W_E, W_pos)
    A32 = solution.attention_pattern(X.astype(np.float32), W_Q.astype(np.float32), W_K.astype(np.float32),
                                     causal=True)
    assert_dtype(A32, np.float32)
    assert_close(A32, _pattern_loop(X.astype(np.float32).astype(np.float64), W_Q.astype(np.float32).astype(np.float64),
                                    W_K.astype(np.float32).astype(np.float64), True),
                 rtol=1e-4, atol=1e-6, what="float32 pattern")
    tokens = SENTENCE.copy()
    solution.embed_tokens(tokens, W_E, W_pos)
    A = solution.attention_pattern(X, W_Q, W_K, causal=True)
    solution.is_valid_pattern(A, causal=True)
    for after, name in zip((tokens, W_E, W_pos, X, W_Q, W_K, A), ("tokens", "W_E", "W_pos", "X", "W_Q", "W_K", "A")):
        assert_not_modified(after, name)
