"""Hidden checks for 2A: LayerNorm over the last axis (biased variance, eps inside the root, float32 kept)."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_array, float_arrays


def _loop_layer_norm(x, gamma=None, beta=None, eps=1e-5):
    """Independent LayerNorm in float64: one row at a time, exact sums with math.fsum, two passes."""
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[-1]
    g = [1.0] * d if gamma is None else np.asarray(gamma, dtype=np.float64).tolist()
    b = [0.0] * d if beta is None else np.asarray(beta, dtype=np.float64).tolist()
    out = np.empty_like(x)
    for idx in np.ndindex(x.shape[:-1]):
        row = x[idx].tolist()
        mu = math.fsum(row) / d
        var = math.fsum((v - mu) ** 2 for v in row) / d
        s = math.sqrt(var + eps)
        out[idx] = [(v - mu) / s * g[k] + b[k] for k, v in enumerate(row)]
    return out


# ---- counterexamples: properties `practice submit --reveal` may search (any small rows; never hidden data) ----

def _ln_calls(dtype=np.float64, offset=0.0, options=True):
    from hypothesis import strategies as st

    def with_options(x):
        d = x.shape[-1]
        vector = st.one_of(st.none(), float_array((d,), dtype=dtype))
        eps = st.sampled_from([None, 0.5, 1e-3]) if options else st.none()
        return st.tuples(vector if options else st.none(), vector if options else st.none(), eps).map(
            lambda gbe: Call((x + np.asarray(offset, dtype=x.dtype),),
                             {k: v for k, v in zip(("gamma", "beta", "eps"), gbe) if v is not None}))

    if not offset:
        return float_arrays(max_side=4, dtype=dtype).flatmap(with_options)
    from hypothesis.extra import numpy as hnp  # near the offset: whole-number steps, so rows keep a real variance

    shapes = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4)
    return hnp.arrays(np.dtype(dtype), shapes, elements=st.integers(-3, 3)).flatmap(with_options)


def reveal_any():
    """Any small float64 rows, with or without gamma, beta and eps: the loop LayerNorm."""
    return Property("layer_norm", _ln_calls, _loop_layer_norm, check_dtype=True)


def reveal_float32():
    """float32 rows (gamma and beta float32 too): float32 out, rtol 1e-4."""
    return Property("layer_norm", lambda: _ln_calls(np.float32),
                    lambda x, **kw: _loop_layer_norm(x, **kw).astype(np.float32), rtol=1e-4, atol=1e-5,
                    check_dtype=True)


def reveal_offset_float64():
    """float64 rows near 1e8 (atol 1e-5)."""
    return Property("layer_norm", lambda: _ln_calls(offset=1e8, options=False), _loop_layer_norm, rtol=0.0,
                    atol=1e-5)


def reveal_offset_float32():
    """float32 rows near 1e4 (atol 1e-2)."""
    return Property("layer_norm", lambda: _ln_calls(np.float32, offset=1e4, options=False), _loop_layer_norm,
                    rtol=0.0, atol=1e-2)


@pytest.mark.points(3)
@pytest.mark.reveal("reveal_any")
def test_matches_definition_batched(solution):
    """A [B, L, d] input with gamma and beta gives (x - mean) / sqrt(biased var + eps) * gamma + beta per row."""
    rng = np.random.default_rng(0)
    x = rng.normal(loc=0.5, scale=2.0, size=(2, 3, 7))
    gamma = rng.normal(size=7)
    beta = rng.normal(size=7)
    want = _loop_layer_norm(x, gamma, beta)
    y = solution.layer_norm(x, gamma, beta)
    assert_shape(y, x.shape, what="layer_norm of a [2, 3, 7] input")
    assert_close(y, want, what="layer_norm of a [2, 3, 7] input")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_single_vector(solution):
    """A 1-D input [d] is one row; keyword arguments gamma=, beta=, eps= are accepted."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=9) * 3.0 - 1.0
    gamma, beta = rng.normal(size=9), rng.normal(size=9)
    want = _loop_layer_norm(x, gamma, beta, eps=1e-3)
    y = solution.layer_norm(x, gamma=gamma, beta=beta, eps=1e-3)
    assert_close(y, want, what="layer_norm of a vector")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_normalized_rows_have_mean_zero_and_unit_variance(solution):
    """Without gamma/beta each row along the last axis has mean 0 and variance var/(var + eps) (1 when eps=0)."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 6)) * np.array([[0.5], [1.0], [3.0], [10.0], [0.2]]) + 4.0
    y = solution.layer_norm(x, eps=0.0)
    assert_close(y.mean(axis=-1), np.zeros(5), atol=1e-12, what="row means of the normalized output")
    assert_close(y.var(axis=-1), np.ones(5), what="row variances of the normalized output (eps=0)")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_biased_variance(solution):
    """The variance divides by d (biased), not by d - 1."""
    x = np.array([[1.0, 2.0, 3.0, 6.0], [0.0, 0.0, 1.0, -1.0]])
    want = _loop_layer_norm(x, eps=0.0)
    assert_close(solution.layer_norm(x, eps=0.0), want, what="layer_norm with a short d=4 row")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_eps_inside_square_root(solution):
    """eps is added to the variance inside the square root, and the eps argument is honoured."""
    rng = np.random.default_rng(3)
    x = rng.normal(scale=0.01, size=(4, 8))  # variance ~1e-4: eps=1e-5 changes the result by ~5%
    x2 = rng.normal(scale=0.5, size=(3, 8))
    want, want2 = _loop_layer_norm(x, eps=1e-5), _loop_layer_norm(x2, eps=0.5)
    assert_close(solution.layer_norm(x), want, what="small-variance rows, default eps")
    assert_close(solution.layer_norm(x2, eps=0.5), want2, what="rows with eps=0.5")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_gamma_and_beta_defaults(solution):
    """gamma=None means ones and beta=None means zeros, each independently of the other."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 5))
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    wants = [_loop_layer_norm(x), _loop_layer_norm(x, gamma=gamma), _loop_layer_norm(x, beta=beta)]
    assert_close(solution.layer_norm(x.copy()), wants[0], what="layer_norm without gamma and beta")
    assert_close(solution.layer_norm(x.copy(), gamma=gamma), wants[1], what="gamma only")
    assert_close(solution.layer_norm(x.copy(), beta=beta), wants[2], what="beta only")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_constant_row_returns_beta(solution):
    """A constant row (variance 0) gives exactly beta, finite, while the other rows are normalized as usual."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 6))
    x[1] = 3.0
    x[3] = 0.1
    gamma, beta = rng.normal(size=6), rng.normal(size=6)
    want = _loop_layer_norm(x, gamma, beta)
    y = solution.layer_norm(x, gamma, beta)
    assert_finite(y, what="layer_norm with constant rows")
    assert_close(y[1], beta, what="the output for a constant row")
    assert_close(y[3], beta, what="the output for a constant row")
    assert_close(y, want, what="layer_norm with constant rows")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_stays_float32(solution):
    """float32 x (with float32 gamma and beta, or none) gives float32 output with the right values (rtol 1e-4)."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 4, 8)).astype(np.float32)
    gamma = rng.normal(size=8).astype(np.float32)
    beta = rng.normal(size=8).astype(np.float32)
    for args in [(), (gamma, beta)]:
        want = _loop_layer_norm(x, *args)
        y = solution.layer_norm(x.copy(), *args)
        assert_dtype(y, np.float32, what="layer_norm of float32 input")
        assert_close(y, want, rtol=1e-4, atol=1e-5, what="layer_norm of float32 input")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_offset_float32")
