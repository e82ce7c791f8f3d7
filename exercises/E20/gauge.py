"""E20: gauge invariance of softmax (adding a per-row constant changes nothing), and its floating-point limits.

Implement the three functions below; see the prompt (`practice show E20`) for the full contract.
"""

import numpy as np


def softmax(z, axis=-1):
    """Numerically stable softmax along `axis`; finite for every finite input. Same shape and dtype as z."""
    raise NotImplementedError  # TODO: shift by the row max, exponentiate, normalise


def gauge_fix(z, axis=-1):
    """z shifted per row (along `axis`) so that each row's max is exactly 0.0. Same shape and dtype as z.

    Bit-identical for z and z + c whenever the per-row shift c is added exactly.
    """
    raise NotImplementedError  # TODO: subtract the row max


def softmax_with_shift(z, c, axis=-1):
    """Exact value of softmax(z + c) for a gauge shift c (broadcasts to z.shape, constant along `axis`).

    Correct for every finite c, even |c| = 1e300. Raises ValueError if c does not broadcast to z.shape,
    varies along `axis`, or is not finite.
    """
    raise NotImplementedError  # TODO: validate c, then use gauge invariance
