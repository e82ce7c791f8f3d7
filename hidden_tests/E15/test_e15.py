"""Hidden checks for E15: interference error against overlap and sparsity."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_scalar, assert_shape
from runner.counterexamples import Call, Property

E_U2 = float(np.mean(((np.arange(200000) + 0.5) / 200000) ** 2))  # E[U^2], U ~ Uniform[0, 1], midpoint quadrature


def expected_error(c, p):
    """Independent computation: (f1·x - a1) = c a2, so the error is c^2 E[a2^2] = c^2 p E[U^2]."""
    return np.asarray(c, dtype=np.float64) ** 2 * np.asarray(p, dtype=np.float64) * E_U2


def standard_error(c, p, n):
    """Standard error of the mean of c^2 a2^2 over n samples (E[U^4] = 1/5, E[U^2] = 1/3)."""
    return c**2 * np.sqrt(max(p / 5.0 - p**2 / 9.0, 0.0) / n)



# ---- counterexamples: properties `practice submit --reveal` may search (any valid c, p; never hidden data) ----

def _closed_form_calls():
    """c in [-1, 1] and p in [0, 1]: numbers, or arrays of shapes that broadcast together (up to 2-D)."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def values(shape, low):
        elements = st.floats(low, 1.0, allow_nan=False)
        return elements if shape == () else hnp.arrays(np.float64, shape, elements=elements)

    shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3)
    return shapes.flatmap(lambda bs: st.tuples(values(bs.input_shapes[0], -1.0), values(bs.input_shapes[1], 0.0)))\
        .map(lambda cp: Call(cp))


def reveal_closed_form():
    """Any valid c and p (numbers or broadcasting arrays): c^2 p E[U^2] with E[U^2] = 1/3 (shown exactly)."""
    return Property("interference_error", _closed_form_calls,
                    lambda c, p: np.asarray(c, dtype=np.float64) ** 2 * np.asarray(p, dtype=np.float64) / 3.0)

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_closed_form")
def test_closed_form_values_and_broadcasting(solution):
    """The closed form is exact, even in c, linear in p, and broadcasts c [5, 1] against p [4]."""
    c = np.array([[-1.0], [-0.6], [0.0], [0.3], [0.9]])
    p = np.array([0.0, 0.1, 0.5, 1.0])
    out = solution.interference_error(c, p)
    assert_shape(out, (5, 4), "interference_error(c [5, 1], p [4])")
    assert_close(out, expected_error(c, p), what="closed-form interference error")
    single = assert_scalar(solution.interference_error(0.7, 0.25), "interference_error(0.7, 0.25)")
    assert_close(single, expected_error(0.7, 0.25), what="closed form at c=0.7, p=0.25")


@pytest.mark.points(1)
def test_closed_form_rejects_invalid(solution):
    """|c| > 1 or p outside [0, 1] (also inside an array) raise ValueError."""
    for c, p in [(1.5, 0.5), (-1.01, 0.5), (0.5, -0.1), (0.5, 1.2), (np.array([0.1, 2.0]), 0.3),
                 (0.2, np.array([0.3, 1.5]))]:
        with pytest.raises(ValueError):
            solution.interference_error(c, p)


@pytest.mark.points(2)
def test_monte_carlo_matches_closed_form(solution):
    """The Monte-Carlo estimate is within 5 standard errors of c^2 p E[U^2] across overlaps and sparsities."""
    n = 60000
    for k, (c, p) in enumerate([(0.6, 0.3), (-0.8, 0.05), (0.3, 1.0), (1.0, 0.5), (0.9, 0.8)]):
        est = assert_scalar(solution.interference_error_mc(c, p, n, np.random.default_rng(100 + k)),
                            "interference_error_mc result")
        tol = 5 * standard_error(c, p, n) + 1e-12
        assert abs(est - float(expected_error(c, p))) <= tol, \
            f"Monte-Carlo estimate at c={c}, p={p} is more than 5 standard errors from the exact value"


@pytest.mark.points(1)
def test_monte_carlo_exact_zeros(solution):
    """No interference when features never fire (p = 0) or are orthogonal (c = 0)."""
    for c, p in [(0.7, 0.0), (0.0, 0.6), (-0.4, 0.0)]:
        est = assert_scalar(solution.interference_error_mc(c, p, 1000, np.random.default_rng(7)),
                            "interference_error_mc result")
        assert abs(est) <= 1e-12, f"interference error at c={c}, p={p} should be 0"


@pytest.mark.points(1)
def test_monte_carlo_uses_only_rng(solution):
    """Equal generator states give identical estimates; different seeds give different ones."""
    a = solution.interference_error_mc(0.5, 0.4, 5000, np.random.default_rng(11))
    b = solution.interference_error_mc(0.5, 0.4, 5000, np.random.default_rng(11))
    c = solution.interference_error_mc(0.5, 0.4, 5000, np.random.default_rng(12))
    assert a == b, "two calls with identically seeded generators gave different results"
    assert a != c, "different seeds gave the same estimate: draw your samples from `rng`"


@pytest.mark.points(1)
def test_monte_carlo_rejects_invalid(solution):
    """Invalid c or p, or n_samples < 1, raise ValueError."""
    for c, p, n in [(1.2, 0.5, 100), (0.5, 1.5, 100), (0.5, -0.5, 100), (0.5, 0.5, 0)]:
        with pytest.raises(ValueError):
            solution.interference_error_mc(c, p, n, np.random.default_rng(0))


@pytest.mark.points(2)
def test_error_vs_sparsity_curve(solution):
    """The curve at p = 1 - S: exact closed form, Monte-Carlo within 5 standard errors, zero at S = 1."""
    S = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    c, n = 0.7, 40000
    result = solution.error_vs_sparsity(c, S, n, np.random.default_rng(21))
    assert isinstance(result, tuple) and len(result) == 2, "error_vs_sparsity should return a tuple (S, curves)"
    x, curves = result
    assert_close(x, S, what="returned sparsities")
    assert isinstance(curves, dict) and set(curves) == {"closed form", "monte carlo"}, \
        "curves should be a dict with exactly the keys 'closed form' and 'monte carlo'"
    closed, mc = np.asarray(curves["closed form"]), np.asarray(curves["monte carlo"])
    assert_close(closed, expected_error(c, 1.0 - S), what="closed-form curve (p = 1 - S)")
    assert_shape(mc, (5,), "Monte-Carlo curve")
    for k, s in enumerate(S):
        tol = 5 * standard_error(c, 1.0 - s, n) + 1e-12
        assert abs(mc[k] - float(expected_error(c, 1.0 - s))) <= tol, \
            f"Monte-Carlo curve at S={s} is more than 5 standard errors from the exact value"
    again = solution.error_vs_sparsity(c, S, n, np.random.default_rng(21))
    assert np.array_equal(np.asarray(again[1]["monte carlo"]), mc), "the curve is not deterministic given rng"
