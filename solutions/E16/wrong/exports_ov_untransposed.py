"""Wrong: exports W_O = OV instead of OV.T, so the model's head writes the transposed map."""

import numpy as np


def skip_trigram_batch(trigrams, fillers, n_ctx, n, rng):
    tri = np.asarray(trigrams, dtype=np.int64).reshape(-1, 3)
    fillers = np.asarray(fillers, dtype=np.int64)
    T = len(tri)
    others = [tri[tri[:, 1] != tri[t, 1], 0] for t in range(T)]  # distractor candidates per trigram
    count = np.array([len(o) for o in others])
    table = np.zeros((T, max(1, count.max())), dtype=np.int64)
    for t, o in enumerate(others):
        table[t, :len(o)] = o
    tokens = fillers[rng.integers(0, len(fillers), size=(n, n_ctx))]
    which = rng.integers(0, T, size=n)
    slots = np.argsort(rng.random((n, n_ctx - 1)), axis=1)  # a random permutation of 0..n_ctx-2 per row
    pick = (rng.random(n) * np.maximum(count[which], 1)).astype(np.int64)
    rows = np.arange(n)
    has = count[which] > 0
    tokens[rows[has], slots[has, 1]] = table[which[has], pick[has]]
    tokens[rows, slots[:, 0]] = tri[which, 0]
    tokens[:, n_ctx - 1] = tri[which, 1]
    return tokens.astype(np.int64), tri[which, 2].astype(np.int64)


def train_skip_trigram(trigrams, fillers, vocab, n_ctx, seed, steps=200, batch=256, lr=0.1):
    rng = np.random.default_rng(seed)
    V = vocab
    QK, OV = np.zeros((V, V)), np.zeros((V, V))
    params = [QK, OV]
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    rows = np.arange(batch)
    for step in range(1, steps + 1):
        tok, tgt = skip_trigram_batch(trigrams, fillers, n_ctx, batch, rng)
        b = tok[:, -1]
        s = QK[b[:, None], tok]  # [B, L]: the last position sees every position
        a = np.exp(s - s.max(1, keepdims=True))
        a /= a.sum(1, keepdims=True)
        logits = np.einsum("bl,blv->bv", a, OV[tok])
        logits[rows, b] += 1.0  # direct path W_U W_E = I
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        dlogits = p
        dlogits[rows, tgt] -= 1.0
        dlogits /= batch
        g_ov = np.zeros_like(OV)
        np.add.at(g_ov, tok, a[:, :, None] * dlogits[:, None, :])
        da = np.einsum("blv,bv->bl", OV[tok], dlogits)
        ds = a * (da - (a * da).sum(1, keepdims=True))
        g_qk = np.zeros_like(QK)
        np.add.at(g_qk, (np.broadcast_to(b[:, None], tok.shape), tok), ds)
        for i, (param, grad) in enumerate(zip(params, (g_qk, g_ov))):
            m1[i] = 0.9 * m1[i] + 0.1 * grad
            m2[i] = 0.999 * m2[i] + 0.001 * grad * grad
            param -= lr * (m1[i] / (1 - 0.9 ** step)) / (np.sqrt(m2[i] / (1 - 0.999 ** step)) + 1e-8)
    eye = np.eye(V)
    return {"W_E": eye.copy(), "W_pos": np.zeros((V, n_ctx)), "W_Q": (np.sqrt(V) * QK.T)[None, None],
            "W_K": eye[None, None].copy(), "W_V": eye[None, None].copy(), "W_O": OV[None, None].copy(),
            "W_U": eye.copy()}


def read_ov_mapping(weights, src_tokens):
    W_E, W_V, W_O, W_U = (np.asarray(weights[k], dtype=np.float64) for k in ("W_E", "W_V", "W_O", "W_U"))
    W_V = W_V.reshape((-1,) + W_V.shape[-2:])[0] if W_V.ndim > 2 else W_V
    W_O = W_O.reshape((-1,) + W_O.shape[-2:])[0] if W_O.ndim > 2 else W_O
    ov = W_U @ W_O @ W_V @ W_E  # [out, src]
    return ov[:, np.asarray(src_tokens, dtype=np.int64)].argmax(axis=0).astype(np.int64)
