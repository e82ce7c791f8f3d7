"""Hidden checks for E2: permutation equivariance of position-free attention."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_not_modified, assert_scalar
from runner.counterexamples import Call, Property, float_array

D_MODEL, D_HEAD, D_V, L = 6, 3, 4, 5


def _weights(seed):
    rng = np.random.default_rng(seed)
    W_Q = rng.normal(size=(D_HEAD, D_MODEL)) / np.sqrt(D_MODEL)
    W_K = rng.normal(size=(D_HEAD, D_MODEL)) / np.sqrt(D_MODEL)
    W_V = rng.normal(size=(D_V, D_MODEL)) / np.sqrt(D_MODEL)
    return W_Q, W_K, W_V


def _attention_loop(X, W_Q, W_K, W_V):
    """Independent single-sequence attention, written with explicit loops."""
    n = X.shape[0]
    out = np.zeros((n, W_V.shape[0]))
    for i in range(n):
        q = W_Q @ X[i]
        scores = np.array([q @ (W_K @ X[j]) for j in range(n)]) / np.sqrt(W_Q.shape[0])
        w = np.exp(scores - scores.max())
        w /= w.sum()
        for j in range(n):
            out[i] += w[j] * (W_V @ X[j])
    return out


def _attention_batched(X, W_Q, W_K, W_V):
    flat = X.reshape(-1, X.shape[-2], X.shape[-1])
    out = np.stack([_attention_loop(x, W_Q, W_K, W_V) for x in flat])
    return out.reshape(X.shape[:-1] + (W_V.shape[0],))



# ---- counterexamples: properties `practice submit --reveal` may search (small X, weights, perm; never hidden data) ---

def _e2_calls(gap=False):
    """X with 0 to 2 leading axes; L, d_model, d_head, d_v from 1 to 3; for the gap a permutation of range(L) and
    W_pos [d_model, n_ctx >= L] or none."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def build(dims):
        lead, L, d_model, d_head, d_v, extra = dims
        arrays = (float_array(lead + (L, d_model), 3.0), float_array((d_head, d_model), 3.0),
                  float_array((d_head, d_model), 3.0), float_array((d_v, d_model), 3.0))
        if not gap:
            return st.tuples(*arrays).map(lambda a: Call(a))
        w_pos = st.one_of(st.none(), float_array((d_model, L + extra), 3.0))
        return st.tuples(*arrays, st.permutations(range(L)), w_pos).map(
            lambda a: Call((*a[:4], np.array(a[4])), {} if a[5] is None else {"W_pos": a[5]}))

    lead = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2)
    return st.tuples(lead, *[st.integers(1, 3)] * 4, st.integers(0, 2)).flatmap(build)


def _loop_gap(X, W_Q, W_K, W_V, perm, W_pos=None):
    X = np.asarray(X, dtype=np.float64)
    if W_pos is None:
        W_pos = np.zeros((X.shape[-1], X.shape[-2]))
    return _expected_gap(X, W_Q, W_K, W_V, perm, W_pos)


def reveal_attention():
    """Any small X (any leading axes), W_Q, W_K, W_V: the loop attention, one sequence at a time."""
    return Property("attention_no_pos", _e2_calls, _attention_batched)


def reveal_gap():
    """Any small X, weights, permutation, with or without W_pos: the gap from loop attention."""
    return Property("equivariance_gap", lambda: _e2_calls(gap=True), _loop_gap)

@pytest.mark.points(3)
@pytest.mark.reveal("reveal_attention")
def test_attention_matches_loop(solution):
    """attention_no_pos matches an explicit loop (scale 1/sqrt(d_head), softmax over keys, X @ W.T)."""
    W_Q, W_K, W_V = _weights(0)
    X = np.random.default_rng(1).normal(size=(2, L, D_MODEL))
    assert_close(solution.attention_no_pos(X, W_Q, W_K, W_V), _attention_batched(X, W_Q, W_K, W_V),
                 what="attention output")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_attention")
