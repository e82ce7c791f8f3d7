"""Hidden checks for 1D: loss and gradients of a cross-entropy readout through one attention layer."""

import math

import numpy as np
import pytest

from runner.checks import (
    assert_close,
    assert_dtype,
    assert_finite,
    assert_not_modified,
    assert_scalar,
    assert_shape,
    numerical_grad,
)
from runner.counterexamples import Call, Property, float_array

FD = {"rtol": 1e-5, "atol": 1e-8}


def _loss(Q, K, V, W_o, y):
    """Independent vectorised forward pass: mean CE of softmax(Q K^T / sqrt(d)) V @ W_o."""
    d = Q.shape[-1]
    S = np.matmul(Q, np.swapaxes(K, -1, -2)) / math.sqrt(d)
    A = np.exp(S - S.max(axis=-1, keepdims=True))
    A /= A.sum(axis=-1, keepdims=True)
    Z = np.matmul(np.matmul(A, V), W_o)
    m = Z.max(axis=-1, keepdims=True)
    lse = (m + np.log(np.exp(Z - m).sum(axis=-1, keepdims=True)))[..., 0]
    picked = np.take_along_axis(Z, y[..., None], axis=-1)[..., 0]
    return float(np.mean(lse - picked))


def _loop_loss(Q, K, V, W_o, y):
    """Independent forward pass with explicit loops over batch, query and key (pure-Python softmaxes)."""
    B, L, d = Q.shape
    C = W_o.shape[1]
    total = []
    for b in range(B):
        for i in range(L):
            s = [math.fsum(Q[b, i, t] * K[b, j, t] for t in range(d)) / math.sqrt(d) for j in range(L)]
            ms = max(s)
            w = [math.exp(x - ms) for x in s]
            sw = math.fsum(w)
            o = [math.fsum(w[j] / sw * V[b, j, t] for j in range(L)) for t in range(d)]
            z = [math.fsum(o[t] * W_o[t, c] for t in range(d)) for c in range(C)]
            mz = max(z)
            lse = mz + math.log(math.fsum(math.exp(x - mz) for x in z))
            total.append(lse - z[int(y[b, i])])
    return math.fsum(total) / len(total)


def _problem(seed, B=2, L=3, d=4, C=5, scale=1.0, wscale=1.0):
    rng = np.random.default_rng(seed)
    Q = rng.normal(scale=scale, size=(B, L, d))
    K = rng.normal(scale=scale, size=(B, L, d))
    V = rng.normal(size=(B, L, d))
    W_o = rng.normal(scale=wscale, size=(d, C))
    y = rng.integers(0, C, size=(B, L))
    return Q, K, V, W_o, y


def _grads(solution, *args):
    """Call on copies, so that only test_inputs_not_modified reports in-place changes."""
    result = solution.attention_ce_grads(*(a.copy() for a in args))
    assert isinstance(result, tuple) and len(result) == 4, "return a tuple (loss, dQ, dK, dV)"
    return result


def _numeric(which, Q, K, V, W_o, y):
    args = {"Q": Q, "K": K, "V": V}

    def f(x):
        call = dict(args, **{which: x})
        return _loss(call["Q"], call["K"], call["V"], W_o, y)

    return numerical_grad(f, args[which])



# ---- counterexamples: properties `practice submit --reveal` may search (any small problem; never hidden data) ----

def _complex_loss(Q, K, V, W_o, y):
    """The mean cross-entropy for complex Q, K, V (analytic in them: exp, log, sums; shifts by real maxima)."""
    d = Q.shape[-1]
    S = np.matmul(Q, np.swapaxes(K, -1, -2)) / math.sqrt(d)
    A = np.exp(S - S.real.max(axis=-1, keepdims=True))
    A = A / A.sum(axis=-1, keepdims=True)
    Z = np.matmul(np.matmul(A, V), W_o)
    m = Z.real.max(axis=-1, keepdims=True)
    lse = (m + np.log(np.exp(Z - m).sum(axis=-1, keepdims=True)))[..., 0]
    return np.mean(lse - np.take_along_axis(Z, y[..., None], axis=-1)[..., 0])


