"""Hidden checks for 1A found by mutation analysis: small integer dtypes."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype


def _row_softmax(row):
    """Softmax of one list of Python numbers, one exp at a time."""
    m = max(row)
    e = [math.exp(v - m) for v in row]
    s = math.fsum(e)
    return [v / s for v in e]


@pytest.mark.points(1)
def test_small_integer_dtypes_compute_in_float64(solution):
    """int8, uint8 and int16 input is computed in float64 (no wrap-around) and returned as float64."""
    for dtype in (np.int8, np.uint8, np.int16):
        info = np.iinfo(dtype)
        x = np.array([[info.min, info.max, 0], [3, 1, 2]], dtype=dtype)
        expected = np.array([_row_softmax([float(v) for v in row]) for row in x.tolist()])
        got = solution.softmax(x.copy())
        assert_dtype(got, np.float64, what=f"softmax of {np.dtype(dtype).name} input")
        assert_close(got, expected, what=f"softmax of {np.dtype(dtype).name} input")
