"""Hidden checks for E6: layer_norm_jvp(x, t, gamma=None, eps=1e-5)."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified
from runner.counterexamples import Call, Property, float_array, float_arrays


def _ln(x, gamma, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    out = (x - mu) / np.sqrt(var + eps)
    return out if gamma is None else out * gamma


def _jacobian(row, gamma, eps):
    """Explicit d x d Jacobian of LN at one row: diag(gamma)/s (I - 11^T/d - x_hat x_hat^T/d)."""
    d = row.size
    mu = row.mean()
    s = np.sqrt(((row - mu) ** 2).mean() + eps)
    xh = (row - mu) / s
    g = np.ones(d) if gamma is None else gamma
    return (g[:, None] / s) * (np.eye(d) - np.ones((d, d)) / d - np.outer(xh, xh) / d)


def _jvp_explicit(x, t, gamma, eps):
    flat_x, flat_t = x.reshape(-1, x.shape[-1]), t.reshape(-1, x.shape[-1])
    out = np.stack([_jacobian(r, gamma, eps) @ v for r, v in zip(flat_x, flat_t)])
    return out.reshape(x.shape)



# ---- counterexamples: properties `practice submit --reveal` may search (any small x, t; never hidden data) ----

def _jvp_calls(dtype=np.float64):
    """Small 1-D to 3-D x and t of one shape, with or without gamma= and eps= (float32: eps=0.5, |t| <= 3, so
    rounding amplified by 1 / sqrt(var + eps) stays far below the tolerance)."""
    from hypothesis import strategies as st

    wide = dtype == np.float64

    def with_t(x):
        gamma = st.one_of(st.none(), float_array(x.shape[-1:], 3.0, dtype))
        eps = st.sampled_from([None, 0.5, 1e-3] if wide else [0.5])
        return st.tuples(float_array(x.shape, 10.0 if wide else 3.0, dtype), gamma, eps).map(
            lambda tge: Call((x, tge[0]), {k: v for k, v in zip(("gamma", "eps"), tge[1:]) if v is not None}))

    return float_arrays(dtype=dtype).flatmap(with_t)


def _expected(x, t, gamma=None, eps=1e-5):
    x, t = np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)
    return _jvp_explicit(x, t, None if gamma is None else np.asarray(gamma, dtype=np.float64), eps)


def reveal_any():
    """Any small float64 x and t, with or without gamma and eps: the explicit Jacobian of each row times t."""
    return Property("layer_norm_jvp", _jvp_calls, _expected)


def reveal_float32():
    """float32 x, t (gamma float32 too), eps=0.5: float32 out, rtol and atol 1e-4."""
    return Property("layer_norm_jvp", lambda: _jvp_calls(np.float32),
                    lambda *a, **kw: _expected(*a, **kw).astype(np.float32), rtol=1e-4, atol=1e-4, check_dtype=True)

@pytest.mark.points(3)
@pytest.mark.reveal("reveal_any")
def test_matches_explicit_jacobian(solution):
    """Equals J @ t with the explicit LayerNorm Jacobian (d=7, batched rows, random gamma)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 7)) * 2 + 1
    t = rng.normal(size=(3, 4, 7))
    gamma = rng.uniform(0.5, 2.0, size=7)
    assert_close(solution.layer_norm_jvp(x, t, gamma=gamma), _jvp_explicit(x, t, gamma, 1e-5), what="JVP")
    assert_close(solution.layer_norm_jvp(x, t), _jvp_explicit(x, t, None, 1e-5), what="JVP with gamma=None")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_matches_finite_differences(solution):
    """Agrees with central finite differences (h=1e-6) of LayerNorm along t (rtol 1e-5)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 6))
    t = rng.normal(size=(5, 6))
    gamma = rng.normal(size=6)
    h = 1e-6
    fd = (_ln(x + h * t, gamma, 1e-5) - _ln(x - h * t, gamma, 1e-5)) / (2 * h)
    assert_close(solution.layer_norm_jvp(x, t, gamma=gamma), fd, rtol=1e-5, atol=1e-7,
                 what="JVP against finite differences")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_eps_enters_inside_sqrt(solution):
    """Uses s = sqrt(var + eps): correct for eps=0.5 on rows of small variance."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 5)) * 0.3
    t = rng.normal(size=(4, 5))
    assert_close(solution.layer_norm_jvp(x, t, eps=0.5), _jvp_explicit(x, t, None, 0.5), what="JVP with eps=0.5")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_zero_along_invariant_directions(solution):
    """With eps=0 the JVP vanishes along t = 1 (shift) and t = x (scale)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 8)) + 2.0
    zero = np.zeros_like(x)
    assert_close(solution.layer_norm_jvp(x, np.ones_like(x), eps=0.0), zero, atol=1e-10, what="JVP along t = 1")
    assert_close(solution.layer_norm_jvp(x, x.copy(), eps=0.0), zero, atol=1e-10, what="JVP along t = x")


@pytest.mark.points(2)
def test_large_d_without_jacobian(solution):
    """Handles one row with d = 10**6 in O(d) memory (a d x d Jacobian would need 8 TB)."""
    d = 10**6
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, d))
    t = rng.normal(size=(1, d))
    out = solution.layer_norm_jvp(x, t)
    mu = x.mean()
    s = np.sqrt(((x - mu) ** 2).mean() + 1e-5)
    xh = (x - mu) / s
    tc = t - t.mean()
    expected = (tc - xh * np.mean(xh * tc)) / s
    assert_finite(out, "JVP at d = 10**6")
    assert_close(out, expected, what="JVP at d = 10**6")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_kept_and_inputs_unchanged(solution):
    """float32 x, t, gamma give a float32 result (rtol 1e-4); no input is modified in place."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 6))
    t = rng.normal(size=(2, 6))
    gamma = rng.uniform(0.5, 2.0, size=6)
    x32, t32, g32 = x.astype(np.float32), t.astype(np.float32), gamma.astype(np.float32)
    out = solution.layer_norm_jvp(x32, t32, gamma=g32)
    assert_dtype(out, np.float32)
    assert_close(out, _jvp_explicit(x32.astype(np.float64), t32.astype(np.float64), g32.astype(np.float64), 1e-5),
                 rtol=1e-4, atol=1e-5, what="float32 JVP")
    solution.layer_norm_jvp(x, t, gamma=gamma)
    for after, name in zip((x, t, gamma), ("x", "t", "gamma")):
        assert_not_modified(after, name)
