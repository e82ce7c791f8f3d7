"""Hidden checks for 2B: LayerNorm (gamma=1, beta=0, eps=0) turns dot products into correlations."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property


def _row_stats(row):
    """Mean and centred values of one row (a list of floats), with exact sums."""
    mu = math.fsum(row) / len(row)
    return mu, [x - mu for x in row]


def _loop_normalize(u):
    """Independent N(u): one row at a time in pure Python."""
    u = np.asarray(u, dtype=np.float64)
    out = np.empty_like(u)
    for idx in np.ndindex(u.shape[:-1]):
        _, c = _row_stats(u[idx].tolist())
        sd = math.sqrt(math.fsum(x * x for x in c) / len(c))
        out[idx] = [x / sd for x in c]
    return out


def _pairs(u, v):
    """Broadcast u, v over their leading axes and yield (index, row_u, row_v)."""
    u, v = np.broadcast_arrays(np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64))
    for idx in np.ndindex(u.shape[:-1]):
        yield idx, u[idx].tolist(), v[idx].tolist()


def _loop_decomposition(u, v):
    lead = np.broadcast_shapes(np.shape(u)[:-1], np.shape(v)[:-1])
    mean_term, centred_term = np.empty(lead), np.empty(lead)
    for idx, ru, rv in _pairs(u, v):
        mu, cu = _row_stats(ru)
        mv, cv = _row_stats(rv)
        mean_term[idx] = len(ru) * mu * mv
        centred_term[idx] = math.fsum(a * b for a, b in zip(cu, cv))
    return mean_term, centred_term


def _loop_pearson(u, v):
    lead = np.broadcast_shapes(np.shape(u)[:-1], np.shape(v)[:-1])
    out = np.empty(lead)
    for idx, ru, rv in _pairs(u, v):
        _, cu = _row_stats(ru)
        _, cv = _row_stats(rv)
        cov = math.fsum(a * b for a, b in zip(cu, cv))
        out[idx] = cov / math.sqrt(math.fsum(a * a for a in cu) * math.fsum(b * b for b in cv))
    return out


def _loop_cosine(u, v):
    lead = np.broadcast_shapes(np.shape(u)[:-1], np.shape(v)[:-1])
    out = np.empty(lead)
    for idx, ru, rv in _pairs(u, v):
        dot = math.fsum(a * b for a, b in zip(ru, rv))
        out[idx] = dot / math.sqrt(math.fsum(a * a for a in ru) * math.fsum(b * b for b in rv))
    return out


def _centred_orthonormal(rng, d, k):
    """k orthonormal vectors in the zero-mean hyperplane of R^d."""
    m = rng.normal(size=(d, k))
    m -= m.mean(axis=0)
    q, _ = np.linalg.qr(m)
    q -= q.mean(axis=0)  # remove rounding drift
    return (q / np.linalg.norm(q, axis=0)).T


def _pair_on_surface(rng, d, alpha, beta, ru=1.0, rv=1.0):
    """A pair with mean angles alpha, beta whose correlation is sin(a)sin(b)/(1 - cos(a)cos(b)): cos preserved."""
    e1, e2 = _centred_orthonormal(rng, d, 2)
    rho = math.sin(alpha) * math.sin(beta) / (1.0 - math.cos(alpha) * math.cos(beta))
    ones = np.ones(d) / math.sqrt(d)
    u = ru * (math.cos(alpha) * e1 + math.sin(alpha) * ones)
    v = rv * (math.cos(beta) * (rho * e1 + math.sqrt(1.0 - rho * rho) * e2) + math.sin(beta) * ones)
    return u, v


def _bool_result(value, shape, what):
    arr = np.asarray(value)
    assert arr.dtype == np.bool_, f"{what} should be booleans, got dtype {arr.dtype}"
    assert_shape(arr, shape, what=what)
    return arr



# ---- counterexamples: properties `practice submit --reveal` may search (any small rows; never hidden data) ----

def _rows(shape, dtype=np.float64):
    """Rows of multiples of 1/4 in [-5, 5]: exact in float32 too, and no squares that underflow."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    return hnp.arrays(np.dtype(dtype), shape, elements=st.integers(-20, 20).map(lambda k: k / 4))


