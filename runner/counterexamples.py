"""Counterexamples: the smallest input on which learner code disagrees with a check's property.

A hidden check that may reveal an input says so with `@pytest.mark.reveal("make_property")`, where
`make_property()` returns a `Property`: the learner function to call, a Hypothesis strategy of its arguments,
an independent `expected` computation and the comparison the check itself makes. When the check fails and the
learner asked to see why (`practice submit --reveal`), the grading process searches with Hypothesis once every
check has run (so a search never changes a score), shrinks what it finds, and reports the call, both outputs and
where they differ, small enough to paste into a REPL.

Only properties whose inputs the learner may see are marked: a check against a fixed model's exact output, or one
whose input is the answer, keeps its plain message. The search is derandomized (the same code always gets the
same counterexample), keeps no example database, has no per-example deadline and is bounded by a number of
learner calls and by seconds, so it never outlives the submission's run deadline.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PROFILE = "practice-counterexamples"
MAX_CALLS = 300  # learner calls per search: a few hundred cover generation and shrinking of small arrays
MAX_SECONDS = 5.0
TEXT_LIMIT = 300


@dataclass(frozen=True)
class Call:
    """Arguments of one call of a learner function."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def source(self, function: str) -> str:
        parts = [literal(a) for a in self.args] + [f"{k}={literal(v)}" for k, v in self.kwargs.items()]
        return f"{function}({', '.join(parts)})"


@dataclass(frozen=True)
class Property:
    """What a check tests, phrased for any input a strategy draws.

    `arguments()` returns a Hypothesis strategy of `Call`s (built lazily: Hypothesis loads only for a search);
    `expected(*args, **kwargs)` computes the right answer independently (raise `OutsideDomain`, or any error, for
    an input the property does not cover); `check(got, expected)` raises AssertionError when they disagree
    (default: `runner.checks.assert_close` with `rtol`, `atol` and `check_dtype`).
    """

    function: str
    arguments: Callable[[], Any]
    expected: Callable[..., Any]
    check: Callable[[Any, Any], None] | None = None
    rtol: float = 1e-6
    atol: float = 1e-8
    check_dtype: bool = False

    def compare(self, got, expected) -> None:
        if self.check is not None:
            self.check(got, expected)
            return
        from runner.checks import assert_close

        assert_close(got, expected, rtol=self.rtol, atol=self.atol, check_dtype=self.check_dtype,
                     what=f"{self.function}()")


class OutsideDomain(Exception):
    """Raised by a property's `expected` for an input the property does not cover."""


# ---- the search -----------------------------------------------------------------------------------------

def register_profile() -> None:
    """The Hypothesis settings every search uses (its pytest plugin is not loaded in graders: autoload is off)."""
    from hypothesis import HealthCheck, Phase, Verbosity, settings

    _no_local_constants()
    settings.register_profile(PROFILE, derandomize=True, database=None, deadline=None, max_examples=200,
                              phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck),
                              verbosity=Verbosity.quiet, report_multiple_bugs=False, print_blob=False)


class _BudgetSpent(BaseException):  # noqa: N818 - not an Exception, so Hypothesis lets it through at once
    """The search's budget is spent, or learner code timed out or crashed."""


