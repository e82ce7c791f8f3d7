"""Hidden checks for E16: skip-trigram data, a trained 1-layer attention model, and its OV readout."""

import numpy as np
import pytest
from toymodel import load_model

from runner.checks import assert_dtype, assert_shape

# each b is shared by two trigrams, so b alone does not tell c
TRIGRAMS = np.array([[5, 11, 14], [6, 12, 15], [7, 13, 16], [8, 11, 17], [9, 12, 18], [10, 13, 19]])
FILLERS = np.array([0, 1, 2, 3, 4])
VOCAB, N_CTX = 20, 9


@pytest.fixture(scope="module")
def training():
    """What this submission's training gave, shared by the checks that need it (torn down after the submission:
    hidden tests keep no state between submissions)."""
    return {}


def trained(solution, training):
    """Train once per submission and share the weights between the checks that need them."""
    if "weights" not in training:
        try:
            training["weights"] = solution.train_skip_trigram(TRIGRAMS, FILLERS, VOCAB, N_CTX, 3)
        except Exception as exc:  # noqa: BLE001
            training["weights"] = exc
    if isinstance(training["weights"], Exception):
        raise training["weights"]
    return training["weights"]


def heldout(seed, n):
    """Fresh sequences by an independent generator following the prompt's rules."""
    rng = np.random.default_rng(seed)
    tokens = FILLERS[rng.integers(0, len(FILLERS), size=(n, N_CTX))]
    targets = np.zeros(n, dtype=np.int64)
    for r in range(n):
        a, b, c = TRIGRAMS[rng.integers(len(TRIGRAMS))]
        p, q = rng.choice(N_CTX - 1, size=2, replace=False)
        tokens[r, p] = a
        tokens[r, q] = rng.choice(TRIGRAMS[TRIGRAMS[:, 1] != b, 0])
        tokens[r, -1], targets[r] = b, c
    return tokens, targets


def check_rows(tokens, targets, trigrams, fillers, n_ctx):
    """Every row follows the rules: b last, its a once, exactly one valid distractor (if any exist), fillers."""
    by_c = {int(c): (int(a), int(b)) for a, b, c in trigrams}
    a_to_b = {int(a): int(b) for a, b, _ in trigrams}
    fill = set(int(f) for f in fillers)
    for r in range(tokens.shape[0]):
        assert int(targets[r]) in by_c, "a target is not the c of any trigram"
        a, b = by_c[int(targets[r])]
        assert tokens[r, -1] == b, "the last token must be the b of the row's trigram"
        body = [int(t) for t in tokens[r, :-1]]
        assert body.count(a) == 1, "the trigram's a must appear exactly once before the last position"
        other = [t for t in body if t in a_to_b and t != a]
        must = any(bb != b for bb in a_to_b.values())
        assert len(other) == (1 if must else 0), "each row needs exactly one distractor a (none if no b differs)"
        if other:
            assert a_to_b[other[0]] != b, "the distractor must be the a of a trigram with a different b"
        assert len(body) - 1 - len(other) == sum(t in fill for t in body), "all other positions must be fillers"


@pytest.mark.points(2)
def test_batch_structure(solution):
    """Rows hold b last, its a once, one distractor a from a trigram with another b, and fillers elsewhere."""
    tokens, targets = solution.skip_trigram_batch(TRIGRAMS, FILLERS, N_CTX, 300, np.random.default_rng(1))
    assert_shape(tokens, (300, N_CTX), "tokens")
    assert_shape(targets, (300,), "targets")
    assert_dtype(tokens, np.int64, "tokens")
    assert_dtype(targets, np.int64, "targets")
    check_rows(tokens, targets, TRIGRAMS, FILLERS, N_CTX)
    shared = np.array([[20, 30, 40], [21, 30, 41]])  # one b for every trigram: no distractor possible
    t2, y2 = solution.skip_trigram_batch(shared, np.array([7, 8, 9]), 4, 50, np.random.default_rng(2))
    check_rows(t2, y2, shared, np.array([7, 8, 9]), 4)


