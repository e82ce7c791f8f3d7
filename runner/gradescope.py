"""Gradescope autograder: build the zip (`practice export gradescope`) and run inside it.

Gradescope unpacks the zip to /autograder/source, runs setup.sh once when building the image, then for each
student runs /autograder/run_autograder with their files in /autograder/submission; the grade is read from
/autograder/results/results.json. AUTOGRADER_ROOT replaces /autograder, for running the same layout locally.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

from runner.bank import Bank, Exercise

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once while building the autograder image.
set -euo pipefail
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update && apt-get install -y python3 python3-pip
fi
python3 -m pip install --no-cache-dir "numpy>=1.24" "pytest>=7.4" "rich>=13.0" "typer>=0.12,<0.28" "pyyaml>=6.0" \\
    || python3 -m pip install --no-cache-dir --break-system-packages "numpy>=1.24" "pytest>=7.4" "rich>=13.0" \\
        "typer>=0.12,<0.28" "pyyaml>=6.0"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission; it writes $ROOT/results/results.json.
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
export PYTHONPATH="$ROOT/source${{PYTHONPATH:+:$PYTHONPATH}}"
exec "${{PYTHON:-python3}}" -m runner.gradescope "{exercise}"
"""


def build_zip(bank: Bank, exercise: Exercise, out: Path) -> Path:
    """Write the autograder zip: scripts, the runner package and this exercise's bank files (no solutions)."""
    out = Path(out)
    package = Path(__file__).resolve().parent
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_executable("setup.sh"), SETUP_SH)
        zf.writestr(_executable("run_autograder"), RUN_AUTOGRADER.format(exercise=exercise.id))
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".json"):
                zf.write(path, f"runner/{path.relative_to(package)}")
        # Only what grading needs: solutions never ship.
        roots = [exercise.exercise_dir, exercise.tests_dir, exercise.support_dir]
        for root in roots:
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith("."):
                    zf.write(path, f"bank/{path.relative_to(bank.root)}")
    return out


def _executable(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = 0o100755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def find_submission(folder: Path, exercise: Exercise) -> Path | None:
    """The student's file: the stub's name anywhere in the submission, else the only .py file."""
    named = sorted(folder.rglob(exercise.stub))
    if named:
        return named[0]
    files = sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)
    return files[0] if len(files) == 1 else None


def results_json(result, seconds: float) -> dict:
    """Gradescope's results.json: per-test score, max_score, name, visibility and output."""
    tests = [{"name": t.description, "score": t.points, "max_score": t.max_points, "visibility": "visible",
              "status": "passed" if t.outcome.value == "passed" else "failed",
              "output": "" if t.outcome.value == "passed" else f"{t.outcome.value}: {t.message}".strip(": ")}
             for t in result.tests]
    data = {"execution_time": round(seconds, 2), "visibility": "visible", "stdout_visibility": "hidden",
            "tests": tests, "output": f"Score {result.score:g}/100 ({result.passed} of {result.total} checks passed)"}
    if result.status.value == "error" or not tests:
        data["score"] = 0.0
        data["output"] = f"Your submission could not be graded: {result.error}"
    return data


def run(exercise_id: str, root: Path) -> int:
    """Grade /autograder/submission and write /autograder/results/results.json."""
    from runner.grading.client import grade_file
    from runner.results import GradeResult, Status

    start = time.monotonic()
    bank = Bank(root / "source" / "bank")
    exercise = bank.get(exercise_id)
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    submission = find_submission(root / "submission", exercise)
    if submission is None:
        result = GradeResult(exercise=exercise.id, status=Status.ERROR,
                             error=f"no {exercise.stub} found (and not exactly one .py file); submit {exercise.stub}")
    else:
        work = Path(os.environ.get("TMPDIR", "/tmp")) / f"practice-gs-{os.getpid()}"
        work.mkdir(parents=True, exist_ok=True)
        copy = work / exercise.stub
        shutil.copy(submission, copy)
        result = grade_file(exercise, copy)
        shutil.rmtree(work, ignore_errors=True)
    (results / "results.json").write_text(json.dumps(results_json(result, time.monotonic() - start), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))))
