"""Hidden checks for E20: gauge invariance of softmax."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_arrays


def loop_softmax(z):
    """Independent row-by-row softmax over the last axis, with the max subtracted (float64)."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    for idx in np.ndindex(z.shape[:-1]):
        row = z[idx]
        w = np.array([np.exp(v - row.max()) for v in row])
        out[idx] = w / w.sum()
    return out


def dyadic_logits(seed, shape):
    """Logits that are multiples of 2^-10 with |z| <= 8, so z + (integer c with |c| <= 2^40) is exact."""
    return np.random.default_rng(seed).integers(-8 * 1024, 8 * 1024 + 1, size=shape) / 1024.0



# ---- counterexamples: properties `practice submit --reveal` may search (any small logits; never hidden data) ----

def _along(f, z, axis):
    """f applied to every 1-D slice of z along `axis` (float64 unless z is float32)."""
    z = np.asarray(z)
    moved = np.moveaxis(z.astype(z.dtype if z.dtype == np.float32 else np.float64), axis, -1)
    out = np.empty_like(moved)
    for idx in np.ndindex(moved.shape[:-1]):
        out[idx] = f(moved[idx].tolist())
    return np.moveaxis(out, -1, axis)


def _slice_softmax(row):
    import math

    m = max(row)
    w = [math.exp(v - m) for v in row]  # v - m may overflow to -inf for rows spanning 1e308: exp gives 0
    total = math.fsum(w)
    return [v / total for v in w]


def _axis_calls(arrays, *extra):
    from hypothesis import strategies as st

    return arrays.flatmap(lambda z: st.tuples(st.integers(-z.ndim, z.ndim - 1), *extra).map(
        lambda a: Call((z, *a[1:]), {"axis": a[0]})))


def _exact_zeros(got, expected):
    assert_close(got, expected, what="gauge_fix(z)")
    zero = np.asarray(expected) == 0.0
    assert np.all(np.asarray(got)[zero] == 0.0), "each row's maximum should become exactly 0.0"


def reveal_softmax():
    """Any small logits up to ±1e308, along any axis: a loop softmax with the max subtracted."""
    return Property("softmax", lambda: _axis_calls(float_arrays(bound=1e308)),
                    lambda z, axis=-1: _along(_slice_softmax, z, axis).astype(np.float64))


def reveal_softmax_float32():
    """float32 logits up to ±1e4 along any axis: float32 out, rtol 1e-4."""
    return Property("softmax", lambda: _axis_calls(float_arrays(bound=1e4, dtype=np.float32)),
                    lambda z, axis=-1: _along(_slice_softmax, z, axis).astype(np.float32), rtol=1e-4, atol=1e-6,
                    check_dtype=True)


def reveal_gauge_fix():
    """Any small logits (float64 or float32) along any axis: each slice minus its own max, the max exactly 0."""
    from hypothesis import strategies as st

    arrays = st.one_of(float_arrays(bound=1e6), float_arrays(bound=1e6, dtype=np.float32))
    return Property("gauge_fix", lambda: _axis_calls(arrays),
                    lambda z, axis=-1: _along(lambda row: [v - max(row) for v in row], z, axis),
                    check=_exact_zeros, check_dtype=True)


def reveal_softmax_with_shift():
    """Small logits and a per-row shift up to ±1.7e308 (a scalar, or constant along the axis)."""
    from hypothesis import strategies as st

    def shifted(z):
        def call(a):
            axis, shift, scalar = a
            c = shift if scalar else np.full(np.delete(z.shape, axis % z.ndim).tolist(), shift)
            return Call((z, c if scalar else np.expand_dims(c, axis)), {"axis": axis})
        shifts = st.sampled_from([0.0, 3.5, 1e300, -1e300, 1.7e308])
        return st.tuples(st.integers(-z.ndim, z.ndim - 1), shifts, st.booleans()).map(call)

    return Property("softmax_with_shift", lambda: float_arrays().flatmap(shifted),
                    lambda z, c, axis=-1: _along(_slice_softmax, z, axis).astype(np.float64))

@pytest.mark.points(1)
@pytest.mark.reveal("reveal_softmax")
def test_softmax_matches_loop_on_any_axis(solution):
    """softmax matches a row-by-row computation along axis=-1 and along axis=0 of a 3-D array."""
    z = np.random.default_rng(1).normal(size=(3, 4, 5))
    assert_close(solution.softmax(z), loop_softmax(z), what="softmax along the last axis")
    out0 = solution.softmax(z, axis=0)
    assert_shape(out0, z.shape, "softmax(z, axis=0)")
    assert_close(out0, np.moveaxis(loop_softmax(np.moveaxis(z, 0, -1)), -1, 0), what="softmax along axis 0")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_softmax")