def _uv_calls(pair=True, dtype=np.float64):
    """u [..., d] (0 to 2 leading axes, d from 2 to 4) and v whose leading axes broadcast against u's."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def build(dims):
        lead, d = dims
        if not pair:
            return _rows(lead + (d,), dtype).map(lambda u: Call((u,)))
        v_lead = hnp.broadcastable_shapes(lead, min_dims=0, max_dims=len(lead), max_side=2)
        return v_lead.flatmap(lambda vl: st.tuples(_rows(lead + (d,), dtype), _rows(vl + (d,), dtype))).map(
            lambda uv: Call(uv))

    lead = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2)
    return st.tuples(lead, st.integers(2, 4)).flatmap(build)


def _two_terms(got, expected):
    assert isinstance(got, (tuple, list)) and len(got) == 2, "dot_decomposition should return two arrays"
    for name, g, e in zip(("mean_term", "centered_term"), got, expected):
        assert_close(g, e, what=name)


def _loop_ln_dot(u, v):
    return np.shape(u)[-1] * _loop_pearson(u, v)


def _loop_preserved(u, v):
    """|pearson - cosine| <= 1e-9 row by row (a constant row: outside the property)."""
    return np.abs(_loop_pearson(u, v) - _loop_cosine(u, v)) <= 1e-9


def _same_bools(got, expected):
    got = np.asarray(got)
    assert got.dtype == np.bool_ and got.shape == np.shape(expected), "cosine_preserved should give one bool per row"
    assert np.array_equal(got, expected), "cosine_preserved gave the wrong verdicts"


def reveal_normalize():
    """Any small non-constant rows: (u - mean) / std, one row at a time in pure Python."""
    return Property("normalize", lambda: _uv_calls(pair=False), _loop_normalize, check_dtype=True)


def reveal_decomposition():
    """Any small u, v (leading axes broadcast): d * mean * mean and the centred dot product, by loops."""
    return Property("dot_decomposition", _uv_calls, _loop_decomposition, check=_two_terms)


def reveal_ln_dot():
    """Any small non-constant u, v: d times the loop Pearson correlation."""
    return Property("ln_dot", _uv_calls, _loop_ln_dot, check_dtype=True)


def reveal_cosine_preserved():
    """Any small non-constant u, v: whether the loop Pearson correlation equals the loop cosine (atol 1e-9)."""
    return Property("cosine_preserved", _uv_calls, _loop_preserved, check=_same_bools)


def reveal_float32():
    """float32 rows: normalize gives float64."""
    return Property("normalize", lambda: _uv_calls(pair=False, dtype=np.float32), _loop_normalize, check_dtype=True)

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_normalize")
def test_normalize_matches_definition(solution):
    """normalize(u) is (u - mean) / std per row over the last axis, biased std, no eps, for [..., d] inputs."""
    rng = np.random.default_rng(0)
    u = rng.normal(loc=1.5, scale=2.0, size=(3, 4, 7))
    want = _loop_normalize(u)
    assert_close(solution.normalize(u), want, what="normalize of a [3, 4, 7] input")
    w = rng.normal(size=5) * 0.01 + 3.0
    assert_close(solution.normalize(w), _loop_normalize(w), what="normalize of a small-spread vector")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_normalize")
def test_normalize_lands_on_a_sphere_in_the_zero_mean_plane(solution):
    """Every normalized row has mean 0 and Euclidean norm sqrt(d)."""
    rng = np.random.default_rng(1)
    u = rng.normal(size=(6, 9)) * rng.uniform(0.1, 10.0, size=(6, 1)) + rng.normal(scale=5.0, size=(6, 1))
    n = solution.normalize(u)
    assert_close(n.mean(axis=-1), np.zeros(6), atol=1e-12, what="row means of normalize(u)")
    assert_close(np.linalg.norm(n, axis=-1), np.full(6, 3.0), what="row norms of normalize(u) (sqrt(9) = 3)")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_normalize")
def test_normalize_affine_invariance(solution):
    """normalize(a*u + b) = normalize(u) for a > 0, and = -normalize(u) for a < 0, for any shift b."""
    rng = np.random.default_rng(2)
    u = rng.normal(size=(4, 6))
    a = np.array([[2.5], [-0.3], [40.0], [-7.0]])
    b = np.array([[-4.0], [7.0], [0.1], [-100.0]])
    n_u = _loop_normalize(u)
    got = solution.normalize(a * u + b)
    assert_close(got, np.sign(a) * n_u, rtol=1e-6, atol=1e-7, what="normalize(a*u + b)")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_decomposition")
def test_dot_decomposition(solution):
    """mean_term = d*mean(u)*mean(v) and centered_term = centred dot product; they add up to u·v."""
    rng = np.random.default_rng(3)
    u = rng.normal(loc=2.0, size=(4, 6))
    v = rng.normal(loc=-1.0, size=(4, 6))
    v[2] = 3.0  # a constant row is allowed here
    want_mean, want_centred = _loop_decomposition(u, v)
    mean_term, centred_term = solution.dot_decomposition(u, v)
    assert_close(mean_term, want_mean, what="mean_term")
    assert_close(centred_term, want_centred, what="centered_term")
    total = np.asarray(mean_term) + np.asarray(centred_term)
    assert_close(total, np.sum(u * v, axis=-1), what="mean_term + centered_term")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_decomposition")
def test_dot_decomposition_broadcasts(solution):
    """u of shape [2, 3, d] and v of shape [3, d] broadcast to results of shape [2, 3]."""
    rng = np.random.default_rng(4)
    u = rng.normal(loc=0.5, size=(2, 3, 5))
    v = rng.normal(loc=1.0, size=(3, 5))
    want_mean, want_centred = _loop_decomposition(u, v)
    mean_term, centred_term = solution.dot_decomposition(u, v)
    assert_close(mean_term, want_mean, what="mean_term with broadcasting")
    assert_close(centred_term, want_centred, what="centered_term with broadcasting")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_ln_dot")
def test_ln_dot_is_d_times_pearson(solution):
    """ln_dot(u, v) = N(u)·N(v) = d * pearson(u, v), per row and with broadcasting."""
    rng = np.random.default_rng(5)
    u = rng.normal(loc=3.0, scale=2.0, size=(5, 6))
    v = 0.5 * u + rng.normal(loc=-2.0, size=(5, 6))
    want = 6 * _loop_pearson(u, v)
    assert_close(solution.ln_dot(u, v), want, what="ln_dot of [5, 6] rows")
    w = rng.normal(size=6) + 1.0
    assert_close(solution.ln_dot(u, w), 6 * _loop_pearson(u, w), what="ln_dot of [5, 6] rows against one [6] vector")
    assert_close(solution.ln_dot(u[0], w), 6 * _loop_pearson(u[0], w), what="ln_dot of two vectors")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_ln_dot")
def test_ln_dot_invariances(solution):
    """ln_dot(u, u) = d, and ln_dot(a*u + b, c*v + e) = sign(a*c) * ln_dot(u, v)."""
    rng = np.random.default_rng(6)
    u = rng.normal(size=(3, 8)) + 2.0
    v = rng.normal(size=(3, 8)) - 1.0
    assert_close(solution.ln_dot(u, u), np.full(3, 8.0), what="ln_dot(u, u)")
    base = 8 * _loop_pearson(u, v)
    assert_close(solution.ln_dot(3.0 * u - 5.0, 0.2 * v + 9.0), base, what="ln_dot after positive affine maps")
    assert_close(solution.ln_dot(-2.0 * u + 1.0, 0.5 * v), -base, what="ln_dot after one sign flip")


@pytest.mark.points(1)
def test_constant_rows_raise(solution):
    """normalize, ln_dot and cosine_preserved raise ValueError when a row of u or v is constant (or zero)."""
    rng = np.random.default_rng(7)
    u = rng.normal(size=(3, 5))
    v = rng.normal(size=(3, 5))
    bad = u.copy()
    bad[1] = 3.0
    zero = np.zeros(5)
    with pytest.raises(ValueError):
        solution.normalize(bad)
    with pytest.raises(ValueError):
        solution.normalize(np.full(5, -2.0))
    with pytest.raises(ValueError):
        solution.ln_dot(bad, v)
    with pytest.raises(ValueError):
        solution.ln_dot(u, zero)
    with pytest.raises(ValueError):
        solution.cosine_preserved(bad, v)
    with pytest.raises(ValueError):
        solution.cosine_preserved(u[0], zero)


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_cosine_preserved")
def test_cosine_preserved_for_zero_mean_pairs(solution):
    """Two zero-mean vectors keep their cosine: LayerNorm only rescales them."""
    rng = np.random.default_rng(8)
    u = rng.normal(size=(4, 7))
    v = rng.normal(size=(4, 7))
    u -= u.mean(axis=-1, keepdims=True)
    v -= v.mean(axis=-1, keepdims=True)
    got = _bool_result(solution.cosine_preserved(u, v), (4,), "cosine_preserved of zero-mean pairs")
    assert np.all(got), "zero-mean pairs should keep their cosine"


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_cosine_preserved")
def test_cosine_not_preserved_for_generic_pairs(solution):
    """Generic vectors with non-zero means do not keep their cosine."""
    rng = np.random.default_rng(9)
    u = rng.normal(size=(4, 7)) + 1.0
    v = rng.normal(size=(4, 7)) - 0.5
    assert np.all(np.abs(_loop_pearson(u, v) - _loop_cosine(u, v)) > 1e-3)  # the test's own premise
    got = _bool_result(solution.cosine_preserved(u, v), (4,), "cosine_preserved of generic pairs")
    assert not np.any(got), "generic pairs with non-zero means should not keep their cosine"


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_cosine_preserved")
def test_cosine_preserved_for_parallel_vectors(solution):
    """v = lambda*u keeps the cosine (both are +1 or -1) even when the means are not zero."""
    rng = np.random.default_rng(10)
    u = rng.normal(size=6) + 2.0
    for lam in (2.5, -0.7):
        got = solution.cosine_preserved(u, lam * u)
        assert bool(got), f"v = {lam} * u should keep its cosine with u"


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_cosine_preserved")
def test_cosine_preserved_one_zero_mean_and_uncorrelated(solution):
    """If mean(u) = 0 and the centred parts are orthogonal, both cosines are 0, whatever mean(v) is."""
    rng = np.random.default_rng(11)
    e1, e2 = _centred_orthonormal(rng, 8, 2)
    u = 2.0 * e1
    v = 3.0 * e2 + 1.5
    assert bool(solution.cosine_preserved(u, v)), "a zero-mean u with an uncorrelated v should keep its cosine"
    assert abs(_loop_pearson(u, v + 0.3 * e1) - _loop_cosine(u, v + 0.3 * e1)) > 1e-3  # the test's own premise
    assert not bool(solution.cosine_preserved(u, v + 0.3 * e1)), "a correlated v with non-zero mean should not"


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_cosine_preserved")
def test_cosine_preserved_on_the_general_surface(solution):
    """Non-zero means with correlation sin(a)sin(b)/(1 - cos(a)cos(b)) keep the cosine; nearby pairs do not."""
    rng = np.random.default_rng(12)
    for alpha, beta in [(0.6, -0.3), (0.4, 0.9), (-1.0, -0.2)]:
        u, v = _pair_on_surface(rng, 7, alpha, beta, ru=2.0, rv=0.7)
        assert abs(_loop_pearson(u, v) - _loop_cosine(u, v)) < 1e-12  # the test's own premise
        assert bool(solution.cosine_preserved(u, v)), "a pair on the preservation surface should keep its cosine"
        v_off = v + 0.05 * (u - u.mean())
        assert abs(_loop_pearson(u, v_off) - _loop_cosine(u, v_off)) > 1e-4
        assert not bool(solution.cosine_preserved(u, v_off)), "a pair off the surface should not keep its cosine"


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_cosine_preserved")
def test_cosine_preserved_batch_and_atol(solution):
    """A batch gives one bool per row, and atol widens what counts as preserved."""
    rng = np.random.default_rng(13)
    e1, e2 = _centred_orthonormal(rng, 6, 2)
    su, sv = _pair_on_surface(rng, 6, 0.5, 0.8)
    g1, g2 = rng.normal(size=6) + 1.0, rng.normal(size=6) + 1.0
    u = np.stack([e1, su, g1, 3.0 * g2 + 1.0])
    v = np.stack([e2 + 0.4 * e1, sv, g2, g2])
    gaps = np.abs(_loop_pearson(u, v) - _loop_cosine(u, v))
    assert np.all(gaps[:2] < 1e-12) and np.all(gaps[2:] > 1e-3)  # the test's own premise
    got = _bool_result(solution.cosine_preserved(u, v), (4,), "cosine_preserved of a batch")
    assert got.tolist() == [True, True, False, False], "wrong verdicts in a batch of four pairs"
    gap = abs(_loop_pearson(g1, g2) - _loop_cosine(g1, g2))
    assert 1e-3 < gap < 1.0  # the test's own premise
    assert bool(solution.cosine_preserved(g1, g2, atol=1.0)), "atol=1.0 should accept a pair whose cosines differ less"
    assert not bool(solution.cosine_preserved(g1, g2, atol=gap / 2)), "atol below the gap should reject the pair"


@pytest.mark.points(1)
def test_does_not_modify_inputs(solution):
    """No function modifies u or v in place."""
    rng = np.random.default_rng(14)
    u = rng.normal(loc=1.0, size=(3, 5))
    v = rng.normal(loc=-2.0, size=(3, 5))
    solution.normalize(u)
    solution.dot_decomposition(u, v)
    solution.ln_dot(u, v)
    solution.cosine_preserved(u, v)
    assert_not_modified(u, what="u")
    assert_not_modified(v, what="v")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_inputs_give_float64(solution):
    """float32 inputs give float64 results, computed in float64 (a narrow spread around 3 exposes float32 math)."""
    rng = np.random.default_rng(15)
    u = (3.0 + 0.01 * rng.normal(size=(3, 6))).astype(np.float32)
    v = (rng.normal(size=(3, 6)) - 1.0).astype(np.float32)
    u64, v64 = u.astype(np.float64), v.astype(np.float64)
    got = solution.normalize(u)
    assert np.asarray(got).dtype == np.float64, "normalize of a float32 input should return float64"
    assert_close(got, _loop_normalize(u64), what="normalize of a float32 input")
    got = solution.ln_dot(u, v)
    assert np.asarray(got).dtype == np.float64, "ln_dot of float32 inputs should return float64"
    assert_close(got, 6 * _loop_pearson(u64, v64), what="ln_dot of float32 inputs")
    mean_term, centred_term = solution.dot_decomposition(u, v)
    want_mean, want_centred = _loop_decomposition(u64, v64)
    assert np.asarray(mean_term).dtype == np.float64 and np.asarray(centred_term).dtype == np.float64, (
        "dot_decomposition of float32 inputs should return float64")
    assert_close(mean_term, want_mean, what="mean_term of float32 inputs")
    assert_close(centred_term, want_centred, what="centered_term of float32 inputs")


@pytest.mark.points(1)
def test_constant_rows_raise_even_when_the_computed_std_is_not_zero(solution):
    """Rows like [0.1, 0.1, 0.1] are constant although their computed std is ~1e-17: ValueError, not a number."""
    rng = np.random.default_rng(16)
    for value, d in ((0.1, 3), (0.7, 6)):
        row = np.full(d, value)
        centred = row - row.mean()
        assert np.sqrt(np.mean(centred * centred)) > 0  # the test's own premise: rounding leaves a nonzero std
        other = rng.normal(size=d)
        with pytest.raises(ValueError):
            solution.normalize(np.stack([other, row]))
        with pytest.raises(ValueError):
            solution.ln_dot(other, row)
        with pytest.raises(ValueError):
            solution.cosine_preserved(row, other)
