"""Hidden checks for 4B: zero and mean ablation of one head, with downstream layers recomputed."""

import numpy as np
import pytest
from toymodel import load_model

from runner.checks import assert_close, assert_not_modified, assert_scalar, assert_shape


def random_model(seed, n_layers=2, n_heads=3, d_model=10, d_head=6, vocab=9, n_ctx=14):
    rng = np.random.default_rng(seed)
    return {
        "W_E": rng.normal(size=(d_model, vocab)),
        "W_pos": rng.normal(size=(d_model, n_ctx)),
        "W_Q": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.5,
        "W_K": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.5,
        "W_V": rng.normal(size=(n_layers, n_heads, d_head, d_model)) * 0.5,
        "W_O": rng.normal(size=(n_layers, n_heads, d_model, d_head)) * 0.5,
        "W_U": rng.normal(size=(vocab, d_model)),
    }


def repeated(seed, n, seg, vocab):
    rng = np.random.default_rng(seed)
    r = np.array([rng.permutation(np.arange(1, vocab))[:seg] for _ in range(n)])
    return np.concatenate([np.zeros((n, 1), dtype=np.int64), r, r], axis=1)


def corrupted(seed, n, length, vocab):
    rng = np.random.default_rng(seed)
    t = rng.integers(1, vocab, size=(n, length))
    t[:, 0] = 0
    return t


def loop_mean(model, tokens, layer, head):
    m = load_model(model)
    _, cache = m.run_with_cache(tokens)
    acts = cache[f"blocks.{layer}.attn.head_out"]
    return np.array([sum(acts[b, head, t] for b in range(len(tokens))) / len(tokens) for t in range(tokens.shape[1])])


def hooked_scores(model, tokens, layer, head, replacement):
    """Induction scores with the head's write set to `replacement` [L, d_model], via the library."""
    m = load_model(model)

    def hook(act):
        act[:, head] = replacement

    _, cache = m.run_with_hooks(tokens, {f"blocks.{layer}.attn.head_out": hook}, return_cache=True)
    seg = (tokens.shape[1] - 1) // 2
    out = np.zeros((m.n_layers, m.n_heads))
    for i in range(m.n_layers):
        p = cache[f"blocks.{i}.attn.pattern"]
        for h in range(m.n_heads):
            out[i, h] = np.mean([p[:, h, t, t - seg + 1] for t in range(seg + 1, 2 * seg + 1)])
    return out


# ---- the mean ----------------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_head_mean_is_per_position(solution):
    """The mean activation averages the head's write over the corrupted batch, separately at each position."""
    w = random_model(1)
    corrupt = np.random.default_rng(2).integers(0, 9, size=(5, 8))
    got = solution.head_mean_activation(w, corrupt, 0, 2)
    assert_shape(got, (8, 10), "head_mean_activation")
    assert_close(got, loop_mean(w, corrupt, 0, 2), what="per-position mean of the head's write")


# ---- ablated logits ----------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_zero_ablation_last_layer_closed_form(solution):
    """Zeroing a last-layer head removes exactly its write from the logits: logits - head_out W_U^T."""
    w = random_model(3)
    m = load_model(w)
    tokens = np.random.default_rng(4).integers(0, 9, size=(3, 7))
    logits, cache = m.run_with_cache(tokens)
    want = logits - cache["blocks.1.attn.head_out"][:, 1] @ w["W_U"].T
    got = solution.ablated_logits(w, tokens, 1, 1, "zero")
    assert_shape(got, (3, 7, 9), "ablated_logits")
    assert_close(got, want, what="logits with a last-layer head zeroed")


@pytest.mark.points(2)
def test_mean_ablation_last_layer_closed_form(solution):
    """Mean-ablating a last-layer head swaps its write for the per-position corrupted mean."""
    w = random_model(5)
    m = load_model(w)
    tokens = np.random.default_rng(6).integers(0, 9, size=(2, 9))
    corrupt = np.random.default_rng(7).integers(0, 9, size=(6, 9))
    logits, cache = m.run_with_cache(tokens)
    mean = loop_mean(w, corrupt, 1, 0)
    want = logits - cache["blocks.1.attn.head_out"][:, 0] @ w["W_U"].T + mean @ w["W_U"].T
    got = solution.ablated_logits(w, tokens, 1, 0, "mean", corrupt)
    assert_close(got, want, what="logits with a last-layer head mean-ablated")


@pytest.mark.points(2)
def test_zero_ablation_first_layer_recomputes_downstream(solution):
    """Zeroing a layer-0 head equals running a model whose W_O for that head is zero."""
    w = random_model(8)
    tokens = np.random.default_rng(9).integers(0, 9, size=(2, 10))
    edited = {k: v.copy() for k, v in w.items()}
    edited["W_O"][0, 2] = 0.0
    want = load_model(edited)(tokens)
    assert_close(solution.ablated_logits(w, tokens, 0, 2, "zero"), want,
                 what="logits with a layer-0 head zeroed (later layers must see the change)")


@pytest.mark.points(2)
def test_mean_ablation_first_layer_recomputes_downstream(solution):
    """Mean-ablating a layer-0 head changes what layer 1 attends to; compare with a full rerun."""
    w = random_model(10)
    m = load_model(w)
    tokens = np.random.default_rng(11).integers(0, 9, size=(2, 8))
    corrupt = np.random.default_rng(12).integers(0, 9, size=(7, 8))
    mean = loop_mean(w, corrupt, 0, 1)

    def hook(act):
        act[:, 1] = mean

    want = m.run_with_hooks(tokens, {"blocks.0.attn.head_out": hook})
    assert_close(solution.ablated_logits(w, tokens, 0, 1, "mean", corrupt), want,
                 what="logits with a layer-0 head mean-ablated")


