"""Hidden checks for E2 found by mutation analysis: large logits, float64 math for float32 inputs."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype


def _loop_attention(X, W_Q, W_K, W_V):
    """softmax(q_i · k_j / sqrt(d_head)) v_j for one sequence, row by row with a max-subtracted softmax."""
    X = np.asarray(X, dtype=np.float64)
    Q, K, V = X @ W_Q.T.astype(np.float64), X @ W_K.T.astype(np.float64), X @ W_V.T.astype(np.float64)
    out = np.zeros((len(X), V.shape[1]))
    for i in range(len(X)):
        s = [float(Q[i] @ K[j]) / math.sqrt(W_Q.shape[0]) for j in range(len(X))]
        w = [math.exp(v - max(s)) for v in s]
        out[i] = sum(wj / math.fsum(w) * V[j] for j, wj in enumerate(w))
    return out


def _weights(seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(5, 6)), rng.normal(size=(5, 6)), rng.normal(size=(4, 6)), rng.normal(size=(2, 5, 6))


@pytest.mark.points(1)
def test_large_logits_are_stable(solution):
    """Rows of X scaled up so logits reach ~1000 in one batch element and stay small in the other."""
    W_Q, W_K, W_V, X = _weights(5)
    X[0] *= 25.0
    got = solution.attention_no_pos(X.copy(), W_Q, W_K, W_V)
    assert np.all(np.isfinite(got)), "attention is not finite at large logits: subtract each row's max"
    for b in range(2):
        assert_close(np.asarray(got)[b], _loop_attention(X[b], W_Q, W_K, W_V), what=f"attention of batch element {b}")


@pytest.mark.points(1)
def test_float32_inputs_give_float64(solution):
    """Float32 X and weights are computed in float64 (the prompt's float64 math)."""
    W_Q, W_K, W_V, X = (a.astype(np.float32) for a in _weights(6))
    got = solution.attention_no_pos(X.copy(), W_Q, W_K, W_V)
    assert_dtype(got, np.float64, what="attention of float32 inputs")
    assert_close(np.asarray(got)[1], _loop_attention(X[1], W_Q, W_K, W_V), what="attention of float32 inputs")
