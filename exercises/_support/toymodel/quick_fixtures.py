"""Helpers for the hand-built fixtures of the quick exercises (E8-E19) and their build scripts.

    from toymodel.quick_fixtures import permute_heads, rotate_basis
    w = permute_heads(load_model("e9-name-movers").weights, [[2, 0, 3, 1], [1, 3, 0, 2]])

The hand-built fixtures (fixtures/e*.npz) are written by the seeded scripts build/build_e*.py in the same
format as the trained ones: the seven weight arrays (float64) and `meta`, a JSON string describing how the
model was made and what each head does.

    e9-name-movers          2 layers x 4 heads: two name-mover heads among decoys (E9)
    e18-two-paths           2 layers x 2 heads: a source head read by two later heads and the unembedding (E18)
    e19-local-permutation   1 layer x 4 heads: a self-attending head whose OV permutes tokens, and decoys (E19)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from toymodel.model import WEIGHT_NAMES

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def permute_heads(weights: dict, perms) -> dict:
    """A copy of `weights` whose heads of layer l are reordered: new head h is old head perms[l][h].

    The model computes exactly the same logits; only head indices change.
    """
    out = {k: np.array(weights[k], dtype=np.float64) for k in WEIGHT_NAMES}
    for key in ("W_Q", "W_K", "W_V", "W_O"):
        arr = out[key] if out[key].ndim == 4 else out[key][None]
        arr = arr.copy()
        for layer, perm in enumerate(perms):
            arr[layer] = arr[layer][np.asarray(perm)]
        out[key] = arr
    return out


def rotate_basis(weights: dict, R: np.ndarray) -> dict:
    """The same model written in another residual basis: x -> R x for an orthogonal R [d_model, d_model].

    Every activation of the residual stream is rotated; q, k, v, patterns and logits are unchanged.
    """
    w = {k: np.array(weights[k], dtype=np.float64) for k in WEIGHT_NAMES}
    return {
        "W_E": R @ w["W_E"],
        "W_pos": R @ w["W_pos"],
        "W_Q": w["W_Q"] @ R.T,
        "W_K": w["W_K"] @ R.T,
        "W_V": w["W_V"] @ R.T,
        "W_O": R @ w["W_O"],
        "W_U": w["W_U"] @ R.T,
    }


def random_orthogonal(d: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal [d, d] matrix (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def save_fixture(name: str, weights: dict, meta: dict) -> Path:
    """Write fixtures/<name>.npz: the weights (float64) and `meta` as a JSON string."""
    FIXTURES.mkdir(exist_ok=True)
    path = FIXTURES / f"{name}.npz"
    arrays = {k: np.asarray(weights[k], dtype=np.float64) for k in WEIGHT_NAMES}
    np.savez_compressed(path, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    return path


def write_or_check(name: str, weights: dict, meta: dict, argv: list[str]) -> int:
    """`--check`: compare with the shipped fixture (0 when identical to 1e-12); otherwise write it."""
    path = FIXTURES / f"{name}.npz"
    if "--check" in argv:
        if not path.is_file():
            print(f"{path} does not exist")
            return 1
        with np.load(path, allow_pickle=False) as data:
            worst = max(float(np.max(np.abs(np.array(data[k]) - np.asarray(weights[k])))) for k in WEIGHT_NAMES)
            same_meta = json.loads(str(data["meta"].item())) == json.loads(json.dumps(meta, sort_keys=True))
        print(f"{name}: largest weight difference {worst:.2e}; meta {'matches' if same_meta else 'DIFFERS'}")
        return 0 if worst <= 1e-12 and same_meta else 1
    print(f"wrote {save_fixture(name, weights, meta)}")
    return 0
