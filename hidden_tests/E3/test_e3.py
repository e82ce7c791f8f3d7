"""Hidden checks for E3: softmax_temperature(x, tau, axis=-1)."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified
from runner.counterexamples import Call, OutsideDomain, Property, float_arrays


def _softmax_loop(row, tau):
    """Independent softmax of one 1-d row of O(1) values: plain exp(x / tau), no tricks needed."""
    e = [math.exp(v / tau) for v in row]
    s = sum(e)
    return np.array([v / s for v in e])


def _along_axis(x, tau, axis):
    return np.apply_along_axis(lambda r: _softmax_loop(r, tau), axis, x)


# ---- counterexamples: properties `practice submit --reveal` may search (any small array; never hidden data) ----

def _stable_row(row, tau):
    """Independent softmax(row / tau) for any tau > 0 (inf too) and -inf entries: exact ties, no overflow."""
    row = [float(v) for v in row]
    live = [v for v in row if v != -math.inf]
    if not live:
        raise OutsideDomain("a fully masked row")
    m = max(live)
    if math.isinf(tau):
        w = [0.0 if v == -math.inf else 1.0 for v in row]
    else:
        w = [0.0 if v == -math.inf else 1.0 if v == m else math.exp(max((v - m) / tau, -1e4)) for v in row]
    total = math.fsum(w)
    return np.array([v / total for v in w])


def _stable(x, tau, axis=-1):
    return np.apply_along_axis(lambda r: _stable_row(r, tau), axis, np.asarray(x, dtype=np.float64))


def _tau_calls(taus, bound=10.0, neg_inf=False, dims=3):
    from hypothesis import strategies as st

    def with_tau(x):
        axes = st.one_of(st.just(None), st.integers(-x.ndim, x.ndim - 1))
        return st.tuples(st.sampled_from(taus), axes).map(
            lambda ta: Call((x, ta[0]), {} if ta[1] is None else {"axis": ta[1]}))

    return float_arrays(max_dims=dims, bound=bound, neg_inf=neg_inf).flatmap(with_tau)


def reveal_ordinary():
    """Any small array, tau in {1, 0.5, 3.7, 0.01}, any axis (or the default)."""
    return Property("softmax_temperature", lambda: _tau_calls([1.0, 0.5, 3.7, 0.01]), _stable)


def reveal_extreme_tau():
    """Entries up to ±1e4 with tau in {1e-306, 1e-12, 1e300, inf}: one-hot (ties shared) or uniform."""
    return Property("softmax_temperature", lambda: _tau_calls([1e-306, 1e-12, 1e300, np.inf], bound=1e4, dims=2),
                    _stable, atol=1e-12)


def reveal_masked():
    """Arrays with -inf entries (no fully masked slice), tau in {1, 0.3, inf, 1e-306}."""
    return Property("softmax_temperature", lambda: _tau_calls([1.0, 0.3, np.inf, 1e-306], neg_inf=True, dims=2),
                    _stable)


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_ordinary")
def test_matches_softmax_of_scaled_logits(solution):
    """Equals softmax(x / tau) over the last axis for ordinary temperatures."""
    x = np.random.default_rng(0).normal(size=(3, 6))
    for tau in (1.0, 0.5, 3.7):
        assert_close(solution.softmax_temperature(x, tau), _along_axis(x, tau, -1), what=f"result at tau={tau}")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_ordinary")
def test_respects_axis(solution):
    """Normalizes along the requested axis (axis=0 and axis=1 of a 3-d array)."""
    x = np.random.default_rng(1).normal(size=(4, 5, 3))
    for axis in (0, 1):
        assert_close(solution.softmax_temperature(x, 0.8, axis=axis), _along_axis(x, 0.8, axis),
                     what=f"result along axis={axis}")


@pytest.mark.points(3)
@pytest.mark.reveal("reveal_extreme_tau")
def test_tiny_tau_is_finite_one_hot(solution):
    """For tau down to 1e-306 with |x| up to 1e4 the result is finite and one-hot at the maximum."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-1e4, 1e4, size=(5, 7))
    x[0, 3] = 1e4  # the extreme magnitude, as a maximum
    x[1, 2] = -1e4
    expected = np.zeros_like(x)
    expected[np.arange(5), np.argmax(x, axis=-1)] = 1.0
    for tau in (1e-306, 1e-300, 1e-10):
        p = solution.softmax_temperature(x, tau)
        assert_finite(p, f"result at tau={tau:g}")
        assert_close(p, expected, what=f"result at tau={tau:g}")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_extreme_tau")
