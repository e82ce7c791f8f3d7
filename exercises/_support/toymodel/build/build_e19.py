"""Build fixtures/e19-local-permutation.npz by hand: a head that attends to itself yet permutes tokens.

    .venv/bin/python exercises/_support/toymodel/build/build_e19.py [--check]

1 layer, 4 heads, vocabulary 10 (every token ordinary), n_ctx 12, d_model 22 (token one-hot in dims 0-9,
position one-hot in dims 10-21), d_head 12, tied unembedding; then a seeded random rotation of the residual
basis and small seeded noise (std 0.03) on W_V and W_O so that no OV entry ties.

Heads:
    0  LOCAL + PERMUTATION: position i attends to itself (score 8 above every other position); OV maps
       token s to SIGMA[s], a permutation with no fixed point (gain 2). Looks like "doing nothing" in the
       pattern, yet it writes a different token than the one it reads.
    1  local + copy: attends to itself; OV maps s to s (a trivial transformation).
    2  previous-token head whose OV permutes tokens (SIGMA2): non-trivial, but not local.
    3  local + nearly trivial: attends to itself; OV swaps tokens 3 and 7 and copies the rest.

`--check` rebuilds and compares with the shipped fixture instead of overwriting it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # exercises/_support

from toymodel import load_model  # noqa: E402
from toymodel.quick_fixtures import random_orthogonal, rotate_basis, write_or_check  # noqa: E402

NAME = "e19-local-permutation"
SEED = 1919
VOCAB, N_CTX, D_HEAD = 10, 12, 12
D_MODEL = VOCAB + N_CTX
SIGMA = [3, 0, 5, 9, 1, 8, 2, 4, 6, 7]  # no fixed points
SIGMA2 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]
SWAP = [0, 1, 2, 7, 4, 5, 6, 3, 8, 9]


def build() -> dict:
    H = 4
    W_Q = np.zeros((1, H, D_HEAD, D_MODEL))
    W_K = np.zeros_like(W_Q)
    W_V = np.zeros((1, H, D_HEAD, D_MODEL))
    W_O = np.zeros((1, H, D_MODEL, D_HEAD))
    root = np.sqrt(D_HEAD)

    def positional(head, offset, strength=8.0):
        for i in range(N_CTX):
            if 0 <= i + offset < N_CTX:
                W_Q[0, head, i + offset, VOCAB + i] = strength * root
            W_K[0, head, i, VOCAB + i] = 1.0

    def ov(head, mapping, gain=2.0):
        for s, t in enumerate(mapping):
            W_V[0, head, s, s] = 1.0
            W_O[0, head, t, s] = gain

    positional(0, 0)
    ov(0, SIGMA)
    positional(1, 0)
    ov(1, list(range(VOCAB)))
    positional(2, -1)
    ov(2, SIGMA2)
    positional(3, 0)
    ov(3, SWAP)
    rng = np.random.default_rng(SEED)
    W_V = W_V + 0.03 * rng.normal(size=W_V.shape)
    W_O = W_O + 0.03 * rng.normal(size=W_O.shape)
    weights = {
        "W_E": np.eye(D_MODEL)[:, :VOCAB],
        "W_pos": np.eye(D_MODEL)[:, VOCAB:],
        "W_Q": W_Q, "W_K": W_K, "W_V": W_V, "W_O": W_O,
        "W_U": np.eye(D_MODEL)[:VOCAB],
    }
    return rotate_basis(weights, random_orthogonal(D_MODEL, rng))


def stats(weights: dict, tokens: np.ndarray):
    """Mean self-attention (positions >= 1) per head, and each head's OV argmax map."""
    model = load_model(weights)
    _, cache = model.run_with_cache(tokens)
    pattern = cache["blocks.0.attn.pattern"]  # [B, H, L, L]
    L = tokens.shape[-1]
    diag = pattern[..., np.arange(1, L), np.arange(1, L)]
    self_frac = diag.mean(axis=(0, 2))
    maps = []
    for h in range(model.n_heads):
        ov = model.W_U @ model.W_O[0, h] @ model.W_V[0, h] @ model.W_E  # [out, src]
        maps.append(ov.argmax(axis=0).tolist())
    return self_frac, maps


def main(argv: list[str]) -> int:
    weights = build()
    tokens = np.random.default_rng(SEED + 1).integers(0, VOCAB, size=(200, N_CTX))
    self_frac, maps = stats(weights, tokens)
    print("self-attention", self_frac.round(4), "\nOV maps", maps)
    if maps != [SIGMA, list(range(VOCAB)), SIGMA2, SWAP]:
        print("FAILED: the OV maps are not the ones built")
        return 1
    meta = {
        "description": "1 layer x 4 heads built by hand: head 0 attends to itself yet its OV permutes tokens",
        "script": "exercises/_support/toymodel/build/build_e19.py",
        "seed": SEED,
        "heads": {"0": "local; OV permutes (sigma)", "1": "local; OV copies", "2": "previous-token; OV permutes",
                  "3": "local; OV swaps 3 and 7 only"},
        "sigma": SIGMA, "sigma2": SIGMA2, "swap": SWAP,
        "metrics": {"self_attention": self_frac.round(6).tolist(),
                    "eval": "200 uniform random sequences of length 12, seed SEED + 1"},
    }
    return write_or_check(NAME, weights, meta, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
