"""Hidden checks for E12: LayerNorm centering and attention logits."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_array, float_arrays

D_MODEL, D_HEAD = 6, 3


def setup(seed, lead=(), L=5, offset=3.0):
    """Residuals with sizable, position-dependent means, and distinct W_Q != W_K of shape [d_head, d_model]."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=lead + (L, D_MODEL)) + offset * rng.normal(size=lead + (L, 1))
    W_Q = rng.normal(size=(D_HEAD, D_MODEL)) / np.sqrt(D_MODEL) + 0.3
    W_K = rng.normal(size=(D_HEAD, D_MODEL)) / np.sqrt(D_MODEL) - 0.2
    return X, W_Q, W_K


def loop_logits(X, W_Q, W_K, center=False):
    """Independent loop over (i, j) for one sequence X [L, d_model]."""
    L = X.shape[0]
    out = np.zeros((L, L))
    for i in range(L):
        for j in range(L):
            xi, xj = X[i], X[j]
            if center:
                xi, xj = xi - xi.mean(), xj - xj.mean()
            out[i, j] = np.dot(W_Q @ xi, W_K @ xj) / np.sqrt(W_Q.shape[0])
    return out


def loop_terms(X, W_Q, W_K):
    """The three closed-form terms, entry by entry, for one sequence X [L, d_model]."""
    L, d = X.shape
    ones = np.ones(d)
    u_Q, u_K = W_Q @ ones, W_K @ ones
    terms = {k: np.zeros((L, L)) for k in ("query_mean", "key_mean", "mean_mean")}
    for i in range(L):
        for j in range(L):
            mi, mj = X[i].mean(), X[j].mean()
            ci, cj = X[i] - mi * ones, X[j] - mj * ones
            terms["query_mean"][i, j] = mi * np.dot(u_Q, W_K @ cj)
            terms["key_mean"][i, j] = mj * np.dot(W_Q @ ci, u_K)
            terms["mean_mean"][i, j] = mi * mj * np.dot(u_Q, u_K)
    return {k: v / np.sqrt(W_Q.shape[0]) for k, v in terms.items()}



# ---- counterexamples: properties `practice submit --reveal` may search (small X, W_Q, W_K, W; never hidden data) ----

def _logit_calls(dtype=np.float64, center=None):
    """X with 0 to 2 leading axes, L, d_model, d_head from 1 to 3; center= absent, False or True (or `center`)."""
    bound = 3.0 if dtype == np.float64 else 1.0  # float32: rounding stays far below rtol 1e-4
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def build(dims):
        lead, L, d_model, d_head = dims
        flag = st.just(center) if center is not None else st.sampled_from([None, False, True])
        return st.tuples(float_array(lead + (L, d_model), bound, dtype), float_array((d_head, d_model), bound, dtype),
                         float_array((d_head, d_model), bound, dtype), flag).map(
            lambda a: Call(a[:3], {} if a[3] is None else {"center": a[3]}))

    lead = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2)
    return st.tuples(lead, *[st.integers(1, 3)] * 3).flatmap(build)


def _loop_logits_any(X, W_Q, W_K, center=False):
    X, W_Q, W_K = (np.asarray(a, dtype=np.float64) for a in (X, W_Q, W_K))
    out = np.empty(X.shape[:-1] + X.shape[-2:-1])
    for idx in np.ndindex(X.shape[:-2]):
        out[idx] = loop_logits(X[idx], W_Q, W_K, center=center)
    return out


def _loop_fold(W):
    W = np.asarray(W, dtype=np.float64)
    out = np.empty_like(W)
    for idx in np.ndindex(W.shape[:-1]):
        row = W[idx].tolist()
        out[idx] = [v - sum(row) / len(row) for v in row]
    return out


def reveal_logits():
    """Any small X (any leading axes), W_Q, W_K, centered or not: per-sequence (i, j) loops."""
    return Property("attention_logits", _logit_calls, _loop_logits_any, check_dtype=True)


def reveal_fold():
    """Any small W [d_head, d_model] or [n_heads, d_head, d_model]: each row minus its own mean over d_model."""
    return Property("fold_centering", lambda: _call_of(float_arrays(min_dims=2)), _loop_fold)


def _call_of(arrays):
    return arrays.map(lambda a: Call((a,)))


def reveal_float32():
    """float32 X, W_Q, W_K with center=True: float32 logits, rtol 1e-4."""
    return Property("attention_logits", lambda: _logit_calls(np.float32, center=True),
                    lambda *a, **kw: _loop_logits_any(*a, **kw).astype(np.float32), rtol=1e-4, atol=1e-4,
                    check_dtype=True)

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_logits")
def test_raw_logits_match_loop(solution):
    """Raw logits[i, j] = (W_Q x_i)·(W_K x_j)/sqrt(d_head), query i on rows, with W_Q != W_K and d_head != d_model."""
    X, W_Q, W_K = setup(1)
    out = solution.attention_logits(X, W_Q, W_K)
    assert_shape(out, (5, 5), "logits for X [L, d_model]")
    assert_close(out, loop_logits(X, W_Q, W_K), what="raw logits")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_logits")
