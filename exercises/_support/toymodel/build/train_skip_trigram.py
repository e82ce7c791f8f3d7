"""Train fixtures/skip-trigram.npz: a 1-layer, 1-head attention-only model on skip-trigrams [A] ... [B] -> [C].

    .venv/bin/python exercises/_support/toymodel/build/train_skip_trigram.py [--check]

Vocabulary (28 tokens): 0-11 filler, 12-16 the A tokens, 17-21 the B tokens, 22-27 the C tokens.
The table has one A shared by two trigrams with different C's (12 -> 22 after 17, 12 -> 23 after 18),
which makes OV-incoherence visible, and one B shared by two trigrams (19 after 13 -> 24, 19 after 14 -> 25).

Each training sequence is 20 filler tokens with one B at a position j in [6, 19]; the loss is taken at j only.
With probability 0.75 the sequence is a trigram: B's partner A sits at a random earlier position (and, half
of the time, a distractor A that forms no trigram with this B sits at another earlier position); the target
is C. Otherwise only a distractor A (70%) or nothing precedes B and the target is a uniformly random filler,
so B alone does not tell C: the model must attend to A.

`--check` retrains and compares with the shipped fixture's recorded metrics instead of overwriting it.
"""

from __future__ import annotations

import sys
import time

import _train
import numpy as np

SEED = 1234
STEPS = 3000
BATCH = 128
LR = 3e-3
WD = 0.5  # decoupled weight decay: keeps the circuits small and readable
N_CTX = 20
D_MODEL, D_HEAD = 32, 16
FILLERS = list(range(12))
A_TOKENS = [12, 13, 14, 15, 16]
B_TOKENS = [17, 18, 19, 20, 21]
C_TOKENS = [22, 23, 24, 25, 26, 27]
VOCAB = 28
TRIGRAMS = [(12, 17, 22), (12, 18, 23), (13, 19, 24), (14, 19, 25), (15, 20, 26), (16, 21, 27)]
PARTNERS = {b: [a for a, bb, _ in TRIGRAMS if bb == b] for b in B_TOKENS}
DISTRACTORS = {b: [a for a in A_TOKENS if a not in PARTNERS[b]] for b in B_TOKENS}


def sample(rng, n: int, p_trigram: float = 0.75):
    """tokens, targets, loss weights [n, N_CTX], and the trigram index of each row (-1: no trigram)."""
    tokens = rng.choice(FILLERS, size=(n, N_CTX))
    j = rng.integers(6, N_CTX, size=n)  # B's position
    # two distinct earlier slots per row: the first for the partner A, the second for a distractor A
    first = (rng.random(n) * j).astype(np.int64)
    second = (first + 1 + (rng.random(n) * (j - 1)).astype(np.int64)) % j
    is_tri = rng.random(n) < p_trigram
    which = np.where(is_tri, rng.integers(len(TRIGRAMS), size=n), -1)
    table = np.array(TRIGRAMS)
    b = np.where(is_tri, table[np.maximum(which, 0), 1], rng.choice(B_TOKENS, size=n))
    # a distractor A for each row: uniform over the A's that form no trigram with this B
    count = np.array([len(DISTRACTORS[bb]) for bb in B_TOKENS])[b - B_TOKENS[0]]
    options = np.array([DISTRACTORS[bb] + [-1] * (4 - len(DISTRACTORS[bb])) for bb in B_TOKENS])
    distractor = options[b - B_TOKENS[0], (rng.random(n) * count).astype(np.int64)]
    use_distractor = np.where(is_tri, rng.random(n) < 0.5, rng.random(n) < 0.7)
    rows = np.arange(n)
    tokens[rows[use_distractor], second[use_distractor]] = distractor[use_distractor]
    tokens[rows[is_tri], first[is_tri]] = table[which[is_tri], 0]
    tokens[rows, j] = b
    targets = np.zeros((n, N_CTX), dtype=np.int64)
    targets[rows, j] = np.where(is_tri, table[np.maximum(which, 0), 2], rng.choice(FILLERS, size=n))
    weights = np.zeros((n, N_CTX))
    weights[rows, j] = 1.0
    return tokens, targets, weights, which


def evaluate(w, seed: int, n: int = 4000) -> dict:
    """Held-out accuracy on trigram positions (fresh sequences from another seed), per trigram too."""
    rng = np.random.default_rng(seed)
    tokens, targets, weights, which = sample(rng, n, p_trigram=1.0)
    logits, (_, acts) = _train.forward(w, tokens)
    rows, cols = np.nonzero(weights)
    pred = logits[rows, cols].argmax(-1)
    correct = pred == targets[rows, cols]
    a_pos = np.array([int(np.nonzero(tokens[r] == TRIGRAMS[which[r]][0])[0][0]) for r in rows])
    attn_to_a = acts[0][4][rows, 0, cols, a_pos]
    return {
        "heldout_accuracy": float(correct.mean()),
        "per_trigram_accuracy": [float(correct[which[rows] == t].mean()) for t in range(len(TRIGRAMS))],
        "mean_attention_B_to_A": float(attn_to_a.mean()),
    }


def train() -> tuple[dict, dict]:
    rng = np.random.default_rng(SEED)
    w = _train.init_weights(rng, 1, 1, D_MODEL, D_HEAD, VOCAB, N_CTX)
    opt = _train.Adam(w, lr=LR, weight_decay=WD)
    losses = []
    for step in range(STEPS):
        tokens, targets, weights, _ = sample(rng, BATCH)
        loss, g = _train.loss_and_grads(w, tokens, targets, weights)
        lr = LR * 0.5 * (1 + np.cos(np.pi * step / STEPS))
        opt.step(w, g, lr=lr)
        losses.append(loss)
    metrics = evaluate(w, seed=SEED + 1)
    metrics["final_train_loss"] = float(np.mean(losses[-100:]))
    return w, metrics


def main(argv: list[str]) -> int:
    print(f"gradient check: max relative error {_train.gradcheck():.2e}")
    start = time.time()
    w, metrics = train()
    took = time.time() - start
    print(f"trained {STEPS} steps in {took:.1f}s: {metrics}")
    if metrics["heldout_accuracy"] < 0.9:
        print("FAILED: held-out accuracy on trigram positions is below 90%")
        return 1
    meta = {
        "description": "1 layer, 1 head attention-only model trained on skip-trigrams [A] ... [B] -> [C]",
        "script": "exercises/_support/toymodel/build/train_skip_trigram.py",
        "seed": SEED, "steps": STEPS, "batch": BATCH, "lr": LR, "weight_decay": WD, "metrics": metrics,
        "tokens": {"filler": FILLERS, "A": A_TOKENS, "B": B_TOKENS, "C": C_TOKENS},
        "trigrams": [list(t) for t in TRIGRAMS],
        "shared_A": [[12, 17, 22], [12, 18, 23]], "shared_B": [[13, 19, 24], [14, 19, 25]],
        "train_distribution": "20 tokens; one B at j in [6, 19]; loss at j only; see the script docstring",
    }
    if "--check" in argv:
        return _train.compare_with_fixture("skip-trigram", w, metrics)
    print(f"wrote {_train.save_fixture('skip-trigram', w, meta)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
