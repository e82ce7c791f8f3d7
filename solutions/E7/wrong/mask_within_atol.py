"""Wrong: is_valid_pattern accepts masked entries (j > i) within atol of 0, although the prompt says they must be
exactly 0."""

import math

import numpy as np


def embed_tokens(tokens, W_E, W_pos=None):
    tokens = np.asarray(tokens)
    X = W_E.T[tokens]  # [..., L, d_model]
    if W_pos is not None:
        L = tokens.shape[-1]
        X = X + W_pos[:, :L].T
    return X


def attention_pattern(X, W_Q, W_K, causal=False):
    X = np.asarray(X)
    Q = X @ W_Q.T
    K = X @ W_K.T
    S = Q @ np.swapaxes(K, -1, -2) / math.sqrt(W_Q.shape[0])
    if causal:
        L = X.shape[-2]
        S = np.where(np.triu(np.ones((L, L), dtype=bool), k=1), -np.inf, S)
    S = S - S.max(axis=-1, keepdims=True)
    A = np.exp(S)
    return A / A.sum(axis=-1, keepdims=True)


def is_valid_pattern(A, causal=False, atol=1e-6):
    A = np.asarray(A)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2] or not np.all(np.isfinite(A)):
        return False
    if np.any(A < 0) or np.any(np.abs(A.sum(axis=-1) - 1.0) > atol):
        return False
    if causal and np.any(np.abs(A[..., np.triu(np.ones(A.shape[-2:], dtype=bool), k=1)]) > atol):
        return False
    return True
