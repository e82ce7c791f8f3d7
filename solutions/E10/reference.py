"""E10 reference: Frobenius composition scores; an induction circuit in a TOKEN|PREV|OUT|POS residual layout."""

import numpy as np


def composition_scores(W_Q1, W_K1, W_V1, W_O1, W_V0, W_O0):
    W_Q1, W_K1, W_V1, W_O1, W_V0, W_O0 = (np.asarray(a, dtype=np.float64)
                                          for a in (W_Q1, W_K1, W_V1, W_O1, W_V0, W_O0))
    A = W_O0 @ W_V0
    QK = W_Q1.T @ W_K1
    OV = W_O1 @ W_V1
    norm = np.linalg.norm
    k_comp = norm(QK @ A) / (norm(QK) * norm(A))
    q_comp = norm(QK.T @ A) / (norm(QK) * norm(A))
    v_comp = norm(OV @ A) / (norm(OV) * norm(A))
    return float(q_comp), float(k_comp), float(v_comp)


def build_induction_model(vocab, n_ctx, strength=20.0):
    V, n = vocab, n_ctx
    TOK, PREV, OUT, POS = 0, V, 2 * V, 3 * V
    d_model, d_head = 3 * V + n, max(V, n)
    c = strength * np.sqrt(d_head)
    W_Q = np.zeros((2, 1, d_head, d_model))
    W_K = np.zeros_like(W_Q)
    W_V = np.zeros_like(W_Q)
    W_O = np.zeros((2, 1, d_model, d_head))
    # layer 0: previous-token head, copies TOKEN into PREV
    for i in range(1, n):
        W_Q[0, 0, i - 1, POS + i] = c
    for j in range(n):
        W_K[0, 0, j, POS + j] = 1.0
    for t in range(V):
        W_V[0, 0, t, TOK + t] = 1.0
        W_O[0, 0, PREV + t, t] = 1.0
    # layer 1: query = current token, key = previous token at the key (K-composition), copies TOKEN into OUT
    for t in range(V):
        W_Q[1, 0, t, TOK + t] = c
        W_K[1, 0, t, PREV + t] = 1.0
        W_V[1, 0, t, TOK + t] = 1.0
        W_O[1, 0, OUT + t, t] = 1.0
    eye = np.eye(d_model)
    return {"W_E": eye[:, TOK:TOK + V], "W_pos": eye[:, POS:POS + n], "W_Q": W_Q, "W_K": W_K,
            "W_V": W_V, "W_O": W_O, "W_U": eye[OUT:OUT + V]}
