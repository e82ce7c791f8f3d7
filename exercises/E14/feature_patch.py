"""E14: replace a residual-stream direction f by g, and measure the logit change of that patch in a toy model.

Implement the two functions; see the prompt (`practice show E14`) for the full contract.
"""

import numpy as np
from toymodel import load_model  # noqa: F401  (load_model(model) accepts a fixture name or a dict of weights)


def replace_direction(x, f, g):
    """x - c f_hat + c g_hat with c = x · f_hat, along the last axis of x ([..., d]); f, g: [d].

    Raises ValueError if f or g has zero norm or is not of shape [d]. Keeps x's dtype.
    """
    raise NotImplementedError  # TODO: unit vectors, coefficients, the swap


def patch_direction(model, tokens, layer, f, g, pos=None):
    """Logit change (patched - clean) from replace_direction(., f, g) on the residual entering `layer`.

    layer in 0..n_layers (n_layers: the final residual). pos=None: every position; int: that position only.
    Raises ValueError for a layer out of range.
    """
    raise NotImplementedError  # TODO: a hook on blocks.{layer}.resid_pre (or the last resid_post)
