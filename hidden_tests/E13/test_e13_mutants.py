"""Hidden checks for E13 found by mutation analysis: float32 weights still give float64 circuits."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype


@pytest.mark.points(1)
def test_float32_weights_give_float64(solution):
    """The circuits are float64 arrays even when the weights come as float32."""
    rng = np.random.default_rng(13)
    W_E, W_V, W_O, W_U = (rng.normal(size=s).astype(np.float32) for s in ((5, 7), (3, 5), (5, 3), (7, 5)))
    got = solution.ov_circuit(W_E.copy(), W_V.copy(), W_O.copy(), W_U.copy())
    assert_dtype(got, np.float64, what="ov_circuit of float32 weights")
    want = np.array([[float(W_U[t].astype(float) @ (W_O.astype(float) @ (W_V.astype(float) @ W_E[:, s].astype(float))))
                      for t in range(7)] for s in range(7)])
    assert_close(got, want, rtol=1e-5, atol=1e-6, what="ov_circuit of float32 weights")