def test_softmax_finite_for_extreme_logits(solution):
    """Rows like [1e308, -1e308, 0], all equal at -1e308, or spanning 1e4 give finite, correct probabilities."""
    z = np.array([[1e308, -1e308, 0.0, 5.0],
                  [-1e308, -1e308, -1e308, -1e308],
                  [1e300, 1e300, -1e300, 1e300],
                  [0.0, 1e4, -1e4, 9999.0]])
    expected = np.array([[1.0, 0.0, 0.0, 0.0],
                         [0.25, 0.25, 0.25, 0.25],
                         [1 / 3, 1 / 3, 0.0, 1 / 3],
                         [0.0, 1 / (1 + np.exp(-1.0)), 0.0, np.exp(-1.0) / (1 + np.exp(-1.0))]])
    out = solution.softmax(z)
    assert_finite(out, "softmax of extreme finite logits")
    assert_close(out, expected, what="softmax of extreme finite logits")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_softmax_float32")
def test_softmax_float32(solution):
    """float32 logits up to 1e4 in magnitude give a finite float32 softmax (rtol=1e-4)."""
    z = (np.random.default_rng(2).normal(size=(4, 6)) * np.array([[1.0], [50.0], [1e3], [1e4]])).astype(np.float32)
    out = solution.softmax(z)
    assert_dtype(out, np.float32, "softmax output")
    assert_finite(out, "float32 softmax")
    assert_close(out, loop_softmax(z), rtol=1e-4, atol=1e-6, what="float32 softmax")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_softmax")
def test_softmax_invariant_under_exact_shifts(solution):
    """softmax(z + c) equals softmax(z) for exact per-row shifts c up to ±2^20 (no overflow at z + c ~ 1e6)."""
    z = dyadic_logits(3, (6, 5))
    c = np.array([[0.0], [1.0], [-700.0], [800.0], [2.0**20], [-(2.0**20) + 3]])
    assert np.all((z + c) - c == z)  # the shift is exact by construction
    assert_close(solution.softmax(z + c), loop_softmax(z), what="softmax of exactly shifted logits")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_gauge_fix")
def test_gauge_fix_max_is_zero(solution):
    """gauge_fix subtracts each row's own max: row maxima are exactly 0.0 along the given axis, dtype kept."""
    z = np.random.default_rng(4).normal(size=(3, 4, 5)) * 10 + np.arange(5) * 100
    for axis in (-1, 0, 1):
        out = solution.gauge_fix(z, axis=axis)
        assert_shape(out, z.shape, f"gauge_fix(z, axis={axis})")
        assert np.all(out.max(axis=axis) == 0.0), f"row maxima along axis={axis} are not exactly 0"
        assert_close(out, z - z.max(axis=axis, keepdims=True), what=f"gauge_fix along axis={axis}")
    assert_dtype(solution.gauge_fix(z.astype(np.float32)), np.float32, "gauge_fix of float32 input")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_gauge_fix")
def test_gauge_fix_bit_identical_under_exact_shifts(solution):
    """gauge_fix(z + c) is bit-for-bit gauge_fix(z) for exact per-row shifts c up to ±2^40, on any axis."""
    z = dyadic_logits(5, (7, 6))
    rng = np.random.default_rng(55)
    c = np.concatenate([rng.integers(-(2**40), 2**40, size=(4, 1)).astype(np.float64),
                        np.array([[2.0**40], [-(2.0**33)], [3.0]])])
    assert np.all((z + c) - c == z)  # the shift is exact by construction
    base = solution.gauge_fix(z)
    assert np.array_equal(solution.gauge_fix(z + c), base), "gauge_fix(z + c) differs from gauge_fix(z)"
    assert np.array_equal(solution.gauge_fix(z.T + c.T, axis=0), base.T), \
        "gauge_fix(z + c, axis=0) differs from gauge_fix(z, axis=0)"


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_softmax_with_shift")
def test_softmax_with_shift_survives_huge_shifts(solution):
    """softmax_with_shift(z, c) equals softmax(z) for per-row shifts up to ±1e300 and ±1.7e308."""
    z = np.random.default_rng(6).normal(size=(6, 5))
    c = np.array([[0.0], [3.5], [-1e3], [1e300], [-1e300], [1.7e308]])
    out = solution.softmax_with_shift(z, c)
    assert_not_modified(z, "z")
    assert_not_modified(c, "c")
    assert_close(out, loop_softmax(z), what="softmax_with_shift with huge shifts")
    assert_close(solution.softmax_with_shift(z, 1e300), loop_softmax(z), what="scalar shift of 1e300")
    full = np.broadcast_to(c.T, (5, 6)).copy()  # constant along axis 0
    assert_close(solution.softmax_with_shift(z.T, full, axis=0), loop_softmax(z).T,
                 what="full-shape shift constant along axis=0")


@pytest.mark.points(1)
def test_softmax_with_shift_rejects_non_gauge_shifts(solution):
    """A c that varies along the axis, is not finite, or does not broadcast to z.shape raises ValueError."""
    z = np.zeros((3, 4))
    bad = [
        (np.array([[0.0, 0.0, 0.0, 1e-3]] * 3), -1),
        (np.array([[0.0], [1.0], [2.0]]), 0),
        (np.array([[0.0], [np.inf], [1.0]]), -1),
        (np.nan, -1),
        (np.zeros((4, 1)), -1),
    ]
    for c, axis in bad:
        with pytest.raises(ValueError):
            solution.softmax_with_shift(z, c, axis=axis)
