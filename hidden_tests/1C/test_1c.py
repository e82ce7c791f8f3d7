"""Hidden checks for 1C: softmax Jacobian and its O(n) Jacobian-vector product."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_array


def _softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _loop_jacobian(p):
    """J[i, j] = p_i (delta_ij - p_j) for one 1-D vector, entry by entry."""
    n = len(p)
    J = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            J[i, j] = p[i] * ((1.0 if i == j else 0.0) - p[j])
    return J


def _loop_jvp(p, v, axis):
    """Independent J v: build each slice's Jacobian by loops and multiply."""
    pm = np.moveaxis(np.asarray(p, dtype=np.float64), axis, -1)
    vm = np.moveaxis(np.asarray(v, dtype=np.float64), axis, -1)
    out = np.empty_like(pm)
    for idx in np.ndindex(pm.shape[:-1]):
        out[idx] = _loop_jacobian(pm[idx]) @ vm[idx]
    return np.moveaxis(out, -1, axis)


def _pv(seed, shape, axis=-1, scale=1.5):
    rng = np.random.default_rng(seed)
    p = _softmax(rng.normal(scale=scale, size=shape), axis=axis)
    v = rng.normal(size=shape)
    return p, v



# ---- counterexamples: properties `practice submit --reveal` may search (small p = softmax(z), v; never hidden data) --

