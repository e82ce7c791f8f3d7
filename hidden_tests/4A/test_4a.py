"""Hidden checks for 4A: feature interference in superposition."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_scalar, assert_shape
from runner.counterexamples import Call, Property, float_array


def rng(seed):
    return np.random.default_rng(seed)


def closed_form(theta, p):
    """Independent: h_hat_0 - h_0 = cos(theta) h_1 and E[h_1^2] = p * E[U^2] = p / 3."""
    return np.asarray(p, dtype=np.float64) * np.cos(np.asarray(theta, dtype=np.float64)) ** 2 / 3.0


def unpack_curve(result, n_points, what):
    """Check the (x, {"measured": ..., "closed form": ...}) structure and return its parts."""
    assert isinstance(result, tuple) and len(result) == 2, f"{what} should return a tuple (x, curves)"
    x, curves = result
    assert_shape(x, (n_points,), f"{what} x values")
    assert isinstance(curves, dict), f"{what} should return a dict of curves as the second element"
    assert set(curves) == {"measured", "closed form"}, \
        f"{what} curves should have exactly the keys 'measured' and 'closed form'"
    for key in ("measured", "closed form"):
        assert_shape(curves[key], (n_points,), f"{what} '{key}' curve")
        assert_dtype(curves[key], np.float64, f"{what} '{key}' curve")
    return x, curves["measured"], curves["closed form"]



# ---- counterexamples: properties `practice submit --reveal` may search (any small H, F, theta, p; never hidden data) -

def _hf_calls(readout=False):
    """n, k, d from 1 to 3: H [n, k] and F [k, d] (or X [n, d] and F [k, d] for the readout)."""
    from hypothesis import strategies as st

    def build(dims):
        n, k, d = dims
        first = float_array((n, d), 3.0) if readout else float_array((n, k), 1.0)
        return st.tuples(first, float_array((k, d), 3.0)).map(lambda a: Call(a))

    return st.tuples(*[st.integers(1, 3)] * 3).flatmap(build)


def _loop_residuals(H, F):
    n, k = H.shape
    return np.array([[sum(H[a, i] * F[i, j] for i in range(k)) for j in range(F.shape[1])] for a in range(n)])


def _loop_readout(X, F):
    return np.array([[sum(X[a, j] * F[i, j] for j in range(F.shape[1])) for i in range(F.shape[0])]
                     for a in range(X.shape[0])])


def _loop_mse(H, F):
    err = _loop_readout(_loop_residuals(H, F), F) - H
    return sum(float(e) ** 2 for e in err.ravel()) / err.size


def _closed_form_calls():
    """theta in [-4, 4] and p in [0, 1]: numbers, or arrays of shapes that broadcast together (up to 2-D)."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def values(shape, low, high):
        elements = st.floats(low, high, allow_nan=False)
        return elements if shape == () else hnp.arrays(np.float64, shape, elements=elements)

    shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3)
    return shapes.flatmap(lambda bs: st.tuples(values(bs.input_shapes[0], -4.0, 4.0),
                                               values(bs.input_shapes[1], 0.0, 1.0))).map(lambda a: Call(a))


def reveal_residuals():
    """Any small H [n, k] and F [k, d]: sum_i H[a, i] F[i] entry by entry."""
    return Property("residuals", _hf_calls, _loop_residuals)


def reveal_readout_mse():
    """Any small H and F: the mean over all n*k entries of (f_i . x_a - H[a, i])^2, by loops."""
    return Property("readout_mse", _hf_calls, _loop_mse)


def reveal_expected_mse():
    """Any theta and p (numbers or broadcasting arrays): (p / 3) cos^2(theta)."""
    return Property("expected_mse", _closed_form_calls, closed_form)

# ---- generators -------------------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_pair_features_unit_rows_at_requested_angle(solution):
    """pair_features gives two unit rows whose dot product is cos(theta), for any theta and d."""
    for i, (theta, d) in enumerate([(0.0, 3), (0.3, 2), (np.pi / 3, 7), (np.pi / 2, 4), (2 * np.pi / 3, 2),
                                    (np.pi, 5), (-0.7, 6), (4.0, 3)]):
        F = solution.pair_features(theta, d, rng(10 + i))
        assert_shape(F, (2, d), f"pair_features(theta, d={d})")
        assert_dtype(F, np.float64, "pair_features result")
        assert_close(np.linalg.norm(F, axis=1), np.ones(2), rtol=0, atol=1e-12, what="row norms of the pair")
        assert_close(F[0] @ F[1], np.cos(theta), rtol=0, atol=1e-12, what=f"cosine of the pair at theta={theta:.3g}")


