"""Hidden checks for E5: split_heads, merge_heads, multi_head_attention."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape
from runner.counterexamples import Call, Property, float_array

B, L, D_MODEL = 2, 5, 12


def _weights(seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(D_MODEL, D_MODEL)) / np.sqrt(D_MODEL) for _ in range(4)]


def _mha_loop(X, W_Q, W_K, W_V, W_O, n_heads):
    """Independent multi-head attention: per batch, per head, per query, with column-vector weights."""
    dh = D_MODEL // n_heads
    out = np.zeros(X.shape)
    for b in range(X.shape[0]):
        n = X.shape[1]
        heads = np.zeros((n, D_MODEL))
        for h in range(n_heads):
            sl = slice(h * dh, (h + 1) * dh)
            q = np.array([W_Q[sl] @ X[b, i] for i in range(n)])
            k = np.array([W_K[sl] @ X[b, j] for j in range(n)])
            v = np.array([W_V[sl] @ X[b, j] for j in range(n)])
            for i in range(n):
                s = np.array([q[i] @ k[j] for j in range(n)]) / np.sqrt(dh)
                w = np.exp(s - s.max())
                w /= w.sum()
                heads[i, sl] = w @ v
        out[b] = np.array([W_O @ heads[i] for i in range(n)])
    return out



# ---- counterexamples: properties `practice submit --reveal` may search (any small arrays; never hidden data) ----

def _loop_split(x, n_heads):
    """Head h holds features h*d_head..(h+1)*d_head-1, copied entry by entry."""
    x = np.asarray(x, dtype=np.float64)
    *lead, n, width = x.shape
    dh = width // n_heads
    out = np.empty((*lead, n_heads, n, dh))
    for idx in np.ndindex(*lead, n_heads, n, dh):
        *rest, h, i, f = idx
        out[idx] = x[(*rest, i, h * dh + f)]
    return out


def _loop_merge(y):
    """Feature h*d_head + f of position i is head h's feature f, entry by entry."""
    y = np.asarray(y, dtype=np.float64)
    *lead, n_heads, n, dh = y.shape
    out = np.empty((*lead, n, n_heads * dh))
    for idx in np.ndindex(*lead, n_heads, n, dh):
        *rest, h, i, f = idx
        out[(*rest, i, h * dh + f)] = y[idx]
    return out


def _loop_mha(X, W_Q, W_K, W_V, W_O, n_heads):
    """_mha_loop for any d_model."""
    X, W_Q, W_K, W_V, W_O = (np.asarray(a, dtype=np.float64) for a in (X, W_Q, W_K, W_V, W_O))
    d = X.shape[-1]
    dh = d // n_heads
    out = np.zeros(X.shape)
    for b in range(X.shape[0]):
        n = X.shape[1]
        heads = np.zeros((n, d))
        for h in range(n_heads):
            sl = slice(h * dh, (h + 1) * dh)
            q, k, v = ([W[sl] @ X[b, j] for j in range(n)] for W in (W_Q, W_K, W_V))
            for i in range(n):
                s = np.array([q[i] @ k[j] for j in range(n)]) / np.sqrt(dh)
                w = np.exp(s - s.max())
                heads[i, sl] = (w / w.sum()) @ np.array(v)
        out[b] = np.array([W_O @ heads[i] for i in range(n)])
    return out


