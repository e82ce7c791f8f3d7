"""Build fixtures/handmade-2l.npz (and its head-permuted copy): a 2-layer, 3-head attention-only model
set by hand, so the right answer to every circuit question is known exactly.

    .venv/bin/python exercises/_support/toymodel/build/build_handmade.py [--check]

Vocabulary 12 (token 0 is BOS), n_ctx 24, d_model 64, d_head 40. The residual stream is split into
subspaces, each a block of one-hot coordinates:

    TOK  0-11   the token (W_E[:, v] = e_{TOK v})        read by W_U (identity)
    POS  12-35  the position (W_pos[:, p] = e_{POS p})
    PREV 36-47  written by head 0.0: the token one position back
    DUP  48-59  written by head 0.1: a copy of an earlier equal token   read by W_U (identity)
    60-63 unused

Sharp heads use attention logits of SHARP = 30 (so other positions get weight about e^-30).

Layer 0
    0.0 previous-token head: query POS p -> key POS p-1 (made through W_pos only); OV writes the
        source token into PREV. Attends t-1; copies nothing to the logits.
    0.1 duplicate-token head (decoy): query token v matches key token v, and its own position is pushed
        down by -SHARP; OV copies the token into DUP, which W_U reads. On [BOS, r, r] it attends t - L,
        not t - L + 1, and it copies.
    0.2 BOS sink: every query attends position 0; W_V = W_O = 0.
Layer 1
    1.0 induction head, by K-composition: query token v matches key PREV v (the token before the key),
        so on [BOS, r, r] position t attends t - L + 1; OV copies the source token into TOK with
        weight 10. The only head that should be flagged as an induction head.
    1.1 decoy with the same induction pattern whose OV permutes: token v -> v % 11 + 1 (weight 5),
        so its copying score is 0.
    1.2 decoy that copies (OV = identity, weight 2) but attends uniformly (all QK weights zero).

Nothing is random, so `--check` rebuilds and compares the weights and metrics exactly.
"""

from __future__ import annotations

import sys

import _train
import numpy as np
from train_induction import head_scores, permute

VOCAB, N_CTX, D_MODEL, D_HEAD = 12, 24, 64, 40
SHARP = 30.0
TOK, POS, PREV, DUP = 0, 12, 36, 48
PERM_SEED = 8
SEED = 0  # used only for the tokens the metrics are measured on


def build() -> dict[str, np.ndarray]:
    beta = SHARP * np.sqrt(D_HEAD)  # raw q.k so that the scaled attention logit is SHARP
    W_E = np.zeros((D_MODEL, VOCAB))
    W_E[TOK + np.arange(VOCAB), np.arange(VOCAB)] = 1.0
    W_pos = np.zeros((D_MODEL, N_CTX))
    W_pos[POS + np.arange(N_CTX), np.arange(N_CTX)] = 1.0
    shape_qkv = (2, 3, D_HEAD, D_MODEL)
    W_Q, W_K, W_V = np.zeros(shape_qkv), np.zeros(shape_qkv), np.zeros(shape_qkv)
    W_O = np.zeros((2, 3, D_MODEL, D_HEAD))
    v = np.arange(VOCAB)
    p = np.arange(N_CTX)

    # 0.0 previous-token head: q(pos p) = beta f_{p-1}, k(pos p) = f_p
    W_Q[0, 0, p[1:] - 1, POS + p[1:]] = beta
    W_K[0, 0, p, POS + p] = 1.0
    W_V[0, 0, v, TOK + v] = 1.0
    W_O[0, 0, PREV + v, v] = 1.0

    # 0.1 duplicate-token head: q = beta (f_tok - f_{12+pos}), k = f_tok + f_{12+pos}
    W_Q[0, 1, v, TOK + v] = beta
    W_Q[0, 1, VOCAB + p, POS + p] = -beta
    W_K[0, 1, v, TOK + v] = 1.0
    W_K[0, 1, VOCAB + p, POS + p] = 1.0
    W_V[0, 1, v, TOK + v] = 1.0
    W_O[0, 1, DUP + v, v] = 1.0

    # 0.2 BOS sink: every position's one-hot POS coordinate maps to f_0; only position 0 has a key
    W_Q[0, 2, 0, POS + p] = beta
    W_K[0, 2, 0, POS + 0] = 1.0

    # 1.0 induction head (K-composition with 0.0): q = beta f_tok, k = f_{PREV tok}
    W_Q[1, 0, v, TOK + v] = beta
    W_K[1, 0, v, PREV + v] = 1.0
    W_V[1, 0, v, TOK + v] = 1.0
    W_O[1, 0, TOK + v, v] = 10.0

    # 1.1 same pattern, OV permutes v -> v % 11 + 1 (BOS -> BOS)
    W_Q[1, 1], W_K[1, 1] = W_Q[1, 0], W_K[1, 0]
    W_V[1, 1, v, TOK + v] = 1.0
    perm = np.where(v == 0, 0, v % (VOCAB - 1) + 1)
    W_O[1, 1, TOK + perm, v] = 5.0

    # 1.2 uniform attention, copying OV
    W_V[1, 2, v, TOK + v] = 1.0
    W_O[1, 2, TOK + v, v] = 2.0

    W_U = np.zeros((VOCAB, D_MODEL))
    W_U[v, TOK + v] = 1.0
    W_U[v, DUP + v] = 1.0
    return {"W_E": W_E, "W_pos": W_pos, "W_Q": W_Q, "W_K": W_K, "W_V": W_V, "W_O": W_O, "W_U": W_U}


ROLES = [["previous-token", "duplicate-token (copies; attends t-L)", "BOS sink"],
         ["induction", "induction pattern, permuting OV (decoy)", "uniform attention, copying OV (decoy)"]]


def metrics_for(w: dict) -> dict:
    rng = np.random.default_rng(SEED)
    seg = 8
    r = np.array([rng.permutation(np.arange(1, VOCAB))[:seg] for _ in range(100)])  # distinct tokens
    tokens = np.concatenate([np.zeros((100, 1), dtype=np.int64), r, r], axis=1)
    return head_scores(w, tokens)


def main(argv: list[str]) -> int:
    w = build()
    metrics = metrics_for(w)
    np.set_printoptions(precision=3, suppress=True)
    for key in ("induction_score", "prev_token_score", "copying_score"):
        print(f"{key} [layer, head]:\n{np.array(metrics[key])}")
    base = {
        "script": "exercises/_support/toymodel/build/build_handmade.py", "seed": SEED, "steps": 0,
        "bos": 0, "sharp_logit": SHARP,
        "metric_tokens": "100 sequences [BOS, r_1..r_8, r_1..r_8], r 8 distinct tokens from 1..11, seed 0",
    }
    pw, pmetrics, perms = permute(w, metrics, PERM_SEED)
    if "--check" in argv:
        return (_train.compare_with_fixture("handmade-2l", w, metrics)
                or _train.compare_with_fixture("handmade-2l-perm", pw, pmetrics))
    meta = dict(base, metrics=metrics, roles=ROLES,
                description="2 layers x 3 heads built by hand: previous-token, induction and decoy heads")
    print(f"wrote {_train.save_fixture('handmade-2l', w, meta)}")
    proles = [[ROLES[layer][i] for i in perm] for layer, perm in enumerate(perms)]
    pmeta = dict(base, metrics=pmetrics, roles=proles, head_permutation=perms, perm_seed=PERM_SEED,
                 description="handmade-2l with the heads of each layer permuted (new head h = old head perm[h])")
    print(f"wrote {_train.save_fixture('handmade-2l-perm', pw, pmeta)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