@pytest.mark.points(1)
def test_pair_features_random_orientation_and_deterministic(solution):
    """The pair's orientation comes from rng: random across seeds, identical for equal seeds."""
    a = solution.pair_features(1.0, 3, rng(5))
    b = solution.pair_features(1.0, 3, rng(5))
    assert np.array_equal(a, b), "equal generator states must give identical features"
    g = rng(6)
    first, second = solution.pair_features(1.0, 3, g), solution.pair_features(1.0, 3, g)
    assert not np.allclose(first, second), "two calls with the same generator should give new features"
    pairs = np.array([solution.pair_features(1.0, 3, rng(100 + s)) for s in range(40)])
    assert np.linalg.norm(pairs[:, 0].mean(axis=0)) < 0.5, "the first feature should point in a random direction"
    assert np.linalg.norm(pairs[:, 1].mean(axis=0)) < 0.5, "the second feature should point in a random direction"


@pytest.mark.points(1)
def test_pair_features_rejects_small_d(solution):
    """pair_features raises ValueError when d < 2."""
    for d in (1, 0):
        with pytest.raises(ValueError):
            solution.pair_features(0.5, d, rng(0))


@pytest.mark.points(1)
def test_random_features_unit_rows(solution):
    """random_features gives k unit rows in R^d, with k > d or k < d."""
    for k, d in [(50, 3), (3, 20), (1, 1)]:
        F = solution.random_features(k, d, rng(k + d))
        assert_shape(F, (k, d), f"random_features(k={k}, d={d})")
        assert_dtype(F, np.float64, "random_features result")
        assert_close(np.linalg.norm(F, axis=1), np.ones(k), rtol=0, atol=1e-12, what="row norms")


@pytest.mark.points(2)
def test_random_features_isotropic(solution):
    """Rows are uniform on the sphere: mean squared cosine 1/d, every coordinate's mean square 1/d, mean near 0."""
    k, d = 400, 8
    F = solution.random_features(k, d, rng(21))
    assert_shape(F, (k, d), "random_features(400, 8)")
    G = F @ F.T
    off = G[~np.eye(k, dtype=bool)]
    assert abs(np.mean(off**2) - 1 / d) < 0.015, "mean squared cosine between features should be close to 1/d"
    assert np.all(np.abs(np.mean(F**2, axis=0) - 1 / d) < 0.03), "each coordinate should carry 1/d of the norm"
    assert np.linalg.norm(F.mean(axis=0)) < 0.2, "directions should not be biased towards one side"


@pytest.mark.points(1)
def test_random_features_deterministic_and_rejects(solution):
    """random_features depends only on rng and raises ValueError for k < 1 or d < 1."""
    assert np.array_equal(solution.random_features(6, 4, rng(3)), solution.random_features(6, 4, rng(3))), \
        "equal generator states must give identical features"
    assert not np.allclose(solution.random_features(6, 4, rng(3)), solution.random_features(6, 4, rng(4))), \
        "different seeds should give different features"
    for k, d in [(0, 3), (3, 0)]:
        with pytest.raises(ValueError):
            solution.random_features(k, d, rng(0))


@pytest.mark.points(2)
def test_activations_fire_with_probability_p(solution):
    """Each entry is active independently with probability p, in every column."""
    n, k = 40000, 5
    for i, p in enumerate([0.05, 0.3]):
        H = solution.sample_activations(n, k, p, rng(30 + i))
        assert_shape(H, (n, k), "sample_activations(n, k, p)")
        assert_dtype(H, np.float64, "sample_activations result")
        active = H != 0
        se = np.sqrt(p * (1 - p) / n)
        assert np.all(np.abs(active.mean(axis=0) - p) < 5 * se), \
            f"the fraction of active entries per feature should be close to p={p}"
        both = np.mean(active[:, 0] & active[:, 1])
        assert abs(both - p * p) < 5 * np.sqrt(p * p / n) + 1e-4, "features should fire independently of each other"