def _pv_calls(max_dims=3, dtype=np.float64, axis=True, jvp=True):
    """p = softmax(z) of a small array z (so z = 0 shrinks to a uniform p), v of the same shape, maybe an axis."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def build(shape):
        axes = st.integers(-len(shape), len(shape) - 1) if axis else st.just(None)
        v = float_array(shape, 10.0, dtype) if jvp else st.none()
        return st.tuples(float_array(shape, 5.0, dtype), v, axes).map(make)

    def make(zva):
        z, v, ax = zva
        p = _softmax(z, -1 if ax is None else ax).astype(dtype)
        return Call((p,) if v is None else (p, v), {} if ax is None else {"axis": ax})

    shapes = hnp.array_shapes(min_dims=1, max_dims=max_dims, min_side=1, max_side=4)
    return shapes.flatmap(build)


def _loop_jacobians(p):
    p = np.asarray(p, dtype=np.float64)
    out = np.empty(p.shape + p.shape[-1:])
    for idx in np.ndindex(p.shape[:-1]):
        out[idx] = _loop_jacobian(p[idx])
    return out


def reveal_jvp_vector():
    """One vector p = softmax(z) and any v, default axis: the loop Jacobian times v."""
    return Property("softmax_jvp", lambda: _pv_calls(max_dims=1, axis=False),
                    lambda p, v: _loop_jacobian(p) @ np.asarray(v, dtype=np.float64))


def reveal_jvp_any_axis():
    """Small 1-D to 3-D p and v, along any axis: slice by slice with loop Jacobians."""
    return Property("softmax_jvp", _pv_calls, lambda p, v, axis=-1: _loop_jvp(p, v, axis))


def reveal_jvp_default_axis():
    """Small 1-D to 3-D p and v, default axis."""
    return Property("softmax_jvp", lambda: _pv_calls(axis=False), lambda p, v: _loop_jvp(p, v, -1))


def reveal_jvp_float32():
    """float32 p and v along any axis: float32 out, rtol 1e-4 (atol 1e-5: |v| reaches 10)."""
    return Property("softmax_jvp", lambda: _pv_calls(dtype=np.float32),
                    lambda p, v, axis=-1: _loop_jvp(p, v, axis).astype(np.float32), rtol=1e-4, atol=1e-5,
                    check_dtype=True)


def reveal_jacobian():
    """Small 1-D to 3-D p = softmax(z): [..., n, n] loop Jacobians."""
    return Property("softmax_jacobian", lambda: _pv_calls(axis=False, jvp=False), _loop_jacobians)

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_jvp_vector")
def test_jvp_matches_explicit_jacobian(solution):
    """For one vector, softmax_jvp(p, v) equals (diag(p) - p p^T) @ v."""
    p, v = _pv(20, (6,))
    expected = _loop_jacobian(p) @ v
    assert_close(solution.softmax_jvp(p, v), expected, what="softmax_jvp on a vector")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_jvp_any_axis")
def test_jvp_matches_finite_differences(solution):
    """J v equals the directional derivative (softmax(z + h v) - softmax(z - h v)) / 2h (rtol 1e-5)."""
    rng = np.random.default_rng(21)
    h = 1e-5
    for shape, axis in [((7,), -1), ((3, 5), 0), ((2, 4, 3), 1)]:
        z = rng.normal(size=shape)
        v = rng.normal(size=shape)
        fd = (_softmax(z + h * v, axis) - _softmax(z - h * v, axis)) / (2 * h)
        got = solution.softmax_jvp(_softmax(z, axis), v, axis=axis)
        assert_close(got, fd, rtol=1e-5, atol=1e-9,
                     what=f"softmax_jvp vs finite differences (shape {shape}, axis={axis})")


@pytest.mark.points(3)
@pytest.mark.reveal("reveal_jvp_any_axis")
def test_jvp_any_axis_and_batch_shape(solution):
    """Works slice by slice along any axis (negative included) of 2-D to 4-D arrays."""
    for k, shape in enumerate([(4, 5), (2, 3, 4), (3, 1, 2, 5)]):
        for axis in range(-len(shape), len(shape)):
            p, v = _pv(22 + k, shape, axis=axis)
            expected = _loop_jvp(p, v, axis)
            assert_close(solution.softmax_jvp(p, v, axis=axis), expected,
                         what=f"softmax_jvp of shape {shape} along axis={axis}")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_jvp_default_axis")
def test_jvp_default_axis_is_last(solution):
    """Without an axis argument, the softmax axis is the last one."""
    p, v = _pv(26, (3, 2, 5))
    expected = _loop_jvp(p, v, -1)
    assert_close(solution.softmax_jvp(p, v), expected, what="softmax_jvp with the default axis")


@pytest.mark.points(2)
def test_jvp_is_linear_memory_at_n_1e6(solution):
    """softmax_jvp handles n = 10**6 (the n x n Jacobian would need 8 TB): it must not build it."""
    n = 10**6
    p, v = _pv(27, (n,))
    v = v + 2.0  # so that the -p (p . v) term is far from negligible
    expected = p * (v - np.dot(p, v))
    try:
        got = solution.softmax_jvp(p, v)
    except MemoryError:
        pytest.fail("softmax_jvp ran out of memory at n = 10**6: compute J v without building the n x n Jacobian")
    assert_shape(got, (n,), what="softmax_jvp at n = 10**6")
    assert_close(got, expected, rtol=1e-6, atol=1e-14, what="softmax_jvp at n = 10**6")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_jacobian")
def test_jacobian_shape_and_values(solution):
    """softmax_jacobian maps [..., n] to [..., n, n] with J[i, j] = p_i (delta_ij - p_j), batched."""
    p1, _ = _pv(28, (4,))
    expected1 = _loop_jacobian(p1)
    J1 = solution.softmax_jacobian(p1)
    assert_shape(J1, (4, 4), what="softmax_jacobian of a [4] vector")
    assert_close(J1, expected1, what="softmax_jacobian of a vector")
    p, _ = _pv(29, (2, 3, 5))
    expected = np.empty((2, 3, 5, 5))
    for idx in np.ndindex(2, 3):
        expected[idx] = _loop_jacobian(p[idx])
    J = solution.softmax_jacobian(p)
    assert_shape(J, (2, 3, 5, 5), what="softmax_jacobian of a [2, 3, 5] batch")
    assert_close(J, expected, what="batched softmax_jacobian")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_jacobian")
def test_jacobian_symmetric_rows_sum_to_zero(solution):
    """The Jacobian is symmetric and each row (and column) sums to 0."""
    p, _ = _pv(30, (3, 6))
    J = solution.softmax_jacobian(p)
    assert_shape(J, (3, 6, 6), what="softmax_jacobian of a [3, 6] batch")
    assert_close(J, np.swapaxes(J, -1, -2), what="J - J^T")
    assert_close(J.sum(axis=-1), np.zeros((3, 6)), atol=1e-12, what="row sums of J")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_jacobian")
def test_jacobian_matches_finite_differences(solution):
    """Column j of the Jacobian equals d softmax(z) / d z_j by central differences (rtol 1e-5)."""
    z = np.random.default_rng(31).normal(size=5)
    h = 1e-5
    fd = np.empty((5, 5))
    for j in range(5):
        e = np.zeros(5)
        e[j] = h
        fd[:, j] = (_softmax(z + e) - _softmax(z - e)) / (2 * h)
    assert_close(solution.softmax_jacobian(_softmax(z)), fd, rtol=1e-5, atol=1e-9,
                 what="softmax_jacobian vs finite differences")


@pytest.mark.points(1)
def test_jacobian_agrees_with_jvp(solution):
    """softmax_jacobian(p)[..., :, k] equals softmax_jvp(p, e_k) for every basis vector e_k."""
    p, _ = _pv(32, (2, 4))
    J = solution.softmax_jacobian(p)
    assert_shape(J, (2, 4, 4), what="softmax_jacobian of a [2, 4] batch")
    for k in range(4):
        e = np.zeros((2, 4))
        e[:, k] = 1.0
        assert_close(J[..., :, k], solution.softmax_jvp(p, e), what=f"column {k} of J vs softmax_jvp(p, e_{k})")


@pytest.mark.points(1)
def test_inputs_not_modified(solution):
    """Neither function modifies p or v."""
    p, v = _pv(33, (3, 4))
    solution.softmax_jvp(p, v, axis=0)
    solution.softmax_jvp(p, v)
    solution.softmax_jacobian(p)
    assert_not_modified(p, what="p")
    assert_not_modified(v, what="v")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_jvp_float32")
def test_float32_stays_float32(solution):
    """float32 p and v give float32 results from both functions (rtol 1e-4)."""
    p, v = _pv(34, (3, 5))
    p32, v32 = p.astype(np.float32), v.astype(np.float32)
    expected_jvp, expected_J1 = _loop_jvp(p32, v32, 0), _loop_jacobian(p32[1].astype(np.float64))
    jvp = solution.softmax_jvp(p32, v32, axis=0)
    assert_dtype(jvp, np.float32, what="softmax_jvp of float32 inputs")
    assert_close(jvp, expected_jvp, rtol=1e-4, atol=1e-6, what="float32 softmax_jvp")
    J = solution.softmax_jacobian(p32)
    assert_dtype(J, np.float32, what="softmax_jacobian of float32 input")
    assert_close(J[1], expected_J1, rtol=1e-4, atol=1e-6,
                 what="float32 softmax_jacobian")
