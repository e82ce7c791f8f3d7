"""Hidden checks for 3B found by mutation analysis: integer rows are computed in float64."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype


def _matvec(W, x):
    return [math.fsum(w * v for w, v in zip(row, x)) for row in W]


@pytest.mark.points(1)
def test_integer_rows_give_float64(solution):
    """An integer x_j (float64 by default) gives a float64 logit update, with the weights not rounded."""
    rng = np.random.default_rng(37)
    x = rng.integers(-3, 4, size=(3, 5))
    W_V, W_O, W_U = rng.normal(size=(2, 5)), rng.normal(size=(5, 2)), rng.normal(size=(7, 5))
    a = 0.75
    want = np.array([[a * v for v in _matvec(W_U.tolist(), _matvec(W_O.tolist(), _matvec(W_V.tolist(), row)))]
                     for row in x.astype(float).tolist()])
    got = solution.ov_logit_delta(x.copy(), a, W_V.copy(), W_O.copy(), W_U.copy())
    assert_dtype(got, np.float64, what="ov_logit_delta of an integer x_j")
    assert_close(got, want, what="ov_logit_delta of an integer x_j")
