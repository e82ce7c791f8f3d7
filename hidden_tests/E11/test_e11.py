"""Hidden checks for E11: causal attention with an exact mask."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified, assert_shape
from runner.counterexamples import Property, calls, float_array, sizes


def loop_attention(Q, K, V):
    """Independent per-position computation: softmax over the prefix j <= i only (float64)."""
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    B, L, d = Q.shape
    out = np.zeros((B, L, V.shape[-1]))
    for b in range(B):
        for i in range(L):
            s = np.array([np.dot(Q[b, i], K[b, j]) for j in range(i + 1)]) / np.sqrt(d)
            w = np.exp(s - s.max())
            w /= w.sum()
            out[b, i] = sum(w[j] * V[b, j] for j in range(i + 1))
    return out


def random_qkv(seed, B=2, L=6, d=3, dv=5, scale=1.0):
    rng = np.random.default_rng(seed)
    return (scale * rng.normal(size=(B, L, d)), scale * rng.normal(size=(B, L, d)), rng.normal(size=(B, L, dv)))


# ---- counterexamples: properties `practice submit --reveal` may search (any small Q, K, V; never hidden data) ----

def _qkv_calls(bound=10.0, dtype=np.float64):
    def shaped(dims):
        B, L, d, dv = dims
        return calls(float_array((B, L, d), bound, dtype), float_array((B, L, d), bound, dtype),
                     float_array((B, L, dv), bound, dtype))

    return sizes(4).flatmap(shaped)


def reveal_any():
    """Any small Q, K, V (B, L, d, dv from 1 to 3): the per-position loop, float64."""
    return Property("causal_attention", _qkv_calls, loop_attention, check_dtype=True)


def reveal_large():
    """Entries up to ±1e3, so scores reach ~1e6 (an additive -1e4 mask leaks)."""
    return Property("causal_attention", lambda: _qkv_calls(bound=1e3), loop_attention)


def reveal_float32():
    """float32 Q, K, V: a float32 result, rtol 1e-4."""
    return Property("causal_attention", lambda: _qkv_calls(dtype=np.float32),
                    lambda Q, K, V: loop_attention(Q, K, V).astype(np.float32), rtol=1e-4, atol=1e-5,
                    check_dtype=True)


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_matches_loop(solution):
    """Matches a per-position loop: softmax over j <= i of Q·K/sqrt(d) (d != dv), shape [B, L, dv]."""
    Q, K, V = random_qkv(1)
    out = solution.causal_attention(Q, K, V)
    assert_shape(out, (2, 6, 5), "output")
    assert_close(out, loop_attention(Q, K, V), what="causal attention output")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_first_position_copies_its_value(solution):
    """Position 0 attends only to itself (the diagonal is allowed), so its output is V[:, 0]."""
    Q, K, V = random_qkv(2, B=3, L=4, d=2, dv=3)
    out = solution.causal_attention(Q, K, V)
    assert_finite(out, "output")
    assert_close(out[:, 0], V[:, 0], what="output at position 0")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_future_changes_leave_past_bit_identical(solution):
    """Changing Q, K, V at positions >= t leaves every output at positions < t bit-identical."""
    Q, K, V = random_qkv(3, B=2, L=7, d=4, dv=3)
    base = solution.causal_attention(Q, K, V)
    rng = np.random.default_rng(33)
    for t in range(1, 7):
        Q2, K2, V2 = Q.copy(), K.copy(), V.copy()
        Q2[:, t:] += rng.normal(size=Q2[:, t:].shape)
        K2[:, t:] += 3.0 * rng.normal(size=K2[:, t:].shape)
        V2[:, t:] += rng.normal(size=V2[:, t:].shape)
        out = solution.causal_attention(Q2, K2, V2)
        assert np.array_equal(out[:, :t], base[:, :t]), \
            f"changing positions >= {t} changed an earlier output: future tokens leak through the mask"


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_large")
def test_huge_future_scores_do_not_leak(solution):
    """A future key whose score is ~1e6 gets exactly zero weight (an additive -1e4 mask leaks here)."""
    rng = np.random.default_rng(4)
    B, L, d, dv = 2, 6, 4, 3
    Q = 1e3 * np.abs(rng.normal(size=(B, L, d))) / np.sqrt(d) + 1e3
    K = 0.01 * rng.normal(size=(B, L, d))
    V = rng.normal(size=(B, L, dv))
    base = solution.causal_attention(Q, K, V)
    assert_close(base, loop_attention(Q, K, V), what="output with small past scores")
    for t in (1, 3, 5):
        K2 = K.copy()
        K2[:, t:] = 1e3  # scores Q·K2/sqrt(d) ≈ 1e6 at the future positions
        out = solution.causal_attention(Q, K2, V)
        assert_finite(out, "output")
        assert_close(out, loop_attention(Q, K2, V), what="output when future scores are ~1e6")
        assert np.array_equal(out[:, :t], base[:, :t]), \
            f"future scores of ~1e6 at positions >= {t} changed earlier outputs: the mask leaks"


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_large")
def test_huge_scores_everywhere_stay_finite(solution):
    """Scores of magnitude ~1e6 everywhere give finite outputs equal to the loop (max-subtraction per row)."""
    Q, K, V = random_qkv(5, B=2, L=5, d=3, dv=2, scale=1e3)
    out = solution.causal_attention(Q, K, V)
    assert_finite(out, "output")
    assert_close(out, loop_attention(Q, K, V), what="output with scores ~1e6")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_stays_float32(solution):
    """float32 inputs give a float32 output, correct to rtol=1e-4."""
    Q, K, V = (a.astype(np.float32) for a in random_qkv(6, B=2, L=5, d=3, dv=4))
    out = solution.causal_attention(Q, K, V)
    assert_dtype(out, np.float32, "output")
    assert_close(out, loop_attention(Q, K, V), rtol=1e-4, atol=1e-5, what="float32 output")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_batches_independent_and_inputs_unchanged(solution):
    """Each batch element is computed on its own, and Q, K, V are not modified in place."""
    Q, K, V = random_qkv(7, B=3, L=5, d=2, dv=3)
    out = solution.causal_attention(Q, K, V)
    for after, name in zip((Q, K, V), "QKV"):
        assert_not_modified(after, name)
    for b in range(3):
        alone = solution.causal_attention(Q[b:b + 1], K[b:b + 1], V[b:b + 1])
        assert_close(out[b:b + 1], alone, what=f"batch element {b} (computed together vs alone)")


@pytest.mark.points(1)
def test_inconsistent_shapes_raise(solution):
    """Mismatched Q/K shapes, V with a different B or L, or non-3-D inputs raise ValueError."""
    Q, K, V = random_qkv(8, B=2, L=4, d=3, dv=2)
    bad = [
        (Q, K[:, :, :2], V),
        (Q, K[:, :3], V),
        (Q, K, V[:, :3]),
        (Q, K, V[:1]),
        (Q[0], K[0], V[0]),
    ]
    for args in bad:
        with pytest.raises(ValueError):
            solution.causal_attention(*args)
