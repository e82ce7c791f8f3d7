"""toymodel: tiny attention-only transformers for circuit exercises (NumPy, float64).

    from toymodel import load_model
    model = load_model("induction-2l")             # a shipped fixture, by name
    logits, cache = model.run_with_cache(tokens)   # tokens: int array [L] or [B, L]
    cache["blocks.1.attn.pattern"]                 # [B, n_heads, L, L]
    logits = model.run_with_hooks(tokens, {"blocks.0.attn.head_out": fn})

`load_model` also accepts a dict of weight arrays (W_E, W_pos, W_Q, W_K, W_V, W_O, W_U), which is how
exercise functions receive models that are not fixtures. See `toymodel.model` for the forward pass,
the cache keys and the hook rules, and `list_models()` for the fixtures and what each one is.

Fixtures (exercises/_support/toymodel/fixtures/*.npz, made by the seeded scripts in build/):

    skip-trigram       1 layer, 1 head, trained on skip-trigrams [A] ... [B] -> [C]
    induction-2l       2 layers x 3 heads, trained on repeated segments; forms an induction head
    induction-2l-perm  the same model with the heads of each layer in another order
    handmade-2l        2 layers x 3 heads built by hand: previous-token head, induction head and decoys
    handmade-2l-perm   the same model with the heads of each layer in another order

Token 0 is BOS in the induction and handmade models.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from toymodel.model import WEIGHT_NAMES, Model, decode_meta, run_with_cache, run_with_hooks

__all__ = ["Model", "load_model", "list_models", "run_with_cache", "run_with_hooks", "repeated_tokens",
           "WEIGHT_NAMES", "FIXTURES"]

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_RAW: dict[str, tuple[dict, dict]] = {}  # fixture name: its weights and metadata, read once (load_model copies)
__grading_caches__ = ("_RAW",)  # for the grader's state guard: no submission can change what _RAW holds


def list_models() -> dict[str, str]:
    """Fixture names mapped to a one-line description."""
    out = {}
    for path in sorted(FIXTURES.glob("*.npz")):
        out[path.stem] = _raw(path.stem)[1].get("description", "")
    return out


def _raw(name: str) -> tuple[dict, dict]:
    if name not in _RAW:
        path = FIXTURES / f"{name}.npz"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in FIXTURES.glob("*.npz")))
            raise ValueError(f"no toy model named {name!r}; known: {known}")
        with np.load(path, allow_pickle=False) as data:
            weights = {k: np.array(data[k]) for k in WEIGHT_NAMES}
            meta = decode_meta(data["meta"]) if "meta" in data.files else {}
        _RAW[name] = (weights, meta)
    return _RAW[name]


def load_model(model: str | Mapping[str, np.ndarray] | Model) -> Model:
    """A fresh `Model` from a fixture name, a dict of weight arrays, or another `Model` (copied)."""
    if isinstance(model, Model):
        return Model(model.weights, name=model.name, meta=model.meta)
    if isinstance(model, str):
        weights, meta = _raw(model)
        return Model(weights, name=model, meta=meta)
    if isinstance(model, Mapping):
        return Model(model)
    raise TypeError(f"load_model takes a fixture name or a dict of weights, not {type(model).__name__}")


def repeated_tokens(n_seqs: int, seg_len: int, vocab: int, seed: int = 0, bos: int = 0) -> np.ndarray:
    """[n_seqs, 2*seg_len + 1] int64: BOS then a random segment of seg_len tokens, then the same segment.

    Segment tokens are drawn uniformly from 1..vocab-1 (never BOS), independently per sequence.
    """
    rng = np.random.default_rng(seed)
    seg = rng.integers(1, vocab, size=(n_seqs, seg_len))
    bos_col = np.full((n_seqs, 1), bos, dtype=np.int64)
    return np.concatenate([bos_col, seg, seg], axis=1).astype(np.int64)
