"""Hidden checks for E10: composition scores and a hand-built induction circuit run in the toy-model library."""

import numpy as np
import pytest
from toymodel import load_model

from runner.checks import assert_close, assert_scalar
from runner.counterexamples import Call, Property


def frob(M):
    return float(np.sqrt(sum(v * v for v in np.asarray(M).ravel())))


def expected_scores(W_Q1, W_K1, W_V1, W_O1, W_V0, W_O0):
    d = W_Q1.shape[1]
    QK = np.array([[sum(W_Q1[e, a] * W_K1[e, b] for e in range(W_Q1.shape[0])) for b in range(d)] for a in range(d)])
    A = W_O0 @ W_V0
    OV = W_O1 @ W_V1
    k = frob(QK @ A) / (frob(QK) * frob(A))
    q = frob(QK.T @ A) / (frob(QK) * frob(A))
    v = frob(OV @ A) / (frob(OV) * frob(A))
    return q, k, v



# ---- counterexamples: properties `practice submit --reveal` may search (any small heads; never hidden data) ----

def _heads_calls():
    """d_model, d_head from 1 to 3; entries multiples of 1/2 (a head with a zero matrix is outside the property)."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def build(dims):
        d, dh = dims
        shapes = [(dh, d), (dh, d), (dh, d), (d, dh), (dh, d), (d, dh)]
        return st.tuples(*[hnp.arrays(np.float64, shape, elements=st.integers(-4, 4).map(lambda k: k / 2))
                           for shape in shapes]).map(lambda a: Call(a))

    return st.tuples(st.integers(1, 3), st.integers(1, 3)).flatmap(build)


def _three_scores(got, expected):
    assert isinstance(got, (tuple, list)) and len(got) == 3, "return (q_comp, k_comp, v_comp)"
    for name, g, e in zip(("q_comp", "k_comp", "v_comp"), got, expected):
        assert_close(g, e, what=name)


def reveal_scores():
    """Any small heads: the Frobenius composition scores, QK built entry by entry."""
    return Property("composition_scores", _heads_calls, expected_scores, check=_three_scores)

def random_heads(seed, d_model=7, d_head=3):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(d_head, d_model)), rng.normal(size=(d_head, d_model)),
            rng.normal(size=(d_head, d_model)), rng.normal(size=(d_model, d_head)),
            rng.normal(size=(d_head, d_model)), rng.normal(size=(d_model, d_head)))


def repeated(seed, n, s, vocab):
    rng = np.random.default_rng(seed)
    rows = [np.concatenate([[0], r, r]) for r in (rng.permutation(np.arange(1, vocab))[:s] for _ in range(n))]
    return np.array(rows, dtype=np.int64)


def built(solution, vocab, n_ctx):
    weights = solution.build_induction_model(vocab, n_ctx)
    assert isinstance(weights, dict), "build_induction_model must return a dict of weight arrays"
    model = load_model(weights)
    assert (model.n_layers, model.n_heads) == (2, 1), "the model must have 2 layers with 1 head each"
    assert (model.vocab, model.n_ctx) == (vocab, n_ctx), "W_E must be [d_model, vocab] and W_pos [d_model, n_ctx]"
    return model


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_scores")
def test_composition_scores_random(solution):
    """composition_scores matches the Frobenius definitions on random heads (d_head != d_model)."""
    heads = random_heads(1)
    copies = [h.copy() for h in heads]
    got = solution.composition_scores(*heads)
    assert len(got) == 3, "return (q_comp, k_comp, v_comp)"
    expect = expected_scores(*heads)
    for name, g, e in zip(("q_comp", "k_comp", "v_comp"), got, expect):
        assert_close(assert_scalar(g, name), e, what=name)
    for before, after in zip(copies, heads):
        assert np.array_equal(before, after), "your function modified an input in place"


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_scores")
def test_composition_scores_are_scale_free_and_specific(solution):
    """Scores ignore the heads' scale, and a layer-0 write outside the keys' input gives k_comp = 0."""
    heads = list(random_heads(2, d_model=6, d_head=2))
    base = solution.composition_scores(*heads)
    scaled = solution.composition_scores(heads[0] * 3.0, heads[1], heads[2] * 0.1, heads[3], heads[4], heads[5] * 7.0)
    assert_close(np.array(scaled, dtype=float), np.array(base, dtype=float), what="scores after rescaling the heads")
    heads[1][:, :3] = 0.0  # keys read dims 3..5 only
    heads[5][3:, :] = 0.0  # layer 0 writes dims 0..2 only
    q, k, v = solution.composition_scores(*heads)
    assert abs(assert_scalar(k, "k_comp")) < 1e-12, "k_comp must vanish when the keys ignore the layer-0 write"
    assert_close(np.array([q, v], dtype=float), np.array(expected_scores(*heads))[[0, 2]], what="q_comp and v_comp")


@pytest.mark.points(1)
def test_layer0_is_previous_token_head(solution):
    """Layer 0 puts >= 0.9 of its attention on position i-1 for every i >= 1, on random tokens."""
    model = built(solution, 12, 20)
    tokens = np.random.default_rng(3).integers(0, 12, size=(20, 20))
    _, cache = model.run_with_cache(tokens)
    p = cache["blocks.0.attn.pattern"][:, 0]
    i = np.arange(1, 20)
    assert p[:, i, i - 1].min() >= 0.9, "layer 0 is not a previous-token head everywhere"


@pytest.mark.points(2)
def test_induction_attention_and_predictions(solution):
    """On [BOS, r, r] layer 1 attends to the token after the earlier occurrence, and argmax predicts the repeat."""
    for vocab, n_ctx, s in ((12, 20, 9), (30, 40, 17), (6, 11, 5)):
        model = built(solution, vocab, n_ctx)
        tokens = repeated(vocab + s, 30, s, vocab)
        logits, cache = model.run_with_cache(tokens)
        p = cache["blocks.1.attn.pattern"][:, 0]
        i = np.arange(s + 1, 2 * s + 1)
        assert p[:, i, i - s + 1].min() >= 0.9, f"vocab={vocab}, n_ctx={n_ctx}: induction attention below 0.9"
        j = np.arange(s + 1, 2 * s)
        acc = (logits[:, j].argmax(-1) == tokens[:, j + 1]).mean()
        assert acc == 1.0, f"vocab={vocab}, n_ctx={n_ctx}: predicted {acc:.0%} of the repeated tokens, need all"


@pytest.mark.points(1)
def test_small_vocab_and_context(solution):
    """Works at the smallest sizes (vocab 4, n_ctx 8)."""
    model = built(solution, 4, 8)
    tokens = repeated(5, 12, 3, 4)
    logits = model(tokens)
    j = np.arange(4, 6)
    assert (logits[:, j].argmax(-1) == tokens[:, j + 1]).all(), "vocab=4, n_ctx=8: the repeat is not predicted"


@pytest.mark.points(1)
def test_works_through_k_composition(solution):
    """Zeroing the layer-0 head breaks induction, and k_comp beats q_comp and v_comp for the built heads."""
    vocab, n_ctx, s = 15, 25, 12
    model = built(solution, vocab, n_ctx)
    tokens = repeated(6, 40, s, vocab)

    def kill(head_out):
        head_out[...] = 0.0

    logits = model.run_with_hooks(tokens, {"blocks.0.attn.head_out": kill})
    j = np.arange(s + 1, 2 * s)
    acc = (logits[:, j].argmax(-1) == tokens[:, j + 1]).mean()
    assert acc < 0.5, "predictions survive without the previous-token head: induction must use its output"
    w = model.weights
    q, k, v = expected_scores(w["W_Q"][1, 0], w["W_K"][1, 0], w["W_V"][1, 0], w["W_O"][1, 0],
                              w["W_V"][0, 0], w["W_O"][0, 0])
    assert k > q and k > v, "the layer-1 head should read the layer-0 write through its keys (K-composition)"
