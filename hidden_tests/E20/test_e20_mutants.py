"""Hidden checks for E20 found by mutation analysis: the default axis on 3-D arrays."""

import numpy as np
import pytest

from runner.checks import assert_close


@pytest.mark.points(1)
def test_default_axis_is_last_in_3d(solution):
    """Without axis, gauge_fix and softmax_with_shift work along the last axis of a 3-D array."""
    z = np.random.default_rng(20).uniform(-4, 4, size=(2, 3, 4))
    assert_close(solution.gauge_fix(z.copy()), z - z.max(axis=-1, keepdims=True), what="gauge_fix with default axis")
    c = np.arange(6.0).reshape(2, 3, 1)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    assert_close(solution.softmax_with_shift(z.copy(), c), e / e.sum(axis=-1, keepdims=True),
                 what="softmax_with_shift with default axis")
