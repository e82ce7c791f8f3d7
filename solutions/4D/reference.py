"""Reference solution for 4D: a sparse autoencoder that recovers features in superposition."""

import numpy as np


def sae_forward(X, params):
    """Latents Z = ReLU((X - b_dec) @ W_enc.T + b_enc) [N, m] and reconstruction X_hat = Z @ W_dec.T + b_dec [N, d]."""
    pre = (X - params["b_dec"]) @ params["W_enc"].T + params["b_enc"]
    Z = np.maximum(pre, 0.0)
    X_hat = Z @ params["W_dec"].T + params["b_dec"]
    return Z, X_hat


def sae_loss(X, params, l1):
    """Mean over rows of ||x_hat - x||^2 + l1 * ||z||_1."""
    Z, X_hat = sae_forward(X, params)
    return float(np.mean(np.sum((X_hat - X) ** 2, axis=1) + l1 * np.sum(Z, axis=1)))


def _grads_and_latents(X, params, l1):
    """Gradients of sae_loss and the latents Z, from one forward pass."""
    N = X.shape[0]
    W_enc, b_enc, W_dec, b_dec = params["W_enc"], params["b_enc"], params["W_dec"], params["b_dec"]
    Xc = X - b_dec
    pre = Xc @ W_enc.T + b_enc
    Z = np.maximum(pre, 0.0)
    E = Z @ W_dec.T + b_dec - X  # [N, d]
    gE = 2.0 * E / N
    g_W_dec = gE.T @ Z  # [d, m]
    gZ = gE @ W_dec + l1 / N  # [N, m]; d|z|/dz = 1 where z > 0, masked below
    gpre = gZ * (pre > 0)
    g_W_enc = gpre.T @ Xc  # [m, d]
    g_b_enc = gpre.sum(axis=0)
    g_b_dec = gE.sum(axis=0) - g_b_enc @ W_enc  # decoder path and the path through x - b_dec
    return {"W_enc": g_W_enc, "b_enc": g_b_enc, "W_dec": g_W_dec, "b_dec": g_b_dec}, Z


def sae_grads(X, params, l1):
    """Gradients of sae_loss with respect to W_enc, b_enc, W_dec, b_dec (raw, not projected)."""
    return _grads_and_latents(X, params, l1)[0]


def normalize_decoder(W_dec):
    """Scale each column (dictionary vector) of W_dec [d, m] to unit norm; returns a new array."""
    return W_dec / np.linalg.norm(W_dec, axis=0, keepdims=True)


def dead_latents(X, params):
    """Boolean [m]: True for latents that are zero on every row of X."""
    Z, _ = sae_forward(X, params)
    return ~np.any(Z > 0, axis=0)


def _resample(X, params, dead, rng, state):
    """Point each dead latent at an input the SAE reconstructs badly and reset its Adam state."""
    idx = rng.integers(0, X.shape[0], size=min(X.shape[0], 2048))
    sample = X[idx]
    _, X_hat = sae_forward(sample, params)
    resid = sample - X_hat
    loss = np.sum(resid**2, axis=1)
    prob = loss / loss.sum() if loss.sum() > 0 else None
    pick = rng.choice(sample.shape[0], size=dead.size, replace=dead.size > sample.shape[0], p=prob)
    v = resid[pick]
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    params["W_dec"][:, dead] = v.T
    params["W_enc"][dead] = 0.2 * v
    params["b_enc"][dead] = 0.0
    for moments in state:
        moments["W_dec"][:, dead] = 0.0
        moments["W_enc"][dead] = 0.0
        moments["b_enc"][dead] = 0.0


def train_sae(X, m, rng, l1=0.2, lr=1e-2, steps=1000, batch_size=256):
    """Train an SAE with m latents on X [N, d] with Adam; returns {"W_enc", "b_enc", "W_dec", "b_dec"}."""
    X = np.asarray(X, dtype=np.float64)
    N, d = X.shape
    W_dec = normalize_decoder(rng.normal(size=(d, m)))
    params = {"W_enc": W_dec.T.copy(), "b_enc": np.zeros(m), "W_dec": W_dec, "b_dec": X.mean(axis=0)}
    mom = {k: np.zeros_like(v) for k, v in params.items()}
    vel = {k: np.zeros_like(v) for k, v in params.items()}
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    window, fired = 200, np.zeros(m, dtype=bool)
    for t in range(1, steps + 1):
        batch = X[rng.integers(0, N, size=batch_size)]
        grads, Z = _grads_and_latents(batch, params, l1)
        fired |= np.any(Z > 0, axis=0)
        W = params["W_dec"]
        grads["W_dec"] = grads["W_dec"] - W * np.sum(W * grads["W_dec"], axis=0)  # keep steps tangent to the sphere
        for key, g in grads.items():
            mom[key] = beta1 * mom[key] + (1 - beta1) * g
            vel[key] = beta2 * vel[key] + (1 - beta2) * g * g
            m_hat = mom[key] / (1 - beta1**t)
            v_hat = vel[key] / (1 - beta2**t)
            params[key] = params[key] - lr * m_hat / (np.sqrt(v_hat) + eps)
        params["W_dec"] = normalize_decoder(params["W_dec"])
        if t % window == 0:
            dead = np.flatnonzero(~fired)
            if dead.size and t <= 0.6 * steps:
                _resample(X, params, dead, rng, (mom, vel))
            fired[:] = False
    return params


def feature_recovery(F, W_dec):
    """For each true feature (row of F [k, d]) the max signed cosine to any column of W_dec [d, m]. Returns [k]."""
    Fn = F / np.linalg.norm(F, axis=1, keepdims=True)
    norms = np.linalg.norm(W_dec, axis=0)
    Wn = np.divide(W_dec, norms, out=np.zeros_like(W_dec, dtype=np.float64), where=norms > 0)
    return np.max(Fn @ Wn, axis=1)


def mmcs(F, W_dec):
    """Mean max cosine similarity: the mean over true features of feature_recovery."""
    return float(np.mean(feature_recovery(F, W_dec)))
