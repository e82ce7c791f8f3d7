"""Hidden checks for E15 found by mutation analysis: array inputs, scalar-only Monte Carlo, n_samples = 1."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype


@pytest.mark.points(1)
def test_arrays_scalars_and_edges(solution):
    """A 1-D c gives an array; the Monte Carlo refuses an array p and accepts n_samples = 1; S is float64."""
    c = np.array([0.2, 0.5])
    assert_close(solution.interference_error(c.copy(), 0.3), 0.3 * c**2 / 3.0, what="interference_error of a 1-D c")
    with pytest.raises(ValueError):
        solution.interference_error_mc(0.5, np.array([0.2, 0.4]), 100, np.random.default_rng(1))
    one = float(solution.interference_error_mc(0.5, 1.0, 1, np.random.default_rng(2)))
    assert math.isfinite(one) and 0.0 <= one <= 0.25, "one sample gives (c·a2)^2, a number in [0, c^2]"
    S, _ = solution.error_vs_sparsity(0.5, np.array([0, 1]), 50, np.random.default_rng(3))
    assert_dtype(S, np.float64, what="S for integer sparsities")
    assert_close(S, np.array([0.0, 1.0]), what="S for integer sparsities")
