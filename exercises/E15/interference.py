"""E15: interference error of a linear readout of two superposed features, against overlap and sparsity.

Implement the three functions below; see the prompt (`practice show E15`) for the full contract.
"""

import numpy as np


def interference_error(c, p):
    """Closed form of E[(f1·x - a1)^2] for unit features with cosine c and activation probability p.

    Active values are Uniform[0, 1]. c and p broadcast; float for scalars, array otherwise.
    Raises ValueError if any |c| > 1 or any p outside [0, 1].
    """
    raise NotImplementedError  # TODO: derive E[(c a2)^2] and return it


def interference_error_mc(c, p, n_samples, rng):
    """Monte-Carlo estimate of the same quantity from n_samples draws, using only `rng`. Returns a float.

    Raises ValueError for invalid c or p, or n_samples < 1.
    """
    raise NotImplementedError  # TODO: build f1, f2, sample (a1, a2), read out feature 1, average squared error


def error_vs_sparsity(c, sparsities, n_samples, rng):
    """Return (S, {"closed form": [...], "monte carlo": [...]}) at p = 1 - S for each S in `sparsities`.

    S is a float64 array; both curves are float64 arrays of len(sparsities).
    """
    raise NotImplementedError  # TODO: loop over the sparsities, call the two functions above
