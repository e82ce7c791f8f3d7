"""Hidden checks for E7: embed_tokens, attention_pattern, is_valid_pattern."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_array

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



# ---- counterexamples: properties `practice submit --reveal` may search (any small inputs; never hidden data) ----

def _dims(build, lead_dims=1):
    """Leading axes (0 to `lead_dims`), then L, d_model, d_head from 1 to 3 and an extra width 0 to 2."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    lead = hnp.array_shapes(min_dims=0, max_dims=lead_dims, min_side=1, max_side=2)
    return st.tuples(lead, *[st.integers(1, 3)] * 3, st.integers(0, 2)).flatmap(lambda d: build(*d))


def _embed_calls():
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def build(lead, n, d_model, vocab, extra):
        tokens = hnp.arrays(np.int64, lead + (n,), elements=st.integers(0, vocab - 1))
        w_pos = st.one_of(st.none(), float_array((d_model, n + extra), 3.0))
        return st.tuples(tokens, float_array((d_model, vocab), 3.0), w_pos).map(
            lambda a: Call(a[:2] if a[2] is None else a))

    return _dims(build)


def _loop_embed(tokens, W_E, W_pos=None):
    tokens = np.asarray(tokens)
    out = np.empty(tokens.shape + (W_E.shape[0],))
    for idx in np.ndindex(tokens.shape):
        out[idx] = W_E[:, tokens[idx]] + (0.0 if W_pos is None else W_pos[:, idx[-1]])
    return out


def _pattern_calls(dtype=np.float64):
    bound = 10.0 if dtype == np.float64 else 1.0  # float32: rounding stays far below rtol 1e-4
    from hypothesis import strategies as st

    def build(lead, n, d_model, d_head, _):
        return st.tuples(float_array(lead + (n, d_model), bound, dtype), float_array((d_head, d_model), bound, dtype),
                         float_array((d_head, d_model), bound, dtype), st.sampled_from([None, False, True])).map(
            lambda a: Call(a[:3], {} if a[3] is None else {"causal": a[3]}))

    return _dims(build)


def _loop_patterns(X, W_Q, W_K, causal=False):
    X, W_Q, W_K = (np.asarray(a, dtype=np.float64) for a in (X, W_Q, W_K))
    out = np.empty(X.shape[:-1] + X.shape[-2:-1])
    for idx in np.ndindex(X.shape[:-2]):
        out[idx] = _pattern_loop(X[idx], W_Q, W_K, causal)
    return out


_FLAWS = ("none", "negative entry", "nan", "row off by 1e-3", "row off by 1e-8", "leak 1e-12", "columns")


def _validator_calls():
    """A valid pattern (rows of small whole-number weights, normalized; causal or not), then one flaw or none."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def build(lead, n, *_):
        weights = hnp.arrays(np.int64, lead + (n, n), elements=st.integers(0, 3))
        return st.tuples(weights, st.booleans(), st.sampled_from(_FLAWS), st.integers(0, n - 1),
                         st.integers(0, n - 1), st.booleans()).map(make)

    def make(a):
        w, causal, flaw, i, j, say_causal = a
        w = w + np.eye(w.shape[-1], dtype=np.int64)  # every row has weight somewhere
        if causal:
            w = np.tril(w)
        A = w / w.sum(axis=-1, keepdims=True)
        row = A[..., i, :]
        if flaw == "negative entry":
            row[..., 0] += 2 * 0.25
            row[..., j] -= 0.5 if j else 0.0  # j = 0: no change; else entry j drops by 0.5 (negative unless > 0.5)
        elif flaw == "nan":
            row[..., j] = np.nan
        elif flaw.startswith("row off"):
            row *= 1.001 if flaw.endswith("1e-3") else 1 + 1e-8
        elif flaw == "leak 1e-12" and j > i:
            row[..., j] = 1e-12
            row[..., i] -= 1e-12
        elif flaw == "columns":
            A = np.swapaxes(A, -1, -2).copy()
        return Call((A,), {"causal": True} if causal and say_causal else {})

    return _dims(build)


def _loop_valid(A, causal=False, atol=1e-6):
    """The rules entry by entry: square, finite, non-negative, rows within atol of 1, exactly 0 above a causal
    diagonal."""
    A = np.asarray(A, dtype=np.float64)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        return False
    for idx in np.ndindex(A.shape[:-1]):
        row = A[idx].tolist()
        if any(not math.isfinite(v) or v < 0 for v in row) or abs(math.fsum(row) - 1.0) > atol:
            return False
        if causal and any(v != 0 for v in row[idx[-1] + 1:]):
            return False
    return True


def _same_bool(got, expected):
    assert isinstance(got, (bool, np.bool_)), f"is_valid_pattern should return a bool, got {type(got).__name__}"
    assert bool(got) == expected, f"is_valid_pattern returned {bool(got)}, expected {expected}"


def reveal_embed():
    """Any small token array (any leading axes) and W_E, with or without W_pos: column lookups, one at a time."""
    return Property("embed_tokens", _embed_calls, _loop_embed)


def reveal_pattern():
    """Any small X (with or without a batch axis), W_Q, W_K, causal or not: per-query loop softmax."""
    return Property("attention_pattern", _pattern_calls, _loop_patterns)


def reveal_float32():
    """float32 X, W_Q, W_K: a float32 pattern, rtol 1e-4."""
    return Property("attention_pattern", lambda: _pattern_calls(np.float32),
                    lambda *a, **kw: _loop_patterns(*a, **kw).astype(np.float32), rtol=1e-4, atol=1e-6,
                    check_dtype=True)


def reveal_validator():
    """Small valid patterns, each with one flaw or none: the rules checked entry by entry."""
    return Property("is_valid_pattern", _validator_calls, _loop_valid, check=_same_bool)

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_embed")
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
@pytest.mark.reveal("reveal_pattern")
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
@pytest.mark.reveal("reveal_pattern")
def test_causal_pattern(solution):
    """With causal=True, query i attends only to j <= i; entries above the diagonal are exactly 0."""
    W_E, W_pos, W_Q, W_K = _model(2)
    X = _embed_loop(SENTENCE, W_E, W_pos)
    A = solution.attention_pattern(X, W_Q, W_K, causal=True)
    assert_shape(A, (L, L), "causal attention pattern")
    assert np.all(A[np.triu_indices(L, k=1)] == 0), "causal pattern has non-zero weight on future keys (j > i)"
    assert_close(A, _pattern_loop(X, W_Q, W_K, True), what="causal attention pattern")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_pattern")
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
@pytest.mark.reveal("reveal_validator")
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
@pytest.mark.reveal("reveal_validator")
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
@pytest.mark.reveal("reveal_validator")
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
@pytest.mark.reveal("reveal_float32")
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