@pytest.mark.points(2)
def test_activation_values_uniform(solution):
    """Active values are Uniform[0, 1): inside [0, 1), mean 1/2, mean square 1/3, a quarter below 0.25."""
    H = solution.sample_activations(40000, 5, 0.3, rng(40))
    assert_shape(H, (40000, 5), "sample_activations(40000, 5, 0.3)")
    v = H[H != 0]
    assert v.size > 1000, "too few active entries"
    assert np.all((v > 0) & (v < 1)), "active values must lie in [0, 1)"
    se = 1 / np.sqrt(v.size)
    assert abs(v.mean() - 0.5) < 5 * np.sqrt(1 / 12) * se, "active values should have mean 1/2"
    assert abs(np.mean(v**2) - 1 / 3) < 5 * 0.3 * se, "active values should have mean square 1/3"
    assert abs(np.mean(v < 0.25) - 0.25) < 5 * 0.44 * se, "a quarter of active values should lie below 0.25"


@pytest.mark.points(1)
def test_activation_edge_cases(solution):
    """p=0 gives all zeros, p=1 dense values, p outside [0, 1] raises ValueError."""
    zeros = solution.sample_activations(7, 3, 0.0, rng(1))
    assert_shape(zeros, (7, 3), "sample_activations(7, 3, 0.0)")
    assert np.all(zeros == 0), "p=0 should give all zeros"
    dense = solution.sample_activations(7, 3, 1.0, rng(1))
    assert_shape(dense, (7, 3), "sample_activations(7, 3, 1.0)")
    assert np.all(dense > 0), "p=1 should make every entry active"
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError):
            solution.sample_activations(7, 3, p, rng(1))


@pytest.mark.points(1)
def test_activations_deterministic(solution):
    """sample_activations depends only on rng: equal seeds agree, different seeds differ."""
    a = solution.sample_activations(50, 4, 0.5, rng(8))
    b = solution.sample_activations(50, 4, 0.5, rng(8))
    c = solution.sample_activations(50, 4, 0.5, rng(9))
    assert np.array_equal(a, b), "equal generator states must give identical activations"
    assert not np.array_equal(a, c), "different seeds should give different activations"


# ---- readout ----------------------------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_residuals")
def test_residuals_and_readout_match_sums(solution):
    """residuals is sum_i h_i f_i and readout is f_i . x, checked against loops with n, k, d all different."""
    r = rng(50)
    n, k, d = 6, 9, 4
    H = r.random((n, k))
    F = r.normal(size=(k, d))
    X = solution.residuals(H, F)
    assert_shape(X, (n, d), "residuals(H [6, 9], F [9, 4])")
    expected_X = np.zeros((n, d))
    for a in range(n):
        for i in range(k):
            expected_X[a] += H[a, i] * F[i]
    assert_close(X, expected_X, what="residuals")
    Xin = r.normal(size=(n, d))
    Hh = solution.readout(Xin, F)
    assert_shape(Hh, (n, k), "readout(X [6, 4], F [9, 4])")
    expected_H = np.array([[sum(Xin[a, j] * F[i, j] for j in range(d)) for i in range(k)] for a in range(n)])
    assert_close(Hh, expected_H, what="readout")
    assert_not_modified(H, "H")
    assert_not_modified(F, "F")
    assert_not_modified(Xin, "X")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_readout_mse")
def test_readout_mse_in_superposition(solution):
    """readout_mse averages (h_hat - h)^2 over all n*k entries, here with k=7 features in d=4."""
    r = rng(60)
    n, k, d = 50, 7, 4
    F = r.normal(size=(k, d))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    H = np.where(r.random((n, k)) < 0.4, r.random((n, k)), 0.0)
    G = F @ F.T
    total = 0.0
    for a in range(n):
        for i in range(k):
            total += (sum(G[i, j] * H[a, j] for j in range(k)) - H[a, i]) ** 2
    got = assert_scalar(solution.readout_mse(H, F), "readout_mse result")
    assert_close(got, total / (n * k), what="readout_mse")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_expected_mse")
