"""Training machinery shared by the fixture scripts: hand-written backprop for the attention-only model.

Same forward pass as toymodel.model.Model (no LayerNorm, causal, 1/sqrt(d_head) scale), written here with
an explicit backward pass and Adam, so the scripts need nothing but NumPy. `gradcheck()` compares the
gradients with central finite differences; every script runs it before training.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread: faster for tiny matrices, and reruns match

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
SUPPORT = HERE.parents[1]  # exercises/_support
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from toymodel.model import WEIGHT_NAMES  # noqa: E402

FIXTURES = HERE.parent / "fixtures"


def init_weights(rng, n_layers, n_heads, d_model, d_head, vocab, n_ctx) -> dict[str, np.ndarray]:
    """Gaussian init: embeddings with O(1) rows, attention weights scaled by 1/sqrt(fan-in)."""
    s = 1.0 / np.sqrt(d_model)
    return {
        "W_E": rng.normal(0, 1.0, (d_model, vocab)) * 0.5,
        "W_pos": rng.normal(0, 1.0, (d_model, n_ctx)) * 0.5,
        "W_Q": rng.normal(0, s, (n_layers, n_heads, d_head, d_model)),
        "W_K": rng.normal(0, s, (n_layers, n_heads, d_head, d_model)),
        "W_V": rng.normal(0, s, (n_layers, n_heads, d_head, d_model)),
        "W_O": rng.normal(0, 1.0 / np.sqrt(d_head), (n_layers, n_heads, d_model, d_head)) * 0.5,
        "W_U": rng.normal(0, s, (vocab, d_model)),
    }


def forward(w, tokens):
    """Logits [B, T, V] and the activations the backward pass needs."""
    B, T = tokens.shape
    n_layers, n_heads, d_head, _ = w["W_Q"].shape
    scale = 1.0 / np.sqrt(d_head)
    mask = np.triu(np.ones((T, T), dtype=bool), k=1)
    x = w["W_E"].T[tokens] + w["W_pos"][:, :T].T[None]
    acts = []
    for layer in range(n_layers):
        q, k, v = (_heads_in(x, w[key][layer]) for key in ("W_Q", "W_K", "W_V"))
        s = np.matmul(q, k.transpose(0, 1, 3, 2)) * scale
        s[..., mask] = -np.inf
        s = s - s.max(-1, keepdims=True)
        a = np.exp(s)
        a /= a.sum(-1, keepdims=True)
        z = np.matmul(a, v)
        out = _heads_out(z, w["W_O"][layer])
        acts.append((x, q, k, v, a, z))
        x = x + out
    logits = x @ w["W_U"].T
    return logits, (x, acts)


def _heads_in(x, W):
    """x [B, T, d] and W [H, dh, d] -> [B, H, T, dh] (x W[h].T for each head)."""
    H, dh, d = W.shape
    return (x @ W.reshape(H * dh, d).T).reshape(x.shape[0], x.shape[1], H, dh).transpose(0, 2, 1, 3)


def _heads_out(z, W):
    """z [B, H, T, dh] and W_O [H, d, dh] -> sum_h z[:, h] W_O[h].T, [B, T, d]."""
    B, H, T, dh = z.shape
    return z.transpose(0, 2, 1, 3).reshape(B, T, H * dh) @ W.transpose(0, 2, 1).reshape(H * dh, -1)


def loss_and_grads(w, tokens, targets, weights):
    """Weighted mean cross-entropy of logits[b, t] against targets[b, t] and its gradients.

    `weights` [B, T] (0 where a position is not trained on).
    """
    B, T = tokens.shape
    n_layers, n_heads, d_head, _ = w["W_Q"].shape
    scale = 1.0 / np.sqrt(d_head)
    logits, (x_final, acts) = forward(w, tokens)
    m = logits.max(-1, keepdims=True)
    logp = logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))
    total = weights.sum()
    nll = -np.take_along_axis(logp, targets[..., None], -1)[..., 0]
    loss = float((nll * weights).sum() / total)
    g = {k: np.zeros_like(v) for k, v in w.items()}
    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1, -1)
    dlogits *= (weights / total)[..., None]
    g["W_U"] = np.einsum("btv,btd->vd", dlogits, x_final)
    dx = dlogits @ w["W_U"]
    for layer in reversed(range(n_layers)):
        x, q, k, v, a, z = acts[layer]
        H, dh = z.shape[1], z.shape[3]
        zf = z.transpose(0, 2, 1, 3).reshape(B * T, H * dh)
        g["W_O"][layer] = (dx.reshape(B * T, -1).T @ zf).reshape(-1, H, dh).transpose(1, 0, 2)
        dz = (dx @ w["W_O"][layer].transpose(1, 0, 2).reshape(-1, H * dh)).reshape(B, T, H, dh).transpose(0, 2, 1, 3)
        da = np.matmul(dz, v.transpose(0, 1, 3, 2))
        dv = np.matmul(a.transpose(0, 1, 3, 2), dz)
        ds = a * (da - (da * a).sum(-1, keepdims=True)) * scale
        dq = np.matmul(ds, k)
        dk = np.matmul(ds.transpose(0, 1, 3, 2), q)
        xf = x.reshape(B * T, -1)
        for key, d in (("W_Q", dq), ("W_K", dk), ("W_V", dv)):
            df = d.transpose(0, 2, 1, 3).reshape(B * T, -1)  # [B*T, H*dh]
            g[key][layer] = (df.T @ xf).reshape(g[key][layer].shape)
            dx = dx + (df @ w[key][layer].reshape(-1, xf.shape[1])).reshape(dx.shape)
    onehot = np.zeros((B * T, w["W_E"].shape[1]))
    onehot[np.arange(B * T), tokens.reshape(-1)] = 1.0
    g["W_E"] = dx.reshape(B * T, -1).T @ onehot
    g["W_pos"][:, :T] = dx.sum(0).T
    return loss, g


class Adam:
    def __init__(self, w, lr=3e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.0):
        self.lr, self.b1, self.b2, self.eps, self.wd = lr, betas[0], betas[1], eps, weight_decay
        self.m = {k: np.zeros_like(v) for k, v in w.items()}
        self.v = {k: np.zeros_like(v) for k, v in w.items()}
        self.t = 0

    def step(self, w, g, lr=None):
        lr = self.lr if lr is None else lr
        self.t += 1
        for k in w:
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g[k]
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g[k] ** 2
            mh = self.m[k] / (1 - self.b1 ** self.t)
            vh = self.v[k] / (1 - self.b2 ** self.t)
            w[k] -= lr * (mh / (np.sqrt(vh) + self.eps) + self.wd * w[k])


def gradcheck(seed: int = 0) -> float:
    """Largest relative error between backprop and finite differences on a tiny random model."""
    rng = np.random.default_rng(seed)
    w = init_weights(rng, 2, 2, 6, 3, 7, 5)
    tokens = rng.integers(0, 7, (2, 5))
    targets = rng.integers(0, 7, (2, 5))
    weights = rng.random((2, 5))
    _, g = loss_and_grads(w, tokens, targets, weights)
    worst = 0.0
    for k in WEIGHT_NAMES:
        flat = w[k].reshape(-1)
        for i in rng.choice(flat.size, size=min(6, flat.size), replace=False):
            old = flat[i]
            flat[i] = old + 1e-6
            up, _ = loss_and_grads(w, tokens, targets, weights)
            flat[i] = old - 1e-6
            down, _ = loss_and_grads(w, tokens, targets, weights)
            flat[i] = old
            num = (up - down) / 2e-6
            ana = g[k].reshape(-1)[i]
            worst = max(worst, abs(num - ana) / max(1e-6, abs(num) + abs(ana)))
    return worst


def save_fixture(name: str, weights: dict, meta: dict) -> Path:
    """Write fixtures/<name>.npz: the weights (float64) and `meta` as a JSON string."""
    FIXTURES.mkdir(exist_ok=True)
    path = FIXTURES / f"{name}.npz"
    arrays = {k: np.asarray(weights[k], dtype=np.float64) for k in WEIGHT_NAMES}
    np.savez_compressed(path, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    return path


def _flatten(metrics, prefix=""):
    out = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = np.asarray(value, dtype=np.float64)
    return out


def compare_with_fixture(name: str, weights: dict, metrics: dict, atol: float = 1e-6) -> int:
    """Rerun check: the retrained weights and metrics against fixtures/<name>.npz. 0 when they agree."""
    from toymodel.model import decode_meta

    with np.load(FIXTURES / f"{name}.npz", allow_pickle=False) as data:
        shipped = {k: np.array(data[k]) for k in WEIGHT_NAMES}
        recorded = decode_meta(data["meta"])["metrics"]
    worst = max(float(np.max(np.abs(shipped[k] - weights[k]))) for k in WEIGHT_NAMES)
    print(f"{name}: largest weight difference from the shipped fixture {worst:.2e}")
    new, old = _flatten(metrics), _flatten(recorded)
    bad = [k for k in old if k not in new or new[k].shape != old[k].shape
           or not np.allclose(new[k], old[k], atol=max(atol, 1e-3), rtol=1e-3)]
    for k in sorted(old):
        print(f"  {k}: recorded {old[k].round(4).tolist()}  now {new.get(k, np.nan).round(4).tolist()}")
    if bad:
        print(f"MISMATCH in {bad}")
        return 1
    print("metrics reproduce the recorded ones (within 1e-3)")
    return 0
