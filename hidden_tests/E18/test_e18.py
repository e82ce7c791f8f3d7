"""Hidden checks for E18: node zeroing and edge mean-ablation, against an independent forward pass."""

import numpy as np
import pytest
from toymodel import load_model
from toymodel.quick_fixtures import permute_heads

from runner.checks import assert_close, assert_not_modified, assert_shape

FIXTURE = "e18-two-paths"


def permuted():
    """The fixture with the heads of each layer swapped: the source is [0, 1], reader 1 is [1, 1]."""
    return permute_heads(load_model(FIXTURE).weights, [[1, 0], [1, 0]])


def forward(w, tokens, zero=None, edge=None):
    """Independent forward pass by loops over layers and heads.

    zero = (layer, head): that head's output is zero. edge = (src_l, src_h, dst_l, dst_h, mean, inputs):
    the dst head's listed inputs read the residual with the source output replaced by `mean`.
    Returns (logits, head outputs [n_layers][n_heads] of [B, L, d]).
    """
    w = {k: np.asarray(v, dtype=np.float64) for k, v in w.items()}
    n_layers, n_heads, d_head, _ = w["W_Q"].shape
    tokens = np.atleast_2d(tokens)
    L = tokens.shape[1]
    x = w["W_E"].T[tokens] + w["W_pos"][:, :L].T
    mask = np.tril(np.ones((L, L), dtype=bool))
    outs = []
    for layer in range(n_layers):
        layer_out = []
        for h in range(n_heads):
            src = {"q": x, "k": x, "v": x}
            if edge is not None and (layer, h) == (edge[2], edge[3]):
                ablated = x - outs[edge[0]][edge[1]] + edge[4]
                for name in edge[5]:
                    src[name] = ablated
            q, k, v = (src[n] @ w["W_" + n.upper()][layer, h].T for n in "qkv")
            s = np.where(mask, np.einsum("bid,bjd->bij", q, k) / np.sqrt(d_head), -np.inf)
            a = np.exp(s - s.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            o = np.einsum("bij,bjd->bid", a, v) @ w["W_O"][layer, h].T
            if zero == (layer, h):
                o = np.zeros_like(o)
            layer_out.append(o)
        outs.append(layer_out)
        x = x + sum(layer_out)
    return x @ w["W_U"].T, outs


def repeated(seed, n):
    rng = np.random.default_rng(seed)
    rows = [np.concatenate([[0], s, s, rng.integers(1, 8, size=1)])
            for s in (rng.permutation(np.arange(1, 8))[:4] for _ in range(n))]
    return np.array(rows, dtype=np.int64)


def reference_tokens(seed, n=64, L=10):
    t = np.random.default_rng(seed).integers(1, 8, size=(n, L))
    t[:, 0] = 0
    return t


@pytest.mark.points(1)
def test_mean_head_output(solution):
    """mean_head_output averages the head's output over the reference sequences, per position."""
    w = permuted()
    ref = reference_tokens(1)
    got = solution.mean_head_output(w, ref, 0, 1)
    assert_not_modified(ref, "ref_tokens")
    assert_shape(got, (10, 35), "mean output")
    _, outs = forward(w, ref)
    assert_close(got, outs[0][1].mean(axis=0), what="mean output of the source head")


@pytest.mark.points(1)
def test_mean_of_a_single_sequence(solution):
    """A single [L] sequence is its own mean: [L, d_model], the head's output at each position."""
    w = permuted()
    one = reference_tokens(2, n=1, L=9)
    _, outs = forward(w, one)
    got = solution.mean_head_output(w, one[0], 0, 1)
    assert_shape(got, (9, 35), "mean output of one sequence")
    assert_close(got, outs[0][1][0], what="mean output of one [L] sequence")
    assert_close(solution.mean_head_output(w, one, 0, 1), outs[0][1][0], what="mean output of a [1, L] batch")


@pytest.mark.points(1)
def test_node_zero(solution):
    """node_zero_ablate matches a forward pass with that head's output zeroed everywhere ([B, L] and [L])."""
    w = permuted()
    tokens = repeated(2, 6)
    got = solution.node_zero_ablate(w, tokens, 0, 1)
    assert_close(got, forward(w, tokens, zero=(0, 1))[0], what="logits with the source head zeroed")
    one = solution.node_zero_ablate(w, tokens[3], 1, 0)
    assert_shape(one, (10, 8), "logits for one sequence [L]")
    assert_close(one, forward(w, tokens[3], zero=(1, 0))[0][0], what="logits with head [1, 0] zeroed")


@pytest.mark.points(2)
def test_edge_mean_ablation_qkv(solution):
    """edge_mean_ablate: only the destination head reads the mean; every other reader sees the clean source."""
    w = permuted()
    mean = forward(w, reference_tokens(3))[1][0][1].mean(axis=0)
    tokens = repeated(4, 6)
    got = solution.edge_mean_ablate(w, tokens, 0, 1, 1, 1, mean)
    assert_not_modified(tokens, "tokens")
    assert_not_modified(mean, "mean_out")
    expect = forward(w, tokens, edge=(0, 1, 1, 1, mean, "qkv"))[0]
    assert_close(got, expect, what="logits with the edge [0, 1] -> [1, 1] mean-ablated")


@pytest.mark.points(2)
def test_edge_mean_ablation_single_inputs(solution):
    """inputs='k' or 'v' (or 'qv') ablates only those inputs of the destination head."""
    w = load_model(FIXTURE).weights
    mean = forward(w, reference_tokens(5))[1][0][0].mean(axis=0)
    tokens = repeated(6, 5)
    for inputs in ("k", "v", "qv"):
        got = solution.edge_mean_ablate(w, tokens, 0, 0, 1, 0, mean, inputs)
        expect = forward(w, tokens, edge=(0, 0, 1, 0, mean, inputs))[0]
        assert_close(got, expect, what=f"logits with inputs={inputs!r} mean-ablated")


@pytest.mark.points(1)
def test_zeroing_disturbs_other_paths(solution):
    """Without a repeat, mean-ablating the edge barely moves the logits, while zeroing the node moves them a lot."""
    w = load_model(FIXTURE).weights
    ref = reference_tokens(7, n=200)
    mean = solution.mean_head_output(w, ref, 0, 0)
    tokens = repeated(8, 40)
    clean = forward(w, tokens)[0]
    node = solution.node_zero_ablate(w, tokens, 0, 0)
    edge = solution.edge_mean_ablate(w, tokens, 0, 0, 1, 0, mean, "qkv")
    first = slice(1, 5)  # first copy of the segment: nothing to induct on
    d_node = np.abs(node - clean)[:, first].mean()
    d_edge = np.abs(edge - clean)[:, first].mean()
    assert d_edge < 0.2 * d_node, "away from the repeat the edge ablation should change far less than node zeroing"
    pred = np.arange(5, 8)
    acc_edge = (edge[:, pred].argmax(-1) == tokens[:, pred + 1]).mean()
    assert acc_edge < 0.5, "the edge ablation should still remove the induction predictions"


@pytest.mark.points(1)
def test_identity_and_errors(solution):
    """Ablating with the sequence's own clean source output changes nothing; bad layers or inputs raise ValueError."""
    w = permuted()
    tokens = repeated(9, 1)[0]
    clean, outs = forward(w, tokens)
    same = solution.edge_mean_ablate(w, tokens, 0, 1, 1, 1, outs[0][1][0])
    assert_close(same, clean[0], what="logits when the 'mean' is the clean output itself")
    zeros = np.zeros((10, 35))
    for args in ((1, 0, 1, 1, zeros), (1, 0, 0, 1, zeros)):
        with pytest.raises(ValueError):
            solution.edge_mean_ablate(w, tokens, *args)
    with pytest.raises(ValueError):
        solution.edge_mean_ablate(w, tokens, 0, 1, 1, 1, zeros, "qx")
