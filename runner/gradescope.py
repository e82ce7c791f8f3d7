"""Gradescope autograder: build the zip (`practice export gradescope`) and run inside it.

Gradescope unpacks the zip to /autograder/source, runs setup.sh once when building the image, then for each
student runs /autograder/run_autograder with their files in /autograder/submission; the grade is read from
/autograder/results/results.json, and what run_autograder prints is kept for the instructor
(/autograder/results/stdout). AUTOGRADER_ROOT replaces /autograder, for running the same layout locally.

Scores: each check's `max_score` is its points scaled so that they add up to the total the export names
(the exercise's own points unless --total is given); the top-level `score` is the sum of the tests' scores, so
`score`, `tests` and `output` always agree. Set the assignment's autograder points to that total.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from runner.bank import Bank, Exercise

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's values
CONFIG = "practice-gradescope.json"  # in the zip: exercise, visibility, total and the checks

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
# Gradescope runs this for each submission; it writes $ROOT/results/results.json and prints a summary line.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export PYTHONPATH="$ROOT/source${PYTHONPATH:+:$PYTHONPATH}"
exec "${PYTHON:-python3}" -m runner.gradescope
"""


@dataclass(frozen=True)
class Export:
    """What the instructor needs to know after exporting."""

    path: Path
    exercise: str
    stub: str
    total: float
    points: float
    checks: int
    visibility: str
    fixtures: tuple[str, ...]


def _mentions(texts: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", texts) is not None


def bank_files(bank: Bank, exercise: Exercise) -> list[Path]:
    """What grading this exercise needs: its folder, its hidden tests, and the support library only if they
    use it, with only the model fixtures (.npz) they name. Solutions never ship."""
    def files(root: Path) -> list[Path]:
        if not root.is_dir():
            return []
        return [p for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
                and not p.name.startswith(".")]

    own = files(exercise.exercise_dir) + files(exercise.tests_dir)
    texts = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in own
                      if p.suffix in (".py", ".yaml", ".yml", ".md", ".txt", ".json"))
    shipped = list(own)
    support = exercise.support_dir
    for package in sorted(p for p in support.iterdir() if p.is_dir()) if support.is_dir() else []:
        if not _mentions(texts, package.name):
            continue
        for path in files(package):
            relative = path.relative_to(package).parts
            if relative[0] == "build":  # the seeded scripts that made the fixtures: not needed to grade
                continue
            if path.suffix == ".npz" and not _mentions(texts, path.stem):
                continue
            shipped.append(path)
    return shipped


def build_zip(bank: Bank, exercise: Exercise, out: Path, checks=(), visibility: str = "visible",
              total: float | None = None) -> Export:
    """Write the autograder zip: scripts, the runner package, what grading this exercise needs, and a config
    with the checks (from batch.layout) so a submission that cannot be graded still lists each check at 0."""
    out = Path(out)
    package = Path(__file__).resolve().parent
    points = sum(t.max_points for t in checks)
    total = points if total is None else total
    config = {"exercise": exercise.id, "visibility": visibility, "total": total,
              "checks": [{"name": t.name, "description": t.description, "max_points": t.max_points} for t in checks]}
    shipped = bank_files(bank, exercise)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_executable("setup.sh"), SETUP_SH)
        zf.writestr(_executable("run_autograder"), RUN_AUTOGRADER)
        zf.writestr(CONFIG, json.dumps(config, indent=2))
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".json"):
                zf.write(path, f"runner/{path.relative_to(package)}")
        for path in shipped:
            zf.write(path, f"bank/{path.relative_to(bank.root)}")
    return Export(out, exercise.id, exercise.stub, total, points, len(checks), visibility,
                  tuple(p.stem for p in shipped if p.suffix == ".npz"))


def export(bank: Bank, exercise: Exercise, out: Path, visibility: str = "visible",
           total: float | None = None) -> Export:
    """`practice export gradescope`: learn the checks by grading the stub, then build the zip."""
    from runner.batch import check_writable, layout
    from runner.errors import UsageError
    from runner.grading.client import GraderPool

    if visibility not in VISIBILITIES:
        raise UsageError(f"--visibility {visibility} is not one of Gradescope's",
                         fix=f"Use one of: {', '.join(VISIBILITIES)}.")
    if total is not None and not 0 < total < float("inf"):  # nan too
        raise UsageError("--total must be positive", fix="Give the assignment's autograder points, e.g. 100.")
    check_writable(out)  # before grading the stub, not after
    with GraderPool(1) as pool:
        checks = layout(exercise, pool).checks
    if not checks:
        raise UsageError(f"could not list the checks of {exercise.id} (its stub and reference do not grade)",
                         fix=f"Run `practice validate {exercise.id}`.")
    return build_zip(bank, exercise, out, checks, visibility, total)


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


