"""Hidden checks for 3B: the OV circuit's logit update a_ij * W_U W_O W_V x_j."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_array, sizes

D_MODEL, D_HEAD, VOCAB = 6, 4, 9


def _weights(rng):
    """W_V [d_head, d_model], W_O [d_model, d_head], W_U [vocab, d_model], scaled so outputs are O(1)."""
    W_V = rng.normal(size=(D_HEAD, D_MODEL)) / math.sqrt(D_MODEL)
    W_O = rng.normal(size=(D_MODEL, D_HEAD)) / math.sqrt(D_HEAD)
    W_U = rng.normal(size=(VOCAB, D_MODEL)) / math.sqrt(D_MODEL)
    return W_V, W_O, W_U


def _matvec(W, x):
    return [math.fsum(W[r, c] * x[c] for c in range(W.shape[1])) for r in range(W.shape[0])]


def _loop_delta(x, a, W_V, W_O, W_U):
    """Independent a * W_U (W_O (W_V x)) for every row, one matrix-vector product at a time."""
    x = np.asarray(x, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    W_V, W_O, W_U = (np.asarray(w, dtype=np.float64) for w in (W_V, W_O, W_U))
    lead = np.broadcast_shapes(a.shape, x.shape[:-1])
    xb = np.broadcast_to(x, lead + x.shape[-1:])
    ab = np.broadcast_to(a, lead)
    out = np.empty(lead + (W_U.shape[0],))
    for idx in np.ndindex(lead):
        v = _matvec(W_U, _matvec(W_O, _matvec(W_V, xb[idx].tolist())))
        out[idx] = [float(ab[idx]) * t for t in v]
    return out



# ---- counterexamples: properties `practice submit --reveal` may search (any small x, a, weights; never hidden data) --

def _ov_calls(dtype=np.float64):
    """d_model, d_head, vocab from 1 to 3; x_j of 0 to 2 leading axes; a_ij of any shape that broadcasts to them."""
    bound = 3.0 if dtype == np.float64 else 1.0  # float32: rounding stays far below rtol 1e-4
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def build(dims):
        (d_model, d_head, vocab), lead = dims

        def weights(a_shape):
            return st.tuples(float_array(lead + (d_model,), bound, dtype), float_array(a_shape, 1.0, dtype),
                             float_array((d_head, d_model), bound, dtype), float_array((d_model, d_head), bound, dtype),
                             float_array((vocab, d_model), bound, dtype)).map(lambda args: Call(args))

        return hnp.broadcastable_shapes(lead, min_dims=0, max_dims=len(lead) + 1, max_side=3).flatmap(weights)

    lead = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)
    return st.tuples(sizes(3), lead).flatmap(build)


def reveal_any():
    """Any small float64 inputs: a * W_U (W_O (W_V x)) row by row, one matrix-vector product at a time."""
    return Property("ov_logit_delta", _ov_calls, _loop_delta, check_dtype=True)


def reveal_float32():
    """float32 inputs: a float32 update, rtol 1e-4."""
    return Property("ov_logit_delta", lambda: _ov_calls(np.float32),
                    lambda *args: _loop_delta(*args).astype(np.float32), rtol=1e-4, atol=1e-4, check_dtype=True)

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_single_token_matches_definition(solution):
    """One source vector [d_model] and a scalar weight give a * W_U W_O W_V x_j, shape [vocab]."""
    rng = np.random.default_rng(0)
    W_V, W_O, W_U = _weights(rng)
    x = rng.normal(size=D_MODEL)
    want = _loop_delta(x, 0.7, W_V, W_O, W_U)
    got = solution.ov_logit_delta(x, 0.7, W_V, W_O, W_U)
    assert_shape(got, (VOCAB,), what="ov_logit_delta of one token")
    assert_close(got, want, what="ov_logit_delta of one token")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_linear_in_the_attention_weight(solution):
    """The update is linear in a_ij: zero for a = 0, and a quarter of the a = 1 update for a = 0.25."""
    rng = np.random.default_rng(1)
    W_V, W_O, W_U = _weights(rng)
    x = rng.normal(size=D_MODEL)
    full = _loop_delta(x, 1.0, W_V, W_O, W_U)
    assert_close(solution.ov_logit_delta(x.copy(), 0.0, W_V, W_O, W_U), np.zeros(VOCAB), what="update with a = 0")
    assert_close(solution.ov_logit_delta(x.copy(), 0.25, W_V, W_O, W_U), 0.25 * full, what="update with a = 0.25")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_batch_with_one_weight_per_position(solution):
    """x_j of shape [B, L, d_model] with a_ij of shape [B, L] gives [B, L, vocab], each row scaled by its own weight."""
    rng = np.random.default_rng(2)
    W_V, W_O, W_U = _weights(rng)
    x = rng.normal(size=(2, 5, D_MODEL))
    a = rng.uniform(size=(2, 5))
    want = _loop_delta(x, a, W_V, W_O, W_U)
    got = solution.ov_logit_delta(x, a, W_V, W_O, W_U)
    assert_shape(got, (2, 5, VOCAB), what="ov_logit_delta of a batch")
    assert_close(got, want, what="ov_logit_delta of a batch")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_scalar_weight_on_a_batch(solution):
    """A scalar a_ij applies to every row of a [B, L, d_model] batch."""
    rng = np.random.default_rng(3)
    W_V, W_O, W_U = _weights(rng)
    x = rng.normal(size=(3, 2, D_MODEL))
    want = _loop_delta(x, 0.3, W_V, W_O, W_U)
    assert_close(solution.ov_logit_delta(x, 0.3, W_V, W_O, W_U), want, what="ov_logit_delta with a scalar weight")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_weight_broadcasting(solution):
    """a_ij broadcasts against x_j's leading axes: [B, 1] against [B, L], and [3] against a single [d_model] vector."""
    rng = np.random.default_rng(4)
    W_V, W_O, W_U = _weights(rng)
    x = rng.normal(size=(2, 4, D_MODEL))
    a = np.array([[0.2], [0.9]])
    want = _loop_delta(x, a, W_V, W_O, W_U)
    assert_close(solution.ov_logit_delta(x, a, W_V, W_O, W_U), want, what="ov_logit_delta with a [B, 1] weight")
    v = rng.normal(size=D_MODEL)
    a3 = np.array([0.1, 0.5, 1.0])
    want3 = _loop_delta(v, a3, W_V, W_O, W_U)
    got3 = solution.ov_logit_delta(v, a3, W_V, W_O, W_U)
    assert_shape(got3, (3, VOCAB), what="ov_logit_delta of one vector with three weights")
    assert_close(got3, want3, what="ov_logit_delta of one vector with three weights")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_embedded_tokens_read_the_ov_circuit(solution):
    """For x_j = W_E[:, t] and tied W_U = W_E.T, the update is a * column t of W_E^T W_O W_V W_E."""
    rng = np.random.default_rng(5)
    W_V, W_O, _ = _weights(rng)
    W_E = rng.normal(size=(D_MODEL, VOCAB)) / math.sqrt(D_MODEL)
    ov = np.empty((VOCAB, VOCAB))  # the full OV circuit, column by column
    for t in range(VOCAB):
        ov[:, t] = _loop_delta(W_E[:, t], 1.0, W_V, W_O, W_E.T)
    tokens = [2, 5, 7]
    a = np.array([1.0, 0.5, 0.25])
    x = W_E[:, tokens].T.copy()
    got = solution.ov_logit_delta(x, a, W_V, W_O, W_E.T.copy())
    assert_close(got, a[:, None] * ov[:, tokens].T, what="updates from embedded tokens 2, 5 and 7")


