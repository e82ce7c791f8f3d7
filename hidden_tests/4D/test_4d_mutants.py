"""Hidden checks for 4D found by mutation analysis: dictionary columns shorter than 1."""

import math

import numpy as np
import pytest

from runner.checks import assert_close


@pytest.mark.points(1)
def test_recovery_with_short_columns(solution):
    """Dictionary columns of norm below 1 count with their true cosine (only zero columns count as 0)."""
    rng = np.random.default_rng(15)
    F = rng.normal(size=(5, 6))
    W_dec = rng.normal(size=(6, 9))
    W_dec *= rng.uniform(0.05, 0.9, size=9) / np.linalg.norm(W_dec, axis=0)  # every column shorter than 1
    W_dec[:, :5] += 0.3 * F.T / np.linalg.norm(F, axis=1)  # columns nearer the features
    W_dec *= 0.8  # norms 0.2 to 0.8
    want = []
    for f in F.tolist():
        best = -math.inf
        for j in range(W_dec.shape[1]):
            w = W_dec[:, j].tolist()
            best = max(best, math.fsum(a * b for a, b in zip(f, w)) / math.sqrt(math.fsum(a * a for a in f))
                       / math.sqrt(math.fsum(b * b for b in w)))
        want.append(best)
    assert_close(solution.feature_recovery(F.copy(), W_dec.copy()), np.array(want),
                 what="feature_recovery with columns shorter than 1")
    assert math.isclose(float(solution.mmcs(F.copy(), W_dec.copy())), math.fsum(want) / 5, rel_tol=1e-6)


@pytest.mark.points(1)
def test_first_adam_step_moves_by_lr(solution):
    """One training step from the recipe's init is a bias-corrected Adam step: b_enc and b_dec move by ±lr."""
    rng = np.random.default_rng(16)
    F = rng.normal(size=(12, 8))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    H = np.where(rng.random((2048, 12)) < 0.1, rng.random((2048, 12)), 0.0)
    X = H @ F + 0.5
    params = solution.train_sae(X.copy(), 16, np.random.default_rng(17), lr=0.01, steps=1)
    W_enc, b_enc = np.asarray(params["W_enc"]), np.asarray(params["b_enc"])
    step = np.abs(b_enc)  # b_enc starts at 0
    assert np.all(step <= 0.01 * (1 + 1e-6)), "an Adam step moves no parameter by more than lr"
    assert np.mean(np.isclose(step, 0.01, rtol=0.01)) >= 0.8, \
        "after one step most of b_enc should have moved by lr: m_hat / sqrt(v_hat) is ±1 on the first Adam step"
    assert np.all(np.isfinite(W_enc)), "W_enc is not finite after one step"
    moved = np.abs(np.asarray(params["b_dec"]) - X.mean(axis=0))  # b_dec starts at the data mean
    assert np.all(moved <= 0.01 * (1 + 1e-6)) and np.mean(np.isclose(moved, 0.01, rtol=0.01)) >= 0.8, \
        "b_dec should start at X.mean(axis=0) and move by lr on the first Adam step"