# ---- the induction circuit ---------------------------------------------------------------------------


@pytest.mark.points(2)
def test_ablating_prev_token_head_breaks_induction_handmade(solution):
    """In handmade-2l, ablating the previous-token head (0.0) drops induction head 1.0's score from ~1."""
    tokens = repeated(13, 4, 8, 12)
    corrupt = corrupted(14, 20, 17, 12)
    zero = solution.ablated_induction_scores("handmade-2l", tokens, 0, 0, "zero")
    mean = solution.ablated_induction_scores("handmade-2l", tokens, 0, 0, "mean", corrupt)
    assert_shape(zero, (2, 3), "ablated_induction_scores")
    assert_close(zero, hooked_scores("handmade-2l", tokens, 0, 0, 0.0), what="scores after zero ablation")
    assert_close(mean, hooked_scores("handmade-2l", tokens, 0, 0, loop_mean("handmade-2l", corrupt, 0, 0)),
                 what="scores after mean ablation")
    assert zero[1, 0] < 0.3 and mean[1, 0] < 0.3, "the induction head should stop inducting"


@pytest.mark.points(2)
def test_ablating_prev_token_head_trained_model(solution):
    """In the trained model, ablating its previous-token head lowers the induction head's score."""
    m = load_model("induction-2l")
    scores = m.meta["metrics"]
    prev_head = int(np.argmax(scores["prev_token_score"][0]))
    ind_head = int(np.argmax(scores["induction_score"][1]))
    tokens = repeated(15, 6, 10, 24)
    corrupt = corrupted(16, 30, 21, 24)
    own = m.run_with_cache(tokens)[1]["blocks.0.attn.head_out"][:, prev_head]
    clean = hooked_scores("induction-2l", tokens, 0, prev_head, own)
    got = solution.ablated_induction_scores("induction-2l", tokens, 0, prev_head, "mean", corrupt)
    want = hooked_scores("induction-2l", tokens, 0, prev_head, loop_mean("induction-2l", corrupt, 0, prev_head))
    assert_close(got, want, what="induction scores after mean-ablating the previous-token head")
    assert got[1, ind_head] < clean[1, ind_head] - 0.2, "the induction head's score should drop"


@pytest.mark.points(1)
def test_permuted_model(solution):
    """On handmade-2l-perm the previous-token head sits elsewhere; ablating it there has the same effect."""
    perm = load_model("handmade-2l-perm").meta["head_permutation"]
    tokens = repeated(17, 3, 6, 12)
    got = solution.ablated_induction_scores("handmade-2l-perm", tokens, 0, perm[0].index(0), "zero")
    assert got[1, perm[1].index(0)] < 0.3, "ablating the moved previous-token head should break induction"


# ---- loss --------------------------------------------------------------------------------------------


def loop_loss(logits, tokens):
    total, count = 0.0, 0
    for b in range(len(tokens)):
        for t in range(tokens.shape[1] - 1):
            row = logits[b, t]
            total += np.log(np.sum(np.exp(row - row.max()))) + row.max() - row[tokens[b, t + 1]]
            count += 1
    return total / count


@pytest.mark.points(2)
def test_loss_increase(solution):
    """Loss increase = mean next-token cross-entropy (positions 0..L-2 predict 1..L-1) ablated minus clean."""
    tokens = repeated(18, 5, 10, 24)
    corrupt = corrupted(19, 25, 21, 24)
    m = load_model("induction-2l")
    ind_head = int(np.argmax(m.meta["metrics"]["induction_score"][1]))
    mean = loop_mean("induction-2l", corrupt, 1, ind_head)

    def hook(act):
        act[:, ind_head] = mean

    want = loop_loss(m.run_with_hooks(tokens, {"blocks.1.attn.head_out": hook}), tokens) - loop_loss(m(tokens), tokens)
    got = assert_scalar(solution.loss_increase("induction-2l", tokens, 1, ind_head, "mean", corrupt), "loss_increase")
    assert_close(got, want, what="loss increase")
    assert got > 0.1, "ablating the induction head should hurt the loss on repeated tokens"
    w = random_model(20)
    toks = np.random.default_rng(21).integers(0, 9, size=(2, 6))
    edited = {k: v.copy() for k, v in w.items()}
    edited["W_O"][0, 0] = 0.0
    want = loop_loss(load_model(edited)(toks), toks) - loop_loss(load_model(w)(toks), toks)
    assert_close(solution.loss_increase(w, toks, 0, 0, "zero"), want, what="loss increase, random model")


# ---- contract ----------------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_errors(solution):
    """ValueError for mean ablation without corrupt tokens, a wrong corrupt length, or an unknown method."""
    tokens = repeated(22, 2, 4, 12)
    with pytest.raises(ValueError):
        solution.ablated_logits("handmade-2l", tokens, 0, 0, "mean")
    with pytest.raises(ValueError):
        solution.ablated_logits("handmade-2l", tokens, 0, 0, "mean", corrupted(23, 4, 7, 12))
    with pytest.raises(ValueError):
        solution.ablated_logits("handmade-2l", tokens, 0, 0, "resample")


@pytest.mark.points(1)
def test_inputs_not_modified(solution):
    """Token arrays are left unchanged."""
    tokens = repeated(24, 3, 5, 12)
    corrupt = corrupted(25, 6, 11, 12)
    solution.head_mean_activation("handmade-2l", corrupt, 0, 0)
    solution.ablated_logits("handmade-2l", tokens, 1, 2, "mean", corrupt)
    solution.ablated_induction_scores("handmade-2l", tokens, 0, 0, "mean", corrupt)
    solution.loss_increase("handmade-2l", tokens, 0, 0, "mean", corrupt)
    assert_not_modified(tokens, "tokens")
    assert_not_modified(corrupt, "corrupt_tokens")
