"""Wrong: skips the softmax Jacobian and passes dA straight through as the score gradient (dS = dA)."""

import numpy as np


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def attention_ce_grads(Q, K, V, W_o, y):
    """Return (loss, dQ, dK, dV) for loss = mean CE(softmax(Q K^T / sqrt(d)) V @ W_o, y)."""
    B, L, d = Q.shape
    n = B * L
    scale = 1.0 / d**0.5

    # forward
    S = np.einsum("bid,bjd->bij", Q, K) * scale  # [B, L, L]
    A = _softmax(S, axis=-1)  # each query's row sums to 1 over the keys
    O = np.einsum("bij,bjd->bid", A, V)  # [B, L, d]
    Z = O @ W_o  # [B, L, C]
    Zs = Z - np.max(Z, axis=-1, keepdims=True)
    logp = Zs - np.log(np.sum(np.exp(Zs), axis=-1, keepdims=True))  # stable log-softmax
    y = np.asarray(y)
    loss = -np.mean(np.take_along_axis(logp, y[..., None], axis=-1))

    # backward
    G = np.exp(logp)  # dloss/dZ = (softmax(Z) - onehot(y)) / n
    np.put_along_axis(G, y[..., None], np.take_along_axis(G, y[..., None], axis=-1) - 1.0, axis=-1)
    G /= n
    dO = G @ W_o.T  # [B, L, d]
    dV = np.einsum("bij,bid->bjd", A, dO)  # A^T dO
    dA = np.einsum("bid,bjd->bij", dO, V)  # dO V^T
    dS = dA
    dQ = np.einsum("bij,bjd->bid", dS, K) * scale  # dS K / sqrt(d)
    dK = np.einsum("bij,bid->bjd", dS, Q) * scale  # dS^T Q / sqrt(d)
    return float(loss), dQ, dK, dV
