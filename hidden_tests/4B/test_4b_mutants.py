"""Hidden checks for 4B found by mutation analysis: 1-D corrupt tokens, a stable loss at large logits."""

import math

import numpy as np
import pytest
from toymodel import load_model

from runner.checks import assert_scalar


def _random_model(seed, n_layers=2, n_heads=3, d_model=10, d_head=6, vocab=9, n_ctx=14):
    rng = np.random.default_rng(seed)
    return {
        "W_E": rng.normal(size=(d_model, vocab)),
        "W_pos": rng.normal(size=(d_model, n_ctx)),
        "W_Q": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.5,
        "W_K": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.5,
        "W_V": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.5,
        "W_O": rng.normal(size=(n_layers, n_heads, d_model, d_head)) * 0.5,
        "W_U": rng.normal(size=(vocab, d_model)),
    }


def _loop_loss(logits, tokens):
    """Mean next-token cross-entropy, one row at a time with a max-subtracted log-sum-exp."""
    total = []
    for b in range(tokens.shape[0]):
        for t in range(tokens.shape[1] - 1):
            row = logits[b, t].tolist()
            top = max(row)
            total.append(top + math.log(math.fsum(math.exp(v - top) for v in row)) - row[int(tokens[b, t + 1])])
    return math.fsum(total) / len(total)


@pytest.mark.points(1)
def test_one_dimensional_corrupt_tokens_raise(solution):
    """Mean ablation with 1-D corrupt_tokens (one sequence of the right length, not [N, L]) raises ValueError."""
    w = _random_model(43)
    tokens = np.random.default_rng(44).integers(0, 9, size=(2, 6))
    with pytest.raises(ValueError):
        solution.ablated_logits(w, tokens, 0, 1, "mean", tokens[0].copy())


@pytest.mark.points(1)
def test_loss_increase_at_large_logits(solution):
    """With logits near ±1000 (a scaled unembedding) the loss increase is finite and matches a stable loop."""
    w = _random_model(41)
    w["W_U"] = w["W_U"] * 10.0
    tokens = np.random.default_rng(42).integers(0, 9, size=(3, 8))
    zeroed = {k: v.copy() for k, v in w.items()}
    zeroed["W_O"][0, 1] = 0.0  # zero-ablating a head is running the model without its output weights
    want = _loop_loss(load_model(zeroed)(tokens), tokens) - _loop_loss(load_model(w)(tokens), tokens)
    got = assert_scalar(solution.loss_increase(w, tokens.copy(), 0, 1, "zero"), what="loss_increase")
    assert math.isfinite(got), "the loss increase is not finite at logits near ±1000"
    assert math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-8), f"loss increase {got:.6g}, expected {want:.6g}"
