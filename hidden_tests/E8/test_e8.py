"""Hidden checks for E8: offset heads from positional embeddings, causal versus bidirectional patterns."""

import numpy as np
import pytest
from toymodel import load_model

from runner.checks import assert_close, assert_not_modified, assert_scalar, assert_shape
from runner.counterexamples import Call, OutsideDomain, Property, float_array

D_MODEL, N_CTX = 11, 7


def random_pos(seed, d_model=D_MODEL, n_ctx=N_CTX):
    """Positional embeddings with independent, non-orthonormal columns."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(d_model, n_ctx)) + 0.5 * rng.normal(size=(d_model, 1))


def scores_on_positions(W_pos, W_Q, W_K):
    """s[i, j] = (W_Q x_i)·(W_K x_j)/sqrt(d_head) with x_i = W_pos[:, i], by explicit loops."""
    n = W_pos.shape[1]
    d_head = W_Q.shape[0]
    s = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            s[i, j] = np.dot(W_Q @ W_pos[:, i], W_K @ W_pos[:, j]) / np.sqrt(d_head)
    return s


def target_scores(n, offset, strength):
    t = np.zeros((n, n))
    for i in range(n):
        if 0 <= i + offset < n:
            t[i, i + offset] = strength
    return t


def loop_pattern(W_pos, W_Q, W_K, L, causal):
    s = scores_on_positions(W_pos[:, :L], W_Q, W_K)
    out = np.zeros((L, L))
    for i in range(L):
        keys = range(i + 1) if causal else range(L)
        row = np.array([s[i, j] for j in keys])
        w = np.exp(row - row.max())
        out[i, list(keys)] = w / w.sum()
    return out



# ---- counterexamples: properties `practice submit --reveal` may search (small W_pos, W_Q, W_K; never hidden data) ----

def _pattern_calls():
    """d_model, n_ctx, d_head from 1 to 3 and L from 1 to n_ctx; causal= given (True or False) or not."""
    from hypothesis import strategies as st

    def build(dims):
        d, n, dh = dims
        return st.tuples(float_array((d, n), 3.0), float_array((dh, d), 3.0), float_array((dh, d), 3.0),
                         st.integers(1, n), st.sampled_from([None, True, False])).map(
            lambda a: Call(a[:4], {} if a[4] is None else {"causal": a[4]}))

    return st.tuples(*[st.integers(1, 3)] * 3).flatmap(build)


def _score_calls():
    """A small square pattern (any entries) and an offset with at least one valid row."""
    from hypothesis import strategies as st

    def build(n):
        return st.tuples(float_array((n, n), 1.0), st.integers(-(n - 1), n - 1)).map(lambda a: Call(a))

    return st.integers(1, 4).flatmap(build)


def _loop_score(pattern, offset):
    n = len(pattern)
    values = [float(pattern[i][i + offset]) for i in range(n) if 0 <= i + offset < n]
    if not values:
        raise OutsideDomain("no valid row: ValueError")
    return sum(values) / len(values)


def reveal_pattern():
    """Any small W_pos, W_Q, W_K and L, causal by default: per-query loop softmax over the allowed keys."""
    return Property("positional_pattern", _pattern_calls,
                    lambda W_pos, W_Q, W_K, L, causal=True: loop_pattern(W_pos, W_Q, W_K, L, causal))


def reveal_score():
    """Any small pattern and offset: the mean of pattern[i, i + offset] over the rows where i + offset exists."""
    return Property("offset_score", _score_calls, _loop_score)

@pytest.mark.points(2)
def test_previous_token_scores(solution):
    """offset -1: scaled scores on x_i = W_pos[:, i] are `strength` at j = i - 1, else 0 (W_pos not orthonormal)."""
    W_pos = random_pos(1)
    W_Q, W_K = solution.offset_head(W_pos, -1, 7.5)
    assert_not_modified(W_pos, "W_pos")
    assert_shape(W_Q, (N_CTX, D_MODEL), "W_Q")
    assert_shape(W_K, (N_CTX, D_MODEL), "W_K")
    s = scores_on_positions(W_pos, W_Q, W_K)
    assert_close(s[0], np.zeros(N_CTX), atol=1e-8, what="row 0 of the scores (i - 1 does not exist: no wrap-around)")
    assert_close(s, target_scores(N_CTX, -1, 7.5), atol=1e-8, what="scaled scores of the offset -1 head")


@pytest.mark.points(1)
def test_other_offsets(solution):
    """Offsets -2, 0, +2 and one beyond n_ctx give the right scores, zero rows where i + offset is out of range."""
    W_pos = random_pos(2)
    for offset, strength in ((-2, 3.0), (0, -2.0), (2, 4.0), (N_CTX, 5.0)):
        W_Q, W_K = solution.offset_head(W_pos, offset, strength)
        s = scores_on_positions(W_pos, W_Q, W_K)
        assert_close(s, target_scores(N_CTX, offset, strength), atol=1e-8,
                     what=f"scaled scores for offset {offset}")


@pytest.mark.points(1)
def test_blind_to_non_positional_directions(solution):
    """W_Q and W_K vanish off span(W_pos): token embeddings orthogonal to it leave the pattern unchanged."""
    rng = np.random.default_rng(3)
    W_pos = random_pos(3)
    W_Q, W_K = solution.offset_head(W_pos, -1, 9.0)
    basis, _ = np.linalg.qr(W_pos)
    comp = rng.normal(size=(D_MODEL, 4))
    comp -= basis @ (basis.T @ comp)  # orthogonal to every column of W_pos
    assert_close(np.asarray(W_Q) @ comp, np.zeros((N_CTX, 4)), atol=1e-8, what="W_Q on directions orthogonal to W_pos")
    assert_close(np.asarray(W_K) @ comp, np.zeros((N_CTX, 4)), atol=1e-8, what="W_K on directions orthogonal to W_pos")
    # a 1-layer toy model whose tokens live in that orthogonal complement
    vocab = 5
    W_E = comp @ rng.normal(size=(4, vocab))
    model = load_model({"W_E": W_E, "W_pos": W_pos, "W_Q": np.asarray(W_Q)[None, None],
                        "W_K": np.asarray(W_K)[None, None], "W_V": rng.normal(size=(1, 1, 3, D_MODEL)),
                        "W_O": rng.normal(size=(1, 1, D_MODEL, 3)), "W_U": rng.normal(size=(vocab, D_MODEL))})
    tokens = rng.integers(0, vocab, size=(3, N_CTX))
    _, cache = model.run_with_cache(tokens)
    expect = loop_pattern(W_pos, np.asarray(W_Q), np.asarray(W_K), N_CTX, causal=True)
    assert_close(cache["blocks.0.attn.pattern"][:, 0], np.broadcast_to(expect, (3, N_CTX, N_CTX)), atol=1e-8,
                 what="pattern of the toy model with token embeddings orthogonal to the positions")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_pattern")
def test_positional_pattern_matches_loop(solution):
    """positional_pattern matches a loop (d_head != n_ctx, L < n_ctx), causal and bidirectional."""
    rng = np.random.default_rng(4)
    W_pos = random_pos(4)
    W_Q, W_K = rng.normal(size=(3, D_MODEL)), rng.normal(size=(3, D_MODEL))
    for causal in (True, False):
        got = solution.positional_pattern(W_pos, W_Q, W_K, 5, causal=causal)
        assert_shape(got, (5, 5), "pattern")
        assert_close(got, loop_pattern(W_pos, W_Q, W_K, 5, causal), what=f"pattern with causal={causal}")
    for after, name in zip((W_pos, W_Q, W_K), ("W_pos", "W_Q", "W_K")):
        assert_not_modified(after, name)
    default = solution.positional_pattern(W_pos, W_Q, W_K, 5)
    assert np.all(np.triu(default, 1) == 0.0), "the default must be causal: keys j > i get weight exactly 0"


@pytest.mark.points(2)
def test_next_token_head_under_causal_mask(solution):
    """An offset +1 head is uniform over j <= i under the causal mask, and a next-token head without it."""
    W_pos = random_pos(5)
    W_Q, W_K = solution.offset_head(W_pos, 1, 10.0)
    causal = solution.positional_pattern(W_pos, W_Q, W_K, N_CTX, causal=True)
    uniform = np.tril(np.ones((N_CTX, N_CTX))) / np.arange(1, N_CTX + 1)[:, None]
    assert_close(causal, uniform, atol=1e-9, what="causal pattern of the offset +1 head")
    assert assert_scalar(solution.offset_score(causal, 1), "offset_score") == 0.0, \
        "under the causal mask no weight can reach i + 1"
    free = solution.positional_pattern(W_pos, W_Q, W_K, N_CTX, causal=False)
    expect = np.exp(10.0) / (np.exp(10.0) + N_CTX - 1)
    assert_close(assert_scalar(solution.offset_score(free, 1)), expect, rtol=1e-6,
                 what="offset_score of the bidirectional offset +1 head")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_score")
def test_offset_score_skips_rows_without_a_key(solution):
    """offset_score averages pattern[i, i + offset] over valid rows only; no valid row raises ValueError."""
    rng = np.random.default_rng(6)
    p = rng.random((6, 6))
    p /= p.sum(axis=1, keepdims=True)
    for offset in (-3, -1, 0, 2):
        rows = [i for i in range(6) if 0 <= i + offset < 6]
        expect = np.mean([p[i, i + offset] for i in rows])
        assert_close(assert_scalar(solution.offset_score(p, offset)), expect, what=f"offset_score for offset {offset}")
    with pytest.raises(ValueError):
        solution.offset_score(p, -6)


@pytest.mark.points(1)
def test_too_few_dimensions_raise(solution):
    """offset_head raises ValueError when d_model < n_ctx."""
    with pytest.raises(ValueError):
        solution.offset_head(np.random.default_rng(7).normal(size=(4, 6)), -1, 5.0)