def test_attention_handles_extra_batch_axes(solution):
    """attention_no_pos works on [L, d_model] and on [B1, B2, L, d_model] inputs."""
    W_Q, W_K, W_V = _weights(2)
    X = np.random.default_rng(3).normal(size=(2, 3, L, D_MODEL))
    assert_close(solution.attention_no_pos(X, W_Q, W_K, W_V), _attention_batched(X, W_Q, W_K, W_V),
                 what="attention output for 4-d input")
    assert_close(solution.attention_no_pos(X[0, 0], W_Q, W_K, W_V), _attention_loop(X[0, 0], W_Q, W_K, W_V),
                 what="attention output for 2-d input")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_gap")
def test_gap_is_zero_without_positions(solution):
    """Without positional embeddings, permuting tokens permutes outputs: the gap is rounding error (~1e-15)."""
    W_Q, W_K, W_V = _weights(4)
    X = np.random.default_rng(5).normal(size=(3, L, D_MODEL))
    perm = np.array([3, 0, 4, 1, 2])  # not an involution: its inverse differs from it
    gap = assert_scalar(solution.equivariance_gap(X, W_Q, W_K, W_V, perm), "equivariance_gap")
    assert gap < 1e-10, "gap without positions should be ~0 (compare f(X[perm]) with f(X)[perm])"


def _expected_gap(X, W_Q, W_K, W_V, perm, W_pos):
    P = W_pos[:, : X.shape[-2]].T
    a = _attention_batched(X[..., perm, :] + P, W_Q, W_K, W_V)
    b = _attention_batched(X + P, W_Q, W_K, W_V)[..., perm, :]
    return float(np.max(np.abs(a - b)))


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_gap")
def test_gap_with_positions(solution):
    """With absolute positions added per slot, the gap is clearly non-zero and has the right size."""
    W_Q, W_K, W_V = _weights(6)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(2, L, D_MODEL))
    W_pos = rng.normal(size=(D_MODEL, 9))  # n_ctx = 9 > L: only the first L columns are used
    perm = np.array([3, 0, 4, 1, 2])
    expected = _expected_gap(X, W_Q, W_K, W_V, perm, W_pos)
    gap = assert_scalar(solution.equivariance_gap(X, W_Q, W_K, W_V, perm, W_pos=W_pos), "equivariance_gap")
    assert expected > 1e-2  # sanity of the test itself
    assert gap > 1e-3, "gap with positions should be clearly non-zero: positions stay with slots, not tokens"
    assert_close(gap, expected, what="equivariance gap with positions")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_gap")
def test_identity_permutation_gap_is_zero(solution):
    """The identity permutation gives a zero gap even with positions."""
    W_Q, W_K, W_V = _weights(8)
    rng = np.random.default_rng(9)
    X = rng.normal(size=(L, D_MODEL))
    W_pos = rng.normal(size=(D_MODEL, L))
    gap = assert_scalar(solution.equivariance_gap(X, W_Q, W_K, W_V, np.arange(L), W_pos=W_pos), "equivariance_gap")
    assert gap < 1e-12, "the identity permutation should give a zero gap"


@pytest.mark.points(1)
def test_inputs_not_modified(solution):
    """Neither function modifies X, the weights, perm or W_pos in place."""
    W_Q, W_K, W_V = _weights(10)
    rng = np.random.default_rng(11)
    X = rng.normal(size=(2, L, D_MODEL))
    W_pos = rng.normal(size=(D_MODEL, 7))
    perm = np.array([1, 2, 0, 4, 3])
    solution.attention_no_pos(X, W_Q, W_K, W_V)
    solution.equivariance_gap(X, W_Q, W_K, W_V, perm, W_pos=W_pos)
    for after, name in zip((X, W_Q, W_K, W_V, W_pos, perm), ("X", "W_Q", "W_K", "W_V", "W_pos", "perm")):
        assert_not_modified(after, name)