def _heads_calls(lead_dims, build):
    """Leading axes (0 to `lead_dims`), L, n_heads and d_head from 1 to 3, then `build(lead, L, H, dh)`."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    lead = hnp.array_shapes(min_dims=0, max_dims=lead_dims, min_side=1, max_side=2)
    return st.tuples(lead, *[st.integers(1, 3)] * 3).flatmap(lambda d: build(*d))


def reveal_split():
    """Any small x [..., L, n_heads * d_head] and n_heads: contiguous heads, entry by entry."""
    return Property("split_heads", lambda: _heads_calls(
        2, lambda lead, n, H, dh: float_array(lead + (n, H * dh)).map(lambda x: Call((x, H)))), _loop_split)


def reveal_merge():
    """Any small y [..., n_heads, L, d_head]: heads side by side, entry by entry."""
    return Property("merge_heads", lambda: _heads_calls(
        2, lambda lead, n, H, dh: float_array(lead + (H, n, dh)).map(lambda y: Call((y,)))), _loop_merge)


def _mha_calls(dtype=np.float64):
    bound = 3.0 if dtype == np.float64 else 1.0  # float32: rounding stays far below rtol 1e-4
    from hypothesis import strategies as st

    def build(lead, n, H, dh):
        d = H * dh
        return st.tuples(float_array((lead[0] if lead else 1, n, d), bound, dtype),
                         *[float_array((d, d), 1.0, dtype)] * 4).map(lambda a: Call((*a, H)))

    return _heads_calls(1, build)


def reveal_mha():
    """Any small X [B, L, n_heads * d_head] and square weights: per batch, head and query loops."""
    return Property("multi_head_attention", _mha_calls, _loop_mha, check_dtype=True)


def reveal_mha_float32():
    """float32 X and weights: a float32 result, rtol 1e-4."""
    return Property("multi_head_attention", lambda: _mha_calls(np.float32),
                    lambda *a: _loop_mha(*a).astype(np.float32), rtol=1e-4, atol=1e-4, check_dtype=True)

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_split")
def test_split_heads_contiguous(solution):
    """split_heads puts features h*d_head..(h+1)*d_head-1 in head h, for 2-d and 4-d inputs."""
    rng = np.random.default_rng(0)
    for shape, H in (((L, D_MODEL), 3), ((2, 3, L, D_MODEL), 4)):
        x = rng.normal(size=shape)
        dh = D_MODEL // H
        expected = np.zeros(shape[:-2] + (H, L, dh))
        for h in range(H):
            expected[..., h, :, :] = x[..., :, h * dh:(h + 1) * dh]
        assert_close(solution.split_heads(x, H), expected, what=f"split_heads of shape {shape} into {H} heads")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_merge")
def test_merge_heads_inverts_split(solution):
    """merge_heads is the exact inverse of split_heads, in both directions."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(B, L, D_MODEL))
    y = rng.normal(size=(B, 4, L, 3))
    expected = np.concatenate([y[:, h] for h in range(4)], axis=-1)  # head h -> features 3h..3h+2
    assert_close(solution.merge_heads(y), expected, what="merge_heads")
    assert_close(solution.merge_heads(solution.split_heads(x, 3)), x, what="merge_heads(split_heads(x))")
    assert_close(solution.split_heads(solution.merge_heads(y), 4), y, what="split_heads(merge_heads(y))")


@pytest.mark.points(1)
def test_split_rejects_indivisible_width(solution):
    """split_heads raises ValueError when the feature axis is not divisible by n_heads."""
    with pytest.raises(ValueError):
        solution.split_heads(np.zeros((B, L, 10)), 4)


@pytest.mark.points(3)
@pytest.mark.reveal("reveal_mha")
def test_mha_matches_loop(solution):
    """multi_head_attention matches per-head loops (q_i = W_Q x_i, scale 1/sqrt(d_head), output W_O)."""
    X = np.random.default_rng(2).normal(size=(B, L, D_MODEL))
    for n_heads, seed in ((3, 3), (4, 4)):
        W = _weights(seed)
        out = solution.multi_head_attention(X, *W, n_heads)
        assert_shape(out, (B, L, D_MODEL), "multi_head_attention output")
        assert_close(out, _mha_loop(X, *W, n_heads), what=f"multi_head_attention with {n_heads} heads")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_mha")
def test_batch_elements_do_not_mix(solution):
    """Changing one batch element leaves the other's output unchanged (and L=7 works)."""
    rng = np.random.default_rng(5)
    W = _weights(6)
    X = rng.normal(size=(B, 7, D_MODEL))
    out1 = solution.multi_head_attention(X, *W, 2)
    X2 = X.copy()
    X2[1] = rng.normal(size=(7, D_MODEL))
    out2 = solution.multi_head_attention(X2, *W, 2)
    assert_close(out2[0], out1[0], rtol=1e-12, atol=1e-12, what="output of the unchanged batch element")
    assert_close(out1, _mha_loop(X, *W, 2), what="multi_head_attention with L=7")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_mha_float32")
def test_float32_kept(solution):
    """float32 X and weights give a float32 result matching float64 math to rtol 1e-4."""
    X = np.random.default_rng(7).normal(size=(B, L, D_MODEL))
    W = _weights(8)
    out = solution.multi_head_attention(X.astype(np.float32), *[w.astype(np.float32) for w in W], 3)
    assert_dtype(out, np.float32)
    assert_close(out, _mha_loop(X, *W, 3), rtol=1e-4, atol=1e-5, what="float32 result")


@pytest.mark.points(1)
def test_inputs_not_modified(solution):
    """Neither the split/merge helpers nor multi_head_attention modify their inputs."""
    rng = np.random.default_rng(9)
    X = rng.normal(size=(B, L, D_MODEL))
    W = _weights(10)
    solution.multi_head_attention(X, *W, 3)
    for after, name in zip([X, *W], ("X", "W_Q", "W_K", "W_V", "W_O")):
        assert_not_modified(after, name)
    y = rng.normal(size=(B, 3, L, 4))
    solution.merge_heads(y)
    solution.split_heads(X, 4)
    assert_not_modified(y, "the input of merge_heads")
    assert_not_modified(X, "the input of split_heads")
