"""Hidden checks for 1B: batched scaled dot-product attention."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified, assert_shape
from runner.counterexamples import Property, calls, float_array, sizes


def _loop_attention(Q, K, V):
    """Independent attention: explicit loops over batch and query, one dot product at a time."""
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    B, Lq, dk = Q.shape
    Lk, dv = V.shape[1], V.shape[2]
    out = np.zeros((B, Lq, dv))
    for b in range(B):
        for i in range(Lq):
            scores = [math.fsum(Q[b, i, t] * K[b, j, t] for t in range(dk)) / math.sqrt(dk) for j in range(Lk)]
            m = max(scores)
            w = [math.exp(s - m) for s in scores]
            total = math.fsum(w)
            for j in range(Lk):
                out[b, i] += (w[j] / total) * V[b, j]
    return out


def _qkv(seed, B, Lq, Lk, dk, dv, scale=1.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(scale=scale, size=(B, Lq, dk)), rng.normal(scale=scale, size=(B, Lk, dk)),
            rng.normal(size=(B, Lk, dv)))


def _sigmoid(t):
    return 1.0 / (1.0 + math.exp(-t))


# ---- counterexamples: properties `practice submit --reveal` may search (any small Q, K, V; never hidden data) ----

def _qkv_calls(bound=10.0, dtype=np.float64):
    def shaped(d):
        B, Lq, Lk, dk, dv = d
        return calls(float_array((B, Lq, dk), bound, dtype), float_array((B, Lk, dk), bound, dtype),
                     float_array((B, Lk, dv), bound, dtype))

    return sizes(5).flatmap(shaped)


def reveal_any():
    """Any small Q, K, V (B, Lq, Lk, dk, dv from 1 to 3): the loop attention, float64."""
    return Property("attention", _qkv_calls, _loop_attention, check_dtype=True)


def reveal_large():
    """Entries up to ±100, so scores reach the thousands."""
    return Property("attention", lambda: _qkv_calls(bound=100.0), _loop_attention)


def reveal_float32():
    """float32 Q, K, V: a float32 result, rtol 1e-4."""
    return Property("attention", lambda: _qkv_calls(dtype=np.float32),
                    lambda Q, K, V: _loop_attention(Q, K, V).astype(np.float32), rtol=1e-4, atol=1e-6,
                    check_dtype=True)


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_output_shape_and_dtype(solution):
    """Returns [B, Lq, dv] float64 when Lq != Lk and dv != dk."""
    for B, Lq, Lk, dk, dv in [(2, 3, 5, 4, 7), (1, 1, 4, 2, 3), (3, 5, 2, 6, 1)]:
        Q, K, V = _qkv(10, B, Lq, Lk, dk, dv)
        out = solution.attention(Q, K, V)
        assert_shape(out, (B, Lq, dv), what=f"attention with B={B}, Lq={Lq}, Lk={Lk}, dk={dk}, dv={dv}")
        assert_dtype(out, np.float64, what="attention of float64 inputs")


@pytest.mark.points(3)
@pytest.mark.reveal("reveal_any")
def test_matches_loop_reference(solution):
    """Matches an explicit-loop softmax(Q K^T / sqrt(dk)) V on random inputs with Lq != Lk, dk != dv."""
    for seed, dims in [(11, (3, 4, 6, 5, 3)), (12, (2, 7, 3, 2, 4))]:
        Q, K, V = _qkv(seed, *dims)
        expected = _loop_attention(Q, K, V)
        assert_close(solution.attention(Q, K, V), expected, what="attention output")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_weights_sum_to_one_over_keys(solution):
    """With V = identity the output is the pattern itself: each query's row sums to 1 over the keys."""
    B, Lq, Lk, dk = 2, 3, 5, 4
    Q, K, _ = _qkv(13, B, Lq, Lk, dk, 1)
    V = np.broadcast_to(np.eye(Lk), (B, Lk, Lk)).copy()
    expected = _loop_attention(Q, K, V)
    pattern = solution.attention(Q, K, V)
    assert_shape(pattern, (B, Lq, Lk), what="attention with V = identity")
    assert_close(pattern.sum(axis=-1), np.ones((B, Lq)), what="row sums over the keys")
    assert_close(pattern, expected, what="attention pattern")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_scale_is_one_over_sqrt_dk(solution):
    """Scores are divided by sqrt(dk), the query/key width (not dk, not dv, not unscaled)."""
    for dk in (4, 9):
        Q = np.ones((1, 1, dk))
        K = np.stack([np.ones(dk), np.zeros(dk)])[None]  # scores dk and 0 before scaling
        V = np.array([[[1.0, 0.0], [0.0, 1.0]]])  # dv = 2
        p = _sigmoid(dk / math.sqrt(dk))
        assert_close(solution.attention(Q, K, V), np.array([[[p, 1.0 - p]]]),
                     what=f"attention with a known score gap (dk={dk}, dv=2)")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_batch_elements_do_not_mix(solution):
    """Changing batch element 1 leaves the outputs of elements 0 and 2 unchanged."""
    Q, K, V = _qkv(14, 3, 4, 6, 5, 3)
    out = solution.attention(Q, K, V)
    rng = np.random.default_rng(15)
    Q2, K2, V2 = Q.copy(), K.copy(), V.copy()
    Q2[1] = rng.normal(scale=3.0, size=Q[1].shape)
    K2[1] = rng.normal(scale=3.0, size=K[1].shape)
    V2[1] = rng.normal(scale=10.0, size=V[1].shape)
    out2 = solution.attention(Q2, K2, V2)
    for b in (0, 2):
        assert_close(out2[b], out[b], what=f"output of batch element {b} after changing element 1")
    single = solution.attention(Q[2:3], K[2:3], V[2:3])
    assert_close(single, out[2:3], what="batch element 2 computed alone vs in the batch")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_large")
def test_large_scores_are_stable(solution):
    """Scores in the hundreds (exp would overflow) still give finite, correct outputs."""
    Q, K, V = _qkv(16, 2, 3, 5, 4, 2, scale=30.0)
    expected = _loop_attention(Q, K, V)
    out = solution.attention(Q, K, V)
    assert_finite(out, what="attention with large scores")
    assert_close(out, expected, what="attention with large scores")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_stays_float32(solution):
    """float32 Q, K, V give a float32 result with the right values (rtol 1e-4)."""
    Q, K, V = (a.astype(np.float32) for a in _qkv(17, 2, 3, 5, 4, 6))
    expected = _loop_attention(Q, K, V)
    out = solution.attention(Q, K, V)
    assert_dtype(out, np.float32, what="attention of float32 inputs")
    assert_close(out, expected, rtol=1e-4, atol=1e-6, what="float32 attention")


@pytest.mark.points(1)
def test_inputs_not_modified(solution):
    """Q, K and V are left unchanged."""
    Q, K, V = _qkv(18, 2, 3, 5, 4, 6, scale=5.0)
    solution.attention(Q, K, V)
    for name, new in zip("QKV", (Q, K, V)):
        assert_not_modified(new, what=name)


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_single_key_copies_its_value(solution):
    """With one key (Lk = 1) every query gets exactly that key's value row."""
    Q, K, V = _qkv(19, 2, 4, 1, 3, 5, scale=20.0)
    expected = np.broadcast_to(V, (2, 4, 5)).copy()
    assert_close(solution.attention(Q, K, V), expected, what="attention with a single key")
