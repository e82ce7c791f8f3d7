"""4A: feature interference in superposition.

Features are unit rows of F [k, d]; activations H [n, k]; residuals X = H @ F [n, d];
the linear readout is H_hat = X @ F.T [n, k]. Everything is float64. Functions that sample
draw every random number from `rng` (a numpy.random.Generator). Never modify inputs.
"""

import numpy as np


def pair_features(theta, d, rng):
    """Two unit features at angle `theta` in R^d, in a random orientation.

    Returns F of shape [2, d] with unit rows and F[0] @ F[1] == cos(theta) (to 1e-12).
    F[0] is uniform on the sphere. Raises ValueError if d < 2.
    """
    raise NotImplementedError  # TODO: random orthonormal u, v; f0 = u, f1 = cos*u + sin*v


def random_features(k, d, rng):
    """k independent features, each uniform on the unit sphere of R^d. Returns [k, d].

    Raises ValueError if k < 1 or d < 1.
    """
    raise NotImplementedError  # TODO: normalised Gaussian rows


def sample_activations(n, k, p, rng):
    """Sparse activations [n, k]: each entry active with probability p, value Uniform[0, 1); else 0.0.

    Raises ValueError if p is outside [0, 1].
    """
    raise NotImplementedError  # TODO: Bernoulli(p) mask times uniform values


def residuals(H, F):
    """Residuals X = H @ F: H [n, k], F [k, d] -> [n, d]."""
    raise NotImplementedError  # TODO


def readout(X, F):
    """Linear readout H_hat = X @ F.T: X [n, d], F [k, d] -> [n, k]."""
    raise NotImplementedError  # TODO


def readout_mse(H, F):
    """Mean over all n*k entries of (readout(residuals(H, F), F) - H)**2, as a float."""
    raise NotImplementedError  # TODO


def expected_mse(theta, p):
    """Closed form of E[(h_hat_0 - h_0)^2] for two unit features at angle theta.

    theta and p broadcast; a float for scalar inputs, else a float64 array.
    """
    raise NotImplementedError  # TODO: derive it


def error_vs_angle(thetas, p, n, d, rng):
    """For each angle: fresh pair_features(theta, d, rng) and sample_activations(n, 2, p, rng).

    Returns (thetas as float64 [T], {"measured": [T], "closed form": [T]}).
    """
    raise NotImplementedError  # TODO


def error_vs_sparsity(ps, theta, n, d, rng):
    """For each activation probability p in ps, at the fixed angle theta.

    Returns (ps as float64 [P], {"measured": [P], "closed form": [P]}).
    """
    raise NotImplementedError  # TODO
