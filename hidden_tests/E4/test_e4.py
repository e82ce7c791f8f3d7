"""Hidden checks for E4: logit lens with a tied unembedding W_U = W_E.T."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape

D_MODEL, VOCAB = 6, 9


def _setup(seed, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    resid = rng.normal(size=shape + (D_MODEL,)) + 0.5  # non-zero mean, so centering matters
    W_E = rng.normal(size=(D_MODEL, VOCAB)) / np.sqrt(D_MODEL) + 0.3
    return resid, W_E


def _raw_logits_loop(resid, W_E):
    flat = resid.reshape(-1, D_MODEL)
    out = np.zeros((flat.shape[0], VOCAB))
    for r in range(flat.shape[0]):
        for t in range(VOCAB):
            out[r, t] = sum(W_E[i, t] * flat[r, i] for i in range(D_MODEL))
    return out.reshape(resid.shape[:-1] + (VOCAB,))


def _ln_loop(resid, eps):
    flat = resid.reshape(-1, D_MODEL)
    out = np.zeros_like(flat)
    for r, x in enumerate(flat):
        mu = sum(x) / D_MODEL
        var = sum((v - mu) ** 2 for v in x) / D_MODEL
        out[r] = [(v - mu) / np.sqrt(var + eps) for v in x]
    return out.reshape(resid.shape)


@pytest.mark.points(2)
def test_raw_lens_is_dot_with_embeddings(solution):
    """Without final LN, logit t of row x is e_t · x with e_t = W_E[:, t] (vocab != d_model)."""
    resid, W_E = _setup(0)
    assert_close(solution.logit_lens(resid, W_E), _raw_logits_loop(resid, W_E), what="raw logit-lens logits")


@pytest.mark.points(2)
def test_final_ln_lens(solution):
    """With final_ln=True the row is centered and divided by sqrt(biased var + eps) before unembedding."""
    resid, W_E = _setup(1)
    resid[0, 0] *= 0.05  # small variance, so eps=0.1 matters
    for eps in (1e-5, 0.1):
        expected = _raw_logits_loop(_ln_loop(resid, eps), W_E)
        assert_close(solution.logit_lens(resid, W_E, final_ln=True, eps=eps), expected,
                     what=f"final-LN logit-lens logits (eps={eps})")


@pytest.mark.points(2)
def test_lens_scale_and_proportionality(solution):
    """lens_scale is 1/sqrt(var + eps); with centered embeddings final-LN logits = scale * raw logits."""
    resid, W_E = _setup(2)
    resid[1, 2] *= 0.05
    eps = 0.05
    flat = resid.reshape(-1, D_MODEL)
    expected = np.array([1 / np.sqrt(np.mean((x - np.mean(x)) ** 2) + eps) for x in flat]).reshape(3, 4)
    scale = solution.lens_scale(resid, eps=eps)
    assert_close(scale, expected, what="lens_scale")
    W_c = W_E - W_E.mean(axis=0, keepdims=True)  # centered embeddings
    assert_close(solution.logit_lens(resid, W_c, final_ln=True, eps=eps),
                 expected[..., None] * _raw_logits_loop(resid, W_c), what="final-LN logits, centered embeddings")


@pytest.mark.points(2)
def test_top_tokens(solution):
    """top_tokens returns the k largest-logit ids, largest first, for raw and final-LN lenses."""
    resid, W_E = _setup(3)
    for final_ln in (False, True):
        logits = _raw_logits_loop(_ln_loop(resid, 1e-5) if final_ln else resid, W_E)
        top = solution.top_tokens(resid, W_E, 4, final_ln=final_ln)
        assert_shape(top, (3, 4, 4), "top_tokens")
        assert np.issubdtype(top.dtype, np.integer), "top_tokens should return integer token ids"
        expected = np.array([sorted(range(VOCAB), key=lambda t, r=r: -r[t])[:4]
                             for r in logits.reshape(-1, VOCAB)]).reshape(3, 4, 4)
        assert np.array_equal(top, expected), f"top_tokens (final_ln={final_ln}) are not the 4 largest, in order"


@pytest.mark.points(1)
def test_float32_kept(solution):
    """float32 residuals give float32 logits and scales (checked to rtol 1e-5)."""
    resid, W_E = _setup(4)
    r32 = resid.astype(np.float32)
    out = solution.logit_lens(r32, W_E.astype(np.float32), final_ln=True)
    assert_dtype(out, np.float32, "logit_lens output")
    assert_close(out, _raw_logits_loop(_ln_loop(resid, 1e-5), W_E), rtol=1e-4, atol=1e-5, what="float32 logits")
    assert_dtype(solution.lens_scale(r32), np.float32, "lens_scale output")


@pytest.mark.points(1)
def test_inputs_not_modified(solution):
    """No function modifies resid or W_E in place."""
    resid, W_E = _setup(5)
    solution.logit_lens(resid, W_E, final_ln=True)
    solution.lens_scale(resid)
    solution.top_tokens(resid, W_E, 3, final_ln=True)
    assert_not_modified(resid, "resid")
    assert_not_modified(W_E, "W_E")
