"""Hidden checks for E4 found by mutation analysis: the default eps and the default final_ln."""

import numpy as np
import pytest

from runner.checks import assert_close


@pytest.mark.points(1)
def test_defaults(solution):
    """lens_scale uses eps = 1e-5 by default; top_tokens reads plain logits (no final LN) by default."""
    rng = np.random.default_rng(8)
    resid = rng.normal(scale=0.05, size=(4, 6)) + rng.normal(size=(4, 1))  # small variance, large mean
    W_E = rng.normal(size=(6, 9)) + 0.5
    var = ((resid - resid.mean(axis=1, keepdims=True)) ** 2).mean(axis=1)
    assert_close(solution.lens_scale(resid.copy()), 1.0 / np.sqrt(var + 1e-5), what="lens_scale with the default eps")
    logits = resid @ W_E
    want = [sorted(range(9), key=lambda t, r=r: -logits[r, t])[:3] for r in range(4)]
    got = np.asarray(solution.top_tokens(resid.copy(), W_E.copy(), 3))
    assert got.tolist() == want, "top_tokens by default ranks the plain logit-lens logits (final_ln=False)"
