"""Hidden checks for 2D: RMSNorm over the last axis, its invariances, and what it does not share with LayerNorm."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_array, float_arrays


def _loop_rms_norm(x, gamma=None, eps=1e-5):
    """Independent RMSNorm in float64: one row at a time with exact sums."""
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[-1]
    g = [1.0] * d if gamma is None else np.asarray(gamma, dtype=np.float64).tolist()
    out = np.empty_like(x)
    for idx in np.ndindex(x.shape[:-1]):
        row = x[idx].tolist()
        r = math.sqrt(math.fsum(v * v for v in row) / d + eps)
        out[idx] = [v / r * g[k] for k, v in enumerate(row)]
    return out



# ---- counterexamples: properties `practice submit --reveal` may search (any small rows; never hidden data) ----

def _rms_calls(dtype=np.float64):
    """Small 1-D to 3-D x, with or without gamma (positional or keyword) and eps."""
    from hypothesis import strategies as st

    def with_options(x):
        gamma = st.one_of(st.none(), float_array(x.shape[-1:], dtype=dtype))
        return st.tuples(gamma, st.sampled_from([None, 0.5, 1e-3]), st.booleans()).map(
            lambda ge: Call((x,) if ge[0] is None or ge[2] else (x, ge[0]),
                            {**({"gamma": ge[0]} if ge[0] is not None and ge[2] else {}),
                             **({"eps": ge[1]} if ge[1] is not None else {})}))

    return float_arrays(dtype=dtype).flatmap(with_options)


def reveal_any():
    """Any small float64 rows, with or without gamma and eps: the loop RMSNorm."""
    return Property("rms_norm", _rms_calls, _loop_rms_norm, check_dtype=True)


def reveal_float32():
    """float32 rows (gamma float32 too): float32 out, rtol 1e-4."""
    return Property("rms_norm", lambda: _rms_calls(np.float32),
                    lambda x, *a, **kw: _loop_rms_norm(x, *a, **kw).astype(np.float32), rtol=1e-4, atol=1e-5,
                    check_dtype=True)

def _layer_norm(x, eps=1e-5):
    """LayerNorm without affine step, for contrast."""
    c = x - x.mean(axis=-1, keepdims=True)
    return c / np.sqrt(np.mean(c * c, axis=-1, keepdims=True) + eps)


def _random_orthogonal(rng, d):
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


@pytest.mark.points(3)
@pytest.mark.reveal("reveal_any")
def test_matches_definition_batched(solution):
    """A [B, L, d] input with gamma gives x / sqrt(mean(x^2) + eps) * gamma per row, with no centring."""
    rng = np.random.default_rng(0)
    x = rng.normal(loc=0.7, scale=2.0, size=(2, 3, 7))
    gamma = rng.normal(size=7)
    want = _loop_rms_norm(x, gamma)
    y = solution.rms_norm(x, gamma)
    assert_shape(y, x.shape, what="rms_norm of a [2, 3, 7] input")
    assert_close(y, want, what="rms_norm of a [2, 3, 7] input")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_single_vector_and_keywords(solution):
    """A 1-D input [d] is one row; the keyword arguments gamma= and eps= are honoured."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=9) + 1.0
    gamma = rng.normal(size=9)
    want = _loop_rms_norm(x, gamma, eps=1e-2)
    assert_close(solution.rms_norm(x, gamma=gamma, eps=1e-2), want, what="rms_norm of a vector")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_gamma_default(solution):
    """gamma=None means all ones."""
    x = np.random.default_rng(2).normal(size=(4, 5))
    want = _loop_rms_norm(x)
    assert_close(solution.rms_norm(x), want, what="rms_norm without gamma")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_rows_have_unit_root_mean_square(solution):
    """With eps=0 and no gamma every row has mean square 1 (norm sqrt(d)), and its mean is not removed."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 8)) * rng.uniform(0.1, 10.0, size=(5, 1)) + 2.0
    y = solution.rms_norm(x, eps=0.0)
    assert_close(np.mean(y * y, axis=-1), np.ones(5), what="row mean squares of rms_norm(x)")
    want_means = x.mean(axis=-1) / np.sqrt(np.mean(x * x, axis=-1))
    assert_close(y.mean(axis=-1), want_means, what="row means of rms_norm(x) (RMSNorm does not centre)")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_invariant_to_scaling(solution):
    """rms_norm(c*x) = rms_norm(x) for c > 0 and = -rms_norm(x) for c < 0 (eps=0)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 6)) + 0.5
    c = np.array([[3.0], [250.0], [0.01], [-4.0]])
    want = np.sign(c) * _loop_rms_norm(x, eps=0.0)
    assert_close(solution.rms_norm(c * x, eps=0.0), want, what="rms_norm of rescaled rows")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_not_invariant_to_shifting(solution):
    """Adding a constant to every entry changes the output: RMSNorm does not subtract the mean."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 6))
    shifted = x + 5.0
    want = _loop_rms_norm(shifted)
    got = solution.rms_norm(shifted)
    assert_close(got, want, what="rms_norm of shifted rows")
    assert np.max(np.abs(got - _loop_rms_norm(x))) > 0.1, "rms_norm(x + 5) should differ from rms_norm(x)"


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_equivariant_to_orthogonal_maps(solution):
    """With a constant gamma, rms_norm(x Q^T) = rms_norm(x) Q^T for orthogonal Q (LayerNorm fails this)."""
    rng = np.random.default_rng(6)
    d = 6
    x = rng.normal(size=(4, d)) + 1.0
    q = _random_orthogonal(rng, d)
    gamma = np.full(d, 1.7)
    # the test's own premise: this Q moves the all-ones direction, so LayerNorm is not equivariant to it
    assert np.max(np.abs(_layer_norm(x @ q.T) - _layer_norm(x) @ q.T)) > 1e-2
    want = _loop_rms_norm(x @ q.T, gamma)
    rotated_first = solution.rms_norm(x @ q.T, gamma)
    normed_first = solution.rms_norm(x.copy(), gamma)
    assert_close(rotated_first, np.asarray(normed_first) @ q.T, what="rms_norm(x Q^T) against rms_norm(x) Q^T")
    assert_close(rotated_first, want, what="rms_norm of rotated rows")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_eps_inside_square_root(solution):
    """eps is added to the mean square inside the square root, and the eps argument is honoured."""
    rng = np.random.default_rng(7)
    x = rng.normal(scale=0.01, size=(4, 8))  # mean square ~1e-4: eps=1e-5 changes the result by ~5%
    x2 = rng.normal(scale=0.5, size=(3, 8))
    want, want2 = _loop_rms_norm(x), _loop_rms_norm(x2, eps=0.5)
    assert_close(solution.rms_norm(x), want, what="small rows, default eps")
    assert_close(solution.rms_norm(x2, eps=0.5), want2, what="rows with eps=0.5")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_zero_row_gives_zeros(solution):
    """An all-zero row gives zeros (finite) when eps > 0; other rows are unaffected."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(3, 5))
    x[1] = 0.0
    gamma = rng.normal(size=5)
    want = _loop_rms_norm(x, gamma)
    y = solution.rms_norm(x, gamma)
    assert_finite(y, what="rms_norm with a zero row")
    assert_close(y, want, what="rms_norm with a zero row")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_stays_float32(solution):
    """float32 x (with float32 gamma, or none) gives float32 output with the right values (rtol 1e-4)."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 4, 8)).astype(np.float32)
    gamma = rng.normal(size=8).astype(np.float32)
    for args in [(), (gamma,)]:
        want = _loop_rms_norm(x, *args)
        y = solution.rms_norm(x.copy(), *args)
        assert_dtype(y, np.float32, what="rms_norm of float32 input")
        assert_close(y, want, rtol=1e-4, atol=1e-5, what="rms_norm of float32 input")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_rows_do_not_mix(solution):
    """Changing one row of a batch leaves the outputs of every other row unchanged."""
    rng = np.random.default_rng(10)
    x = rng.normal(size=(3, 4, 5))
    y = solution.rms_norm(x.copy())
    x2 = x.copy()
    x2[2, 1] = rng.normal(scale=50.0, size=5)
    y2 = solution.rms_norm(x2)
    keep = np.ones((3, 4), dtype=bool)
    keep[2, 1] = False
    assert_close(y2[keep], y[keep], what="outputs of the rows that did not change")


@pytest.mark.points(1)
def test_does_not_modify_inputs(solution):
    """x and gamma are left unchanged (float64 and float32)."""
    rng = np.random.default_rng(11)
    for dtype in (np.float64, np.float32):
        x = rng.normal(size=(3, 6)).astype(dtype)
        gamma = rng.normal(size=6).astype(dtype)
        solution.rms_norm(x, gamma)
        solution.rms_norm(x)
        assert_not_modified(x, what=f"x ({np.dtype(dtype).name})")
        assert_not_modified(gamma, what="gamma")
