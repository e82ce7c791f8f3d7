"""Hidden checks for 4A found by mutation analysis: return types of expected_mse and of the curves."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype


@pytest.mark.points(1)
def test_return_types(solution):
    """expected_mse of two scalars is a Python float; the curves return their x values as float64 arrays."""
    value = solution.expected_mse(0.4, 0.5)
    assert isinstance(value, float), f"expected_mse of two scalars should be a float, not {type(value).__name__}"
    assert math.isclose(value, 0.5 / 3 * math.cos(0.4) ** 2, rel_tol=1e-6)
    thetas, curves = solution.error_vs_angle(np.array([0, 1, 3]), 0.3, 200, 4, np.random.default_rng(1))
    assert_dtype(thetas, np.float64, what="the thetas returned by error_vs_angle for integer angles")
    assert_close(thetas, np.array([0.0, 1.0, 3.0]), what="the thetas returned by error_vs_angle")
    assert_close(curves["closed form"], np.array([0.1 * math.cos(t) ** 2 for t in (0, 1, 3)]),
                 what="the closed form of error_vs_angle")
    ps, curves = solution.error_vs_sparsity(np.array([0, 1]), 0.5, 200, 4, np.random.default_rng(2))
    assert_dtype(ps, np.float64, what="the ps returned by error_vs_sparsity for integer probabilities")
    assert_close(ps, np.array([0.0, 1.0]), what="the ps returned by error_vs_sparsity")
