"""Build fixtures/e9-name-movers.npz by hand: a 2-layer, 4-head model with two name-mover heads and decoys.

    .venv/bin/python exercises/_support/toymodel/build/build_e9.py [--check]

Vocabulary (16 tokens): 0 BOS, 1-6 names, 7-14 fillers, 15 END. n_ctx = 12. A prompt is BOS, fillers with
a few distinct names at random positions, and END last; a name mover at END attends to the names and
writes each attended name's unembedding direction (it "moves" the name to the output).

The weights are written in a readable basis (token one-hot in dims 0-15, position one-hot in dims 16-27,
d_head = 12), then rotated by a seeded random orthogonal matrix, which changes no activation that matters
(patterns, logits) but hides the basis.

Heads ([layer, head]: role):
    [0, 0]  decoy: attends mostly to BOS (names get ~1% each, varying by name); OV copies names (gain 2).
            Its name write-ins track its attention perfectly (correlation ~1) but it barely attends to names.
    [0, 1]  decoy: previous-token head; OV writes position information only (no name write-in).
    [0, 2]  NAME MOVER: END attends to names (strength depends on the name); OV copies names (gain 2).
    [0, 3]  decoy: negative name mover: attends to names like a mover, OV writes minus the name (gain -1.5).
    [1, 0]  decoy: attends to names, but OV maps name n to another name (a cyclic shift): no self write-in.
    [1, 1]  NAME MOVER: like [0, 2], other name strengths, gain 3.
    [1, 2]  decoy: END attends to itself; OV copies whatever names sit in END's residual.
    [1, 3]  decoy: zero query, so attention is exactly uniform; OV copies names.

`--check` rebuilds and compares with the shipped fixture instead of overwriting it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # exercises/_support

from toymodel import load_model  # noqa: E402
from toymodel.quick_fixtures import random_orthogonal, rotate_basis, write_or_check  # noqa: E402

NAME = "e9-name-movers"
SEED = 909
VOCAB, N_CTX, D_HEAD = 16, 12, 12
D_MODEL = VOCAB + N_CTX
BOS, END = 0, 15
NAMES = list(range(1, 7))
FILLERS = list(range(7, 15))
MOVERS = [[0, 2], [1, 1]]


def tok(t: int) -> int:
    return t


def pos(p: int) -> int:
    return VOCAB + p


def build() -> dict:
    n_layers, n_heads = 2, 4
    W_Q = np.zeros((n_layers, n_heads, D_HEAD, D_MODEL))
    W_K = np.zeros_like(W_Q)
    W_V = np.zeros_like(W_Q)
    W_O = np.zeros((n_layers, n_heads, D_MODEL, D_HEAD))
    root = np.sqrt(D_HEAD)  # scores are divided by sqrt(d_head): fold it into W_Q

    def query_end(layer, head):
        W_Q[layer, head, 0, tok(END)] = root

    def keys_on_names(layer, head, strengths):
        for n, c in zip(NAMES, strengths):
            W_K[layer, head, 0, tok(n)] = c

    def ov_names(layer, head, gain, target=None):
        for r, n in enumerate(NAMES):
            W_V[layer, head, r, tok(n)] = 1.0
            W_O[layer, head, tok(NAMES[target[r]] if target is not None else n), r] = gain

    # [0, 0] BOS attender with a copying OV
    W_Q[0, 0, 0, [pos(p) for p in range(N_CTX)]] = root
    W_K[0, 0, 0, tok(BOS)] = 6.0
    keys_on_names(0, 0, [0.2, 0.5, 0.8, 1.1, 1.4, 1.7])
    ov_names(0, 0, 2.0)
    # [0, 1] previous-token head writing positions only
    for i in range(1, N_CTX):
        W_Q[0, 1, i - 1, pos(i)] = 8.0 * root
    for j in range(N_CTX):
        W_K[0, 1, j, pos(j)] = 1.0
        W_V[0, 1, j, pos(j)] = 1.0
        W_O[0, 1, pos(j), j] = 0.5
    # [0, 2] name mover
    query_end(0, 2)
    keys_on_names(0, 2, [2.0, 2.6, 3.2, 3.8, 4.4, 5.0])
    ov_names(0, 2, 2.0)
    # [0, 3] negative name mover
    query_end(0, 3)
    keys_on_names(0, 3, [4.5, 2.0, 3.5, 2.5, 4.0, 3.0])
    ov_names(0, 3, -1.5)
    # [1, 0] name attender with a scrambled OV (name n -> name n+1, cyclically)
    query_end(1, 0)
    keys_on_names(1, 0, [3.0, 4.2, 2.4, 3.6, 2.0, 4.8])
    ov_names(1, 0, 2.0, target=[(r + 1) % len(NAMES) for r in range(len(NAMES))])
    # [1, 1] name mover
    query_end(1, 1)
    keys_on_names(1, 1, [4.6, 3.1, 2.2, 4.0, 2.8, 3.5])
    ov_names(1, 1, 3.0)
    # [1, 2] END attends to itself
    query_end(1, 2)
    W_K[1, 2, 0, tok(END)] = 6.0
    ov_names(1, 2, 1.0)
    # [1, 3] zero query: uniform attention
    W_K[1, 3] = np.random.default_rng(SEED + 3).normal(size=(D_HEAD, D_MODEL))
    ov_names(1, 3, 1.0)

    weights = {
        "W_E": np.eye(D_MODEL)[:, :VOCAB],
        "W_pos": np.eye(D_MODEL)[:, VOCAB:],
        "W_Q": W_Q, "W_K": W_K, "W_V": W_V, "W_O": W_O,
        "W_U": np.eye(D_MODEL)[:VOCAB],
    }
    R = random_orthogonal(D_MODEL, np.random.default_rng(SEED))
    return rotate_basis(weights, R)


def prompts(rng: np.random.Generator, n: int, L: int = 10, k: int = 2):
    """tokens [n, L] (BOS, fillers, k distinct names at distinct random positions, END last), name_pos [n, k]."""
    tokens = rng.choice(FILLERS, size=(n, L))
    tokens[:, 0], tokens[:, -1] = BOS, END
    name_pos = np.zeros((n, k), dtype=np.int64)
    for b in range(n):
        name_pos[b] = rng.choice(np.arange(1, L - 1), size=k, replace=False)
        tokens[b, name_pos[b]] = rng.choice(NAMES, size=k, replace=False)
    return tokens.astype(np.int64), name_pos


def head_stats(weights: dict, tokens: np.ndarray, name_pos: np.ndarray):
    """Per head: Pearson correlation of (attention END -> name, name write-in) and mean attention on names."""
    model = load_model(weights)
    _, cache = model.run_with_cache(tokens)
    B, L = tokens.shape
    rows = np.arange(B)[:, None]
    name_tok = tokens[rows, name_pos]
    corr = np.zeros((model.n_layers, model.n_heads))
    attn_sum = np.zeros_like(corr)
    for layer in range(model.n_layers):
        pattern = cache[f"blocks.{layer}.attn.pattern"]
        head_out = cache[f"blocks.{layer}.attn.head_out"]
        for h in range(model.n_heads):
            a = pattern[rows, h, L - 1, name_pos]
            w = np.einsum("bkd,bd->bk", model.W_U[name_tok], head_out[:, h, L - 1])
            a, w = a.ravel(), w.ravel()
            ok = a.std() > 1e-12 and w.std() > 1e-12
            corr[layer, h] = np.corrcoef(a, w)[0, 1] if ok else 0.0
            attn_sum[layer, h] = pattern[rows, h, L - 1, name_pos].sum(-1).mean()
    return corr, attn_sum


def main(argv: list[str]) -> int:
    weights = build()
    tokens, name_pos = prompts(np.random.default_rng(SEED + 1), 400)
    corr, attn = head_stats(weights, tokens, name_pos)
    print("correlation\n", corr.round(3), "\nmean attention on names\n", attn.round(3))
    movers = np.argwhere((corr >= 0.9) & (attn >= 0.5)).tolist()
    if movers != MOVERS:
        print(f"FAILED: detected {movers}, built {MOVERS}")
        return 1
    meta = {
        "description": "2 layers x 4 heads built by hand: name-mover heads [0, 2] and [1, 1] among decoys",
        "script": "exercises/_support/toymodel/build/build_e9.py",
        "seed": SEED,
        "tokens": {"BOS": BOS, "names": NAMES, "fillers": FILLERS, "END": END},
        "name_movers": MOVERS,
        "heads": {
            "0.0": "attends to BOS; OV copies names", "0.1": "previous-token head; OV writes positions",
            "0.2": "name mover (gain 2)", "0.3": "negative name mover (gain -1.5)",
            "1.0": "attends to names; OV maps name n to name n+1", "1.1": "name mover (gain 3)",
            "1.2": "END attends to itself; OV copies names", "1.3": "zero query (uniform); OV copies names",
        },
        "metrics": {"correlation": corr.round(6).tolist(), "mean_attention_on_names": attn.round(6).tolist(),
                    "eval": "400 prompts of length 10 with 2 names, seed SEED + 1"},
    }
    return write_or_check(NAME, weights, meta, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