@pytest.mark.points(1)
def test_batch_is_seeded_and_uniform(solution):
    """Same rng state gives the same batch; trigrams, positions and distractors are drawn uniformly."""
    t1, y1 = solution.skip_trigram_batch(TRIGRAMS, FILLERS, N_CTX, 50, np.random.default_rng(7))
    t2, y2 = solution.skip_trigram_batch(TRIGRAMS, FILLERS, N_CTX, 50, np.random.default_rng(7))
    assert np.array_equal(t1, t2) and np.array_equal(y1, y2), "the same rng state must give the same batch"
    t3, _ = solution.skip_trigram_batch(TRIGRAMS, FILLERS, N_CTX, 50, np.random.default_rng(8))
    assert not np.array_equal(t1, t3), "different rng states should give different batches"
    n = 6000
    tokens, targets = solution.skip_trigram_batch(TRIGRAMS, FILLERS, N_CTX, n, np.random.default_rng(9))
    counts = np.array([(targets == c).sum() for c in TRIGRAMS[:, 2]])
    assert np.all(np.abs(counts - n / 6) < 0.2 * n / 6), "trigrams are not drawn uniformly"
    a_pos = np.array([np.nonzero(tokens[r] == TRIGRAMS[TRIGRAMS[:, 2] == targets[r], 0][0])[0][0] for r in range(n)])
    pos_counts = np.bincount(a_pos, minlength=N_CTX)
    assert pos_counts[-1] == 0 and np.all(pos_counts[:-1] > 0.7 * n / (N_CTX - 1)), "a's position is not uniform"
    rows = targets == 14  # trigram (5, 11, 14): the distractor is one of 6, 7, 9, 10
    picks = [int(t) for r in np.nonzero(rows)[0] for t in tokens[r, :-1] if t in (6, 7, 9, 10)]
    share = np.bincount(picks, minlength=11)[[6, 7, 9, 10]] / len(picks)
    assert np.all(np.abs(share - 0.25) < 0.08), "the distractor is not uniform over the allowed a's"


@pytest.mark.points(3)
def test_trained_model_accuracy(solution, training):
    """The trained 1-layer, 1-head model predicts c at the last position on >= 90% of held-out sequences."""
    weights = trained(solution, training)
    assert isinstance(weights, dict), "train_skip_trigram must return a dict of weight arrays"
    model = load_model(weights)
    assert (model.n_layers, model.n_heads) == (1, 1), "the model must have 1 layer with 1 head"
    assert (model.vocab, model.n_ctx) == (VOCAB, N_CTX), "W_E must be [d_model, vocab] and W_pos [d_model, n_ctx]"
    tokens, targets = heldout(11, 2000)
    acc = float((model(tokens)[:, -1].argmax(-1) == targets).mean())
    assert acc >= 0.9, f"held-out accuracy {acc:.1%} is below 90%"


@pytest.mark.points(2)
def test_trained_ov_maps_a_to_c(solution, training):
    """read_ov_mapping on the trained model sends every trigram's a to its c."""
    weights = trained(solution, training)
    got = solution.read_ov_mapping(weights, TRIGRAMS[::-1, 0].copy())
    assert_shape(got, (6,), "OV mapping")
    wrong = int(np.sum(np.asarray(got) != TRIGRAMS[::-1, 2]))
    assert wrong == 0, f"the OV readout maps {wrong} of 6 a's to something other than their c"


@pytest.mark.points(1)
def test_trained_model_holds_the_fixed_parts(solution, training):
    """The trained model keeps W_E = W_U = W_K = W_V = I and W_pos = 0 (d_model = d_head = vocab), as prescribed."""
    weights = trained(solution, training)
    assert isinstance(weights, dict), "train_skip_trigram must return a dict of weight arrays"
    eye = np.eye(VOCAB)
    fixed = {"W_E": eye, "W_U": eye, "W_K": eye[None, None], "W_V": eye[None, None],
             "W_pos": np.zeros((VOCAB, N_CTX))}
    for name, want in fixed.items():
        got = np.asarray(weights.get(name))
        assert got.shape == want.shape and np.array_equal(got, want), (
            f"{name} should be held fixed at {'zero' if name == 'W_pos' else 'the identity'}; train only W_Q and W_O")


@pytest.mark.points(1)
def test_read_ov_mapping_handmade(solution):
    """read_ov_mapping uses the full circuit W_U W_O W_V W_E of head (0, 0) (random embeddings, d_model != vocab)."""
    rng = np.random.default_rng(12)
    V, d, dh = 9, 12, 10
    W_E, W_U = rng.normal(size=(d, V)), rng.normal(size=(V, d))
    heads_v, heads_o, perms = [], [], [rng.permutation(V), rng.permutation(V)]
    for perm in perms:
        M = 3.0 * np.eye(V)[perm] + 0.3 * rng.normal(size=(V, V))  # M[t, s] large at t = perm[s]
        OV = np.linalg.pinv(W_U) @ M @ np.linalg.pinv(W_E)
        U, S, Vt = np.linalg.svd(OV)
        heads_o.append(U[:, :dh] * S[:dh])
        heads_v.append(Vt[:dh])
    expect = np.argmax(W_U @ heads_o[0] @ heads_v[0] @ W_E, axis=0)
    weights = {"W_E": W_E, "W_pos": rng.normal(size=(d, 5)), "W_Q": rng.normal(size=(1, 2, 3, d)),
               "W_K": rng.normal(size=(1, 2, 3, d)), "W_V": np.stack(heads_v)[None], "W_O": np.stack(heads_o)[None],
               "W_U": W_U}
    src = np.array([4, 0, 8, 2])
    got = solution.read_ov_mapping(weights, src)
    assert_shape(got, (4,), "OV mapping")
    assert np.array_equal(np.asarray(got), expect[src]), "wrong OV readout (check the axis and the head)"
