"""Hidden checks for 4C found by mutation analysis: clean_resid shapes that index fine are still rejected."""

import numpy as np
import pytest


@pytest.mark.points(1)
def test_clean_resid_of_wrong_shape_raises(solution):
    """clean_resid with one position or one layer too many (so clean_resid[layer, pos] still works) raises."""
    corrupt = np.array([0, 3, 8, 5, 9, 3])
    d_model = 64  # handmade-2l: 2 layers, d_model 64
    for shape in ((3, 7, d_model), (4, 6, d_model), (3, 6, d_model + 1)):
        with pytest.raises(ValueError):
            solution.patched_logits("handmade-2l", corrupt.copy(), np.zeros(shape), 1, 2)
