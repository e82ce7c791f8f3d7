"""Hidden checks for E17 found by mutation analysis: qk_edge_terms reads layer 0 of a deeper model."""

import math

import numpy as np
import pytest

from runner.checks import assert_close


@pytest.mark.points(1)
def test_qk_terms_use_layer_0_of_a_two_layer_model(solution):
    """In a 2-layer model the four terms come from layer 0's W_Q and W_K, not the last layer's."""
    rng = np.random.default_rng(17)
    d_model, d_head, vocab, n_ctx = 8, 4, 7, 6
    w = {"W_E": rng.normal(size=(d_model, vocab)), "W_pos": rng.normal(size=(d_model, n_ctx)),
         "W_Q": rng.normal(size=(2, 2, d_head, d_model)), "W_K": rng.normal(size=(2, 2, d_head, d_model)),
         "W_V": rng.normal(size=(2, 2, d_head, d_model)), "W_O": rng.normal(size=(2, 2, d_model, d_head)),
         "W_U": rng.normal(size=(vocab, d_model))}
    tokens = np.array([0, 3, 5, 2, 6])
    i, j, head = 3, 1, 1
    query = [w["W_E"][:, tokens[i]], w["W_pos"][:, i]]
    key = [w["W_E"][:, tokens[j]], w["W_pos"][:, j]]
    want = np.array([[float((w["W_Q"][0, head] @ u) @ (w["W_K"][0, head] @ v)) / math.sqrt(d_head) for v in key]
                     for u in query])
    got = solution.qk_edge_terms({k: v.copy() for k, v in w.items()}, tokens.copy(), head, i, j)
    assert_close(got, want, what="qk_edge_terms of layer 0 in a 2-layer model")