BUNDLE = """# Written by practice's Gradescope autograder: the submitted {name} with the helper modules submitted beside
# it ({helpers}). Every isolation layer grades one file, so the helpers travel inside it and are imported from
# memory, after the import rules (a helper may import only what the solution may).


def __practice_helpers(sources):
    import importlib.abc
    import importlib.util
    import sys

    class Helpers(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, fullname, path=None, target=None):
            return importlib.util.spec_from_loader(fullname, self) if fullname in sources else None

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            exec(compile(sources[module.__name__], module.__name__ + ".py", "exec"), module.__dict__)

    sys.meta_path.append(Helpers())


__practice_helpers({sources!r})
del __practice_helpers
exec(compile({solution!r}, __file__, "exec"))
"""


def bundle(solution: Path) -> str | None:
    """The solution with the .py helper modules beside it carried inside (None when there are none)."""
    helpers = {p.stem: p.read_text(encoding="utf-8", errors="replace") for p in sorted(solution.parent.glob("*.py"))
               if p != solution and p.stem.isidentifier()}
    if not helpers:
        return None
    return BUNDLE.format(name=solution.name, helpers=", ".join(f"{h}.py" for h in helpers), sources=helpers,
                         solution=solution.read_text(encoding="utf-8", errors="replace"))


def _round(value: float) -> float:
    return round(value, 4)


def results_json(result, seconds: float, total: float | None = None, visibility: str = "visible") -> dict:
    """Gradescope's results.json: tests scaled to `total`, a top-level score equal to their sum, visibility."""
    points = sum(t.max_points for t in result.tests)
    total = points if total is None else total
    scale = total / points if points else 0.0
    tests = [{"name": t.description, "score": _round(t.points * scale), "max_score": _round(t.max_points * scale),
              "visibility": visibility, "status": "passed" if t.outcome.value == "passed" else "failed",
              "output": "" if t.outcome.value == "passed" else f"{t.outcome.value}: {t.message}".strip(": ")}
             for t in result.tests]
    score = _round(sum(t["score"] for t in tests)) if result.status.value == "graded" else 0.0
    data = {"score": score, "execution_time": round(seconds, 2), "visibility": visibility,
            "stdout_visibility": "hidden", "tests": tests,
            "output": f"Score {score:g}/{total:g} ({result.passed} of {result.total} checks passed)"}
    if result.status.value == "error":
        data["output"] = f"Your submission could not be graded: {result.error}. Score 0/{total:g}."
    return data


def _load_checks(config: dict):
    from runner.batch import Layout
    from runner.results import Outcome, TestResult

    return Layout(tuple(TestResult(name=c["name"], description=c["description"], outcome=Outcome.SKIPPED,
                                   points=0.0, max_points=float(c["max_points"])) for c in config["checks"]))


def run(root: Path) -> int:
    """Grade /autograder/submission, write /autograder/results/results.json, print a line for the log."""
    import tempfile

    from runner.grading.client import grade_file
    from runner.results import GradeResult, Status
    from runner.sandbox import layers

    layers.warn_if_weakest()  # this image cannot isolate learner code: say so once, in the instructor's log
    start = time.monotonic()
    source = root / "source"
    config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    exercise = Bank(source / "bank").get(config["exercise"])
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    submission = find_submission(root / "submission", exercise)
    if submission is None:
        result = GradeResult(exercise=exercise.id, status=Status.ERROR,
                             error=f"no {exercise.stub} found (and not exactly one .py file); submit {exercise.stub}")
    else:
        with tempfile.TemporaryDirectory(prefix="practice-gs-") as tmp:
            copy = Path(tmp) / exercise.stub
            bundled = bundle(submission)
            if bundled is None:
                shutil.copy(submission, copy)
            else:
                copy.write_text(bundled, encoding="utf-8")
            result = grade_file(exercise, copy)
    result = _load_checks(config).not_graded(result)
    data = results_json(result, time.monotonic() - start, config["total"], config["visibility"])
    (results / "results.json").write_text(json.dumps(data, indent=2))
    print(f"practice {exercise.id}: {submission.relative_to(root / 'submission') if submission else 'no file'}: "
          f"score {data['score']:g}/{config['total']:g}, {result.passed} of {len(result.tests)} checks passed"
          + (f", not graded: {result.error}" if result.status is Status.ERROR else "")
          + f" ({data['execution_time']:g} s)")
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))))
