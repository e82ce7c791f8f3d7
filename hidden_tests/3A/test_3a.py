"""Hidden checks for 3A: QK-circuit attention logits, absolute positions, and the four-term decomposition."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_array

L, D_MODEL, D_HEAD, B = 5, 8, 3, 2


def _weights(rng, d_head=D_HEAD, d_model=D_MODEL):
    """W_Q != W_K, scaled so that queries and keys have O(1) entries and the logits are O(1)."""
    W_Q = rng.normal(size=(d_head, d_model)) / math.sqrt(d_model)
    W_K = rng.normal(size=(d_head, d_model)) / math.sqrt(d_model)
    return W_Q, W_K


def _matvec(W, x):
    return [math.fsum(W[a, k] * x[k] for k in range(len(x))) for a in range(W.shape[0])]


def _loop_logits(X, W_Q, W_K, P=None, Pk=None):
    """Independent logits: for each (i, j), (W_Q a_i)·(W_K b_j)/sqrt(d_head) with a = x + P, b = x + Pk."""
    X = np.asarray(X, dtype=np.float64)
    W_Q, W_K = np.asarray(W_Q, dtype=np.float64), np.asarray(W_K, dtype=np.float64)
    Pq = np.zeros(X.shape[-2:]) if P is None else np.asarray(P, dtype=np.float64)
    Pk = Pq if Pk is None else np.asarray(Pk, dtype=np.float64)
    n = X.shape[-2]
    out = np.empty(X.shape[:-1] + (n,))
    for lead in np.ndindex(X.shape[:-2]):
        seq = X[lead]
        qs = [_matvec(W_Q, (seq[i] + Pq[i]).tolist()) for i in range(n)]
        ks = [_matvec(W_K, (seq[j] + Pk[j]).tolist()) for j in range(n)]
        for i in range(n):
            for j in range(n):
                out[lead + (i, j)] = math.fsum(a * b for a, b in zip(qs[i], ks[j])) / math.sqrt(W_Q.shape[0])
    return out



# ---- counterexamples: properties `practice submit --reveal` may search (small X, W_Q, W_K, P; never hidden data) ----

def _qk_calls(dtype=np.float64, positions=None):
    """B (or no batch axis), L, d_model, d_head from 1 to 3; P [L, d_model] given or not (`positions`: always)."""
    bound = 3.0 if dtype == np.float64 else 1.0  # float32: rounding stays far below rtol 1e-4
    from hypothesis import strategies as st

    def build(dims):
        batch, L, d_model, d_head = dims
        lead = () if batch == 0 else (batch,)
        with_p = st.just(True) if positions else st.booleans()
        return st.tuples(float_array(lead + (L, d_model), bound, dtype), float_array((d_head, d_model), bound, dtype),
                         float_array((d_head, d_model), bound, dtype), float_array((L, d_model), bound, dtype),
                         with_p).map(lambda a: Call(a[:4] if a[4] else a[:3]))

    return st.tuples(st.integers(0, 2), *[st.integers(1, 3)] * 3).flatmap(build)


def _loop_terms(X, W_Q, W_K, P):
    """The four terms by loops, sequence by sequence: (x, x), (x, p), (p, x), (p, p)."""
    X = np.asarray(X, dtype=np.float64)
    zero = np.zeros(X.shape[-2:])
    tt = _loop_logits(X, W_Q, W_K)
    parts = [[_loop_logits(zero, W_Q, W_K, P=a, Pk=b) for a, b in ((X[i], P), (P, X[i]), (P, P))]
             for i in np.ndindex(X.shape[:-2])]
    tp, pt, pp = (np.stack([part[k] for part in parts]).reshape(tt.shape) for k in range(3))
    return tt, tp, pt, pp


def _four_terms(got, expected):
    assert isinstance(got, (tuple, list)) and len(got) == 4, "qk_logit_terms should return four arrays"
    for name, g, e in zip(("token-token", "token-position", "position-token", "position-position"), got, expected):
        assert_close(g, e, what=f"the {name} term")


def reveal_logits():
    """Any small float64 X (with or without a batch axis), W_Q, W_K, with or without P: loop logits."""
    return Property("qk_logits", _qk_calls, _loop_logits, check_dtype=True)


def reveal_terms():
    """Any small X, W_Q, W_K, P: the four terms, each by loops."""
    return Property("qk_logit_terms", lambda: _qk_calls(positions=True), _loop_terms, check=_four_terms)


def reveal_float32():
    """float32 X, W_Q, W_K, P: float32 logits, rtol 1e-4."""
    return Property("qk_logits", lambda: _qk_calls(np.float32), lambda *a: _loop_logits(*a).astype(np.float32),
                    rtol=1e-4, atol=1e-4, check_dtype=True)

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_logits")
def test_single_sequence_matches_definition(solution):
    """[L, d_model] input: entry [i, j] is (W_Q x_i)·(W_K x_j)/sqrt(d_head), query i on rows, key j on columns."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(L, D_MODEL))
    W_Q, W_K = _weights(rng)
    want = _loop_logits(X, W_Q, W_K)
    got = solution.qk_logits(X, W_Q, W_K)
    assert_shape(got, (L, L), what="qk_logits of one sequence")
    assert_close(got, want, what="qk_logits of one sequence")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_logits")