@pytest.mark.points(1)
def test_does_not_modify_inputs(solution):
    """x_j, a_ij, W_V, W_O and W_U are left unchanged."""
    rng = np.random.default_rng(6)
    W_V, W_O, W_U = _weights(rng)
    x = rng.normal(size=(2, 3, D_MODEL))
    a = rng.uniform(size=(2, 3))
    arrays = (x, a, W_V, W_O, W_U)
    solution.ov_logit_delta(x, a, W_V, W_O, W_U)
    for name, v in zip(("x_j", "a_ij", "W_V", "W_O", "W_U"), arrays):
        assert_not_modified(v, what=name)


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_stays_float32(solution):
    """float32 x_j, a_ij and weights give a float32 update with the right values (rtol 1e-4)."""
    rng = np.random.default_rng(7)
    W_V, W_O, W_U = (w.astype(np.float32) for w in _weights(rng))
    x = rng.normal(size=(2, 3, D_MODEL)).astype(np.float32)
    for a in (np.float32(0.7), rng.uniform(size=(2, 3)).astype(np.float32)):
        want = _loop_delta(x, a, W_V, W_O, W_U)
        got = solution.ov_logit_delta(x.copy(), a, W_V, W_O, W_U)
        assert_dtype(got, np.float32, what="ov_logit_delta of float32 inputs")
        assert_close(got, want, rtol=1e-4, atol=1e-5, what="ov_logit_delta of float32 inputs")
