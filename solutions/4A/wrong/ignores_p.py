"""Wrong: sample_activations ignores p, so every feature is always active."""


import numpy as np


def pair_features(theta, d, rng):
    """Two unit features in R^d at angle theta, in a random orientation. Returns [2, d]."""
    d = int(d)
    if d < 2:
        raise ValueError("need d >= 2 to place two features")
    g = rng.normal(size=(d, 2))
    q, r = np.linalg.qr(g)  # orthonormal columns u, v
    q = q * np.sign(np.diag(r))  # make the orientation uniform (Haar)
    u, v = q[:, 0], q[:, 1]
    f0 = u
    f1 = np.cos(theta) * u + np.sin(theta) * v
    return np.stack([f0, f1]).astype(np.float64)


def random_features(k, d, rng):
    """k independent unit features, uniform on the sphere of R^d. Returns [k, d]."""
    k, d = int(k), int(d)
    if k < 1 or d < 1:
        raise ValueError("k and d must be at least 1")
    g = rng.normal(size=(k, d))
    return g / np.linalg.norm(g, axis=1, keepdims=True)


def sample_activations(n, k, p, rng):
    """[n, k] sparse activations: each entry active with probability p, active values Uniform[0, 1)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError("p must lie in [0, 1]")
    active = np.ones((int(n), int(k)), dtype=bool)
    values = rng.random((int(n), int(k)))
    return np.where(active, values, 0.0)


def residuals(H, F):
    """Residuals x_n = sum_i H[n, i] F[i]: [n, k] @ [k, d] -> [n, d]."""
    return H @ F


def readout(X, F):
    """Linear readout h_hat_i = f_i . x: [n, d] @ [d, k] -> [n, k]."""
    return X @ F.T


def readout_mse(H, F):
    """Mean over all n*k entries of (h_hat - h)^2."""
    err = readout(residuals(H, F), F) - H
    return float(np.mean(err**2))


def expected_mse(theta, p):
    """Closed form E[err^2] for two unit features at angle theta: (p / 3) cos^2(theta)."""
    out = (np.asarray(p, dtype=np.float64) / 3.0) * np.cos(np.asarray(theta, dtype=np.float64)) ** 2
    return float(out) if out.ndim == 0 else out


def error_vs_angle(thetas, p, n, d, rng):
    """Measured and closed-form readout error for a feature pair at each angle."""
    thetas = np.asarray(thetas, dtype=np.float64)
    measured = np.array([readout_mse(sample_activations(n, 2, p, rng), pair_features(t, d, rng)) for t in thetas])
    return thetas, {"measured": measured, "closed form": np.asarray(expected_mse(thetas, p), dtype=np.float64)}


def error_vs_sparsity(ps, theta, n, d, rng):
    """Measured and closed-form readout error for a feature pair at each activation probability."""
    ps = np.asarray(ps, dtype=np.float64)
    measured = np.array([readout_mse(sample_activations(n, 2, p, rng), pair_features(theta, d, rng)) for p in ps])
    return ps, {"measured": measured, "closed form": np.asarray(expected_mse(theta, ps), dtype=np.float64)}
