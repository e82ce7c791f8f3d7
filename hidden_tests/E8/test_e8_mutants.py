"""Hidden checks for E8 found by mutation analysis: a square W_pos, large positional scores."""

import math

import numpy as np
import pytest

from runner.checks import assert_close


@pytest.mark.points(1)
def test_square_w_pos_is_enough(solution):
    """d_model == n_ctx (independent columns) is allowed: the scores are strength at j = i + offset, else 0."""
    W_pos = np.random.default_rng(11).normal(size=(5, 5))
    W_Q, W_K = solution.offset_head(W_pos.copy(), 1, 3.0)
    W_Q, W_K = np.asarray(W_Q), np.asarray(W_K)
    scores = (W_Q @ W_pos).T @ (W_K @ W_pos) / math.sqrt(W_Q.shape[0])
    want = np.array([[3.0 if j == i + 1 else 0.0 for j in range(5)] for i in range(5)])
    assert_close(scores, want, atol=1e-8, what="scaled scores of a square W_pos")


@pytest.mark.points(1)
def test_pattern_stable_at_large_scores(solution):
    """Non-causal scores near ±1000 in some rows give a finite, correct pattern (each row subtracts its own max)."""
    rng = np.random.default_rng(12)
    W_pos, W_Q, W_K = rng.normal(size=(6, 5)), rng.normal(size=(4, 6)) * 12.0, rng.normal(size=(4, 6)) * 12.0
    got = np.asarray(solution.positional_pattern(W_pos.copy(), W_Q.copy(), W_K.copy(), 5, causal=False))
    q, k = W_pos.T @ W_Q.T, W_pos.T @ W_K.T
    want = np.zeros((5, 5))
    for i in range(5):
        s = [float(q[i] @ k[j]) / 2.0 for j in range(5)]
        w = [math.exp(v - max(s)) for v in s]
        want[i] = [x / math.fsum(w) for x in w]
    assert np.all(np.isfinite(got)), "the pattern is not finite at large scores: subtract each row's max"
    assert_close(got, want, what="positional pattern at large scores")
