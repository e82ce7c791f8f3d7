"""Hidden checks for 4D: a sparse autoencoder that recovers features in superposition."""

import time

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_finite, assert_not_modified, assert_scalar, assert_shape
from runner.counterexamples import Call, OutsideDomain, Property

K, D, M, P, N_TRAIN, N_HELD_OUT = 32, 16, 48, 0.04, 8192, 4096
TRAIN_SEEDS = (4242, 5353)  # held-out seeds: never shown in the prompt
TIME_LIMIT_S = 20.0
PARAM_KEYS = ("W_enc", "b_enc", "W_dec", "b_dec")


def rng(seed):
    return np.random.default_rng(seed)


# ---- independent computations ---------------------------------------------------------------------------

def forward(X, params):
    """Encoder sees x - b_dec; ReLU latents; decoder adds b_dec back."""
    pre = (X - params["b_dec"]) @ params["W_enc"].T + params["b_enc"]
    Z = np.maximum(pre, 0.0)
    return Z, Z @ params["W_dec"].T + params["b_dec"]


def loss(X, params, l1):
    total = 0.0
    for n in range(X.shape[0]):
        z, x_hat = forward(X[n:n + 1], params)
        total += float(np.sum((x_hat - X[n:n + 1]) ** 2) + l1 * np.sum(np.abs(z)))
    return total / X.shape[0]


def recovery(F, W_dec):
    """For each true feature, the max signed cosine to any dictionary column (zero columns count as 0)."""
    out = np.empty(F.shape[0])
    for i in range(F.shape[0]):
        best = -np.inf
        for j in range(W_dec.shape[1]):
            nw = np.linalg.norm(W_dec[:, j])
            c = 0.0 if nw == 0 else float(F[i] @ W_dec[:, j]) / (np.linalg.norm(F[i]) * nw)
            best = max(best, c)
        out[i] = best
    return out



# ---- counterexamples: properties `practice submit --reveal` may search (any small X, params; never hidden data) ----