def _no_local_constants() -> None:
    """Keep generation the same wherever practice runs.

    Hypothesis (6.13x) mixes numbers found in "local" source files (any not in site-packages: an editable
    install, the current folder) into what it draws, and caches them in ./.hypothesis: a counterexample would
    depend on how practice was installed and where it ran, and a search would write to the current folder. No
    setting turns this off, so the lookup is replaced by an empty set (nothing to do where it does not exist).
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:
        return
    if hasattr(providers, "_get_local_constants"):
        none = Constants()
        providers._get_local_constants = lambda: none


def search(prop: Property, call: Callable[..., Any], max_calls: int = MAX_CALLS, max_seconds: float = MAX_SECONDS,
           deadline: float | None = None) -> dict | None:
    """Find the smallest input on which `call(prop.function, *args, **kwargs)` disagrees with `prop`.

    `call` runs learner code (the sandbox's `LearnerHost.call` while grading) and may raise what learner code
    raises. Returns the counterexample as a dict (see `describe`), or None when none was found in the budget.
    A learner call that times out or crashes the sandbox ends the search: its budget is spent.
    """
    from hypothesis import find, settings
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    from runner.sandbox.proxy import SandboxFailure

    register_profile()
    stop_at = time.monotonic() + max_seconds
    if deadline is not None:
        stop_at = min(stop_at, deadline)
    spent = {"calls": 0, "over": False}

    def outcome(c: Call):
        """('ok'|'raised'|'disagrees', got, expected, message) for one input; None when it cannot say."""
        try:
            expected = prop.expected(*copy.deepcopy(c.args), **copy.deepcopy(c.kwargs))
        except Exception:  # noqa: BLE001 - outside the property's domain
            return None
        spent["calls"] += 1
        try:  # copies: code that changes its arguments in place must not change the input reported
            got = call(prop.function, *copy.deepcopy(c.args), **copy.deepcopy(c.kwargs))
        except Exception as exc:  # noqa: BLE001 - what learner code raised (re-raised by the sandbox)
            kind = getattr(exc, "learner_type", type(exc).__name__)
            return "raised", f"raised {kind}" + (f": {exc}" if str(exc) else ""), expected, ""
        try:
            prop.compare(got, expected)
        except AssertionError as exc:
            return "disagrees", got, expected, str(exc)
        except Exception as exc:  # noqa: BLE001 - a result the comparison cannot use is a disagreement too
            return "disagrees", got, expected, f"{type(exc).__name__}: {exc}"
        return "ok", got, expected, ""

    seen: dict[str, bool] = {}  # the same input always gets the same answer (Hypothesis replays its best)
    smallest: list[Call] = []  # the last input found wrong: while shrinking, each one found is smaller

    def disagrees(c: Call) -> bool:
        key = c.source(prop.function)
        if key in seen:
            return seen[key]
        if spent["over"] or spent["calls"] >= max_calls or time.monotonic() > stop_at:
            raise _BudgetSpent  # at once: left alone, the shrinker would go on for seconds
        try:
            found = outcome(c)
        except SandboxFailure:  # a timeout or crash: no more learner calls
            spent["over"] = True
            raise _BudgetSpent from None
        seen[key] = found is not None and found[0] != "ok"
        if seen[key]:
            smallest[:] = [c]
        return seen[key]

    budget = settings(settings.get_profile(PROFILE), max_examples=max(1, max_calls // 3))
    try:
        best = find(prop.arguments(), disagrees, settings=budget)
    except (NoSuchExample, Unsatisfiable):
        return None
    except _BudgetSpent:
        if not smallest or spent["over"]:
            return None
        best = smallest[0]
    except Exception:  # noqa: BLE001 - e.g. learner code that answers differently for the same input
        return None
    try:
        found = outcome(best)  # once more, to report exactly this input's outputs
    except SandboxFailure:
        return None
    if found is None or found[0] == "ok":
        return None
    kind, got, expected, message = found
    return describe(prop, best, kind, got, expected, message)


# ---- reporting ------------------------------------------------------------------------------------------

def describe(prop: Property, c: Call, kind: str, got, expected, message: str) -> dict:
    """The counterexample as the scorecard shows it: setup and call to paste, both outputs, where they differ."""
    yours = got if kind == "raised" else _short(literal(got))
    where = "your function raised an exception" if kind == "raised" else differences(got, expected, prop)
    return {"setup": "import numpy as np", "call": c.source(prop.function), "yours": yours,
            "expected": _short(literal(expected)), "where": where or message}


def _short(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def differences(got, expected, prop: Property | None = None, rtol: float = 1e-6, atol: float = 1e-8) -> str:
    """Where two results differ: shape, dtype, or the first differing entries with their indices."""
    if prop is not None:
        rtol, atol = prop.rtol, prop.atol
    try:
        g, e = np.asarray(got), np.asarray(expected)
    except Exception:  # noqa: BLE001
        return ""
    if g.shape != e.shape:
        return f"shape: yours {g.shape}, expected {e.shape}"
    if g.dtype.kind not in "biufc" or e.dtype.kind not in "biufc":
        return f"type: yours {type(got).__name__}, expected {type(expected).__name__}"
    a, b = g.astype(np.complex128 if g.dtype.kind == "c" else np.float64), e.astype(
        np.complex128 if e.dtype.kind == "c" else np.float64)
    with np.errstate(all="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b)) | (np.isfinite(a) & np.isfinite(b)
                                                       & (np.abs(a - b) <= atol + rtol * np.abs(b)))
    flat = g.ndim == 0
    wrong = np.argwhere(~np.atleast_1d(same))
    if len(wrong) == 0:
        if prop is not None and prop.check_dtype and g.dtype != e.dtype:
            return f"dtype: yours {g.dtype}, expected {e.dtype}"
        return ""
    shown = []
    for index in wrong[:3]:
        at = () if flat else tuple(int(i) for i in index)
        label = "value" if flat else f"[{', '.join(map(str, at))}]"
        shown.append(f"{label}: yours {_number(g[at])}, expected {_number(e[at])}")
    more = f" ({len(wrong)} of {max(g.size, 1)} entries differ)"
    return "; ".join(shown) + more


def _number(value) -> str:
    value = np.asarray(value).item()
    return _float(value) if isinstance(value, float) else repr(value)


def _float(x: float) -> str:
    if math.isnan(x):
        return "np.nan"
    if math.isinf(x):
        return "np.inf" if x > 0 else "-np.inf"
    return repr(x)


def _nested(values) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    return _float(values) if isinstance(values, float) else repr(values)


def literal(value) -> str:
    """Python source that rebuilds `value` (numpy as `np`): arrays, numpy scalars, numbers, containers."""
    if isinstance(value, np.ndarray):
        dtype = "" if value.dtype in (np.float64, np.int64, np.bool_) else f", dtype=np.{value.dtype.name}"
        if value.ndim == 0:
            return f"np.array({_nested(value.item())}{dtype})"
        if value.size == 0:
            return f"np.zeros({value.shape}{dtype or ', dtype=np.float64'})"
        return f"np.array({_nested(value.tolist())}{dtype})"
    if isinstance(value, np.generic):
        return f"np.{value.dtype.name}({_nested(value.item())})"
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


# ---- strategies hidden tests share ------------------------------------------------------------------------

def float_arrays(min_dims: int = 1, max_dims: int = 3, max_side: int = 4, bound: float = 10.0,
                 dtype=np.float64, neg_inf: bool = False):
    """Small finite float arrays (values in [-bound, bound], optionally some -inf), shrinking toward zeros."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    width = 32 if np.dtype(dtype) == np.float32 else 64
    elements = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=width)
    if neg_inf:
        elements = st.one_of(elements, st.just(-math.inf))
    shapes = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)
    return hnp.arrays(np.dtype(dtype), shapes, elements=elements)


def float_array(shape: tuple, bound: float = 10.0, dtype=np.float64):
    """A float array of exactly `shape` (values in [-bound, bound]), shrinking toward zeros."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    width = 32 if np.dtype(dtype) == np.float32 else 64
    return hnp.arrays(np.dtype(dtype), tuple(shape),
                      elements=st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=width))


def sizes(count: int, low: int = 1, high: int = 3):
    """A strategy of `count` sizes in [low, high] (shrinking toward `low`), for dependent shapes."""
    from hypothesis import strategies as st

    return st.tuples(*[st.integers(low, high)] * count)


def calls(*args, **kwargs):
    """A strategy of `Call`s from strategies of positional and keyword arguments."""
    from hypothesis import strategies as st

    return st.builds(lambda a, k: Call(tuple(a), dict(k)), st.tuples(*args), st.fixed_dictionaries(kwargs))
