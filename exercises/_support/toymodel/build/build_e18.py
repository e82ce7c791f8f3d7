"""Build fixtures/e18-two-paths.npz by hand: one source head whose output three readers use differently.

    .venv/bin/python exercises/_support/toymodel/build/build_e18.py [--check]

2 layers x 2 heads, vocabulary 8 (0 is BOS), n_ctx 10. Readable basis before a seeded random rotation:
token one-hot dims 0-7, position one-hot dims 8-17, a "constant" dim 18 (u), a previous-token slot dims
19-26, an output block dims 27-34 that the unembedding reads (so the embeddings themselves give zero
logits); d_head 10. Small seeded noise (std 0.003 on W_Q, W_K; 0.01 on W_V, W_O) keeps entries from tying.

    [0, 0]  SOURCE: previous-token head. Its OV writes three things: 3 * u (the same whatever the token:
            a constant offset), the previous token into the previous-token slot, and a copy of the previous
            token into the output block (a direct path to the logits, gain 1).
    [0, 1]  clutter: uniform attention, small random OV.
    [1, 0]  READER 1: its query reads u and asks for BOS (a default "rest" position, score ~4); it also
            reads the current token and matches it against keys' previous-token slot (score ~6): an
            induction head by K-composition with [0, 0]. OV copies tokens 1-7 to the output block (gain 6).
    [1, 1]  READER 2: attends to itself and reads [0, 0]'s previous-token slot through its OV (V path),
            writing the previous token to the logits (gain 1).

Zeroing [0, 0] removes u as well, so [1, 0] loses its "rest at BOS" default and its attention goes
off-distribution, and it also silences reader 2 and the direct path. Mean-ablating only the edge
[0, 0] -> [1, 0] keeps u (it is in the mean) and leaves reader 2 and the direct path untouched.

`--check` rebuilds and compares with the shipped fixture instead of overwriting it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # exercises/_support

from toymodel.quick_fixtures import random_orthogonal, rotate_basis, write_or_check  # noqa: E402

NAME = "e18-two-paths"
SEED = 1818
VOCAB, N_CTX, D_HEAD = 8, 10, 10
TOK, POS, U, PREV = 0, VOCAB, VOCAB + N_CTX, VOCAB + N_CTX + 1
OUT = PREV + VOCAB  # the block the unembedding reads
D_MODEL = OUT + VOCAB


def build() -> dict:
    W_Q = np.zeros((2, 2, D_HEAD, D_MODEL))
    W_K = np.zeros_like(W_Q)
    W_V = np.zeros_like(W_Q)
    W_O = np.zeros((2, 2, D_MODEL, D_HEAD))
    root = np.sqrt(D_HEAD)
    # [0, 0] source: previous-token head
    for i in range(1, N_CTX):
        W_Q[0, 0, i - 1, POS + i] = 8.0 * root
    for j in range(N_CTX):
        W_K[0, 0, j, POS + j] = 1.0
    for r in range(VOCAB):
        W_V[0, 0, r, TOK + r] = 1.0
        W_O[0, 0, U, r] = 3.0  # constant offset
        W_O[0, 0, PREV + r, r] = 1.0  # previous-token slot
        if r:
            W_O[0, 0, OUT + r, r] = 1.0  # direct path: the previous token's logit
    # [0, 1] clutter
    rng = np.random.default_rng(SEED)
    W_K[0, 1] = rng.normal(size=(D_HEAD, D_MODEL))
    W_V[0, 1] = 0.3 * rng.normal(size=(D_HEAD, D_MODEL))
    W_O[0, 1, OUT:OUT + VOCAB] = 0.1 * rng.normal(size=(VOCAB, D_HEAD))
    # [1, 0] reader 1: rest at BOS (query reads u), induction match through the previous-token slot
    W_Q[1, 0, 0, U] = root * 4.0 / 3.0
    W_K[1, 0, 0, TOK + 0] = 1.0
    for r in range(1, VOCAB):
        W_Q[1, 0, r, TOK + r] = root * 6.0
        W_K[1, 0, r, PREV + r] = 1.0
        W_V[1, 0, r, TOK + r] = 1.0
        W_O[1, 0, OUT + r, r] = 6.0
    # [1, 1] reader 2: attends to itself, writes the previous-token slot to the logits
    for i in range(N_CTX):
        W_Q[1, 1, i, POS + i] = 8.0 * root
        W_K[1, 1, i, POS + i] = 1.0
    for r in range(1, VOCAB):
        W_V[1, 1, r, PREV + r] = 1.0
        W_O[1, 1, OUT + r, r] = 1.0
    for arr, std in ((W_Q, 0.003), (W_K, 0.003), (W_V, 0.01), (W_O, 0.01)):
        arr += std * rng.normal(size=arr.shape)
    weights = {
        "W_E": np.eye(D_MODEL)[:, TOK:TOK + VOCAB],
        "W_pos": np.eye(D_MODEL)[:, POS:POS + N_CTX],
        "W_Q": W_Q, "W_K": W_K, "W_V": W_V, "W_O": W_O,
        "W_U": np.eye(D_MODEL)[OUT:OUT + VOCAB],
    }
    return rotate_basis(weights, random_orthogonal(D_MODEL, rng))


def repeated(rng: np.random.Generator, n: int, seg: int = 4) -> np.ndarray:
    """[n, 2 * seg + 2]: BOS, a segment of distinct tokens 1-7, the same segment, one random token."""
    rows = []
    for _ in range(n):
        s = rng.choice(np.arange(1, VOCAB), size=seg, replace=False)
        rows.append(np.concatenate([[0], s, s, rng.integers(1, VOCAB, size=1)]))
    return np.array(rows, dtype=np.int64)


def main(argv: list[str]) -> int:
    from toymodel import load_model

    weights = build()
    model = load_model(weights)
    tokens = repeated(np.random.default_rng(SEED + 1), 100)
    logits, cache = model.run_with_cache(tokens)
    pattern = cache["blocks.1.attn.pattern"][:, 0]
    L = tokens.shape[1]
    second = np.arange(5, L - 1)
    induction = pattern[:, second, second - 3].mean()
    rest = pattern[:, np.arange(1, 5), 0].mean()
    pred = np.arange(5, L - 2)  # the next token is known there (the last token is random)
    acc = (logits[:, pred].argmax(-1) == tokens[:, pred + 1]).mean()
    print(f"reader 1: induction attention {induction:.3f}, rest-at-BOS attention {rest:.3f}; accuracy {acc:.3f}")
    if induction < 0.8 or rest < 0.9 or acc < 0.95:
        print("FAILED: the readers do not behave as built")
        return 1
    meta = {
        "description": "2 layers x 2 heads built by hand: source head [0, 0] read by [1, 0] (Q and K), "
                       "[1, 1] (V) and the unembedding",
        "script": "exercises/_support/toymodel/build/build_e18.py",
        "seed": SEED,
        "tokens": {"BOS": 0, "ordinary": list(range(1, VOCAB))},
        "heads": {"0.0": "source: previous-token head writing 3u, the previous token slot and a direct copy",
                  "0.1": "clutter", "1.0": "reader 1: rests at BOS via u, induction via K-composition",
                  "1.1": "reader 2: reads the previous-token slot through V"},
        "metrics": {"induction_attention": round(float(induction), 6), "rest_attention": round(float(rest), 6),
                    "second_half_accuracy": round(float(acc), 6),
                    "eval": "100 sequences BOS + 4 distinct tokens repeated + 1 token, seed SEED + 1"},
    }
    return write_or_check(NAME, weights, meta, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
