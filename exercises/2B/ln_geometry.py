"""Exercise 2B: how LayerNorm's centring and rescaling change dot products and cosine similarity.

Throughout, N(u) is LayerNorm over the last axis with gamma = 1, beta = 0 and eps = 0:
N(u) = (u - mean(u)) / std(u), with the biased std. See the prompt (`practice show 2B`) for the full rules.
"""

import numpy as np


def normalize(u):
    """N(u) over the last axis.

    Args:
        u: float array [..., d], d >= 2. Never modify it.

    Returns:
        [..., d] float64: (u - mean) / std per row (biased std, no eps).

    Raises:
        ValueError: if any row of u is constant (all entries equal), where N is undefined.
    """
    raise NotImplementedError  # TODO: centre each row, divide by its biased standard deviation


def dot_decomposition(u, v):
    """Split u·v into the part carried by the means and the part carried by the centred vectors.

    Args:
        u, v: float arrays [..., d] whose leading axes broadcast against each other. Constant rows are allowed.

    Returns:
        A tuple (mean_term, centered_term), each [...] (the broadcast leading shape):
        mean_term = d * mean(u) * mean(v), centered_term = (u - mean(u))·(v - mean(v)), so that
        mean_term + centered_term == u·v.
    """
    raise NotImplementedError  # TODO: d * ubar * vbar, and the dot product of the centred rows


def ln_dot(u, v):
    """N(u)·N(v) per row, which equals d times the Pearson correlation of u and v.

    Args:
        u, v: float arrays [..., d] whose leading axes broadcast against each other.

    Returns:
        [...] float64.

    Raises:
        ValueError: if any row of u or of v is constant.
    """
    raise NotImplementedError  # TODO: centred dot product divided by std(u) * std(v)


def cosine_preserved(u, v, atol=1e-9):
    """Whether LayerNorm leaves the cosine similarity of u and v unchanged.

    Args:
        u, v: float arrays [..., d] whose leading axes broadcast against each other.
        atol: tolerance on |cos(N u, N v) - cos(u, v)|.

    Returns:
        A bool array [...] (a bool for 1-D inputs): True where |cos(N u, N v) - cos(u, v)| <= atol.

    Raises:
        ValueError: if any row of u or of v is constant (this includes the zero vector).
    """
    raise NotImplementedError  # TODO: compare the two cosines row by row
