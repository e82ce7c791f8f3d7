"""Hidden checks for E13: QK and OV circuits, analytic and measured on an isolated 1-layer toy model."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_array

VOCAB, D_MODEL, D_HEAD, D_V, N_CTX, H = 6, 5, 3, 4, 4, 3


def random_weights(seed):
    rng = np.random.default_rng(seed)
    return {
        "W_E": rng.normal(size=(D_MODEL, VOCAB)),
        "W_pos": rng.normal(size=(D_MODEL, N_CTX)),  # non-zero: the learner must isolate from it
        "W_Q": rng.normal(size=(1, H, D_HEAD, D_MODEL)) / np.sqrt(D_MODEL),
        "W_K": rng.normal(size=(1, H, D_HEAD, D_MODEL)) / np.sqrt(D_MODEL),
        "W_V": rng.normal(size=(1, H, D_V, D_MODEL)) / np.sqrt(D_MODEL),
        "W_O": rng.normal(size=(1, H, D_MODEL, D_V)) / np.sqrt(D_V),
        "W_U": rng.normal(size=(VOCAB, D_MODEL)),
    }


def loop_qk(W_E, W_Q, W_K):
    out = np.zeros((W_E.shape[1], W_E.shape[1]))
    for q in range(W_E.shape[1]):
        for k in range(W_E.shape[1]):
            out[q, k] = np.dot(W_Q @ W_E[:, q], W_K @ W_E[:, k]) / np.sqrt(W_Q.shape[0])
    return out


def loop_ov(W_E, W_V, W_O, W_U):
    out = np.zeros((W_E.shape[1], W_U.shape[0]))
    for s in range(W_E.shape[1]):
        write = W_O @ (W_V @ W_E[:, s])
        for t in range(W_U.shape[0]):
            out[s, t] = np.dot(W_U[t], write)
    return out



# ---- counterexamples: properties `practice submit --reveal` may search (any small weights; never hidden data) ----

def _circuit_calls(ov=False):
    """vocab, d_model, d_head (d_v), vocab_out from 1 to 3: W_E [d_model, vocab], W_Q, W_K [d_head, d_model];
    or W_V [d_v, d_model], W_O [d_model, d_v], W_U [vocab_out, d_model]."""
    from hypothesis import strategies as st

    def build(dims):
        vocab, d, dh, out = dims
        if ov:
            arrays = ((d, vocab), (dh, d), (d, dh), (out, d))
        else:
            arrays = ((d, vocab), (dh, d), (dh, d))
        return st.tuples(*[float_array(shape, 3.0) for shape in arrays]).map(lambda a: Call(a))

    return st.tuples(*[st.integers(1, 3)] * 4).flatmap(build)


def reveal_qk():
    """Any small W_E, W_Q, W_K: (W_Q e_q)·(W_K e_k)/sqrt(d_head) for every query q (rows) and key k."""
    return Property("qk_circuit", _circuit_calls, loop_qk)


def reveal_ov():
    """Any small W_E, W_V, W_O, W_U: row s is W_U W_O W_V e_s, one source token at a time."""
    return Property("ov_circuit", lambda: _circuit_calls(ov=True), loop_ov)

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_qk")
def test_qk_circuit(solution):
    """qk_circuit: rows are query tokens, columns key tokens, scaled by 1/sqrt(d_head) (W_Q != W_K)."""
    w = random_weights(1)
    W_E, W_Q, W_K = w["W_E"], w["W_Q"][0, 0], w["W_K"][0, 0]
    got = solution.qk_circuit(W_E, W_Q, W_K)
    assert_shape(got, (VOCAB, VOCAB), "QK circuit")
    assert_close(got, loop_qk(W_E, W_Q, W_K), what="QK circuit")
    for after, name in zip((W_E, W_Q, W_K), ("W_E", "W_Q", "W_K")):
        assert_not_modified(after, name)


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_ov")
def test_ov_circuit(solution):
    """ov_circuit: row s is the logit vector written for source token s (d_v != d_head != d_model)."""
    w = random_weights(2)
    w["W_U"] = np.random.default_rng(22).normal(size=(VOCAB + 2, D_MODEL))  # vocab_out != vocab_in exposes the axes
    args = w["W_E"], w["W_V"][0, 1], w["W_O"][0, 1], w["W_U"]
    got = solution.ov_circuit(*args)
    assert_shape(got, (VOCAB, VOCAB + 2), "OV circuit")
    assert_close(got, loop_ov(*args), what="OV circuit")


@pytest.mark.points(2)
def test_empirical_qk_matches(solution):
    """Measured QK (positions zeroed, sequence [k, q]) equals the analytic QK circuit for the chosen head."""
    w = random_weights(3)
    for head in (2, 0):
        qk_emp, _ = solution.empirical_circuits(w, head)
        assert_shape(qk_emp, (VOCAB, VOCAB), "qk_emp")
        assert_close(qk_emp, loop_qk(w["W_E"], w["W_Q"][0, head], w["W_K"][0, head]),
                     what=f"measured QK of head {head} (positions must be zeroed; rows = query token)")
    for k in w:
        assert_not_modified(w[k], f"weights[{k!r}]")


@pytest.mark.points(2)
def test_empirical_ov_matches(solution):
    """Measured OV (one-token runs, the head's own write through W_U) equals the analytic OV circuit."""
    w = random_weights(4)
    for head in (1, 2):
        _, ov_emp = solution.empirical_circuits(w, head)
        assert_shape(ov_emp, (VOCAB, VOCAB), "ov_emp")
        assert_close(ov_emp, loop_ov(w["W_E"], w["W_V"][0, head], w["W_O"][0, head], w["W_U"]),
                     what=f"measured OV of head {head} (only this head's write, no direct path)")


@pytest.mark.points(1)
def test_single_head_model_with_large_positions(solution):
    """A 1-head model with large positional embeddings still measures the token-only circuits."""
    w = random_weights(5)
    for key in ("W_Q", "W_K", "W_V", "W_O"):
        w[key] = w[key][:, 1:2]
    w["W_pos"] = 10.0 * w["W_pos"]
    qk_emp, ov_emp = solution.empirical_circuits(w, 0)
    assert_close(qk_emp, loop_qk(w["W_E"], w["W_Q"][0, 0], w["W_K"][0, 0]), what="measured QK with big positions")
    assert_close(ov_emp, loop_ov(w["W_E"], w["W_V"][0, 0], w["W_O"][0, 0], w["W_U"]),
                 what="measured OV with big positions")