def test_batched_logits_do_not_mix(solution):
    """Any leading batch axes work ([2, 3, L, d_model] -> [2, 3, L, L]) and sequences do not mix."""
    X, W_Q, W_K = setup(2, lead=(2, 3), L=4)
    out = solution.attention_logits(X, W_Q, W_K)
    assert_shape(out, (2, 3, 4, 4), "batched logits")
    expected = np.stack([np.stack([loop_logits(X[a, b], W_Q, W_K) for b in range(3)]) for a in range(2)])
    assert_close(out, expected, what="batched raw logits")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_logits")
def test_centered_logits_ignore_the_ones_direction(solution):
    """center=True centers each x_i over features; adding any multiple of 1 to any x_i then changes nothing."""
    X, W_Q, W_K = setup(3)
    out = solution.attention_logits(X, W_Q, W_K, center=True)
    assert_close(out, loop_logits(X, W_Q, W_K, center=True), what="centered logits")
    shift = np.random.default_rng(30).normal(scale=10.0, size=(5, 1))
    shifted = solution.attention_logits(X + shift, W_Q, W_K, center=True)
    assert_close(shifted, out, what="centered logits after adding a_i·1 to each x_i")


@pytest.mark.points(2)
def test_centering_terms_match_closed_forms(solution):
    """query_mean, key_mean and mean_mean each match their formula (query mean m_i on rows, key mean m_j on columns)."""
    X, W_Q, W_K = setup(4, lead=(2,), L=4)
    terms = solution.centering_terms(X, W_Q, W_K)
    assert isinstance(terms, dict), "centering_terms should return a dict"
    assert set(terms) == {"query_mean", "key_mean", "mean_mean"}, \
        "centering_terms should have exactly the keys query_mean, key_mean, mean_mean"
    for b in range(2):
        expected = loop_terms(X[b], W_Q, W_K)
        for key in ("query_mean", "key_mean", "mean_mean"):
            assert_close(np.asarray(terms[key])[b], expected[key], what=f"{key} (batch element {b})")


@pytest.mark.points(1)
def test_terms_sum_to_raw_minus_centered(solution):
    """query_mean + key_mean + mean_mean equals raw logits minus centered logits (independently computed)."""
    X, W_Q, W_K = setup(5, L=6, offset=5.0)
    terms = solution.centering_terms(X, W_Q, W_K)
    total = sum(np.asarray(terms[k]) for k in ("query_mean", "key_mean", "mean_mean"))
    diff = loop_logits(X, W_Q, W_K) - loop_logits(X, W_Q, W_K, center=True)
    assert_close(total, diff, rtol=1e-6, atol=1e-7, what="sum of the three terms")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_fold")
def test_fold_centering(solution):
    """fold_centering(W) = W P: rows sum to 0, W_folded x = W center(x), idempotent, works with a head axis."""
    rng = np.random.default_rng(6)
    W = rng.normal(size=(4, D_HEAD, D_MODEL)) + 0.5          # [n_heads, d_head, d_model]
    folded = solution.fold_centering(W)
    assert_shape(folded, W.shape, "folded weights")
    assert_close(folded @ np.ones(D_MODEL), np.zeros((4, D_HEAD)), atol=1e-10, what="folded W applied to 1")
    x = rng.normal(size=D_MODEL) + 2.0
    for h in range(4):
        assert_close(folded[h] @ x, W[h] @ (x - x.mean()), what=f"folded head {h} on a raw x")
    assert_close(solution.fold_centering(folded), folded, what="folding twice")
    X, W_Q, W_K = setup(7)
    via_fold = loop_logits(X, solution.fold_centering(W_Q), solution.fold_centering(W_K))
    assert_close(via_fold, loop_logits(X, W_Q, W_K, center=True), what="raw logits with folded weights")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_kept_and_inputs_unchanged(solution):
    """float32 stays float32 (rtol=1e-4) in all three functions, and no input is modified in place."""
    X, W_Q, W_K = (a.astype(np.float32) for a in setup(8, L=4))
    logits = solution.attention_logits(X, W_Q, W_K, center=True)
    terms = solution.centering_terms(X, W_Q, W_K)
    folded = solution.fold_centering(W_Q)
    for after, name in zip((X, W_Q, W_K), ("X", "W_Q", "W_K")):
        assert_not_modified(after, name)
    assert_dtype(logits, np.float32, "attention_logits output")
    assert_dtype(folded, np.float32, "fold_centering output")
    for key in ("query_mean", "key_mean", "mean_mean"):
        assert_dtype(np.asarray(terms[key]), np.float32, f"centering_terms[{key!r}]")
    X64, Q64, K64 = (a.astype(np.float64) for a in (X, W_Q, W_K))
    assert_close(logits, loop_logits(X64, Q64, K64, center=True), rtol=1e-4, atol=1e-5, what="float32 centered logits")