def test_float32_rows_with_large_offset(solution):
    """float32 rows 1e4 + N(0, 1) are normalized accurately (atol 1e-2): E[x^2] - mean^2 cancels catastrophically."""
    rng = np.random.default_rng(7)
    x = (1e4 + rng.normal(size=(6, 32))).astype(np.float32)
    want = _loop_layer_norm(x)
    y = solution.layer_norm(x)
    assert_finite(y, what="layer_norm of float32 rows near 1e4")
    assert_close(y, want, rtol=0.0, atol=1e-2, what="layer_norm of float32 rows near 1e4")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_offset_float64")
def test_float64_rows_with_large_offset(solution):
    """float64 rows 1e8 + N(0, 1) are normalized accurately (atol 1e-5): the variance needs two passes."""
    rng = np.random.default_rng(8)
    x = 1e8 + rng.normal(size=(5, 16))
    want = _loop_layer_norm(x)
    y = solution.layer_norm(x)
    assert_finite(y, what="layer_norm of float64 rows near 1e8")
    assert_close(y, want, rtol=0.0, atol=1e-5, what="layer_norm of float64 rows near 1e8")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_rows_do_not_mix(solution):
    """Changing one row of a batch leaves the outputs of every other row unchanged."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=(3, 4, 5))
    x2 = x.copy()
    y = solution.layer_norm(x.copy())
    x2[1, 2] = rng.normal(scale=50.0, size=5) + 20.0
    y2 = solution.layer_norm(x2)
    keep = np.ones((3, 4), dtype=bool)
    keep[1, 2] = False
    assert_close(y2[keep], y[keep], what="outputs of the rows that did not change")


@pytest.mark.points(1)
def test_does_not_modify_inputs(solution):
    """x, gamma and beta are left unchanged (float64 and float32)."""
    rng = np.random.default_rng(10)
    for dtype in (np.float64, np.float32):
        x = rng.normal(loc=2.0, size=(3, 6)).astype(dtype)
        gamma = rng.normal(size=6).astype(dtype)
        beta = rng.normal(size=6).astype(dtype)
        solution.layer_norm(x, gamma, beta)
        solution.layer_norm(x)
        assert_not_modified(x, what=f"x ({np.dtype(dtype).name})")
        assert_not_modified(gamma, what="gamma")
        assert_not_modified(beta, what="beta")
