"""The toy-model library (exercises/_support/toymodel) and its shipped fixtures.

The forward pass is checked against explicit loops; the cache must add up; hooks must replace and edit
activations without touching arrays the caller keeps; every fixture must still show what it records.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = ROOT / "exercises" / "_support"
BUILD = SUPPORT / "toymodel" / "build"
for path in (SUPPORT, BUILD):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import toymodel  # noqa: E402
from toymodel import Model, load_model, run_with_cache, run_with_hooks  # noqa: E402

FIXTURE_NAMES = ["skip-trigram", "induction-2l", "induction-2l-perm", "handmade-2l", "handmade-2l-perm"]


def random_weights(seed=0, n_layers=2, n_heads=3, d_model=10, d_head=4, vocab=7, n_ctx=9):
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


def loop_forward(w, tokens):
    """One sequence, written with explicit loops over positions and heads, column-vector math."""
    n_layers, n_heads, d_head, _ = w["W_Q"].shape
    L = len(tokens)
    x = [w["W_E"][:, tokens[i]] + w["W_pos"][:, i] for i in range(L)]
    for layer in range(n_layers):
        new = [xi.copy() for xi in x]
        for h in range(n_heads):
            WQ, WK, WV, WO = (w[k][layer, h] for k in ("W_Q", "W_K", "W_V", "W_O"))
            for i in range(L):
                s = np.array([(WQ @ x[i]) @ (WK @ x[j]) / np.sqrt(d_head) for j in range(i + 1)])
                a = np.exp(s - s.max())
                a /= a.sum()
                new[i] = new[i] + WO @ sum(a[j] * (WV @ x[j]) for j in range(i + 1))
        x = new
    return np.array([w["W_U"] @ xi for xi in x])


# ---- forward pass and cache -----------------------------------------------------------------------


def test_forward_matches_explicit_loops():
    w = random_weights()
    tokens = np.random.default_rng(1).integers(0, 7, size=(3, 6))
    logits = Model(w)(tokens)
    assert logits.shape == (3, 6, 7) and logits.dtype == np.float64
    for b in range(3):
        np.testing.assert_allclose(logits[b], loop_forward(w, tokens[b]), rtol=1e-10, atol=1e-10)


def test_single_sequence_has_no_batch_axis():
    model = Model(random_weights())
    tokens = np.array([1, 4, 2, 6, 0])
    logits, cache = model.run_with_cache(tokens)
    batched, bcache = model.run_with_cache(tokens[None])
    assert logits.shape == (5, 7)
    np.testing.assert_allclose(logits, batched[0], rtol=1e-12, atol=1e-12)
    assert cache["blocks.1.attn.pattern"].shape == (3, 5, 5)
    for name in model.hook_names():
        np.testing.assert_allclose(cache[name], bcache[name][0], rtol=1e-12, atol=1e-12)


def test_cache_has_every_hook_point_with_documented_shapes():
    model = Model(random_weights())
    tokens = np.zeros((2, 5), dtype=np.int64)
    _, cache = model.run_with_cache(tokens)
    assert list(cache) == model.hook_names()
    assert cache["embed"].shape == cache["pos_embed"].shape == (2, 5, 10)
    assert cache["blocks.0.attn.q"].shape == (2, 3, 5, 4)
    assert cache["blocks.0.attn.scores"].shape == cache["blocks.0.attn.pattern"].shape == (2, 3, 5, 5)
    assert cache["blocks.0.attn.z"].shape == (2, 3, 5, 4)
    assert cache["blocks.0.attn.head_out"].shape == (2, 3, 5, 10)
    assert cache["blocks.1.attn.out"].shape == cache["blocks.1.resid_post"].shape == (2, 5, 10)


def test_cache_adds_up():
    """Residual = embed + pos + every earlier head's write; logits = final residual through W_U."""
    w = random_weights(3)
    model = Model(w)
    tokens = np.random.default_rng(2).integers(0, 7, size=(4, 8))
    logits, cache = model.run_with_cache(tokens)
    total = cache["embed"] + cache["pos_embed"]
    np.testing.assert_allclose(cache["embed"][1, 2], w["W_E"][:, tokens[1, 2]])
    np.testing.assert_allclose(cache["pos_embed"][1, 2], w["W_pos"][:, 2])
    for layer in range(2):
        p = f"blocks.{layer}."
        np.testing.assert_allclose(cache[p + "resid_pre"], total, rtol=1e-12, atol=1e-12)
        heads = cache[p + "attn.head_out"]
        np.testing.assert_allclose(cache[p + "attn.out"], heads.sum(axis=1), rtol=1e-12, atol=1e-12)
        for h in range(3):
            expect = cache[p + "attn.z"][:, h] @ w["W_O"][layer, h].T
            np.testing.assert_allclose(heads[:, h], expect, rtol=1e-12, atol=1e-12)
            total = total + heads[:, h]
        np.testing.assert_allclose(cache[p + "resid_post"], total, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(logits, total @ w["W_U"].T, rtol=1e-12, atol=1e-12)


def test_patterns_are_causal_and_normalised():
    model = Model(random_weights())
    _, cache = model.run_with_cache(np.random.default_rng(0).integers(0, 7, size=(2, 9)))
    for layer in range(2):
        pattern = cache[f"blocks.{layer}.attn.pattern"]
        np.testing.assert_allclose(pattern.sum(-1), 1.0, rtol=1e-12)
        assert np.all(pattern[..., np.triu_indices(9, 1)[0], np.triu_indices(9, 1)[1]] == 0.0)
        assert np.all(np.isneginf(cache[f"blocks.{layer}.attn.scores"][..., 0, 1:]))


def test_batch_elements_do_not_mix():
    model = Model(random_weights())
    tokens = np.random.default_rng(4).integers(0, 7, size=(3, 6))
    changed = tokens.copy()
    changed[1] = (changed[1] + 1) % 7
    a, b = model(tokens), model(changed)
    np.testing.assert_array_equal(a[[0, 2]], b[[0, 2]])


def test_bad_tokens_raise_value_error():
    model = Model(random_weights())
    for bad in (np.array([0.0, 1.0]), np.array([0, 7]), np.array([-1, 2]), np.zeros(10, dtype=int)):
        with pytest.raises(ValueError):
            model(bad)


def test_weights_are_copied_and_read_only():
    w = random_weights()
    before = {k: v.copy() for k, v in w.items()}
    model = Model(w)
    w["W_E"][0, 0] = 99.0  # the caller's dict does not reach the model
    assert model.W_E[0, 0] == before["W_E"][0, 0]
    with pytest.raises(ValueError):
        model.W_Q[0, 0, 0, 0] = 1.0
    copy = model.weights
    copy["W_U"][:] = 0.0
    assert np.any(model.W_U != 0.0)


def test_one_layer_weights_without_layer_axis_are_accepted():
    w = random_weights(n_layers=1)
    squeezed = {k: (v[0] if k in ("W_Q", "W_K", "W_V", "W_O") else v) for k, v in w.items()}
    tokens = np.array([1, 2, 3])
    np.testing.assert_allclose(Model(squeezed)(tokens), Model(w)(tokens))


def test_wrong_weight_shapes_raise():
    w = random_weights()
    w["W_O"] = np.transpose(w["W_O"], (0, 1, 3, 2))
    with pytest.raises(ValueError):
        Model(w)
    with pytest.raises(ValueError):
        Model({"W_E": np.zeros((3, 4))})


# ---- hooks ----------------------------------------------------------------------------------------


def test_hook_replaces_activation_and_downstream_follows():
    """Zeroing a last-layer head removes exactly its write from the logits."""
    w = random_weights(5)
    model = Model(w)
    tokens = np.random.default_rng(5).integers(0, 7, size=(2, 6))
    logits, cache = model.run_with_cache(tokens)

    def zero_head_2(act):
        out = act.copy()
        out[:, 2] = 0.0
        return out

    hooked, hcache = model.run_with_hooks(tokens, {"blocks.1.attn.head_out": zero_head_2}, return_cache=True)
    expect = logits - cache["blocks.1.attn.head_out"][:, 2] @ w["W_U"].T
    np.testing.assert_allclose(hooked, expect, rtol=1e-10, atol=1e-10)
    assert np.all(hcache["blocks.1.attn.head_out"][:, 2] == 0.0)  # the cache holds the hooked value


def test_hook_edit_in_place_and_first_layer_change_propagates():
    model = Model(random_weights(6))
    tokens = np.random.default_rng(6).integers(0, 7, size=(2, 6))
    _, clean = model.run_with_cache(tokens)

    def edit(act):
        act[..., 0, :, :] = 0.0  # head 0 of layer 0 writes nothing

    _, cache = run_with_hooks(model, tokens, {"blocks.0.attn.head_out": edit}, return_cache=True)
    assert np.all(cache["blocks.0.attn.head_out"][:, 0] == 0.0)
    assert not np.allclose(cache["blocks.1.attn.pattern"], clean["blocks.1.attn.pattern"])
    expect = clean["blocks.1.resid_pre"] - clean["blocks.0.attn.head_out"][:, 0]
    np.testing.assert_allclose(cache["blocks.1.resid_pre"], expect, rtol=1e-12, atol=1e-12)


def test_pattern_hook_controls_attention():
    """A hooked pattern is what multiplies the values."""
    model = Model(random_weights(7))
    tokens = np.array([3, 1, 4, 1, 5])
    uniform = np.tril(np.ones((5, 5))) / np.arange(1, 6)[:, None]
    hooks = {"blocks.0.attn.pattern": lambda a: np.broadcast_to(uniform, a.shape)}
    _, cache = model.run_with_cache(tokens, hooks=hooks)
    v = cache["blocks.0.attn.v"]
    np.testing.assert_allclose(cache["blocks.0.attn.z"], uniform @ v, rtol=1e-12, atol=1e-12)


def test_patching_from_a_kept_cache_never_mutates_it():
    """Return a slice of a kept clean cache from one hook and edit in place in the next: the cache stays."""
    model = Model(random_weights(8))
    clean_tokens = np.array([1, 2, 3, 4, 5, 6])
    corrupt_tokens = np.array([1, 2, 0, 4, 5, 6])
    _, clean = model.run_with_cache(clean_tokens)
    kept = {k: v.copy() for k, v in clean.items()}

    def put_clean(act):
        return clean["blocks.1.resid_pre"]  # the very array of the clean cache

    def scribble(act):
        act[:] = 123.0

    logits = model.run_with_hooks(corrupt_tokens, {"blocks.0.resid_post": put_clean, "blocks.1.resid_pre": scribble})
    assert np.all(np.isfinite(logits))
    for k in kept:
        np.testing.assert_array_equal(clean[k], kept[k])


def test_patching_whole_residual_restores_clean_logits():
    model = Model(random_weights(9))
    clean_tokens = np.array([1, 2, 3, 4, 5])
    corrupt_tokens = np.array([6, 2, 3, 0, 5])
    clean_logits, clean = run_with_cache(model, clean_tokens)
    patched = model.run_with_hooks(corrupt_tokens, {"blocks.1.resid_pre": lambda a: clean["blocks.1.resid_pre"]})
    np.testing.assert_allclose(patched, clean_logits, rtol=1e-12, atol=1e-12)


def test_hook_errors():
    model = Model(random_weights())
    tokens = np.array([1, 2, 3])
    with pytest.raises(ValueError):
        model.run_with_hooks(tokens, {"blocks.0.attn.patern": lambda a: a})
    with pytest.raises(ValueError):
        model.run_with_hooks(tokens, {"blocks.0.attn.pattern": lambda a: a[..., :2]})


# ---- loading --------------------------------------------------------------------------------------


def test_load_model_accepts_names_dicts_and_models():
    w = random_weights()
    a = load_model(w)
    b = load_model(a)
    tokens = np.array([0, 1, 2])
    np.testing.assert_array_equal(a(tokens), b(tokens))
    with pytest.raises(ValueError):
        load_model("no-such-model")
    with pytest.raises(TypeError):
        load_model(3)
    assert set(FIXTURE_NAMES) <= set(toymodel.list_models())


def test_repeated_tokens_helper():
    t = toymodel.repeated_tokens(5, 4, 12, seed=3)
    assert t.shape == (5, 9) and t.dtype == np.int64
    assert np.all(t[:, 0] == 0) and np.all(t[:, 1:5] == t[:, 5:]) and t[:, 1:].min() >= 1


# ---- fixtures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_loads_and_records_how_it_was_made(name):
    model = load_model(name)
    for key in ("script", "seed", "steps", "metrics", "description"):
        assert key in model.meta, f"{name} records no {key}"
    assert (ROOT / model.meta["script"]).is_file()
    for key in toymodel.WEIGHT_NAMES:
        assert getattr(model, key).dtype == np.float64
    assert np.all(np.isfinite(model(np.zeros(model.n_ctx, dtype=np.int64))))


def head_scores(model, tokens):
    """Strict induction, previous-token and copying scores [n_layers, n_heads] with the library."""
    seg = (tokens.shape[1] - 1) // 2
    _, cache = model.run_with_cache(tokens)
    ind = np.zeros((model.n_layers, model.n_heads))
    prev = np.zeros_like(ind)
    copy = np.zeros_like(ind)
    for layer in range(model.n_layers):
        pattern = cache[f"blocks.{layer}.attn.pattern"]
        for h in range(model.n_heads):
            ind[layer, h] = np.mean([pattern[:, h, t, t - seg + 1] for t in range(seg + 1, 2 * seg + 1)])
            prev[layer, h] = np.mean([pattern[:, h, t, t - 1] for t in range(1, tokens.shape[1])])
            full = model.W_U @ model.W_O[layer, h] @ model.W_V[layer, h] @ model.W_E
            copy[layer, h] = np.mean([full[:, s].argmax() == s for s in range(1, model.vocab)])
    return ind, prev, copy


def test_skip_trigram_fixture_still_solves_its_task():
    import train_skip_trigram as script

    model = load_model("skip-trigram")
    recorded = model.meta["metrics"]
    assert model.n_layers == 1 and model.n_heads == 1
    assert recorded["heldout_accuracy"] >= 0.9
    rng = np.random.default_rng(model.meta["seed"] + 1)
    tokens, targets, weights, which = script.sample(rng, 4000, p_trigram=1.0)
    rows, cols = np.nonzero(weights)
    pred = model(tokens)[rows, cols].argmax(-1)
    accuracy = float(np.mean(pred == targets[rows, cols]))
    assert abs(accuracy - recorded["heldout_accuracy"]) < 1e-9
    assert accuracy >= 0.9
    # the table is what the meta says, with one shared A and one shared B
    table = np.array(model.meta["trigrams"])
    assert len(set(table[:, 0])) < len(table) and len(set(table[:, 1])) < len(table)


def test_skip_trigram_fixture_shows_ov_incoherence():
    """The shared A raises both of its C's through OV; the direct path of each B picks the right one."""
    model = load_model("skip-trigram")
    ov = (model.W_U @ model.W_O[0, 0] @ model.W_V[0, 0] @ model.W_E).T  # [source, output]
    direct = (model.W_U @ model.W_E).T
    c_tokens = model.meta["tokens"]["C"]
    (a, b1, c1), (a2, b2, c2) = model.meta["shared_A"]
    assert a == a2
    centred = ov[a, c_tokens] - ov[a, c_tokens].mean()
    top_two = {c_tokens[i] for i in np.argsort(centred)[-2:]}
    assert top_two == {c1, c2}
    assert direct[b1, c1] > direct[b1, c2] and direct[b2, c2] > direct[b2, c1]


@pytest.mark.parametrize("name", ["induction-2l", "induction-2l-perm"])
def test_induction_fixture_scores_reproduce(name):
    model = load_model(name)
    recorded = model.meta["metrics"]
    rng = np.random.default_rng(2025)
    r = rng.integers(1, 24, size=(200, 10))
    tokens = np.concatenate([np.zeros((200, 1), dtype=np.int64), r, r], axis=1)
    ind, prev, copy = head_scores(model, tokens)
    np.testing.assert_allclose(ind, recorded["induction_score"], atol=1e-9)
    np.testing.assert_allclose(prev, recorded["prev_token_score"], atol=1e-9)
    np.testing.assert_allclose(copy, recorded["copying_score"], atol=1e-12)
    # a real induction head in layer 1 that copies, fed by a previous-token head in layer 0
    best = np.argmax(ind[1])
    assert ind[1, best] > 0.5 and copy[1, best] > 0.7
    assert prev[0].max() > 0.5
    assert ind[0].max() < 0.1


def test_permuted_fixtures_compute_the_same_function():
    for base in ("induction-2l", "handmade-2l"):
        a, b = load_model(base), load_model(base + "-perm")
        perms = b.meta["head_permutation"]
        for layer, perm in enumerate(perms):
            assert perm != sorted(perm), "a permuted layer keeps its order"
            np.testing.assert_array_equal(b.W_Q[layer], a.W_Q[layer][perm])
        tokens = np.random.default_rng(0).integers(1, a.vocab, size=(3, 15))
        np.testing.assert_allclose(b(tokens), a(tokens), rtol=1e-10, atol=1e-10)


def test_handmade_fixture_has_known_heads():
    model = load_model("handmade-2l")
    rng = np.random.default_rng(0)
    r = np.array([rng.permutation(np.arange(1, 12))[:8] for _ in range(20)])
    tokens = np.concatenate([np.zeros((20, 1), dtype=np.int64), r, r], axis=1)
    ind, prev, copy = head_scores(model, tokens)
    assert prev[0, 0] > 0.999 and ind[1, 0] > 0.999 and ind[1, 1] > 0.999
    assert copy[1, 0] == 1.0 and copy[1, 1] == 0.0 and copy[1, 2] == 1.0 and copy[0, 1] == 1.0
    assert ind[0].max() < 1e-9 and ind[1, 2] < 0.2
    _, cache = model.run_with_cache(tokens)
    seg = 8
    t = np.arange(seg + 1, 2 * seg + 1)
    assert np.all(cache["blocks.0.attn.pattern"][:, 1, t, t - seg] > 0.999)  # duplicate-token head: offset -L
    assert np.all(cache["blocks.0.attn.pattern"][:, 2, :, 0] > 1 - 1e-9)  # BOS sink
    # the model predicts the repeated half
    pred = model(tokens)[:, seg + 1:-1].argmax(-1)
    np.testing.assert_array_equal(pred, tokens[:, seg + 2:])


def test_handmade_build_script_reproduces_the_fixture(capsys):
    import build_handmade

    assert build_handmade.main(["--check"]) == 0
