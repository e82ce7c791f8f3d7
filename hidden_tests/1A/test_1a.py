"""Hidden checks for 1A: numerically stable softmax along any axis."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, calls, float_arrays


def _slice_softmax(values):
    """Softmax of a list of Python floats, one exp at a time (an all -inf list gives zeros)."""
    m = max(values)
    if m == -math.inf:
        return [0.0] * len(values)
    e = [math.exp(v - m) for v in values]
    s = math.fsum(e)
    return [v / s for v in e]


def _loop_softmax(x, axis):
    """Independent softmax: move `axis` last and loop over every 1-D slice in pure Python."""
    moved = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    out = np.empty_like(moved)
    for idx in np.ndindex(moved.shape[:-1]):
        out[idx] = _slice_softmax(moved[idx].tolist())
    return np.moveaxis(out, -1, axis)


# ---- counterexamples: properties `practice submit --reveal` may search (any small array; never hidden data) ----

def _axis_calls(arrays):
    from hypothesis import strategies as st

    return arrays.flatmap(lambda x: st.integers(-x.ndim, x.ndim - 1).map(lambda axis: Call((x,), {"axis": axis})))


def reveal_any_axis():
    """Any small float64 array, along any axis: the loop softmax."""
    return Property("softmax", lambda: _axis_calls(float_arrays()), lambda x, axis=-1: _loop_softmax(x, axis))


def reveal_default_axis():
    """Any small float64 array, default axis."""
    return Property("softmax", lambda: calls(float_arrays()), lambda x: _loop_softmax(x, -1))


def reveal_large_logits():
    """Vectors and matrices of logits up to ±1e4, default axis."""
    return Property("softmax", lambda: calls(float_arrays(max_dims=2, bound=1e4)), lambda x: _loop_softmax(x, -1))


def _masked_check(got, expected):
    assert_close(got, expected, what="softmax with -inf entries")
    zero = np.asarray(expected) == 0.0
    assert np.all(np.asarray(got)[zero] == 0.0), "entries that were -inf should have probability exactly 0"


def reveal_neg_inf():
    """Small arrays with some -inf entries (whole slices too), along any axis."""
    return Property("softmax", lambda: _axis_calls(float_arrays(neg_inf=True)),
                    lambda x, axis=-1: _loop_softmax(x, axis), check=_masked_check)


def reveal_float32():
    """float32 arrays along any axis: float32 out, rtol 1e-5."""
    return Property("softmax", lambda: _axis_calls(float_arrays(dtype=np.float32)),
                    lambda x, axis=-1: _loop_softmax(x, axis).astype(np.float32), rtol=1e-5, atol=1e-7,
                    check_dtype=True)


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_default_axis")
def test_matches_definition_on_a_vector(solution):
    """A 1-D vector gives exp(x_i) / sum_j exp(x_j)."""
    x = np.random.default_rng(0).normal(size=7)
    expected = _loop_softmax(x, -1)
    assert_close(solution.softmax(x), expected, what="softmax of a vector")


@pytest.mark.points(3)
@pytest.mark.reveal("reveal_any_axis")
def test_every_axis_of_random_shapes(solution):
    """Normalises along the requested axis, for every axis of 1-D to 4-D arrays, negative axes included."""
    rng = np.random.default_rng(1)
    for shape in [(5,), (3, 4), (2, 3, 4), (4, 1, 3, 2)]:
        x = rng.normal(scale=2.0, size=shape)
        for axis in range(-x.ndim, x.ndim):
            expected = _loop_softmax(x, axis)
            got = solution.softmax(x, axis=axis)
            assert_close(got, expected, what=f"softmax of a {x.ndim}-D array along axis={axis}")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_default_axis")
def test_default_axis_is_last(solution):
    """Without an axis argument, normalises over the last axis."""
    x = np.random.default_rng(2).normal(size=(3, 4, 5))
    expected = _loop_softmax(x, -1)
    assert_close(solution.softmax(x), expected, what="softmax with the default axis")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any_axis")
def test_slices_are_distributions(solution):
    """Every slice along the axis is non-negative and sums to 1; the shape is unchanged."""
    x = np.random.default_rng(3).normal(scale=3.0, size=(4, 6, 3))
    p = solution.softmax(x, axis=1)
    assert_shape(p, x.shape, what="softmax(x, axis=1)")
    assert np.all(p >= 0), "softmax gave negative probabilities"
    assert_close(p.sum(axis=1), np.ones((4, 3)), what="sums along axis 1")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_large_logits")
def test_large_magnitude_logits(solution):
    """Handles logits of magnitude 1e4 (positive and negative, rows far apart) without overflow or NaN."""
    x = np.array([
        [1e4, 1e4 - 1.0, 1e4 - 3.0, 1e4 - 0.5],
        [-1e4, -1e4 + 2.0, -1e4 - 5.0, -1e4 + 1.0],
        [1e4, -1e4, 0.0, 9999.0],
    ])
    x0 = x.copy()
    expected, expected0 = _loop_softmax(x, -1), _loop_softmax(x.T, 0)
    p = solution.softmax(x)
    assert_finite(p, what="softmax of logits near ±1e4")
    assert_close(p, expected, what="softmax of logits near ±1e4")
    p0 = solution.softmax(np.ascontiguousarray(x0.T), axis=0)
    assert_finite(p0, what="softmax of logits near ±1e4 along axis 0")
    assert_close(p0, expected0, what="softmax of logits near ±1e4 along axis 0")


@pytest.mark.points(1)
def test_large_magnitude_float32(solution):
    """float32 logits near ±1e4 also stay finite and correct (rtol 1e-5)."""
    x = np.array([[1e4, 1e4 - 1.0, 1e4 - 2.0], [-1e4, -1e4 + 1.0, -1e4 - 1.0]], dtype=np.float32)
    expected = _loop_softmax(x, -1)
    p = solution.softmax(x)
    assert_finite(p, what="float32 softmax of logits near ±1e4")
    assert_close(p, expected, rtol=1e-5, atol=1e-7, what="float32 softmax of logits near ±1e4")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_neg_inf")
def test_neg_inf_entries_get_zero(solution):
    """-inf entries get probability exactly 0 and the rest are normalised among themselves."""
    x = np.array([[0.0, -np.inf, 1.0, 2.0], [-np.inf, 2.0, -np.inf, -np.inf], [-np.inf, 1e4, 3.0, -np.inf]])
    expected, masked = _loop_softmax(x, -1), np.isneginf(x)
    p = solution.softmax(x)
    assert_close(p, expected, what="softmax with -inf entries")
    assert np.all(p[masked] == 0.0), "entries that were -inf should have probability exactly 0"


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_neg_inf")
def test_all_neg_inf_slice_gives_zeros(solution):
    """A slice that is entirely -inf (a fully masked row) gives zeros, not NaN; other slices are unaffected."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 5))
    x[2, :] = -np.inf
    x[0, 1] = -np.inf
    expected = _loop_softmax(x, -1)
    p = solution.softmax(x, axis=-1)
    assert_close(p, expected, what="softmax with a fully masked row")
    y = rng.normal(size=(3, 2, 4))
    y[:, 1, 3] = -np.inf
    expected = _loop_softmax(y, 0)
    assert_close(solution.softmax(y, axis=0), expected, what="softmax along axis 0 with a masked slice")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_stays_float32(solution):
    """float32 input gives float32 output with the right values (rtol 1e-5)."""
    x = np.random.default_rng(5).normal(size=(3, 6)).astype(np.float32)
    for axis in (0, -1):
        expected = _loop_softmax(x, axis)
        p = solution.softmax(x, axis=axis)
        assert_dtype(p, np.float32, what=f"softmax of float32 input (axis={axis})")
        assert_close(p, expected, rtol=1e-5, atol=1e-7, what=f"float32 softmax (axis={axis})")


