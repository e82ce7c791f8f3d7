"""One grading job, run in a forked process of a warm worker: hidden tests, or visible examples."""

from __future__ import annotations

import builtins
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from runner.bank import Exercise
from runner.grading import remove_tree
from runner.grading.plugin import LearnerHost, classify
from runner.sandbox.child import ChildSpec
from runner.sandbox.guard import build_forbidden
from runner.sandbox.proxy import ImportFailed, SandboxFailure

# pytest plugins a grading session does without: each costs time per session or per test.
UNUSED_PLUGINS = ("terminal", "cacheprovider", "doctest", "junitxml", "pastebin", "stepwise", "warnings",
                  "unraisableexception", "threadexception", "logging", "faulthandler", "unittest", "legacypath",
                  "setuponly", "setupplan")
PYTEST_ARGS = ["-s", "--assert=plain", "--import-mode=importlib", "-W", "ignore",
               *[arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")]]


def child_spec(exercise: Exercise, submission: Path, support_dirs: tuple[str, ...],
               source: str | None = None, helpers: bool = True) -> ChildSpec:
    """Describe the learner process for this exercise's constraints and limits."""
    limits = exercise.limits
    return ChildSpec(
        submission=str(submission),
        source=source,
        helpers=helpers,
        workdir="",
        support_dirs=support_dirs,
        protected_dirs=tuple(str(d) for d in exercise.protected_dirs),
        forbidden=build_forbidden(exercise.constraints.forbidden_modules(), exercise.constraints.describe()),
        memory_mb=limits.memory_mb,
        call_cpu_seconds=limits.call_cpu_seconds,
        total_cpu_seconds=max(limits.run_seconds * 2, limits.call_cpu_seconds) + 5,
    )


def describe_import_failure(error: dict) -> str:
    """One line for a file that would not import."""
    kind = error.get("type", "Error")
    where = f" at {error['where']}" if error.get("where") else ""
    message = error.get("message", "")
    if kind in ("SystemExit", "KeyboardInterrupt"):
        return f"your file raised {kind}{where} while being imported; remove top-level exits"
    return f"your file could not be imported: {kind}{where}: {message}".rstrip(": ")


def pytest_args(exercise: Exercise, tests_dir: Path | None = None) -> list[str]:
    """Arguments for one pytest session over an exercise's hidden tests (or a copy of them in `tests_dir`).

    No conftest.py is ever loaded: a planted one cannot change how checks run or score. `--confcutdir` keeps
    collection inside the tests' folder: without it pytest lists every folder beside each of its parents (with a
    crowded /tmp, 100 ms and more per worker).
    """
    tests = str(tests_dir or exercise.tests_dir)
    return [tests, "--rootdir", tests, "-c", os.devnull, "--noconftest", "--confcutdir", tests, *PYTEST_ARGS]


def private_tests(exercise: Exercise, under: str | None = None) -> Path:
    """Copy the exercise's hidden tests into a fresh private folder, read-only, and return the copy's folder.

    The worker collects from the copy before any learner code runs: source files only (no __pycache__, no
    conftest.py), with fresh modification times, so bytecode planted in the bank is never loaded. The copy keeps
    the bank's layout (ROOT/hidden_tests/ID), so paths a check computes from its __file__ stay inside ROOT.
    ROOT is made in `under` (the pool's own folder, which the client removes even if the worker is killed).
    """
    root = Path(tempfile.mkdtemp(prefix="practice-tests-", dir=under))
    target = root / "hidden_tests" / exercise.id
    shutil.copytree(exercise.tests_dir, target, copy_function=shutil.copyfile,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "conftest.py"))
    for folder, _, files in os.walk(root, topdown=False):
        for name in files:
            os.chmod(os.path.join(folder, name), 0o444)
        os.chmod(folder, 0o555)
    return target


def remove_private_tests(target: Path) -> None:
    """Remove a copy made by `private_tests`."""
    remove_tree(target.parents[1])


def open_submission(exercise: Exercise, submission: Path, deadline: float, emit,
                    source: str | None = None, helpers: bool = True) -> LearnerHost | None:
    """Start the learner process for a submission; emit `done` with the reason and return None if it cannot run.

    `source` is the text to run as that file (the recorded submission); without it the file is read once.
    `helpers`: whether the .py files beside it are the learner's helper modules (not in a folder of classmates).
    """
    support = (str(exercise.support_dir),) if exercise.support_dir.is_dir() else ()
    host = LearnerHost(child_spec(exercise, submission.resolve(), support, source, helpers), exercise.limits,
                       deadline)
    try:
        process = host.start()
    except ImportFailed as exc:
        emit({"event": "done", "status": "error", "error": describe_import_failure(exc.error),
              "output": host.close()})
        return None
    except SandboxFailure as exc:
        emit({"event": "done", "status": "error", "error": f"importing your file failed: {exc}",
              "output": host.close()})
        return None
    missing = [f for f in exercise.functions if f not in process.functions]
    if missing:
        names = ", ".join(f"`{m}`" for m in missing)
        emit({"event": "done", "status": "error", "output": host.close(),
              "error": f"your file defines no function {names}; keep the names and signatures from the stub"})
        return None
    return host


def run_examples_job(exercise: Exercise, submission: Path, emit) -> None:
    """Run the visible examples and plots of one submission and emit the results."""
    host = open_submission(exercise, submission, time.monotonic() + exercise.limits.run_seconds, emit)
    if host is not None:
        _run_examples(exercise, host, emit)


# ---- visible examples and plots ----------------------------------------------------------------------

def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6, threshold=20, edgeitems=3, max_line_width=100)
    text = repr(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _matches(got, expected, rtol: float, atol: float) -> bool:
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(_matches(g, e, rtol, atol) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return isinstance(got, dict) and got.keys() == expected.keys() and all(
            _matches(got[k], expected[k], rtol, atol) for k in expected)
    if isinstance(expected, (str, type(None))):
        return got == expected
    try:
        g, e = np.asarray(got), np.asarray(expected)
        if g.shape != e.shape or g.dtype.kind not in "biufc":
            return False
        return bool(np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True))
    except (TypeError, ValueError):
        return False


def _run_examples(exercise: Exercise, host: LearnerHost, emit) -> None:
    scope = {"np": np, "numpy": np, "math": math}
    examples = []
    for ex in exercise.examples:
        entry = {"call": ex.call, "passed": False, "expected": "", "got": "", "message": ""}
        try:
            got = host.evaluate(ex.call)
        except BaseException as exc:  # noqa: BLE001 - learner failures, sandbox outcomes
            raised = getattr(exc, "learner_type", None)
            wanted = getattr(builtins, ex.raises, None) if ex.raises else None
            if raised and (raised == ex.raises or (isinstance(wanted, type) and isinstance(exc, wanted))):
                entry.update(passed=True, expected=f"raises {ex.raises}", got=f"raised {raised}")
            else:
                entry.update(expected=f"raises {ex.raises}" if ex.raises else (ex.expect or ex.check or ""),
                             message=classify(exc)[1])
            examples.append(entry)
            continue
        if ex.raises:
            entry.update(expected=f"raises {ex.raises}", got=_short(got), message="no exception was raised")
        elif ex.expect is not None:
            expected = eval(ex.expect, dict(scope))  # noqa: S307 - the bank's own expression
            entry.update(expected=_short(expected), got=_short(got),
                         passed=_matches(got, expected, ex.rtol, ex.atol))
            if not entry["passed"]:
                from runner.counterexamples import differences

                entry["where"] = differences(got, expected, rtol=ex.rtol, atol=ex.atol)
        else:
            ok = bool(eval(ex.check, {**scope, "result": got}))  # noqa: S307 - the bank's own expression
            entry.update(expected=ex.check, got=_short(got), passed=ok)
        examples.append(entry)
    plots = [_plot(host, plot) for plot in exercise.plots]
    emit({"event": "examples", "examples": examples, "plots": plots, "output": host.close()})


def _floats(values) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def _plot(host: LearnerHost, plot) -> dict:
    data = {"title": plot.title, "kind": plot.kind, "xlabel": plot.xlabel, "ylabel": plot.ylabel,
            "x": [], "series": {}, "grid": [], "error": ""}
    try:
        value = host.evaluate(plot.call)
        if plot.kind == "heatmap":
            grid = np.asarray(value, dtype=np.float64)
            if grid.ndim != 2:
                raise ValueError(f"a heatmap needs a 2-D array, got shape {grid.shape}")
            data["grid"] = [_floats(row) for row in grid]
        else:
            x, ys = value
            series = ys if isinstance(ys, dict) else {plot.ylabel: ys}
            data["x"] = _floats(x)
            data["series"] = {str(k): _floats(v) for k, v in series.items()}
            if any(len(v) != len(data["x"]) for v in data["series"].values()):
                raise ValueError("x and y have different lengths")
    except BaseException as exc:  # noqa: BLE001 - a plot never breaks the run
        data["error"] = classify(exc)[1]
    return data
