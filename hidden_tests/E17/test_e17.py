"""Hidden checks for E17: one edge's selection and write, on the e9 and e19 fixtures and a random model."""

import numpy as np
import pytest
from toymodel import load_model
from toymodel.quick_fixtures import permute_heads

from runner.checks import assert_close, assert_not_modified, assert_scalar, assert_shape


def e9_permuted():
    return permute_heads(load_model("e9-name-movers").weights, [[2, 3, 1, 0], [3, 1, 2, 0]])


def independent_edge(weights, tokens, layer, head, i, j, target):
    """Forward by hand up to `layer`, then the edge's four numbers by explicit dot products."""
    w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    n_layers, n_heads, d_head, _ = w["W_Q"].shape
    L = len(tokens)
    x = np.stack([w["W_E"][:, t] + w["W_pos"][:, p] for p, t in enumerate(tokens)])
    for lay in range(layer + 1):
        out = np.zeros_like(x)
        for h in range(n_heads):
            q, k, v = x @ w["W_Q"][lay, h].T, x @ w["W_K"][lay, h].T, x @ w["W_V"][lay, h].T
            A = np.zeros((L, L))
            for a in range(L):
                s = np.array([q[a] @ k[b] for b in range(a + 1)]) / np.sqrt(d_head)
                e = np.exp(s - s.max())
                A[a, :a + 1] = e / e.sum()
            if lay == layer and h == head:
                score = q[i] @ k[j] / np.sqrt(d_head)
                weight = A[i, j]
                write = w["W_U"][target] @ (w["W_O"][lay, h] @ v[j])
                dla = w["W_U"][target] @ (w["W_O"][lay, h] @ (A[i] @ v))
                return score, weight, write, weight * write, dla
            out += (A @ v) @ w["W_O"][lay, h].T
        x = x + out
    raise AssertionError("unreachable")


def floats(result):
    assert len(result) == 4, "return (score, weight, write, contribution)"
    return np.array([assert_scalar(r, name) for r, name in zip(result, ("score", "weight", "write", "contribution"))])


@pytest.mark.points(2)
def test_edge_in_layer_1(solution):
    """A layer-1 edge of the 2-layer fixture (heads reordered): score, weight, write and contribution."""
    weights = e9_permuted()
    tokens = np.array([0, 3, 9, 12, 5, 8, 10, 15])
    for head, i, j, target in ((1, 7, 4, 5), (3, 7, 1, 3), (0, 5, 5, 9)):
        got = floats(solution.edge_contribution(weights, tokens, 1, head, i, j, target))
        assert_close(got, np.array(independent_edge(weights, tokens, 1, head, i, j, target)[:4]),
                     what=f"edge {i} <- {j} of layer 1 head {head}")
    assert_not_modified(tokens, "tokens")


@pytest.mark.points(1)
def test_edge_in_layer_0(solution):
    """A layer-0 edge: the residual is just embeddings, and the write uses the source position j."""
    weights = permute_heads(load_model("e19-local-permutation").weights, [[2, 0, 3, 1]])
    tokens = np.array([4, 1, 7, 7, 2, 9])
    for head, i, j, target in ((1, 4, 4, 2), (0, 4, 3, 8), (3, 5, 0, 1)):
        got = floats(solution.edge_contribution(weights, tokens, 0, head, i, j, target))
        assert_close(got, np.array(independent_edge(weights, tokens, 0, head, i, j, target)[:4]),
                     what=f"edge {i} <- {j} of layer 0 head {head}")


@pytest.mark.points(2)
def test_contributions_sum_to_head_attribution(solution):
    """Summed over j <= i, edge contributions give the head's direct logit attribution (random model)."""
    rng = np.random.default_rng(3)
    d, dh, V, n = 7, 3, 9, 6
    weights = {"W_E": rng.normal(size=(d, V)), "W_pos": rng.normal(size=(d, n)),
               "W_Q": rng.normal(size=(2, 2, dh, d)) / 2, "W_K": rng.normal(size=(2, 2, dh, d)) / 2,
               "W_V": rng.normal(size=(2, 2, 4, d)) / 2, "W_O": rng.normal(size=(2, 2, d, 4)) / 2,
               "W_U": rng.normal(size=(V, d))}
    tokens = rng.integers(0, V, size=n)
    i, target = 5, 2
    total = sum(floats(solution.edge_contribution(weights, tokens, 1, 1, i, j, target))[3] for j in range(i + 1))
    dla = independent_edge(weights, tokens, 1, 1, i, 0, target)[4]
    assert_close(total, dla, what="sum of the edge contributions over j <= i")
    weights_sum = sum(floats(solution.edge_contribution(weights, tokens, 1, 1, i, j, target))[1] for j in range(i + 1))
    assert_close(weights_sum, 1.0, what="sum of the edge weights over j <= i")


@pytest.mark.points(2)
def test_qk_terms(solution):
    """qk_edge_terms: [query token|pos] x [key token|pos] terms of a layer-0 score; they sum to the score."""
    rng = np.random.default_rng(4)
    d, dh, V, n = 6, 2, 8, 7
    w = {"W_E": rng.normal(size=(d, V)), "W_pos": rng.normal(size=(d, n)),
         "W_Q": rng.normal(size=(1, 3, dh, d)), "W_K": rng.normal(size=(1, 3, dh, d)),
         "W_V": rng.normal(size=(1, 3, dh, d)), "W_O": rng.normal(size=(1, 3, d, dh)), "W_U": rng.normal(size=(V, d))}
    tokens = rng.integers(0, V, size=n)
    head, i, j = 2, 5, 1
    got = solution.qk_edge_terms(w, tokens, head, i, j)
    assert_shape(got, (2, 2), "QK terms")
    Q, K = w["W_Q"][0, head], w["W_K"][0, head]
    e_i, p_i, e_j, p_j = w["W_E"][:, tokens[i]], w["W_pos"][:, i], w["W_E"][:, tokens[j]], w["W_pos"][:, j]
    expect = np.array([[(Q @ e_i) @ (K @ e_j), (Q @ e_i) @ (K @ p_j)],
                       [(Q @ p_i) @ (K @ e_j), (Q @ p_i) @ (K @ p_j)]]) / np.sqrt(dh)
    assert_close(got, expect, what="QK terms (rows: query token/position, columns: key token/position)")
    score = floats(solution.edge_contribution(w, tokens, 0, head, i, j, 0))[0]
    assert_close(float(np.sum(got)), score, what="sum of the four terms against the edge score")


@pytest.mark.points(1)
def test_future_edges_raise(solution):
    """j > i, negative positions and i >= L raise ValueError in both functions."""
    tokens = np.array([1, 2, 3, 4])
    for i, j in ((1, 2), (3, -1), (4, 0)):
        with pytest.raises(ValueError):
            solution.edge_contribution("e19-local-permutation", tokens, 0, 0, i, j, 1)
    with pytest.raises(ValueError):
        solution.qk_edge_terms("e19-local-permutation", tokens, 0, 0, 2)
