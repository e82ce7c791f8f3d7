"""E3: softmax with a temperature, exact from tau -> 0 (argmax) to tau = inf (uniform)."""

import numpy as np


def softmax_temperature(x, tau, axis=-1):
    """softmax(x / tau) along `axis`; same shape as x.

    x: float array (float32 stays float32); entries equal to -inf are masked (probability 0).
    tau: float > 0, may be np.inf. tau <= 0 or NaN raises ValueError.
    Must stay finite for tau as small as 1e-306 with |x| up to 1e4 (shift by the max before dividing);
    tied maxima share the mass equally; tau = inf is uniform over the unmasked entries.
    """
    raise NotImplementedError  # TODO: validate tau, shift by the max, divide, exp, normalize
