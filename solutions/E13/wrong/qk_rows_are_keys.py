"""Wrong: the QK circuit has key tokens on the rows (transposed)."""

import numpy as np
from toymodel import load_model


def qk_circuit(W_E, W_Q, W_K):
    W_E, W_Q, W_K = (np.asarray(a, dtype=np.float64) for a in (W_E, W_Q, W_K))
    return (W_K @ W_E).T @ (W_Q @ W_E) / np.sqrt(W_Q.shape[0])


def ov_circuit(W_E, W_V, W_O, W_U):
    W_E, W_V, W_O, W_U = (np.asarray(a, dtype=np.float64) for a in (W_E, W_V, W_O, W_U))
    return (W_U @ W_O @ W_V @ W_E).T


def empirical_circuits(weights, head):
    w = {k: np.array(v, dtype=np.float64) for k, v in weights.items()}
    w["W_pos"] = np.zeros_like(w["W_pos"])
    model = load_model(w)
    V = model.vocab
    q_tok, k_tok = np.meshgrid(np.arange(V), np.arange(V), indexing="ij")
    pairs = np.stack([k_tok.ravel(), q_tok.ravel()], axis=1)  # row q*V + k is [k, q]
    _, cache = model.run_with_cache(pairs)
    qk = cache["blocks.0.attn.scores"][:, head, 1, 0].reshape(V, V)
    _, cache = model.run_with_cache(np.arange(V)[:, None])
    ov = cache["blocks.0.attn.head_out"][:, head, 0] @ model.W_U.T
    return qk, ov