def test_tied_maxima_share_mass(solution):
    """As tau -> 0, entries tied exactly for the maximum share the mass equally."""
    x = np.array([[5.0, 1.0, 5.0, 5.0, -3.0],
                  [1e4, 1e4, -1e4, 0.0, 9999.0]])
    expected = np.array([[1 / 3, 0.0, 1 / 3, 1 / 3, 0.0],
                         [0.5, 0.5, 0.0, 0.0, 0.0]])
    for tau in (1e-306, 1e-12):
        p = solution.softmax_temperature(x, tau)
        assert_finite(p, f"result at tau={tau:g}")
        assert_close(p, expected, what=f"result with tied maxima at tau={tau:g}")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_ordinary")
def test_small_tau_is_still_a_softmax(solution):
    """Small but ordinary tau (0.01) gives the true soft weights, not a hard argmax."""
    x = np.array([0.0, -0.02, -0.05, 0.01])
    assert_close(solution.softmax_temperature(x, 0.01), _softmax_loop(x, 0.01), what="result at tau=0.01")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_extreme_tau")
def test_infinite_and_huge_tau_are_uniform(solution):
    """tau = inf is exactly uniform; tau = 1e300 is uniform to within 1e-12."""
    x = np.random.default_rng(3).uniform(-1e4, 1e4, size=(3, 8))
    p = solution.softmax_temperature(x, np.inf)
    assert_finite(p, "result at tau=inf")
    assert_close(p, np.full((3, 8), 1 / 8), rtol=0, atol=1e-15, what="result at tau=inf")
    p = solution.softmax_temperature(x, 1e300)
    assert_finite(p, "result at tau=1e300")
    assert_close(p, np.full((3, 8), 1 / 8), rtol=0, atol=1e-12, what="result at tau=1e300")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_masked")
def test_masked_entries_get_zero(solution):
    """-inf entries get probability 0 for every tau, including tau = inf (uniform over the rest)."""
    x = np.array([[2.0, -np.inf, 0.5, -1.0],
                  [-np.inf, 3.0, -np.inf, 3.0]])
    mask = np.isneginf(x)
    for tau in (1.0, 0.3):
        expected = np.zeros_like(x)
        for r in range(2):
            expected[r, ~mask[r]] = _softmax_loop(x[r, ~mask[r]], tau)
        assert_close(solution.softmax_temperature(x, tau), expected, what=f"masked result at tau={tau}")
    uniform = np.where(mask, 0.0, 1.0) / (~mask).sum(axis=1, keepdims=True)
    p = solution.softmax_temperature(x, np.inf)
    assert_finite(p, "masked result at tau=inf")
    assert_close(p, uniform, what="masked result at tau=inf")
    assert_close(solution.softmax_temperature(x, 1e-306), np.array([[1.0, 0, 0, 0], [0, 0.5, 0, 0.5]]),
                 what="masked result at tau=1e-306")


@pytest.mark.points(1)
def test_rejects_zero_and_negative_tau(solution):
    """tau = 0, a negative tau and tau = -inf raise ValueError."""
    x = np.array([1.0, 2.0, 3.0])
    for tau in (0.0, -1.0, -np.inf):
        with pytest.raises(ValueError):
            solution.softmax_temperature(x, tau)


@pytest.mark.points(1)
def test_rejects_nan_tau(solution):
    """tau = NaN raises ValueError (note that `nan <= 0` is False)."""
    with pytest.raises(ValueError):
        solution.softmax_temperature(np.array([1.0, 2.0, 3.0]), float("nan"))


@pytest.mark.points(1)
def test_float32_kept_and_input_unchanged(solution):
    """A float32 input gives a float32 result (rtol 1e-5), and x is not modified."""
    x = np.random.default_rng(4).normal(size=(2, 5)).astype(np.float32)
    p = solution.softmax_temperature(x, 0.7)
    assert_dtype(p, np.float32)
    assert_close(p, _along_axis(x.astype(np.float64), 0.7, -1), rtol=1e-5, atol=1e-7, what="float32 result")
    assert_not_modified(x, "x")
    y = np.array([[4.0, 1.0, 4.0]])
    solution.softmax_temperature(y, 1e-306)
    assert_not_modified(y, "x")
