"""Hidden checks for E1: Monte-Carlo view of the 1/sqrt(d) attention scale.

The tolerances are several standard errors wide for the sample sizes used (the relative standard error of
a sample variance of q·k is sqrt((2 + 6/d) / n)), so any correct estimator passes with overwhelming
probability, while a wrong scale (1/d, none, sqrt(d)) is many tolerances away.
"""

import numpy as np
import pytest

from runner.checks import assert_scalar


def _jacobian_norm_estimate(d, L, n, seed, scaled):
    """Independent estimate: ||diag(p) - pp^T||_F^2 = sum p^2 - 2 sum p^3 + (sum p^2)^2."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((n, d, 1))
    k = rng.standard_normal((n, L, d))
    s = np.matmul(k, q)[..., 0]
    if scaled:
        s = s / np.sqrt(d)
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s)
    p = p / p.sum(axis=1, keepdims=True)
    s2 = (p**2).sum(axis=1)
    s3 = (p**3).sum(axis=1)
    return float(np.mean(np.sqrt(np.maximum(s2 - 2 * s3 + s2**2, 0.0))))


@pytest.mark.points(3)
def test_scaled_variance_is_one(solution):
    """With the 1/sqrt(d) scale the logit variance is about 1 for every d."""
    for d, seed in ((4, 10), (16, 11), (256, 12)):
        v = assert_scalar(solution.logit_variance(d, 10000, np.random.default_rng(seed)), "logit_variance")
        assert abs(v - 1.0) < 0.12, f"scaled logit variance at d={d} is {v:.3g}, expected about 1"


@pytest.mark.points(2)
def test_unscaled_variance_is_d(solution):
    """Without scaling the logit variance is about d."""
    for d, seed in ((4, 20), (16, 21), (256, 22)):
        v = assert_scalar(solution.logit_variance(d, 10000, np.random.default_rng(seed), scaled=False),
                          "logit_variance")
        assert abs(v / d - 1.0) < 0.12, f"unscaled logit variance at d={d} is {v:.3g}, expected about {d}"


@pytest.mark.points(1)
def test_deterministic_given_rng(solution):
    """Results depend only on the generator passed in: same seed, same answer; new seed, new answer."""
    a = assert_scalar(solution.logit_variance(8, 500, np.random.default_rng(3)), "logit_variance")
    b = assert_scalar(solution.logit_variance(8, 500, np.random.default_rng(3)), "logit_variance")
    c = assert_scalar(solution.logit_variance(8, 500, np.random.default_rng(4)), "logit_variance")
    assert a == b, "logit_variance gave different answers for two generators with the same seed"
    assert a != c, "logit_variance ignored the generator: two different seeds gave the same answer"
    x = assert_scalar(solution.softmax_jacobian_norm(8, 4, 200, np.random.default_rng(5)), "softmax_jacobian_norm")
    y = assert_scalar(solution.softmax_jacobian_norm(8, 4, 200, np.random.default_rng(5)), "softmax_jacobian_norm")
    assert x == y, "softmax_jacobian_norm gave different answers for two generators with the same seed"


@pytest.mark.points(1)
def test_single_key_jacobian_is_zero(solution):
    """With one key p = [1], so J = diag(p) - p p^T is exactly 0."""
    v = assert_scalar(solution.softmax_jacobian_norm(16, 1, 50, np.random.default_rng(6)), "softmax_jacobian_norm")
    assert abs(v) < 1e-12, "with L=1 the softmax Jacobian should be 0 (did you forget the -p p^T term?)"


@pytest.mark.points(2)
def test_scaled_jacobian_norm(solution):
    """Scaled logits give a softmax Jacobian of the expected, d-independent size."""
    for d, seed in ((16, 30), (64, 31)):
        v = assert_scalar(solution.softmax_jacobian_norm(d, 8, 2000, np.random.default_rng(seed)),
                          "softmax_jacobian_norm")
        expected = _jacobian_norm_estimate(d, 8, 10000, 1000 + seed, scaled=True)
        assert abs(v - expected) < 0.008, (
            f"mean ||J||_F for scaled logits at d={d}, L=8 is {v:.4f}, expected about {expected:.3f}")


@pytest.mark.points(2)
def test_unscaled_jacobian_shrinks(solution):
    """Unscaled logits saturate the softmax: the Jacobian is much smaller than with scaling."""
    v = assert_scalar(solution.softmax_jacobian_norm(64, 8, 2000, np.random.default_rng(40), scaled=False),
                      "softmax_jacobian_norm")
    expected = _jacobian_norm_estimate(64, 8, 10000, 1040, scaled=False)
    assert abs(v - expected) < 0.03, (
        f"mean ||J||_F for unscaled logits at d=64, L=8 is {v:.4f}, expected about {expected:.3f}")
