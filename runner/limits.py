"""Per-exercise time limits from the reference solution's measured cost: measure, store, check.

`practice validate` grades the reference; the grading run times every call into learner code (LearnerHost). The
measurement is stored beside exercise.yaml as timing.json, with a digest of the reference and hidden tests it was
measured on, and `Limits.derive` (runner/bank.py) turns it into the exercise's limits when the bank loads.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from runner.bank import TIMING_FILE, Exercise, Timing

MIN_HEADROOM = 10.0  # the reference's slowest call must stay this far inside the per-call CPU limit


def timing_path(exercise: Exercise) -> Path:
    return exercise.exercise_dir / TIMING_FILE


def digest(exercise: Exercise) -> str:
    """A digest of what the measurement depends on: the reference and the hidden tests."""
    h = hashlib.sha256()
    files = [exercise.reference_path, *sorted(exercise.tests_dir.rglob("*.py"))]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def measured(exercise: Exercise, timing: dict | None) -> Timing | None:
    """The Timing of one grading run of the reference, from its result's `timing`."""
    if not timing or timing.get("timed_out") or not timing.get("calls"):
        return None
    return Timing(calls=int(timing["calls"]), slowest_call_s=float(timing["slowest_call_s"]),
                  slowest_call_cpu_s=timing.get("slowest_call_cpu_s"), run_s=float(timing["run_s"]),
                  digest=digest(exercise))


def stale_reason(exercise: Exercise) -> str | None:
    """Why the stored measurement cannot be trusted (missing, or measured on other files); None if current."""
    stored = Timing.read(timing_path(exercise))
    if stored is None:
        return "is missing"
    if stored.digest != digest(exercise):
        return "is out of date: the reference or hidden tests changed since it was measured"
    return None


def write(exercise: Exercise, timing: Timing) -> Path:
    """Store a measurement beside exercise.yaml (atomically)."""
    path = timing_path(exercise)
    data = {"_note": "measured by `practice validate` on the reference; the exercise's time limits derive "
                     "from it (runner/bank.py Limits.derive). Do not edit: validate rewrites it.",
            **timing.to_dict()}
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def headroom(exercise: Exercise, timing: Timing) -> float:
    """How many times over the reference's slowest call fits in the per-call CPU limit."""
    return exercise.limits.call_cpu_seconds / max(timing.slowest_call, 1e-3)
