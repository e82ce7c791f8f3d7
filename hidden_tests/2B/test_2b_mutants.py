"""Hidden checks for 2B found by mutation analysis: d = 2, one-row batches, rows of very different scale."""

import math

import numpy as np
import pytest

from runner.checks import assert_close


def _loop_normalize(row):
    """N(row) in exact-ish float64: scale by the largest entry first (N ignores a positive scale)."""
    top = max(abs(x) for x in row)
    r = [x / top for x in row]
    mean = math.fsum(r) / len(r)
    c = [x - mean for x in r]
    std = math.sqrt(math.fsum(x * x for x in c) / len(c))
    return [x / std for x in c]


@pytest.mark.points(1)
def test_small_d_and_one_row(solution):
    """d = 2 is allowed, and a batch [1, d] of one row works like the row itself."""
    assert_close(solution.normalize(np.array([1.0, 3.0])), np.array([-1.0, 1.0]), what="normalize with d = 2")
    assert_close(solution.normalize(np.array([[1.0, 3.0, 8.0]])), np.array([_loop_normalize([1.0, 3.0, 8.0])]),
                 what="normalize of a one-row batch")


@pytest.mark.points(1)
def test_rows_of_very_different_scale(solution):
    """A batch mixing rows near 1e-200, 1e200 and 1 normalises each row on its own scale, without overflow."""
    u = np.array([[0.0, 1e-200, 3e-200], [1e200, -1e200, 5e199], [1.0, 2.0, 4.0]])
    v = np.array([[2e-200, 0.0, 1e-200], [3e199, 1e200, -2e200], [4.0, 1.0, 2.0]])
    want = np.array([_loop_normalize(row) for row in u.tolist()])
    assert_close(solution.normalize(u.copy()), want, what="normalize of rows of very different scale")
    nv = np.array([_loop_normalize(row) for row in v.tolist()])
    assert_close(solution.ln_dot(u.copy(), v.copy()), (want * nv).sum(axis=1), what="ln_dot of such rows")
    got = np.asarray(solution.cosine_preserved(u.copy(), 2.0 * u))
    assert got.tolist() == [True, True, True], "v = 2u keeps every cosine, also for rows near 1e-200 and 1e200"


@pytest.mark.points(1)
def test_float32_cosines_in_float64(solution):
    """float32 rows with mean 0 (cosines exactly preserved) count as preserved at atol = 1e-12."""
    u = np.array([[1.0, -1.0, 0.5, -0.5], [0.7, 0.2, -0.4, -0.5]], dtype=np.float32)
    v = np.array([[0.3, 0.1, -0.2, -0.2], [-0.1, 0.9, -0.3, -0.5]], dtype=np.float32)
    got = np.asarray(solution.cosine_preserved(u, v, atol=1e-12))
    assert got.tolist() == [True, True], "centred rows keep their cosine: compute it in float64"