def test_expected_mse_closed_form(solution):
    """expected_mse is (p/3) cos^2(theta): a float for scalars, broadcast for arrays."""
    single = assert_scalar(solution.expected_mse(np.pi / 3, 0.3), "expected_mse(pi/3, 0.3)")
    assert_close(single, closed_form(np.pi / 3, 0.3), what="expected_mse at theta=pi/3, p=0.3")
    theta = np.array([[0.0], [0.4], [np.pi / 3], [2.0], [np.pi]])
    p = np.array([0.0, 0.1, 1.0])
    out = solution.expected_mse(theta, p)
    assert_shape(out, (5, 3), "expected_mse(theta [5, 1], p [3])")
    assert_close(out, closed_form(theta, p), what="expected_mse over a grid of angles and probabilities")


@pytest.mark.points(3)
def test_measured_error_matches_closed_form(solution):
    """With n=50000 samples the measured error is within 10% of (p/3) cos^2(theta) at every angle."""
    thetas = np.array([0.0, np.pi / 6, np.pi / 3, 2 * np.pi / 3, 5 * np.pi / 6, np.pi])
    x, measured, closed = unpack_curve(solution.error_vs_angle(thetas, 0.2, 50000, 6, rng(70)), 6, "error_vs_angle")
    assert_close(x, thetas, what="error_vs_angle x values (the angles)")
    assert_close(closed, closed_form(thetas, 0.2), what="error_vs_angle 'closed form' curve")
    truth = closed_form(thetas, 0.2)
    assert np.all(np.abs(measured - truth) <= 0.1 * truth), \
        "the measured error is more than 10% away from (p/3) cos^2(theta)"
    H = solution.sample_activations(50000, 2, 0.2, rng(71))
    F = solution.pair_features(np.pi / 3, 5, rng(72))
    got = assert_scalar(solution.readout_mse(H, F), "readout_mse result")
    assert abs(got - closed_form(np.pi / 3, 0.2)) <= 0.1 * closed_form(np.pi / 3, 0.2), \
        "readout_mse of your generated pair at 60 degrees is more than 10% from the closed form"


@pytest.mark.points(1)
def test_zero_error_at_right_angle(solution):
    """Orthogonal features (theta = pi/2) do not interfere: the error is below 1e-20."""
    _, measured, closed = unpack_curve(solution.error_vs_angle(np.array([np.pi / 2]), 0.5, 2000, 4, rng(80)), 1,
                                       "error_vs_angle")
    assert measured[0] < 1e-20, "the measured error at theta = pi/2 should vanish"
    assert closed[0] < 1e-20, "the closed form at theta = pi/2 should vanish"


@pytest.mark.points(2)
def test_error_linear_in_p(solution):
    """The error grows linearly with the activation probability: error / p is cos^2(theta)/3 for every p."""
    ps = np.array([0.0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0])
    theta = np.pi / 4
    x, measured, closed = unpack_curve(solution.error_vs_sparsity(ps, theta, 50000, 5, rng(90)), 7,
                                       "error_vs_sparsity")
    assert_close(x, ps, what="error_vs_sparsity x values (the probabilities)")
    assert_close(closed, closed_form(theta, ps), what="error_vs_sparsity 'closed form' curve")
    assert measured[0] < 1e-20, "with p=0 nothing fires, so the error must be 0"
    slope = np.cos(theta) ** 2 / 3
    assert np.all(np.abs(measured[1:] / ps[1:] - slope) <= 0.1 * slope), \
        "the measured error divided by p is not constant at cos^2(theta)/3 (within 10%)"


@pytest.mark.points(1)
def test_curves_deterministic(solution):
    """Both curves depend only on rng: equal seeds give identical measurements."""
    thetas = np.linspace(0.0, np.pi, 5)
    _, a, _ = unpack_curve(solution.error_vs_angle(thetas, 0.3, 500, 4, rng(3)), 5, "error_vs_angle")
    _, b, _ = unpack_curve(solution.error_vs_angle(thetas, 0.3, 500, 4, rng(3)), 5, "error_vs_angle")
    assert np.array_equal(a, b), "error_vs_angle must be deterministic given the generator"
    ps = np.array([0.1, 0.5])
    _, c, _ = unpack_curve(solution.error_vs_sparsity(ps, 1.0, 500, 4, rng(4)), 2, "error_vs_sparsity")
    _, e, _ = unpack_curve(solution.error_vs_sparsity(ps, 1.0, 500, 4, rng(4)), 2, "error_vs_sparsity")
    assert np.array_equal(c, e), "error_vs_sparsity must be deterministic given the generator"