def test_scale_is_one_over_sqrt_d_head(solution):
    """The logits are divided by sqrt(d_head) (the query/key width), not by d_head or sqrt(d_model)."""
    rng = np.random.default_rng(1)
    for d_head in (1, 4):
        X = rng.normal(size=(4, 9))
        W_Q, W_K = _weights(rng, d_head=d_head, d_model=9)
        want = _loop_logits(X, W_Q, W_K)
        assert_close(solution.qk_logits(X, W_Q, W_K), want, what=f"qk_logits with d_head={d_head}, d_model=9")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_logits")
def test_batched_input(solution):
    """[B, L, d_model] input gives [B, L, L], one pattern of logits per sequence."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(B, L, D_MODEL))
    W_Q, W_K = _weights(rng)
    want = _loop_logits(X, W_Q, W_K)
    got = solution.qk_logits(X, W_Q, W_K)
    assert_shape(got, (B, L, L), what="qk_logits of a batch")
    assert_close(got, want, what="qk_logits of a batch")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_logits")
def test_batch_elements_do_not_mix(solution):
    """Changing one sequence of a batch leaves the logits of the other sequence unchanged."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3, L, D_MODEL))
    W_Q, W_K = _weights(rng)
    P = rng.normal(size=(L, D_MODEL))
    before = solution.qk_logits(X.copy(), W_Q, W_K, P)
    X2 = X.copy()
    X2[1] = rng.normal(scale=3.0, size=(L, D_MODEL))
    after = solution.qk_logits(X2, W_Q, W_K, P)
    assert_close(after[[0, 2]], np.asarray(before)[[0, 2]], what="logits of the sequences that did not change")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_logits")
def test_positions_are_added_before_both_projections(solution):
    """With P, queries are W_Q (x_i + p_i) and keys are W_K (x_j + p_j)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(L, D_MODEL))
    P = rng.normal(size=(L, D_MODEL))
    W_Q, W_K = _weights(rng)
    want = _loop_logits(X, W_Q, W_K, P)
    assert_close(solution.qk_logits(X, W_Q, W_K, P), want, what="qk_logits with positional embeddings")
    want0 = _loop_logits(X, W_Q, W_K)
    assert_close(solution.qk_logits(X, W_Q, W_K, np.zeros((L, D_MODEL))), want0, what="qk_logits with P = 0")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_logits")
def test_positions_broadcast_over_the_batch(solution):
    """A [L, d_model] P is added to every sequence of a [B, L, d_model] batch."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(B, L, D_MODEL))
    P = rng.normal(size=(L, D_MODEL))
    W_Q, W_K = _weights(rng)
    want = _loop_logits(X, W_Q, W_K, P)
    assert_close(solution.qk_logits(X, W_Q, W_K, P), want, what="qk_logits of a batch with positions")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_logits")
