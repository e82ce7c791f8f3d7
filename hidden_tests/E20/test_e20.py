"""Hidden checks for E20: gauge invariance of softmax."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified, assert_shape


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


@pytest.mark.points(1)
def test_softmax_matches_loop_on_any_axis(solution):
    """softmax matches a row-by-row computation along axis=-1 and along axis=0 of a 3-D array."""
    z = np.random.default_rng(1).normal(size=(3, 4, 5))
    assert_close(solution.softmax(z), loop_softmax(z), what="softmax along the last axis")
    out0 = solution.softmax(z, axis=0)
    assert_shape(out0, z.shape, "softmax(z, axis=0)")
    assert_close(out0, np.moveaxis(loop_softmax(np.moveaxis(z, 0, -1)), -1, 0), what="softmax along axis 0")


@pytest.mark.points(2)
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
def test_softmax_float32(solution):
    """float32 logits up to 1e4 in magnitude give a finite float32 softmax (rtol=1e-4)."""
    z = (np.random.default_rng(2).normal(size=(4, 6)) * np.array([[1.0], [50.0], [1e3], [1e4]])).astype(np.float32)
    out = solution.softmax(z)
    assert_dtype(out, np.float32, "softmax output")
    assert_finite(out, "float32 softmax")
    assert_close(out, loop_softmax(z), rtol=1e-4, atol=1e-6, what="float32 softmax")


@pytest.mark.points(1)
def test_softmax_invariant_under_exact_shifts(solution):
    """softmax(z + c) equals softmax(z) for exact per-row shifts c up to ±2^20 (no overflow at z + c ~ 1e6)."""
    z = dyadic_logits(3, (6, 5))
    c = np.array([[0.0], [1.0], [-700.0], [800.0], [2.0**20], [-(2.0**20) + 3]])
    assert np.all((z + c) - c == z)  # the shift is exact by construction
    assert_close(solution.softmax(z + c), loop_softmax(z), what="softmax of exactly shifted logits")


@pytest.mark.points(1)
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
