"""Hidden checks for 2C: projecting onto, ablating, and reading the logit effect of a residual-stream feature."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_array

D_MODEL, VOCAB = 6, 11


def _loop_unit(f):
    f = [float(v) for v in f]
    n = math.sqrt(math.fsum(v * v for v in f))
    return [v / n for v in f]


def _loop_projection(x, f):
    """Independent x·f/||f||, one row at a time."""
    x = np.asarray(x, dtype=np.float64)
    fh = _loop_unit(f)
    out = np.empty(x.shape[:-1])
    for idx in np.ndindex(x.shape[:-1]):
        out[idx] = math.fsum(a * b for a, b in zip(x[idx].tolist(), fh))
    return out


def _loop_ablate(x, f):
    """Independent x - (x·f_hat) f_hat, one row at a time."""
    x = np.asarray(x, dtype=np.float64)
    fh = _loop_unit(f)
    out = np.empty_like(x)
    for idx in np.ndindex(x.shape[:-1]):
        row = x[idx].tolist()
        c = math.fsum(a * b for a, b in zip(row, fh))
        out[idx] = [a - c * b for a, b in zip(row, fh)]
    return out


def _loop_logits(x, W_E):
    """Independent tied-unembedding logits: logit_t = sum_k x_k W_E[k, t]."""
    x = np.asarray(x, dtype=np.float64)
    W = np.asarray(W_E, dtype=np.float64)
    out = np.empty(x.shape[:-1] + (W.shape[1],))
    for idx in np.ndindex(x.shape[:-1]):
        row = x[idx].tolist()
        out[idx] = [math.fsum(row[k] * W[k, t] for k in range(W.shape[0])) for t in range(W.shape[1])]
    return out



# ---- counterexamples: properties `practice submit --reveal` may search (any small x, f, W_E; never hidden data) ----

def _xf_calls(unembed=False, dtype=np.float64):
    """x with 0 to 2 leading axes, d_model (and vocab) from 1 to 3; f of multiples of 1/4 (a zero f is outside)."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    bound = 3.0 if dtype == np.float64 else 1.0  # float32: rounding stays far below rtol 1e-4

    def build(dims):
        lead, d, vocab = dims
        f = hnp.arrays(np.dtype(dtype), (d,), elements=st.integers(-8, 8).map(lambda k: k / 4))
        w = float_array((d, vocab), bound, dtype) if unembed else st.none()
        return st.tuples(float_array(lead + (d,), bound, dtype), f, w).map(
            lambda a: Call(a if unembed else a[:2]))

    lead = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2)
    return st.tuples(lead, st.integers(1, 3), st.integers(1, 3)).flatmap(build)


def _loop_change(x, f, W_E):
    return _loop_logits(_loop_ablate(x, f), W_E) - _loop_logits(x, W_E)


def reveal_projection():
    """Any small x and non-zero f: x·f/||f|| row by row."""
    return Property("feature_projection", _xf_calls, _loop_projection, check_dtype=True)


def reveal_ablate():
    """Any small x and non-zero f: x - (x·f_hat) f_hat row by row."""
    return Property("ablate_feature", _xf_calls, _loop_ablate, check_dtype=True)


def reveal_logit_change():
    """Any small x, non-zero f and W_E [d_model, vocab]: loop logits of the ablated x minus those of x."""
    return Property("ablation_logit_change", lambda: _xf_calls(unembed=True), _loop_change, check_dtype=True)


def reveal_float32():
    """float32 x and f: a float32 projection, rtol 1e-4."""
    return Property("feature_projection", lambda: _xf_calls(dtype=np.float32),
                    lambda x, f: _loop_projection(x, f).astype(np.float32), rtol=1e-4, atol=1e-5, check_dtype=True)

def _setup(seed, lead=(4,)):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=lead + (D_MODEL,))
    f = 3.7 * rng.normal(size=D_MODEL)  # deliberately not unit length
    W_E = rng.normal(size=(D_MODEL, VOCAB)) / math.sqrt(D_MODEL)
    return x, f, W_E


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_projection")
def test_projection_matches_definition(solution):
    """feature_projection(x, f) is x·f/||f|| for each row, with f not unit length."""
    x, f, _ = _setup(0)
    want = _loop_projection(x, f)
    got = solution.feature_projection(x, f)
    assert_shape(got, (4,), what="feature_projection of [4, d_model] rows")
    assert_close(got, want, what="feature_projection")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_projection")
def test_projection_depends_only_on_direction(solution):
    """Rescaling f by c > 0 leaves the projection unchanged; flipping f flips its sign."""
    x, f, _ = _setup(1)
    want = _loop_projection(x, f)
    assert_close(solution.feature_projection(x, 0.01 * f), want, what="feature_projection with f scaled by 0.01")
    assert_close(solution.feature_projection(x, -f), -want, what="feature_projection with f negated")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_ablate")
def test_ablate_matches_definition(solution):
    """ablate_feature(x, f) is x - (x·f_hat) f_hat with f_hat = f/||f||."""
    x, f, _ = _setup(2)
    want = _loop_ablate(x, f)
    got = solution.ablate_feature(x, f)
    assert_shape(got, x.shape, what="ablate_feature of [4, d_model] rows")
    assert_close(got, want, what="ablate_feature")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_ablate")
