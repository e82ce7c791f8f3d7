"""Hidden checks for E7 found by mutation analysis: shapes the validator must reject without raising."""

import numpy as np
import pytest


@pytest.mark.points(1)
def test_validator_shapes_and_edges(solution):
    """Non-square and 1-D arrays give False (no exception); batches, atol = 0 and the superdiagonal are handled."""
    def check(A, **kw):
        got = solution.is_valid_pattern(np.asarray(A, dtype=float), **kw)
        assert isinstance(got, (bool, np.bool_)), "is_valid_pattern returns a bool"
        return bool(got)

    assert not check([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]), "a 2 x 3 array is not a pattern"
    assert not check(np.full((2, 3, 4), 0.25)), "a stack of 3 x 4 arrays is not a pattern"
    assert not check([1.0]), "a 1-D array is not a pattern"
    causal = np.array([[[1.0, 0.0], [0.5, 0.5]], [[1.0, 0.0], [0.25, 0.75]]])
    assert check(causal, causal=True), "a batch of causal patterns is valid"
    assert check(causal[0], atol=0.0), "rows summing exactly to 1 are valid at atol = 0"
    leak = np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert not check(leak, causal=True), "weight on the entry just above the diagonal breaks causality"
