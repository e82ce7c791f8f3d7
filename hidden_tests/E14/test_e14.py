"""Hidden checks for E14: replace_direction, and a residual patch's logit change in toy models."""

import numpy as np
import pytest
from toymodel import load_model

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape
from runner.counterexamples import Call, OutsideDomain, Property, float_array


def loop_replace(x, f, g):
    x = np.asarray(x, dtype=np.float64)
    fh, gh = f / np.sqrt(np.sum(f * f)), g / np.sqrt(np.sum(g * g))
    flat = x.reshape(-1, x.shape[-1]).copy()
    for r in range(flat.shape[0]):
        c = sum(flat[r, i] * fh[i] for i in range(len(fh)))
        flat[r] = flat[r] - c * fh + c * gh
    return flat.reshape(x.shape)



# ---- counterexamples: properties `practice submit --reveal` may search (any small x, f, g; never hidden data) ----

def _replace_calls(dtype=np.float64):
    """x with 0 to 2 leading axes and d from 1 to 3; f and g [d] of multiples of 1/4 (zero ones are outside)."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    bound = 3.0 if dtype == np.float64 else 1.0  # float32: rounding stays far below rtol 1e-4

    def build(dims):
        lead, d = dims
        vec = hnp.arrays(np.float64, (d,), elements=st.integers(-8, 8).map(lambda k: k / 4))
        return st.tuples(float_array(lead + (d,), bound, dtype), vec, vec).map(lambda a: Call(a))

    lead = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2)
    return st.tuples(lead, st.integers(1, 3)).flatmap(build)


def _loop_replace_nonzero(x, f, g):
    if not np.any(f) or not np.any(g):
        raise OutsideDomain("a zero f or g raises ValueError")
    return loop_replace(x, f, g)


def reveal_replace():
    """Any small x and non-zero f, g: x - (x·f̂) f̂ + (x·f̂) ĝ row by row."""
    return Property("replace_direction", _replace_calls, _loop_replace_nonzero, check_dtype=True)


def reveal_float32():
    """float32 x (float64 f, g): a float32 result, rtol 1e-4."""
    return Property("replace_direction", lambda: _replace_calls(np.float32),
                    lambda *a: _loop_replace_nonzero(*a).astype(np.float32), rtol=1e-4, atol=1e-5, check_dtype=True)

def manual_logits(w, tokens, edit_layer=None, f=None, g=None, pos=None):
    """Independent forward pass (loops over layers and heads) with an optional residual edit."""
    w = {k: np.asarray(v, dtype=np.float64) for k, v in w.items()}
    n_layers, n_heads, d_head, _ = w["W_Q"].shape
    L = tokens.shape[-1]
    x = w["W_E"].T[tokens] + w["W_pos"][:, :L].T

    def edit(x):
        if pos is None:
            return loop_replace(x, f, g)
        x = x.copy()
        x[..., pos, :] = loop_replace(x[..., pos, :], f, g)
        return x

    mask = np.tril(np.ones((L, L), dtype=bool))
    for layer in range(n_layers):
        if layer == edit_layer:
            x = edit(x)
        out = np.zeros_like(x)
        for h in range(n_heads):
            q = x @ w["W_Q"][layer, h].T
            k = x @ w["W_K"][layer, h].T
            v = x @ w["W_V"][layer, h].T
            s = np.where(mask, q @ np.swapaxes(k, -1, -2) / np.sqrt(d_head), -np.inf)
            a = np.exp(s - s.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            out += (a @ v) @ w["W_O"][layer, h].T
        x = x + out
    if edit_layer == n_layers:
        x = edit(x)
    return x @ w["W_U"].T


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_replace")
def test_replace_direction_matches_loop(solution):
    """replace_direction matches x - (x·f̂) f̂ + (x·f̂) ĝ along the last axis for non-unit f and g."""
    rng = np.random.default_rng(1)
    x, f, g = rng.normal(size=(3, 4, 5)), rng.normal(size=5) * 3.0, rng.normal(size=5) * 0.2
    got = solution.replace_direction(x, f, g)
    assert_shape(got, x.shape)
    assert_close(got, loop_replace(x, f, g), what="replace_direction")
    for after, name in zip((x, f, g), "xfg"):
        assert_not_modified(after, name)
    one = solution.replace_direction(x[1, 2], f, g)
    assert_close(one, loop_replace(x[1, 2], f, g), what="replace_direction on a single vector")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_replace")
def test_replace_direction_properties(solution):
    """Rescaling f or g changes nothing, f == g is the identity, and components orthogonal to f and g survive."""
    rng = np.random.default_rng(2)
    x, f, g = rng.normal(size=(6, 4)), rng.normal(size=4), rng.normal(size=4)
    base = solution.replace_direction(x, f, g)
    assert_close(solution.replace_direction(x, 7.0 * f, 0.01 * g), base, what="result after rescaling f and g")
    assert_close(solution.replace_direction(x, f, 2.0 * f), x, what="result when g is parallel to f")
    basis, _ = np.linalg.qr(np.stack([f, g], axis=1))
    perp = lambda v: v - (v @ basis) @ basis.T  # noqa: E731
    assert_close(perp(base), perp(x), what="component orthogonal to f and g")


@pytest.mark.points(1)
def test_zero_norm_raises(solution):
    """A zero f or a zero g raises ValueError."""
    x = np.ones((2, 3))
    with pytest.raises(ValueError):
        solution.replace_direction(x, np.zeros(3), np.ones(3))
    with pytest.raises(ValueError):
        solution.replace_direction(x, np.ones(3), np.zeros(3))


@pytest.mark.points(1)
def test_bad_shapes_raise(solution):
    """f or g not of shape [d] (for example [1, d], or another width) raises ValueError."""
    rng = np.random.default_rng(14)
    x, f, g = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=5)
    for bad_f, bad_g in ((f, g[None]), (f[None], g), (f, g[:4]), (f[:4], g), (f[:, None], g)):
        with pytest.raises(ValueError):
            solution.replace_direction(x, bad_f, bad_g)


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_float32")
def test_float32_stays_float32(solution):
    """float32 x gives a float32 result, correct to rtol=1e-4."""
    rng = np.random.default_rng(3)
    x, f, g = rng.normal(size=(4, 6)).astype(np.float32), rng.normal(size=6), rng.normal(size=6)
    got = solution.replace_direction(x, f, g)
    assert_dtype(got, np.float32)
    assert_close(got, loop_replace(x, f, g), rtol=1e-4, atol=1e-5, what="float32 result")


@pytest.mark.points(2)
def test_patch_final_residual_closed_form(solution):
    """layer == n_layers: the logit change is (x·f̂)(ĝ - f̂) W_U^T at every position (e9-name-movers fixture)."""
    model = load_model("e9-name-movers")
    rng = np.random.default_rng(4)
    tokens = rng.integers(0, model.vocab, size=(3, 9))
    f, g = rng.normal(size=model.d_model), rng.normal(size=model.d_model)
    got = solution.patch_direction("e9-name-movers", tokens, model.n_layers, f, g)
    _, cache = model.run_with_cache(tokens)
    final = cache[f"blocks.{model.n_layers - 1}.resid_post"]
    fh, gh = f / np.linalg.norm(f), g / np.linalg.norm(g)
    expect = (final @ fh)[..., None] * ((gh - fh) @ model.W_U.T)
    assert_shape(got, (3, 9, model.vocab), "logit change")
    assert_close(got, expect, atol=1e-8, what="logit change of a final-residual patch")


@pytest.mark.points(2)
def test_patch_earlier_layers(solution):
    """Patching the residual entering layer 0 or 1 matches an independent forward pass (e18-two-paths)."""
    w = load_model("e18-two-paths").weights
    rng = np.random.default_rng(5)
    tokens = rng.integers(0, 8, size=(2, 10))
    d = w["W_E"].shape[0]
    f, g = rng.normal(size=d), rng.normal(size=d)
    clean = manual_logits(w, tokens)
    for layer in (0, 1):
        got = solution.patch_direction(w, tokens, layer, f, g)
        assert_close(got, manual_logits(w, tokens, layer, f, g) - clean, atol=1e-8,
                     what=f"logit change of a patch entering layer {layer}")
    one = solution.patch_direction(w, tokens[0], 1, f, g)
    assert_shape(one, (10, 8), "logit change for one sequence [L]")


@pytest.mark.points(1)
def test_patch_one_position(solution):
    """pos patches only that position: earlier positions do not change at all, later ones do."""
    w = load_model("e18-two-paths").weights
    rng = np.random.default_rng(6)
    tokens = rng.integers(0, 8, size=(2, 10))
    d = w["W_E"].shape[0]
    f, g = rng.normal(size=d), rng.normal(size=d)
    got = solution.patch_direction(w, tokens, 1, f, g, pos=4)
    assert np.all(got[:, :4] == 0.0), "positions before pos must be untouched"
    clean = manual_logits(w, tokens)
    assert_close(got, manual_logits(w, tokens, 1, f, g, pos=4) - clean, atol=1e-8,
                 what="logit change of a one-position patch")
    with pytest.raises(ValueError):
        solution.patch_direction(w, tokens, 3, f, g)
