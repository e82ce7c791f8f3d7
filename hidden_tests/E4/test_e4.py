"""Hidden checks for E4: logit lens with a tied unembedding W_U = W_E.T."""

import math

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_not_modified, assert_shape
from runner.counterexamples import Call, OutsideDomain, Property, float_array

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



# ---- counterexamples: properties `practice submit --reveal` may search (any small resid, W_E; never hidden data) ----

def _lens_calls(dtype=np.float64, unembed=True, top=False, final_ln=None):
    """resid with 0 to 2 leading axes, d_model and vocab from 1 to 3; final_ln= and eps= given or not."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    bound = 3.0 if dtype == np.float64 else 1.0  # float32: rounding stays far below rtol 1e-4
    eps = [None, 0.1, 1e-3] if dtype == np.float64 else [0.1, 1e-3]  # and 1/sqrt(eps) amplifies it less

    def build(dims):
        lead, d, vocab = dims
        w = float_array((d, vocab), bound, dtype) if unembed else st.none()
        k = st.integers(1, vocab) if top else st.none()
        ln = st.just(final_ln) if final_ln is not None else st.sampled_from([None, False, True]) if unembed \
            else st.none()
        return st.tuples(float_array(lead + (d,), bound, dtype), w, k, ln, st.sampled_from(eps)).map(
            lambda a: Call(tuple(v for v in a[:3] if v is not None),
                           {k: v for k, v in (("final_ln", a[3]), ("eps", a[4])) if v is not None}))

    lead = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2)
    return st.tuples(lead, st.integers(1, 3), st.integers(1, 3)).flatmap(build)


def _rows_of(resid):
    resid = np.asarray(resid, dtype=np.float64)
    return resid, list(np.ndindex(resid.shape[:-1]))


def _loop_ln_row(x, eps):
    mu = math.fsum(x) / len(x)
    s = math.sqrt(math.fsum((v - mu) ** 2 for v in x) / len(x) + eps)
    return [(v - mu) / s for v in x]


def _loop_lens(resid, W_E, final_ln=False, eps=1e-5):
    resid, rows = _rows_of(resid)
    W = np.asarray(W_E, dtype=np.float64)
    out = np.empty(resid.shape[:-1] + (W.shape[1],))
    for idx in rows:
        x = resid[idx].tolist()
        x = _loop_ln_row(x, eps) if final_ln else x
        out[idx] = [math.fsum(x[i] * W[i, t] for i in range(len(x))) for t in range(W.shape[1])]
    return out


def _loop_scale(resid, eps=1e-5):
    resid, rows = _rows_of(resid)
    out = np.empty(resid.shape[:-1])
    for idx in rows:
        x = resid[idx].tolist()
        mu = math.fsum(x) / len(x)
        out[idx] = 1.0 / math.sqrt(math.fsum((v - mu) ** 2 for v in x) / len(x) + eps)
    return out


def _loop_top(resid, W_E, k, final_ln=False, eps=1e-5):
    """The k largest logits' ids, largest first; logits closer than 1e-9 (ties, in any order) are outside."""
    logits = _loop_lens(resid, W_E, final_ln, eps)
    out = np.empty(logits.shape[:-1] + (k,), dtype=np.int64)
    for idx in np.ndindex(logits.shape[:-1]):
        row = sorted(logits[idx].tolist(), reverse=True)
        if any(a - b <= 1e-9 * (1 + abs(a)) for a, b in zip(row, row[1:])):
            raise OutsideDomain("two logits (nearly) tie")
        out[idx] = sorted(range(len(row)), key=lambda t, r=logits[idx]: -r[t])[:k]
    return out


def _same_ids(got, expected):
    got = np.asarray(got)
    assert np.issubdtype(got.dtype, np.integer), "top_tokens should return integer token ids"
    assert got.shape == expected.shape and np.array_equal(got, expected), "top_tokens gave the wrong ids or order"


def reveal_lens():
    """Any small resid and W_E [d_model, vocab], raw or final-LN, with or without eps: loop logits."""
    return Property("logit_lens", _lens_calls, _loop_lens, check_dtype=True)


def reveal_scale():
    """Any small resid, with or without eps: 1 / sqrt(biased variance + eps) row by row."""
    return Property("lens_scale", lambda: _lens_calls(unembed=False), _loop_scale)


def reveal_top():
    """Any small resid, W_E and k (logits that tie are left out): the k largest ids, largest first."""
    return Property("top_tokens", lambda: _lens_calls(top=True), _loop_top, check=_same_ids)


def reveal_float32():
    """float32 resid and W_E with final_ln=True and eps >= 1e-3: float32 logits, rtol 1e-4."""
    return Property("logit_lens", lambda: _lens_calls(np.float32, final_ln=True),
                    lambda *a, **kw: _loop_lens(*a, **kw).astype(np.float32), rtol=1e-4, atol=1e-4,
                    check_dtype=True)

@pytest.mark.points(2)
@pytest.mark.reveal("reveal_lens")
def test_raw_lens_is_dot_with_embeddings(solution):
    """Without final LN, logit t of row x is e_t · x with e_t = W_E[:, t] (vocab != d_model)."""
    resid, W_E = _setup(0)
    assert_close(solution.logit_lens(resid, W_E), _raw_logits_loop(resid, W_E), what="raw logit-lens logits")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_lens")
def test_final_ln_lens(solution):
    """With final_ln=True the row is centered and divided by sqrt(biased var + eps) before unembedding."""
    resid, W_E = _setup(1)
    resid[0, 0] *= 0.05  # small variance, so eps=0.1 matters
    for eps in (1e-5, 0.1):
        expected = _raw_logits_loop(_ln_loop(resid, eps), W_E)
        assert_close(solution.logit_lens(resid, W_E, final_ln=True, eps=eps), expected,
                     what=f"final-LN logit-lens logits (eps={eps})")


@pytest.mark.points(2)
@pytest.mark.reveal("reveal_scale")
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
@pytest.mark.reveal("reveal_top")
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
@pytest.mark.reveal("reveal_float32")
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
