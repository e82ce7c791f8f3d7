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


# ---- in-place changes -----------------------------------------------------------------------------------
# Learner code works on copies of its arguments: nothing it does reaches the checks' own arrays, so comparing
# an input before and after a call always finds it unchanged. The grader reports instead which arguments each
# call changed in place (`note_modified`), and the checks ask about their arrays with `assert_not_modified`.

# The record lasts one submission (the grader clears it before each: `forget_modified`) and holds the arrays it
# names, so a check can ask about an array an earlier check passed (a cached training run, say).
_modified: list[tuple[np.ndarray, str]] = []  # (the check's array, the call that changed its copy)


def forget_modified() -> None:
    """Clear the record: a new submission starts (the grader calls this)."""
    _modified.clear()


def note_modified(array: np.ndarray, call: str) -> None:
    """Record that learner code changed its copy of `array` in place during `call` (the grader calls this)."""
    _modified.append((array, call))


def _arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _arrays(item)


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    if a is b:
        return True
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=10_000))
    except Exception:  # noqa: BLE001 - TooHardError (numpy.exceptions from 1.25): assume they overlap
        return True


def modified_by(value) -> str | None:
    """The call that changed `value` (an array, or a list, tuple or dict of arrays) in place, or None."""
    for array in _arrays(value):
        for changed, call in _modified:
            if _same_memory(changed, array):
                return call
    return None


def assert_not_modified(value, what: str = "the input") -> None:
    """Require that no call into learner code changed `value` in place (in this check or an earlier one).

    `value` is an array the check passed to the learner (or a list, tuple or dict of them); views of it count.
    """
    __tracebackhide__ = True
    call = modified_by(value)
    if call is not None:
        _fail(f"your function {call} modified {what} in place; work on a copy instead")


def assert_unchanged(before: np.ndarray, after: np.ndarray, what: str = "the input") -> None:
    """Require an input to be unchanged: not modified by learner code, and bit-identical to `before`.

    Kept for older checks; prefer `assert_not_modified(array, what)` (learner code only ever changes copies).
    """
    __tracebackhide__ = True
    assert_not_modified(after, what)
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