def _complex_step(Q, K, V, W_o, y):
    """(loss, dQ, dK, dV) by complex-step differentiation: d loss / dx = Im loss(x + ih) / h, exact to rounding."""
    Q, K, V, W_o = (np.asarray(a, dtype=np.float64) for a in (Q, K, V, W_o))
    y = np.asarray(y)
    h = 1e-30
    grads = []
    for which in range(3):
        args = [Q.astype(np.complex128), K.astype(np.complex128), V.astype(np.complex128)]
        g = np.empty(args[which].shape)
        for idx in np.ndindex(g.shape):
            args[which][idx] += 1j * h
            g[idx] = _complex_loss(*args, W_o, y).imag / h
            args[which][idx] -= 1j * h
        grads.append(g)
    return (_loop_loss(Q, K, V, W_o, y), *grads)


def _loss_and_grads(got, expected):
    assert isinstance(got, tuple) and len(got) == 4, "return a tuple (loss, dQ, dK, dV)"
    for name, g, e in zip(("loss", "dQ", "dK", "dV"), got, expected):
        assert_close(g, e, what=name)


def _problems(bound=3.0, w_bound=3.0):
    """B, L, d, C from 1 to 3: Q, K, V [B, L, d], W_o [d, C], labels y [B, L] in range(C)."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def build(dims):
        B, L, d, C = dims
        return st.tuples(float_array((B, L, d), bound), float_array((B, L, d), bound), float_array((B, L, d), 3.0),
                         float_array((d, C), w_bound), hnp.arrays(np.int64, (B, L), elements=st.integers(0, C - 1)))

    return st.tuples(*[st.integers(1, 3)] * 4).flatmap(build).map(lambda a: Call(a))


def reveal_any():
    """Any small problem: the loop loss and complex-step gradients (independent of any backward pass)."""
    return Property("attention_ce_grads", _problems, _complex_step, check=_loss_and_grads)


def reveal_large():
    """Q, K up to ±30 and W_o up to ±100: scores and logits in the hundreds."""
    return Property("attention_ce_grads", lambda: _problems(30.0, 100.0), _complex_step, check=_loss_and_grads)

@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_returns_loss_and_gradient_shapes(solution):
    """Returns (loss, dQ, dK, dV): a real number and three float64 arrays shaped like Q, K, V."""
    Q, K, V, W_o, y = _problem(40, B=2, L=3, d=4, C=5)
    loss, dQ, dK, dV = _grads(solution, Q, K, V, W_o, y)
    assert_scalar(loss, what="loss")
    for name, g in (("dQ", dQ), ("dK", dK), ("dV", dV)):
        assert_shape(g, (2, 3, 4), what=name)
        assert_dtype(g, np.float64, what=name)


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_loss_matches_loop(solution):
    """The loss is the cross-entropy (natural log) averaged over all B*L positions."""
    for seed, dims in [(41, (2, 3, 4, 5)), (42, (3, 4, 2, 6))]:
        B, L, d, C = dims
        Q, K, V, W_o, y = _problem(seed, B=B, L=L, d=d, C=C)
        loss = assert_scalar(_grads(solution, Q, K, V, W_o, y)[0], what="loss")
        assert_close(loss, _loop_loss(Q, K, V, W_o, y), what=f"loss for B={B}, L={L}, d={d}, C={C}")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_zero_readout_gives_log_c_and_zero_gradients(solution):
    """With W_o = 0 every logit is 0, so the loss is log(C) and all gradients are 0."""
    Q, K, V, _, y = _problem(43, B=2, L=3, d=4, C=7)
    loss, dQ, dK, dV = _grads(solution, Q, K, V, np.zeros((4, 7)), y)
    assert_close(assert_scalar(loss, what="loss"), math.log(7), what="loss with W_o = 0")
    for name, g in (("dQ", dQ), ("dK", dK), ("dV", dV)):
        assert_close(g, np.zeros((2, 3, 4)), atol=1e-12, what=f"{name} with W_o = 0")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_dV_matches_finite_differences(solution):
    """dV matches central finite differences of the loss (rtol 1e-5, atol 1e-8)."""
    Q, K, V, W_o, y = _problem(44)
    dV = _grads(solution, Q, K, V, W_o, y)[3]
    assert_close(dV, _numeric("V", Q, K, V, W_o, y), **FD, what="dV")


@pytest.mark.points(3)
@pytest.mark.reveal("reveal_any")
def test_dQ_matches_finite_differences(solution):
    """dQ matches finite differences: it needs the softmax Jacobian and the 1/sqrt(d) scale."""
    Q, K, V, W_o, y = _problem(45)
    dQ = _grads(solution, Q, K, V, W_o, y)[1]
    assert_close(dQ, _numeric("Q", Q, K, V, W_o, y), **FD, what="dQ")


@pytest.mark.points(3)
@pytest.mark.reveal("reveal_any")
def test_dK_matches_finite_differences(solution):
    """dK matches finite differences: keys are contracted with the query index (dS transposed)."""
    Q, K, V, W_o, y = _problem(46)
    dK = _grads(solution, Q, K, V, W_o, y)[2]
    assert_close(dK, _numeric("K", Q, K, V, W_o, y), **FD, what="dK")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_any")
def test_all_gradients_other_sizes(solution):
    """dQ, dK and dV match finite differences for other sizes (B=3, L=4, d=2, C=6; B=1, L=5, d=3, C=2)."""
    for seed, (B, L, d, C) in [(47, (3, 4, 2, 6)), (48, (1, 5, 3, 2))]:
        Q, K, V, W_o, y = _problem(seed, B=B, L=L, d=d, C=C, scale=1.3)
        _, dQ, dK, dV = _grads(solution, Q, K, V, W_o, y)
        for name, g in (("Q", dQ), ("K", dK), ("V", dV)):
            assert_close(g, _numeric(name, Q, K, V, W_o, y), **FD, what=f"d{name} for B={B}, L={L}, d={d}, C={C}")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_any")
def test_batch_elements_do_not_mix(solution):
    """Changing batch element 1 (inputs and labels) leaves the gradients of element 0 unchanged."""
    Q, K, V, W_o, y = _problem(49, B=2, L=3, d=4, C=5)
    before = _grads(solution, Q, K, V, W_o, y)
    rng = np.random.default_rng(50)
    Q2, K2, V2, y2 = Q.copy(), K.copy(), V.copy(), y.copy()
    Q2[1], K2[1], V2[1] = (rng.normal(scale=2.0, size=(3, 4)) for _ in range(3))
    y2[1] = (y[1] + 1) % 5
    after = _grads(solution, Q2, K2, V2, W_o, y2)
    for k, name in ((1, "dQ"), (2, "dK"), (3, "dV")):
        assert_close(after[k][0], before[k][0], what=f"{name} of batch element 0 after changing element 1")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_large")
def test_large_scores_and_logits_are_stable(solution):
    """Attention scores and logits in the hundreds give a finite, correct loss and finite gradients."""
    Q, K, V, W_o, y = _problem(51, scale=12.0, wscale=200.0)
    loss, dQ, dK, dV = _grads(solution, Q, K, V, W_o, y)
    loss = assert_scalar(loss, what="loss")
    assert math.isfinite(loss), "the loss is not finite for large scores and logits"
    assert_close(loss, _loop_loss(Q, K, V, W_o, y), what="loss with large scores and logits")
    for name, g in (("dQ", dQ), ("dK", dK), ("dV", dV)):
        assert_finite(g, what=f"{name} with large scores and logits")


@pytest.mark.points(1)
def test_inputs_not_modified(solution):
    """Q, K, V, W_o and y are left unchanged."""
    args = _problem(52)
    solution.attention_ce_grads(*args)
    for name, new in zip(("Q", "K", "V", "W_o", "y"), args):
        assert_not_modified(new, what=name)