def _quarters(shape):
    """Multiples of 1/4 in [-2, 2]: sums of products are exact, so ReLU and dead-latent boundaries never blur."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    return hnp.arrays(np.float64, shape, elements=st.integers(-8, 8).map(lambda k: k / 4))


def _sae_calls(with_l1=False):
    """N, d, m from 1 to 3: X [N, d] and params W_enc [m, d], b_enc [m], W_dec [d, m], b_dec [d] (and l1)."""
    from hypothesis import strategies as st

    def build(dims):
        n, d, m = dims
        params = st.fixed_dictionaries({"W_enc": _quarters((m, d)), "b_enc": _quarters((m,)),
                                        "W_dec": _quarters((d, m)), "b_dec": _quarters((d,))})
        l1 = st.sampled_from([0.0, 0.25, 1.0]) if with_l1 else st.none()
        return st.tuples(_quarters((n, d)), params, l1).map(lambda a: Call(a if with_l1 else a[:2]))

    return st.tuples(*[st.integers(1, 3)] * 3).flatmap(build)


def _dictionary_calls(features=True):
    """k, d, m from 1 to 3: F [k, d] with non-zero rows and W_dec [d, m] (zero columns allowed); or W_dec alone."""
    from hypothesis import strategies as st

    def build(dims):
        k, d, m = dims
        return st.tuples(_quarters((k, d)), _quarters((d, m))).map(lambda a: Call(a if features else a[1:]))

    return st.tuples(*[st.integers(1, 3)] * 3).flatmap(build)


def _pair(got, expected):
    assert isinstance(got, tuple) and len(got) == 2, "sae_forward should return the tuple (Z, X_hat)"
    for name, g, e in zip(("latents Z", "reconstruction X_hat"), got, expected):
        assert_close(g, e, what=name)


def _dead(X, params):
    Z, _ = forward(X, params)
    return np.array([not any(Z[n, j] > 0 for n in range(Z.shape[0])) for j in range(Z.shape[1])])


def _same_flags(got, expected):
    got = np.asarray(got)
    assert got.dtype == np.bool_ and got.shape == expected.shape, "dead_latents should return a bool array [m]"
    assert np.array_equal(got, expected), "dead_latents flags the wrong latents"


def _loop_normalize(W_dec):
    out = np.empty_like(W_dec)
    for j in range(W_dec.shape[1]):
        norm = sum(float(v) ** 2 for v in W_dec[:, j]) ** 0.5
        out[:, j] = W_dec[:, j] / norm if norm else 1 / 0  # a zero column is outside the property
    return out


def _recovery_nonzero(F, W_dec):
    if not np.all(np.any(F != 0, axis=1)):
        raise OutsideDomain("a zero feature has no direction")
    return recovery(F, W_dec)


def reveal_forward():
    """Any small X and params: the formula, written out."""
    return Property("sae_forward", _sae_calls, forward, check=_pair)


def reveal_loss():
    """Any small X, params and l1: the mean over rows, one row at a time."""
    return Property("sae_loss", lambda: _sae_calls(with_l1=True), loss)


def reveal_dead():
    """Any small X and params: latents that are 0 on every row, entry by entry."""
    return Property("dead_latents", _sae_calls, _dead, check=_same_flags)


def reveal_normalize():
    """Any small W_dec with non-zero columns: each column divided by its own norm."""
    return Property("normalize_decoder", lambda: _dictionary_calls(features=False), _loop_normalize)


def reveal_recovery():
    """Any small F (non-zero rows) and W_dec: for each row of F the max signed cosine to a column (zero columns: 0)."""
    return Property("feature_recovery", _dictionary_calls, _recovery_nonzero)

def toy_data(seed):
    """The 4A generator: unit features in superposition, sparse Uniform[0,1] activations, a constant offset."""
    r = rng(seed)
    F = r.normal(size=(K, D))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    offset = r.normal(size=D)
    offset /= np.linalg.norm(offset)

    def sample(n):
        return np.where(r.random((n, K)) < P, r.random((n, K)), 0.0) @ F + offset

    return sample(N_TRAIN), sample(N_HELD_OUT), F


def small_params(seed, d=5, m=7):
    r = rng(seed)
    W_dec = r.normal(size=(d, m))
    return {"W_enc": 0.5 * r.normal(size=(m, d)), "b_enc": 0.3 * r.normal(size=m),
            "W_dec": W_dec / np.linalg.norm(W_dec, axis=0), "b_dec": r.normal(size=d)}


@pytest.fixture(scope="module")
def training():
    """Each seed's training result for this submission (torn down after it: hidden tests keep no state between
    submissions)."""
    return {}


def trained(solution, cache, seed):
    """Train once per seed and submission; later checks reuse the result (or the same failure)."""
    if seed not in cache:
        X, X_held, F = toy_data(seed)
        X0 = X.copy()
        start = time.perf_counter()
        try:
            params = solution.train_sae(X, M, rng(seed + 1))
        except Exception as exc:  # noqa: BLE001 - every check that needs training reports the same failure
            cache[seed] = exc
        else:
            cache[seed] = (params, time.perf_counter() - start, X0, X, X_held, F)
    if isinstance(cache[seed], Exception):
        raise cache[seed]
    params, elapsed, X0, X, X_held, F = cache[seed]
    assert isinstance(params, dict) and set(PARAM_KEYS) <= set(params), \
        "train_sae should return a dict with keys W_enc, b_enc, W_dec, b_dec"
    return params, elapsed, X0, X, X_held, F


# ---- forward, loss, gradients ---------------------------------------------------------------------------

@pytest.mark.points(3)
@pytest.mark.reveal("reveal_forward")
def test_forward_matches_formula(solution):
    """sae_forward gives Z = ReLU((X - b_dec) W_encᵀ + b_enc) [N, m] and X_hat = Z W_decᵀ + b_dec [N, d]."""
    params = small_params(1)
    X = rng(2).normal(size=(6, 5))
    out = solution.sae_forward(X, params)
    assert isinstance(out, tuple) and len(out) == 2, "sae_forward should return the tuple (Z, X_hat)"
    Z, X_hat = out
    Z_exp, X_hat_exp = forward(X, params)
    assert_shape(Z, (6, 7), "Z")
    assert_shape(X_hat, (6, 5), "X_hat")
    assert_close(Z, Z_exp, what="latents Z")
    assert_close(X_hat, X_hat_exp, what="reconstruction X_hat")
    assert_not_modified(X, "X")
    for k in PARAM_KEYS:
        assert_not_modified(params[k], f"params['{k}']")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_forward")
def test_encoder_subtracts_pre_encoder_bias(solution):
    """The encoder sees x - b_dec: an input equal to b_dec gives z = ReLU(b_enc) and X_hat = W_dec z + b_dec."""
    params = small_params(3)
    params["b_dec"] = 4.0 * params["b_dec"]
    X = np.stack([params["b_dec"], params["b_dec"] + rng(4).normal(size=5)])
    Z, X_hat = solution.sae_forward(X, params)
    assert_shape(Z, (2, 7), "Z")
    assert_close(Z[0], np.maximum(params["b_enc"], 0.0), what="latents for x = b_dec")
    assert_close(X_hat, forward(X, params)[1], what="reconstruction X_hat")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_loss")
def test_loss_matches_formula(solution):
    """sae_loss is the mean over rows of ||x_hat - x||² (summed over d) plus l1 times ||z||₁."""
    params = small_params(5)
    X = rng(6).normal(size=(9, 5))
    for l1 in (0.0, 0.3):
        got = assert_scalar(solution.sae_loss(X, params, l1), "sae_loss result")
        assert_close(got, loss(X, params, l1), what=f"sae_loss with l1={l1}")


@pytest.mark.points(3)
def test_grads_match_finite_differences(solution):
    """sae_grads matches central finite differences of the loss for all four parameters (incl. b_dec's two paths)."""
    params = small_params(7)
    X = rng(8).normal(size=(6, 5))
    l1 = 0.25
    grads = solution.sae_grads(X, params, l1)
    assert isinstance(grads, dict), "sae_grads should return a dict keyed like params"
    for key in PARAM_KEYS:
        assert key in grads, f"sae_grads is missing the gradient for '{key}'"
        num = np.zeros_like(params[key])
        flat = num.reshape(-1)
        for i in range(flat.size):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[key].reshape(-1)[i] += 1e-6
            up = loss(X, shifted, l1)
            shifted[key].reshape(-1)[i] -= 2e-6
            flat[i] = (up - loss(X, shifted, l1)) / 2e-6
        assert_close(grads[key], num, rtol=1e-4, atol=1e-6, what=f"gradient for '{key}'")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_normalize")
def test_normalize_decoder_columns(solution):
    """normalize_decoder scales each column of W_dec [d, m] (one dictionary vector) to unit norm."""
    r = rng(9)
    W = r.normal(size=(3, 5)) * np.array([0.1, 1.0, 3.0, 7.0, 0.5])
    W0 = W.copy()
    out = solution.normalize_decoder(W)
    assert_shape(out, (3, 5), "normalize_decoder result")
    assert_close(np.linalg.norm(out, axis=0), np.ones(5), rtol=0, atol=1e-12, what="column norms")
    assert_close(out * np.linalg.norm(W0, axis=0), W0, what="columns scaled back to the input")
    assert_not_modified(W, "W_dec")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_dead")
def test_dead_latents(solution):
    """dead_latents flags exactly the latents whose activation is 0 on every row of X."""
    r = rng(10)
    params = small_params(11, d=4, m=6)
    X = r.normal(size=(30, 4))
    params["b_enc"] = np.array([0.0, -100.0, 0.0, 100.0, -100.0, 0.0])
    pre = (X - params["b_dec"]) @ params["W_enc"].T
    top = np.sort(pre[:, 2])
    params["b_enc"][2] = -(top[-1] + top[-2]) / 2  # latent 2 fires on exactly one row
    params["b_enc"][5] = -pre[:, 5].max() - 1e-3  # latent 5 is zero everywhere, though barely
    out = solution.dead_latents(X, params)
    assert_shape(out, (6,), "dead_latents result")
    assert_dtype(out, np.bool_, "dead_latents result")
    Z, _ = forward(X, params)
    expected = ~np.any(Z > 0, axis=0)
    assert np.array_equal(out, expected), "dead_latents flags the wrong latents"


# ---- the recovery metric --------------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_recovery")
def test_recovery_is_one_for_permuted_rescaled_features(solution):
    """A dictionary holding the true features (permuted, rescaled, plus extra junk columns) scores 1 per feature."""
    r = rng(12)
    F = r.normal(size=(6, 5)) * r.uniform(0.5, 3.0, size=(6, 1))
    perm = r.permutation(6)
    W = np.concatenate([F[perm].T * r.uniform(0.2, 5.0, size=6), r.normal(size=(5, 3))], axis=1)[:, r.permutation(9)]
    per = solution.feature_recovery(F, W)
    assert_shape(per, (6,), "feature_recovery(F [6, 5], W_dec [5, 9])")
    assert_close(per, np.ones(6), what="recovery of each true feature")
    assert_close(assert_scalar(solution.mmcs(F, W), "mmcs result"), 1.0, what="MMCS")
    assert_not_modified(F, "F")
    assert_not_modified(W, "W_dec")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_recovery")
def test_recovery_uses_signed_cosine(solution):
    """A negated dictionary does not recover the features: the cosine is signed, not absolute."""
    r = rng(13)
    F = r.normal(size=(K, D))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    W = -F.T * 2.0
    per = solution.feature_recovery(F, W)
    assert_shape(per, (K,), "feature_recovery result")
    assert_close(per, recovery(F, W), what="recovery against a negated dictionary")
    score = assert_scalar(solution.mmcs(F, W), "mmcs result")
    assert score < 0.7, "MMCS of a negated dictionary should be low"


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_recovery")
def test_recovery_general_case(solution):
    """feature_recovery is the max cosine over dictionary columns for each row of F, and mmcs its mean over F's rows."""
    r = rng(14)
    F = r.normal(size=(7, 5))
    W = r.normal(size=(5, 11))
    per = solution.feature_recovery(F, W)
    assert_shape(per, (7,), "feature_recovery(F [7, 5], W_dec [5, 11])")
    assert_close(per, recovery(F, W), what="per-feature recovery")
    assert_close(assert_scalar(solution.mmcs(F, W), "mmcs result"), recovery(F, W).mean(), what="MMCS")


@pytest.mark.points(1)
@pytest.mark.reveal("reveal_recovery")
def test_recovery_zero_column(solution):
    """A zero dictionary column counts as cosine 0 (no NaN)."""
    F = np.array([[1.0, 0.0], [0.0, 2.0]])
    W = np.array([[-1.0, 0.0, 0.0], [0.5, 0.0, -3.0]])
    per = solution.feature_recovery(F, W)
    assert_finite(per, "feature_recovery with a zero column")
    assert_close(per, recovery(F, W), what="recovery with a zero column")


# ---- training on the 4A generator -----------------------------------------------------------------------

@pytest.mark.points(2)
def test_train_shapes_and_unit_decoder(solution, training):
    """train_sae returns W_enc [m, d], b_enc [m], W_dec [d, m] with unit columns (1 ± 1e-6), b_dec [d]; X unchanged."""
    for seed in TRAIN_SEEDS:
        params, _, _, X, _, _ = trained(solution, training, seed)
        for key, shape in zip(PARAM_KEYS, [(M, D), (M,), (D, M), (D,)]):
            assert_shape(params[key], shape, f"trained params['{key}']")
            assert_finite(params[key], f"trained params['{key}']")
        norms = np.linalg.norm(params["W_dec"], axis=0)
        assert np.all(np.abs(norms - 1.0) <= 1e-6), "every decoder column must have norm 1 ± 1e-6 after training"
        assert_not_modified(X, "X")


@pytest.mark.points(4)
def test_train_mmcs(solution, training):
    """On held-out seeds the trained dictionary reaches MMCS ≥ 0.9 against the true features."""
    for seed in TRAIN_SEEDS:
        params, _, _, _, _, F = trained(solution, training, seed)
        assert_shape(params["W_dec"], (D, M), "trained W_dec")
        score = recovery(F, params["W_dec"]).mean()
        assert score >= 0.9, f"MMCS is {score:.3f} on a held-out seed; it should be at least 0.9"


@pytest.mark.points(3)
def test_train_recovers_most_features(solution, training):
    """On held-out seeds at least 90% of true features have a dictionary vector at cosine ≥ 0.9."""
    for seed in TRAIN_SEEDS:
        params, _, _, _, _, F = trained(solution, training, seed)
        assert_shape(params["W_dec"], (D, M), "trained W_dec")
        frac = np.mean(recovery(F, params["W_dec"]) >= 0.9)
        assert frac >= 0.9, f"only {100 * frac:.0f}% of true features are recovered at cosine >= 0.9"


@pytest.mark.points(2)
def test_train_few_dead_latents(solution, training):
    """After training at most 10% of latents are dead (never active on 4096 held-out inputs)."""
    for seed in TRAIN_SEEDS:
        params, _, _, _, X_held, _ = trained(solution, training, seed)
        assert_shape(params["W_enc"], (M, D), "trained W_enc")
        Z, _ = forward(X_held, params)
        dead = np.mean(~np.any(Z > 0, axis=0))
        assert dead <= 0.1, f"{100 * dead:.0f}% of latents are dead after training; at most 10% allowed"


@pytest.mark.points(1)
def test_train_time(solution, training):
    """Each training run on 8192 x 16 inputs with m=48 finishes within 20 seconds."""
    for seed in TRAIN_SEEDS:
        _, elapsed, _, _, _, _ = trained(solution, training, seed)
        assert elapsed <= TIME_LIMIT_S, f"training took {elapsed:.1f} s; it must finish within {TIME_LIMIT_S:.0f} s"


@pytest.mark.points(1)
def test_train_deterministic(solution):
    """train_sae depends only on rng: equal seeds give identical parameters, different seeds different ones."""
    X, _, _ = toy_data(77)
    X = X[:512]
    a = solution.train_sae(X, 8, rng(1), steps=20, batch_size=32)
    b = solution.train_sae(X, 8, rng(1), steps=20, batch_size=32)
    c = solution.train_sae(X, 8, rng(2), steps=20, batch_size=32)
    for key in PARAM_KEYS:
        assert np.array_equal(a[key], b[key]), "equal generator states must give identical parameters"
    assert not np.allclose(a["W_dec"], c["W_dec"]), "different seeds should give different parameters"