def test_positions_break_ties_between_identical_tokens(solution):
    """A sequence of one repeated token gives equal logits across keys; adding positions makes them differ."""
    rng = np.random.default_rng(6)
    X = np.tile(rng.normal(size=D_MODEL), (L, 1))
    P = rng.normal(size=(L, D_MODEL))
    W_Q, W_K = _weights(rng)
    flat = solution.qk_logits(X, W_Q, W_K)
    assert_close(flat, np.full((L, L), _loop_logits(X, W_Q, W_K)[0, 0]), what="logits of a repeated token")
    want = _loop_logits(X, W_Q, W_K, P)
    with_pos = solution.qk_logits(X, W_Q, W_K, P)
    assert_close(with_pos, want, what="logits of a repeated token with positions")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_terms")
def test_terms_match_definitions(solution):
    """qk_logit_terms gives (W_Q a_i)·(W_K b_j)/sqrt(d_head) for (a, b) = (x, x), (x, p), (p, x), (p, p)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(L, D_MODEL))
    P = rng.normal(size=(L, D_MODEL))
    W_Q, W_K = _weights(rng)
    zero = np.zeros((L, D_MODEL))
    wants = {
        "token-token": _loop_logits(X, W_Q, W_K),
        "token-position": _loop_logits(zero, W_Q, W_K, P=X, Pk=P),
        "position-token": _loop_logits(zero, W_Q, W_K, P=P, Pk=X),
        "position-position": _loop_logits(zero, W_Q, W_K, P=P),
    }
    terms = solution.qk_logit_terms(X, W_Q, W_K, P)
    assert isinstance(terms, (tuple, list)) and len(terms) == 4, "qk_logit_terms should return four arrays"
    for (name, want), got in zip(wants.items(), terms):
        assert_close(got, want, what=f"the {name} term")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_terms")
def test_terms_sum_to_the_logits_batched(solution):
    """For a [B, L, d_model] batch every term is [B, L, L] and the four terms add up to qk_logits with P."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(B, L, D_MODEL))
    P = rng.normal(size=(L, D_MODEL))
    W_Q, W_K = _weights(rng)
    want = _loop_logits(X, W_Q, W_K, P)
    terms = solution.qk_logit_terms(X, W_Q, W_K, P)
    assert isinstance(terms, (tuple, list)) and len(terms) == 4, "qk_logit_terms should return four arrays"
    for name, t in zip(("tt", "tp", "pt", "pp"), terms):
        assert_shape(t, (B, L, L), what=f"the {name} term of a batch")
    total = sum(np.asarray(t, dtype=np.float64) for t in terms)
    assert_close(total, want, what="tt + tp + pt + pp")
    zero = np.zeros((L, D_MODEL))
    assert_close(terms[3][1], _loop_logits(zero, W_Q, W_K, P=P), what="the position-position term of sequence 1")


@pytest.mark.points(1)
def test_does_not_modify_inputs(solution):
    """X, W_Q, W_K and P are left unchanged by both functions."""
    rng = np.random.default_rng(9)
    X = rng.normal(size=(B, L, D_MODEL))
    P = rng.normal(size=(L, D_MODEL))
    W_Q, W_K = _weights(rng)
    solution.qk_logits(X, W_Q, W_K, P)
    solution.qk_logit_terms(X, W_Q, W_K, P)
    for name, a in zip(("X", "W_Q", "W_K", "P"), (X, W_Q, W_K, P)):
        assert_not_modified(a, what=name)


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_stays_float32(solution):
    """float32 X, W_Q, W_K and P give float32 logits with the right values (rtol 1e-4)."""
    rng = np.random.default_rng(10)
    X = rng.normal(size=(B, L, D_MODEL)).astype(np.float32)
    P = rng.normal(size=(L, D_MODEL)).astype(np.float32)
    W_Q, W_K = (w.astype(np.float32) for w in _weights(rng))
    want = _loop_logits(X, W_Q, W_K, P)
    got = solution.qk_logits(X, W_Q, W_K, P)
    assert_dtype(got, np.float32, what="qk_logits of float32 inputs")
    assert_close(got, want, rtol=1e-4, atol=1e-5, what="qk_logits of float32 inputs")
