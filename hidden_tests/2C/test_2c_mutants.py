"""Hidden checks for 2C found by mutation analysis: integer inputs are computed in float64."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype


def _rows(x):
    return [[float(v) for v in row] for row in x.tolist()]


def _unit(f):
    n = math.sqrt(math.fsum(float(v) ** 2 for v in f))
    return [float(v) / n for v in f]


@pytest.mark.points(1)
def test_integer_inputs_give_float64(solution):
    """Integer x, f and W_E (float64 by default) give float64 results, with f̂ = f/‖f‖ not rounded to integers."""
    rng = np.random.default_rng(23)
    x = rng.integers(-5, 6, size=(4, 3))
    f = np.array([3, 4, 0])
    W_E = rng.integers(-3, 4, size=(3, 7))
    fh = _unit(f.tolist())
    coord = [math.fsum(a * b for a, b in zip(row, fh)) for row in _rows(x)]
    ablated = [[a - c * b for a, b in zip(row, fh)] for row, c in zip(_rows(x), coord)]
    change = [[-c * math.fsum(b * float(W_E[k, t]) for k, b in enumerate(fh)) for t in range(7)] for c in coord]
    for name, got, want in (("feature_projection", solution.feature_projection(x.copy(), f.copy()), coord),
                            ("ablate_feature", solution.ablate_feature(x.copy(), f.copy()), ablated),
                            ("ablation_logit_change", solution.ablation_logit_change(x.copy(), f.copy(), W_E.copy()),
                             change)):
        assert_dtype(got, np.float64, what=f"{name} of integer inputs")
        assert_close(got, np.array(want), what=f"{name} of integer inputs")
    x64 = x.astype(np.float64)
    assert_close(solution.feature_projection(x64, f.copy()), np.array(coord),
                 what="feature_projection of a float64 x along an integer f")
    assert_close(solution.ablate_feature(x64, f.copy()), np.array(ablated),
                 what="ablate_feature of a float64 x along an integer f")
