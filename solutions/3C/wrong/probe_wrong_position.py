"""Wrong: reads the prediction one position early (at the last filler, not at b)."""

import numpy as np
from toymodel import load_model


def attention_patterns(model, tokens):
    """Pattern of the single head: [B, L, L], [b, i, j] = attention from destination i to source j."""
    m = load_model(model)
    _, cache = m.run_with_cache(np.asarray(tokens))
    return cache["blocks.0.attn.pattern"][:, 0]


def source_logit_contributions(model, tokens):
    """[B, L, L, vocab]: pattern[b, i, j] * W_U W_O W_V x_j, x_j = W_E[:, tok_j] + W_pos[:, j]."""
    m = load_model(model)
    tokens = np.asarray(tokens)
    _, cache = m.run_with_cache(tokens)
    x = cache["blocks.0.resid_pre"]  # [B, L, d_model]
    ov_logits = x @ (m.W_U @ m.W_O[0, 0] @ m.W_V[0, 0]).T  # [B, L_src, vocab]
    pattern = cache["blocks.0.attn.pattern"][:, 0]  # [B, L_dst, L_src]
    return pattern[..., None] * ov_logits[:, None, :, :]


def ov_logit_table(model):
    """[vocab, vocab]: [s, c] = (W_U W_O W_V W_E)[c, s], logit change of c from attending to token s."""
    m = load_model(model)
    return (m.W_U @ m.W_O[0, 0] @ m.W_V[0, 0] @ m.W_E).T


def _qk_table(m):
    """[dest, source] token-only attention logits."""
    q = m.W_Q[0, 0] @ m.W_E  # [d_head, vocab]
    k = m.W_K[0, 0] @ m.W_E
    return q.T @ k / np.sqrt(m.d_head)


def read_trigrams(model, a_tokens, b_tokens, c_tokens, qk_threshold=2.0):
    """Skip-trigrams (a, b, c) read from the weights, int64 [n, 3], rows sorted."""
    m = load_model(model)
    a_tokens, b_tokens, c_tokens = (np.asarray(x, dtype=np.int64) for x in (a_tokens, b_tokens, c_tokens))
    qk = _qk_table(m)
    qk = qk - qk.mean(axis=1, keepdims=True)
    ov = ov_logit_table(model)
    direct = (m.W_U @ m.W_E).T  # [token, logit]
    rows = []
    for b in b_tokens:
        for a in a_tokens:
            if qk[b, a] > qk_threshold:
                score = ov[a, c_tokens] + direct[b, c_tokens]
                rows.append((int(a), int(b), int(c_tokens[np.argmax(score)])))
    return np.array(sorted(rows), dtype=np.int64).reshape(-1, 3)


def probe_predictions(model, a_tokens, b_tokens, filler):
    """[len(a_tokens), len(b_tokens)] int64: argmax prediction at the end of [a, *filler, b]."""
    m = load_model(model)
    a_tokens, b_tokens = np.asarray(a_tokens, dtype=np.int64), np.asarray(b_tokens, dtype=np.int64)
    filler = np.asarray(filler, dtype=np.int64).reshape(-1)
    n_a, n_b = len(a_tokens), len(b_tokens)
    seqs = np.empty((n_a, n_b, len(filler) + 2), dtype=np.int64)
    seqs[:, :, 0] = a_tokens[:, None]
    seqs[:, :, 1:-1] = filler
    seqs[:, :, -1] = b_tokens[None, :]
    logits = m(seqs.reshape(n_a * n_b, -1))[:, -2]
    return logits.argmax(axis=-1).reshape(n_a, n_b).astype(np.int64)


def incoherence_bugs(model, table, c_tokens):
    """OV-incoherence predictions: (bugs int64 [m, 3], boost float64 [m])."""
    table = np.asarray(table, dtype=np.int64).reshape(-1, 3)
    c_tokens = np.asarray(c_tokens, dtype=np.int64)
    bugs = set()
    for a, b, c in table:
        for a2, _, c2 in table:
            if a2 == a and c2 != c:
                bugs.add((int(a), int(b), int(c2)))
    bugs = np.array(sorted(bugs), dtype=np.int64).reshape(-1, 3)
    ov = ov_logit_table(model)
    boost = np.array([ov[a, c] - ov[a, c_tokens].mean() for a, _, c in bugs], dtype=np.float64)
    return bugs, boost