@pytest.mark.points(1)
def test_float64_and_integer_inputs(solution):
    """float64 input gives float64, and integer input is computed in float64."""
    x = np.random.default_rng(6).normal(size=(2, 5))
    assert_dtype(solution.softmax(x), np.float64, what="softmax of float64 input")
    k = np.array([[1, 2, 3], [-4, 0, 4]], dtype=np.int64)
    expected = _loop_softmax(k, 1)
    p = solution.softmax(k, axis=1)
    assert_dtype(p, np.float64, what="softmax of integer input")
    assert_close(p, expected, what="softmax of integer input")


@pytest.mark.points(1)
def test_does_not_modify_input(solution):
    """The input array is left unchanged (float64 and float32, with -inf entries)."""
    rng = np.random.default_rng(7)
    for dtype in (np.float64, np.float32):
        x = (rng.normal(size=(3, 4)) * 5).astype(dtype)
        x[1, 2] = -np.inf
        for axis in (0, -1):
            solution.softmax(x, axis=axis)
            assert_not_modified(x, what=f"x ({np.dtype(dtype).name})")


@pytest.mark.points(1)
def test_out_of_range_axis_raises(solution):
    """An axis outside [-x.ndim, x.ndim) raises ValueError (NumPy's AxisError counts)."""
    x = np.ones((2, 3))
    for axis in (2, -3):
        with pytest.raises((ValueError, IndexError)):
            solution.softmax(x, axis=axis)
