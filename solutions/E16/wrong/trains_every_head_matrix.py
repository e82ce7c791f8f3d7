"""Wrong: train_skip_trigram trains all four head matrices from a random start (d_head = 8) instead of holding
W_K = W_V = I and training the QK and OV tables from zero. It reaches full accuracy, but on many seeds the
OV read-out of the trained head sends some a to another trigram's c."""

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


def train_skip_trigram(trigrams, fillers, vocab, n_ctx, seed, steps=300, batch=256, lr=0.05, d_head=8):
    """Mistake: trains all four head matrices (d_head = 8) from a random start instead of holding W_K = W_V = I
    and training the QK and OV tables from zero."""
    rng = np.random.default_rng(seed)
    V = vocab
    P = {k: rng.normal(size=(d_head, V)) * 0.3 for k in ("Q", "K", "V")}
    P["O"] = rng.normal(size=(V, d_head)) * 0.3
    m1 = {k: np.zeros_like(v) for k, v in P.items()}
    m2 = {k: np.zeros_like(v) for k, v in P.items()}
    rows = np.arange(batch)
    for step in range(1, steps + 1):
        tok, tgt = skip_trigram_batch(trigrams, fillers, n_ctx, batch, rng)
        QK = P["Q"].T @ P["K"] / np.sqrt(d_head)  # [query token, key token]
        OV = P["O"] @ P["V"]  # [out, src]
        b = tok[:, -1]
        s = QK[b[:, None], tok]
        a = np.exp(s - s.max(1, keepdims=True))
        a /= a.sum(1, keepdims=True)
        logits = np.einsum("bl,blv->bv", a, OV.T[tok])
        logits[rows, b] += 1.0
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        d = p
        d[rows, tgt] -= 1.0
        d /= batch
        g_ovt = np.zeros((V, V))
        np.add.at(g_ovt, tok, a[:, :, None] * d[:, None, :])
        da = np.einsum("blv,bv->bl", OV.T[tok], d)
        ds = a * (da - (a * da).sum(1, keepdims=True))
        g_qk = np.zeros((V, V))
        np.add.at(g_qk, (np.broadcast_to(b[:, None], tok.shape), tok), ds)
        g_qk /= np.sqrt(d_head)
        G = {"Q": P["K"] @ g_qk.T, "K": P["Q"] @ g_qk, "O": g_ovt.T @ P["V"].T, "V": P["O"].T @ g_ovt.T}
        for k in P:
            m1[k] = 0.9 * m1[k] + 0.1 * G[k]
            m2[k] = 0.999 * m2[k] + 0.001 * G[k] ** 2
            P[k] -= lr * (m1[k] / (1 - 0.9 ** step)) / (np.sqrt(m2[k] / (1 - 0.999 ** step)) + 1e-8)
    eye = np.eye(V)
    return {"W_E": eye.copy(), "W_pos": np.zeros((V, n_ctx)), "W_Q": P["Q"][None, None], "W_K": P["K"][None, None],
            "W_V": P["V"][None, None], "W_O": P["O"][None, None], "W_U": eye.copy()}


def read_ov_mapping(weights, src_tokens):
    W_E, W_V, W_O, W_U = (np.asarray(weights[k], dtype=np.float64) for k in ("W_E", "W_V", "W_O", "W_U"))
    W_V = W_V.reshape((-1,) + W_V.shape[-2:])[0] if W_V.ndim > 2 else W_V
    W_O = W_O.reshape((-1,) + W_O.shape[-2:])[0] if W_O.ndim > 2 else W_O
    ov = W_U @ W_O @ W_V @ W_E  # [out, src]
    return ov[:, np.asarray(src_tokens, dtype=np.int64)].argmax(axis=0).astype(np.int64)
