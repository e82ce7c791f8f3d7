"""A small attention-only causal transformer in NumPy, with a cache and hooks.

Conventions (exercises/CONVENTIONS.md): weights act on column vectors, activations are rows.

    W_E    [d_model, vocab]                     column t embeds token t
    W_pos  [d_model, n_ctx]                     column p embeds position p
    W_Q, W_K, W_V  [n_layers, n_heads, d_head, d_model]
    W_O    [n_layers, n_heads, d_model, d_head]
    W_U    [vocab, d_model]

There are no MLPs, biases or LayerNorm. Each layer adds the writes of its heads to the residual stream:

    x_0         = W_E[:, tok_i] + W_pos[:, i]                     (row i of "embed" + "pos_embed")
    q, k, v     = x W_Q[l, h].T, x W_K[l, h].T, x W_V[l, h].T     [..., L, d_head] per head
    scores[i,j] = q_i . k_j / sqrt(d_head), -inf for j > i (causal)
    pattern     = softmax(scores) over j
    z           = pattern @ v
    head_out    = z W_O[l, h].T                                    the head's write, [..., L, d_model]
    x_{l+1}     = x_l + sum_h head_out
    logits      = x_{n_layers} W_U.T                               [..., L, vocab]

Everything is float64. Tokens are an integer array [L] or [B, L] (any leading batch shape); every
activation keeps the same leading shape, so a single sequence gives [L, ...] activations.

Cache keys (the names hooks use as well); `...` is the batch shape of the tokens, H = n_heads:

    "embed"                   [..., L, d_model]   token embeddings, row i = W_E[:, tok_i]
    "pos_embed"               [..., L, d_model]   position embeddings, row i = W_pos[:, i]
    "blocks.{l}.resid_pre"    [..., L, d_model]   residual stream entering layer l
    "blocks.{l}.attn.q"       [..., H, L, d_head]
    "blocks.{l}.attn.k"       [..., H, L, d_head]
    "blocks.{l}.attn.v"       [..., H, L, d_head]
    "blocks.{l}.attn.scores"  [..., H, L, L]      scaled attention logits, -inf above the diagonal
    "blocks.{l}.attn.pattern" [..., H, L, L]      pattern[..., h, i, j]: destination i attends to source j
    "blocks.{l}.attn.z"       [..., H, L, d_head] pattern-weighted values
    "blocks.{l}.attn.head_out"[..., H, L, d_model] each head's write to the residual stream
    "blocks.{l}.attn.out"     [..., L, d_model]   sum of head_out over heads
    "blocks.{l}.resid_post"   [..., L, d_model]   residual stream leaving layer l
                                                  (= resid_pre + attn.out = next layer's resid_pre)

A hook is a function `fn(activation) -> new_activation or None`. It runs when the activation is
computed, before anything downstream uses it: return an array of the same shape to replace the
activation, or edit the array it receives in place and return None. The library hands every hook its own
fresh array and copies what a hook returns, so arrays you keep (a clean cache, say) are never changed by
a run.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping

import numpy as np

WEIGHT_NAMES = ("W_E", "W_pos", "W_Q", "W_K", "W_V", "W_O", "W_U")
Hook = Callable[[np.ndarray], "np.ndarray | None"]


class Model:
    """An attention-only transformer. Build it with `load_model(name)` or `Model(weights)`.

    Attributes: the weights named above (float64 arrays, never modified by the library),
    `n_layers, n_heads, d_model, d_head, vocab, n_ctx`, `name` and `meta` (a dict describing how a
    fixture was made: seed, steps, recorded metrics, token roles).
    """

    def __init__(self, weights: Mapping[str, np.ndarray], name: str = "custom", meta: dict | None = None):
        missing = [k for k in WEIGHT_NAMES if k not in weights]
        if missing:
            raise ValueError(f"weights are missing {missing}; need {list(WEIGHT_NAMES)}")
        w = {k: np.array(weights[k], dtype=np.float64) for k in WEIGHT_NAMES}  # copies
        for key in ("W_Q", "W_K", "W_V", "W_O"):
            if w[key].ndim == 3:  # one layer given without its layer axis
                w[key] = w[key][None]
            if w[key].ndim != 4:
                raise ValueError(f"{key} must be [n_layers, n_heads, ...], got shape {w[key].shape}")
        d_model, vocab = w["W_E"].shape
        n_layers, n_heads, d_head, _ = w["W_Q"].shape
        expect = {
            "W_pos": (d_model, w["W_pos"].shape[1] if w["W_pos"].ndim == 2 else -1),
            "W_Q": (n_layers, n_heads, d_head, d_model),
            "W_K": (n_layers, n_heads, d_head, d_model),
            "W_V": (n_layers, n_heads, w["W_V"].shape[2], d_model),
            "W_O": (n_layers, n_heads, d_model, w["W_V"].shape[2]),
            "W_U": (vocab, d_model),
        }
        for key, shape in expect.items():
            if w[key].shape != shape:
                raise ValueError(f"{key} has shape {w[key].shape}, expected {shape}")
        for key, value in w.items():
            value.setflags(write=False)
            setattr(self, key, value)
        self.n_layers, self.n_heads, self.d_head = n_layers, n_heads, d_head
        self.d_model, self.vocab, self.n_ctx = d_model, vocab, w["W_pos"].shape[1]
        self.name = name
        self.meta = copy.deepcopy(dict(meta or {}))  # a model never shares its metadata with the library's cache

    def __repr__(self) -> str:
        return (f"Model({self.name!r}: n_layers={self.n_layers}, n_heads={self.n_heads}, d_model={self.d_model}, "
                f"d_head={self.d_head}, vocab={self.vocab}, n_ctx={self.n_ctx})")

    @property
    def weights(self) -> dict[str, np.ndarray]:
        """The weights as a dict of writable copies (what `load_model` accepts back)."""
        return {k: np.array(getattr(self, k)) for k in WEIGHT_NAMES}

    def hook_names(self) -> list[str]:
        """Every cache key / hook point, in the order the forward pass computes them."""
        names = ["embed", "pos_embed"]
        for layer in range(self.n_layers):
            p = f"blocks.{layer}."
            names += [p + "resid_pre"] + [p + "attn." + s for s in
                                          ("q", "k", "v", "scores", "pattern", "z", "head_out", "out")]
            names.append(p + "resid_post")
        return names

    # ---- forward ------------------------------------------------------------------------------------

    def _check_tokens(self, tokens) -> np.ndarray:
        tokens = np.asarray(tokens)
        if tokens.dtype.kind not in "iu":
            raise ValueError(f"tokens must be an integer array, got dtype {tokens.dtype}")
        if tokens.ndim < 1 or tokens.shape[-1] < 1:
            raise ValueError("tokens must have shape [L] or [B, L] with L >= 1")
        if tokens.shape[-1] > self.n_ctx:
            raise ValueError(f"sequence length {tokens.shape[-1]} exceeds n_ctx={self.n_ctx}")
        if tokens.size and (tokens.min() < 0 or tokens.max() >= self.vocab):
            raise ValueError(f"token ids must lie in [0, {self.vocab})")
        return tokens

    def forward(self, tokens, hooks: Mapping[str, Hook] | None = None, return_cache: bool = False):
        """Logits [..., L, vocab]; with `return_cache=True`, `(logits, cache)`.

        `hooks` maps hook names (see `hook_names()`) to functions; see the module docstring.
        """
        tokens = self._check_tokens(tokens)
        hooks = dict(hooks or {})
        unknown = sorted(set(hooks) - set(self.hook_names()))
        if unknown:
            raise ValueError(f"unknown hook names {unknown}; see model.hook_names()")
        cache: dict[str, np.ndarray] = {}

        def point(name: str, value: np.ndarray) -> np.ndarray:
            fn = hooks.get(name)
            if fn is not None:
                value = np.array(value, dtype=np.float64)  # the hook's own copy
                out = fn(value)
                if out is not None:
                    out = np.array(out, dtype=np.float64)  # never alias what the hook returned
                    if out.shape != value.shape:
                        raise ValueError(f"hook {name!r} returned shape {out.shape}, expected {value.shape}")
                    value = out
            if return_cache:
                cache[name] = value
            return value

        L = tokens.shape[-1]
        batch = tokens.shape[:-1]
        embed = point("embed", self.W_E.T[tokens])
        pos = point("pos_embed", np.broadcast_to(self.W_pos[:, :L].T, batch + (L, self.d_model)).copy())
        x = embed + pos
        causal = np.tril(np.ones((L, L), dtype=bool))
        scale = 1.0 / np.sqrt(self.d_head)
        for layer in range(self.n_layers):
            p = f"blocks.{layer}."
            x = point(p + "resid_pre", x.copy() if layer else x)  # its own array
            q = point(p + "attn.q", np.einsum("...ld,hed->...hle", x, self.W_Q[layer]))
            k = point(p + "attn.k", np.einsum("...ld,hed->...hle", x, self.W_K[layer]))
            v = point(p + "attn.v", np.einsum("...ld,hed->...hle", x, self.W_V[layer]))
            scores = np.einsum("...hie,...hje->...hij", q, k) * scale
            scores = point(p + "attn.scores", np.where(causal, scores, -np.inf))
            pattern = point(p + "attn.pattern", _softmax(scores))
            z = point(p + "attn.z", np.einsum("...hij,...hje->...hie", pattern, v))
            head_out = point(p + "attn.head_out", np.einsum("...hle,hde->...hld", z, self.W_O[layer]))
            out = point(p + "attn.out", head_out.sum(axis=-3))
            x = point(p + "resid_post", x + out)
        logits = x @ self.W_U.T
        return (logits, cache) if return_cache else logits

    __call__ = forward

    def run_with_cache(self, tokens, hooks: Mapping[str, Hook] | None = None):
        """`(logits, cache)`: the cache holds every activation named in the module docstring."""
        return self.forward(tokens, hooks=hooks, return_cache=True)

    def run_with_hooks(self, tokens, hooks: Mapping[str, Hook], return_cache: bool = False):
        """Logits of a run whose hooked activations are replaced or edited (and the cache if asked)."""
        return self.forward(tokens, hooks=hooks, return_cache=return_cache)


def _softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis; -inf entries get weight 0 (the diagonal is never masked)."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def run_with_cache(model: Model, tokens, hooks: Mapping[str, Hook] | None = None):
    """Module-level form of `model.run_with_cache(tokens)`."""
    return model.run_with_cache(tokens, hooks=hooks)


def run_with_hooks(model: Model, tokens, hooks: Mapping[str, Hook], return_cache: bool = False):
    """Module-level form of `model.run_with_hooks(tokens, hooks)`.

    Example: zero head 1 of layer 0 everywhere

        def kill(head_out):              # head_out: [..., H, L, d_model]
            head_out[..., 1, :, :] = 0.0
        logits = run_with_hooks(model, tokens, {"blocks.0.attn.head_out": kill})
    """
    return model.run_with_hooks(tokens, hooks, return_cache=return_cache)


def decode_meta(raw) -> dict:
    """The `meta` entry of a fixture .npz (a JSON string stored as a 0-d array) as a dict."""
    return json.loads(str(np.asarray(raw).item()))