def test_ablation_removes_only_the_feature(solution):
    """The ablated x is orthogonal to f, ablating twice changes nothing, and directions orthogonal to f are kept."""
    x, f, _ = _setup(3)
    xa = solution.ablate_feature(x.copy(), f)
    assert_close(xa @ f, np.zeros(4), atol=1e-10, what="(ablated x)·f")
    assert_close(solution.ablate_feature(xa.copy(), f), xa, what="ablate_feature applied twice")
    g = np.random.default_rng(30).normal(size=D_MODEL)
    g -= (g @ f) / (f @ f) * f  # g orthogonal to f
    assert_close(xa @ g, x @ g, what="components orthogonal to f")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_logit_change")
def test_logit_change_matches_definition(solution):
    """ablation_logit_change is logits(ablated x) - logits(x) with tied W_U = W_E.T, W_E of shape [d_model, vocab]."""
    x, f, W_E = _setup(4)
    want = _loop_logits(_loop_ablate(x, f), W_E) - _loop_logits(x, W_E)
    got = solution.ablation_logit_change(x, f, W_E)
    assert_shape(got, (4, VOCAB), what="ablation_logit_change of [4, d_model] rows")
    assert_close(got, want, what="ablation_logit_change")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_logit_change")
def test_logit_change_spares_tokens_orthogonal_to_f(solution):
    """Tokens whose embedding is orthogonal to f keep their logits; the rest move by -(x·f_hat)(f_hat·e_t)."""
    rng = np.random.default_rng(5)
    x, f, W_E = _setup(5)
    for t in (0, 3, 7):
        e = rng.normal(size=D_MODEL)
        W_E[:, t] = e - (e @ f) / (f @ f) * f
    got = solution.ablation_logit_change(x, f, W_E)
    assert_close(got[:, [0, 3, 7]], np.zeros((4, 3)), atol=1e-10, what="logit change of tokens orthogonal to f")
    fh = np.asarray(_loop_unit(f))
    want = -np.outer(_loop_projection(x, f), fh @ W_E)
    assert_close(got, want, what="logit change against -(x·f_hat)(f_hat·e_t)")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_projection")
def test_batch_axes(solution):
    """[B, L, d_model] inputs give [B, L], [B, L, d_model] and [B, L, vocab]; a [d_model] vector works too."""
    x, f, W_E = _setup(6, lead=(2, 3))
    want_p, want_a = _loop_projection(x, f), _loop_ablate(x, f)
    want_l = _loop_logits(want_a, W_E) - _loop_logits(x, W_E)
    assert_close(solution.feature_projection(x, f), want_p, what="feature_projection of [2, 3, d_model]")
    assert_close(solution.ablate_feature(x.copy(), f), want_a, what="ablate_feature of [2, 3, d_model]")
    assert_close(solution.ablation_logit_change(x, f, W_E), want_l, what="ablation_logit_change of [2, 3, d_model]")
    v = x[1, 2].copy()
    assert_close(solution.feature_projection(v, f), want_p[1, 2], what="feature_projection of one vector")
    assert_close(solution.ablate_feature(v.copy(), f), want_a[1, 2], what="ablate_feature of one vector")
    assert_close(solution.ablation_logit_change(v, f, W_E), want_l[1, 2], what="ablation_logit_change of one vector")


@pytest.mark.points(1)
def test_zero_feature_raises(solution):
    """A feature direction f of zero norm raises ValueError in all three functions."""
    x, _, W_E = _setup(7)
    zero = np.zeros(D_MODEL)
    with pytest.raises(ValueError):
        solution.feature_projection(x, zero)
    with pytest.raises(ValueError):
        solution.ablate_feature(x, zero)
    with pytest.raises(ValueError):
        solution.ablation_logit_change(x, zero, W_E)


@pytest.mark.points(1)
def test_does_not_modify_inputs(solution):
    """x, f and W_E are left unchanged."""
    x, f, W_E = _setup(8, lead=(2, 3))
    solution.feature_projection(x, f)
    solution.ablate_feature(x, f)
    solution.ablation_logit_change(x, f, W_E)
    assert_not_modified(x, what="x")
    assert_not_modified(f, what="f")
    assert_not_modified(W_E, what="W_E")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_stays_float32(solution):
    """float32 x, f and W_E give float32 results with the right values (rtol 1e-4)."""
    x, f, W_E = _setup(9)
    x, f, W_E = x.astype(np.float32), f.astype(np.float32), W_E.astype(np.float32)
    want_p, want_a = _loop_projection(x, f), _loop_ablate(x, f)
    want_l = _loop_logits(want_a, W_E) - _loop_logits(x, W_E)
    for name, got, want in [
        ("feature_projection", solution.feature_projection(x, f), want_p),
        ("ablate_feature", solution.ablate_feature(x.copy(), f), want_a),
        ("ablation_logit_change", solution.ablation_logit_change(x, f, W_E), want_l),
    ]:
        assert_dtype(got, np.float32, what=f"{name} of float32 inputs")
        assert_close(got, want, rtol=1e-4, atol=1e-5, what=f"{name} of float32 inputs")
