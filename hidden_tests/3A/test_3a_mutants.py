"""Hidden checks for 3A found by mutation analysis: integer residual streams are computed in float64."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype


def _loop_logits(R, W_Q, W_K):
    """logits[i, j] = (W_Q r_i)·(W_K r_j) / sqrt(d_head), one pair at a time."""
    d_head = len(W_Q)
    q = [[math.fsum(w * x for w, x in zip(row, r)) for row in W_Q] for r in R]
    k = [[math.fsum(w * x for w, x in zip(row, r)) for row in W_K] for r in R]
    return np.array([[math.fsum(a * b for a, b in zip(qi, kj)) / math.sqrt(d_head) for kj in k] for qi in q])


@pytest.mark.points(1)
def test_integer_tokens_give_float64_logits(solution):
    """An integer X (float64 by default) gives float64 logits, scaled by the exact 1/sqrt(d_head)."""
    rng = np.random.default_rng(31)
    X = rng.integers(-3, 4, size=(4, 5))
    P = rng.normal(size=(4, 5))
    W_Q, W_K = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    got = solution.qk_logits(X.copy(), W_Q.copy(), W_K.copy())
    assert_dtype(got, np.float64, what="qk_logits of an integer X")
    assert_close(got, _loop_logits(X.astype(float).tolist(), W_Q.tolist(), W_K.tolist()),
                 what="qk_logits of an integer X")
    terms = solution.qk_logit_terms(X.copy(), W_Q.copy(), W_K.copy(), P.copy())
    assert isinstance(terms, tuple) and len(terms) == 4, "qk_logit_terms returns a tuple of four arrays"
    Xf = X.astype(float).tolist()
    for name, got, want in zip(("token-token", "position-position"), (terms[0], terms[3]),
                               (_loop_logits(Xf, W_Q.tolist(), W_K.tolist()),
                                _loop_logits(P.tolist(), W_Q.tolist(), W_K.tolist()))):
        assert_dtype(got, np.float64, what=f"the {name} term of an integer X")
        assert_close(got, want, what=f"the {name} term of an integer X")
    assert_close(sum(terms), _loop_logits((X + P).tolist(), W_Q.tolist(), W_K.tolist()),
                 what="the four terms of an integer X summed")
