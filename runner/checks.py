"""Assertions for hidden tests: precise failure messages that never dump hidden inputs.

Hidden tests import these (`from runner.checks import assert_close`). Learner code cannot.
"""

from __future__ import annotations

import numpy as np


def _fail(message: str) -> None:
    __tracebackhide__ = True
    raise AssertionError(message)


def assert_array(value, what: str = "result") -> np.ndarray:
    """Require a numpy array and return it."""
    __tracebackhide__ = True
    if not isinstance(value, np.ndarray):
        _fail(f"{what} should be a numpy array, got {type(value).__name__}")
    return value


def assert_shape(value, shape: tuple, what: str = "result") -> None:
    """Require an array of exactly `shape`."""
    __tracebackhide__ = True
    value = assert_array(value, what)
    if value.shape != tuple(shape):
        _fail(f"{what} has shape {value.shape}, expected {tuple(shape)}")


def assert_dtype(value, dtype, what: str = "result") -> None:
    """Require an array of exactly `dtype`."""
    __tracebackhide__ = True
    value = assert_array(value, what)
    if value.dtype != np.dtype(dtype):
        _fail(f"{what} has dtype {value.dtype}, expected {np.dtype(dtype)}")


def assert_close(actual, expected, *, rtol: float = 1e-6, atol: float = 1e-8, what: str = "result",
                 check_dtype: bool = False) -> None:
    """Require `actual` to match `expected` in shape and values (NaN and ±inf must match exactly)."""
    __tracebackhide__ = True
    expected = np.asarray(expected)
    if np.isscalar(actual) or isinstance(actual, (int, float, np.number, np.bool_)):
        actual = np.asarray(actual)
    actual = assert_array(actual, what)
    if actual.shape != expected.shape:
        _fail(f"{what} has shape {actual.shape}, expected {expected.shape}")
    if check_dtype and actual.dtype != expected.dtype:
        _fail(f"{what} has dtype {actual.dtype}, expected {expected.dtype}")
    if actual.dtype.kind not in "biufc":
        _fail(f"{what} has non-numeric dtype {actual.dtype}")
    a = actual.astype(np.complex128 if actual.dtype.kind == "c" else np.float64)
    e = expected.astype(np.complex128 if expected.dtype.kind == "c" else np.float64)
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    if np.any(nan_a & ~nan_e):
        _fail(f"{what} contains NaN in {int(np.sum(nan_a & ~nan_e))} of {a.size} entries where a number is expected")
    if np.any(nan_e & ~nan_a):
        _fail(f"{what} has numbers in {int(np.sum(nan_e & ~nan_a))} entries where NaN is expected")
    inf_a, inf_e = np.isinf(a), np.isinf(e)
    if np.any(inf_a != inf_e) or np.any(a[inf_e] != e[inf_e]):
        bad = int(np.sum((inf_a != inf_e) | (inf_e & (a != e))))
        _fail(f"{what} has {bad} of {a.size} entries infinite where they should not be, or the reverse")
    finite = ~(nan_e | inf_e)
    err = np.abs(a - e)
    bad = finite & (err > atol + rtol * np.abs(e))
    if np.any(bad):
        worst = float(np.max(np.where(bad, err, 0.0)))
        _fail(f"{what}: {int(np.sum(bad))} of {a.size} entries are wrong (largest error {worst:.3g}, "
              f"tolerance rtol={rtol:g}, atol={atol:g})")


def assert_unchanged(before: np.ndarray, after: np.ndarray, what: str = "the input") -> None:
    """Require an input array to be bit-identical after the call."""
    __tracebackhide__ = True
    if before.shape != after.shape or not np.array_equal(before, after, equal_nan=True):
        _fail(f"your function modified {what} in place; work on a copy instead")


def assert_finite(value, what: str = "result") -> None:
    """Require every entry to be finite."""
    __tracebackhide__ = True
    value = assert_array(value, what)
    if not np.all(np.isfinite(value)):
        _fail(f"{what} has {int(np.sum(~np.isfinite(value)))} non-finite entries (NaN or inf)")


def assert_scalar(value, what: str = "result") -> float:
    """Require a real number (Python or numpy scalar, or a 0-d array) and return it as float."""
    __tracebackhide__ = True
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        _fail(f"{what} should be a real number, got {type(value).__name__}")
    return float(value)


def numerical_grad(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central finite differences of scalar f at x (float64)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = f(x)
        flat[i] = old - h
        down = f(x)
        flat[i] = old
        gflat[i] = (up - down) / (2 * h)
    return grad
