"""Prove exercises sound: schema, files, reference 100, stub 0, every known-wrong solution rejected,
deterministic checks, visible examples, timing, and no orphan files in the bank."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from runner import limits
from runner.bank import PRESETS_FILE, SCHEMA_FILE, SUPPORT_DIR, TIMING_FILE, Bank, Exercise
from runner.bankfile import parse_yaml
from runner.errors import BankError
from runner.results import GradeResult, Outcome
from runner.schema import load_schema, schema_errors

BANK_FILES = {"CONVENTIONS.md", "SCHEMA.md", PRESETS_FILE, SCHEMA_FILE, SUPPORT_DIR}
TIME_SHARE = 0.5  # the reference must grade within this share of the run deadline
DETERMINISM_SEED = "12345"  # hash seed of the second, reversed-order run


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str  # the problem and its fix, one line

    def line(self, root: Path) -> str:
        try:
            shown = self.path.relative_to(root)
        except ValueError:
            shown = self.path
        return f"{shown}: {self.message}"


@dataclass
class ExerciseReport:
    exercise_id: str
    problems: list[Problem] = field(default_factory=list)
    reference: float | None = None
    stub: float | None = None
    wrong_rejected: int = 0
    wrong_total: int = 0
    seconds: float | None = None
    run_seconds: float | None = None
    timing_written: bool = False  # timing.json was missing or out of date, and validate wrote it

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, path: Path, message: str) -> None:
        self.problems.append(Problem(path, message))


def _outcomes(result: GradeResult) -> tuple:
    return result.status.value, result.error, tuple(sorted((t.name, t.outcome.value) for t in result.tests))


def _failures(result: GradeResult) -> str:
    if result.error:
        return result.error
    bad = [f"{t.name} ({t.outcome.value}: {t.message})" for t in result.tests if t.outcome is not Outcome.PASSED]
    return "; ".join(bad)[:300]


def static_checks(bank: Bank, exercise_id: str, report: ExerciseReport, schema: dict) -> Exercise | None:
    """Schema, loading, and the files every exercise needs."""
    yaml_path = bank.exercise_dir(exercise_id) / "exercise.yaml"
    try:
        data = parse_yaml(yaml_path)
    except BankError as exc:
        report.add(yaml_path, exc.one_line())
        return None
    for error in schema_errors(data, schema):
        report.add(yaml_path, f"schema: {error}. See exercises/SCHEMA.md")
    try:
        exercise = bank.get(exercise_id)
    except BankError as exc:
        report.add(yaml_path, exc.one_line().split(": ", 1)[-1])
        return None
    stub = exercise.stub_path.read_text(encoding="utf-8")
    if "TODO" not in stub:
        report.add(exercise.stub_path, "the stub has no TODO markers. Mark what the learner writes with `# TODO`")
    if not list(exercise.tests_dir.glob("test_*.py")):
        report.add(exercise.tests_dir, "no hidden tests. Add test_*.py files using the `solution` fixture")
    if not exercise.reference_path.is_file():
        report.add(exercise.reference_path, "no reference solution. Write one that scores 100")
    if not exercise.wrong_solutions():
        report.add(exercise.wrong_dir, "no known-wrong solutions. Add typical mistakes the checks must reject")
    if exercise.questions:
        answers = exercise.answers_path.read_text(encoding="utf-8") if exercise.answers_path.is_file() else ""
        for q in exercise.questions:
            if not re.search(rf"^##\s+{re.escape(q.id)}\b", answers, re.M):
                report.add(exercise.answers_path, f"no model answer for {q.id}. Add a `## {q.id}` section")
    return exercise


def graded_checks(exercise: Exercise, report: ExerciseReport, pool, second_pool, write_timing: bool = False) -> None:
    """Grade reference, stub and wrong solutions; again in reverse order under another hash seed.

    The reference's grading run is also its timing measurement: `write_timing` stores it in timing.json when
    that is missing or out of date; otherwise such a file is a problem."""
    if report.problems and not exercise.reference_path.is_file():
        return
    wrongs = exercise.wrong_solutions()
    paths = [exercise.reference_path, exercise.stub_path, *wrongs]
    first = dict(pool.run(exercise, paths))
    ref = first[exercise.reference_path]
    report.reference, report.stub = ref.score, first[exercise.stub_path].score
    # The run deadline counts from the job's start; the client's duration also holds worker start-up and collection.
    run_s = ref.timing["run_s"] if ref.timing else ref.duration_s
    report.seconds, report.run_seconds = run_s, exercise.limits.run_seconds
    if ref.score != 100:
        report.add(exercise.reference_path, f"the reference scores {ref.score:g}, not 100: {_failures(ref)}")
    if report.stub != 0:
        report.add(exercise.stub_path, f"the untouched stub scores {report.stub:g}, not 0. Make every function "
                                       "raise NotImplementedError")
    kept = sorted({name for result in first.values() for name in result.kept_state})
    if kept:
        report.add(exercise.tests_dir, f"the hidden checks keep state from one submission to the next "
                                       f"({', '.join(kept)}), so each submission needs a fresh grading process. Keep "
                                       "it in a fixture (docs/AUTHORING.md, \"Hidden tests keep no state\")")
    report.wrong_total = len(wrongs)
    for wrong in wrongs:
        if first[wrong].score < 100:
            report.wrong_rejected += 1
        else:
            report.add(wrong, "this known-wrong solution passes every hidden check. Add a check that catches "
                              "its mistake")
    if run_s > TIME_SHARE * exercise.limits.run_seconds:
        report.add(exercise.reference_path, f"the reference took {run_s:.1f} s, over {TIME_SHARE:.0%} of "
                                            f"the {exercise.limits.run_seconds:g} s run deadline. Speed up the "
                                            "checks or raise limits.run_seconds")
    if ref.score == 100:
        timing_checks(exercise, report, ref, write_timing)
    again_paths = [exercise.reference_path, *wrongs]
    second = dict(second_pool.run(exercise, again_paths, reverse=True))
    for path in again_paths:
        if _outcomes(first[path]) != _outcomes(second[path]):
            report.add(path, "the hidden checks gave different results on a second run (reversed test order, "
                             f"PYTHONHASHSEED={DETERMINISM_SEED}). Seed every random draw and avoid shared state")
    for _, run in pool.run(exercise, [exercise.reference_path], kind="examples"):
        failing = [e.call for e in run.examples if not e.passed]
        if run.error or failing:
            report.add(exercise.exercise_dir / "exercise.yaml",
                       f"visible examples fail against the reference: {run.error or ', '.join(failing)}. "
                       "Fix the examples' expected values")
        bad_plots = [p.title for p in run.plots if p.error]
        if bad_plots:
            report.add(exercise.exercise_dir / "exercise.yaml",
                       f"plots fail against the reference: {', '.join(bad_plots)}. Check their `call`")


def timing_checks(exercise: Exercise, report: ExerciseReport, ref: GradeResult, write: bool) -> None:
    """The reference's measured cost: stored and current in timing.json, and well inside the per-call limit."""
    timing = limits.measured(exercise, ref.timing)
    if timing is None:
        return
    path = limits.timing_path(exercise)
    stale = limits.stale_reason(exercise)
    if stale and write:
        limits.write(exercise, timing)
        report.timing_written = True
    elif stale:
        report.add(path, f"{stale}. Run `practice validate {exercise.id}` to measure the reference and write it")
    room = limits.headroom(exercise, timing)
    if room < limits.MIN_HEADROOM:
        report.add(exercise.reference_path,
                   f"the reference's slowest call used {timing.slowest_call:.2f} s of CPU time, within "
                   f"{limits.MIN_HEADROOM:g}x of the {exercise.limits.call_cpu_seconds:g} s per-call limit. Speed it "
                   "up, or remove limits.call_cpu_seconds from exercise.yaml so the limit follows its cost")


def orphans(bank: Bank) -> list[Problem]:
    """Files and folders in exercises/, hidden_tests/ and solutions/ that belong to no exercise."""
    problems = []
    ids = set(bank.ids)

    def visible(folder: Path):
        return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.name != "__pycache__")

    for entry in visible(bank.exercises_dir):
        if entry.name not in ids and entry.name not in BANK_FILES:
            problems.append(Problem(entry, "belongs to no exercise. Remove it, or give it an exercise.yaml"))
    for folder in (bank.hidden_tests_dir, bank.solutions_dir):
        if not folder.is_dir():
            continue
        for entry in visible(folder):
            if entry.name not in ids:
                problems.append(Problem(entry, f"no exercise `{entry.name}` exists. Remove it or add "
                                               f"exercises/{entry.name}/exercise.yaml"))
    for exercise_id in ids:
        exercise = bank.get(exercise_id) if _loads(bank, exercise_id) else None
        if exercise is None:
            continue
        for entry in visible(exercise.exercise_dir):
            if entry.name not in ("exercise.yaml", exercise.stub, TIMING_FILE):
                problems.append(Problem(entry, f"is neither exercise.yaml, the stub nor {TIMING_FILE}. Remove it"))
        if exercise.solutions_dir.is_dir():
            for entry in visible(exercise.solutions_dir):
                if entry.name not in ("reference.py", "answers.md", "wrong", "equivalent_mutants.yaml"):
                    problems.append(Problem(entry, "is not reference.py, answers.md, wrong/ or "
                                                   "equivalent_mutants.yaml. Remove it"))
        if exercise.wrong_dir.is_dir():
            for entry in visible(exercise.wrong_dir):
                if entry.suffix != ".py":
                    problems.append(Problem(entry, "known-wrong solutions are .py files. Remove it"))
    return problems


def _loads(bank: Bank, exercise_id: str) -> bool:
    try:
        bank.get(exercise_id)
        return True
    except BankError:
        return False


def validate(bank: Bank, ids: list[str] | None = None, jobs: int = 2, on_report=None,
             write_timing: bool = True) -> tuple[list[ExerciseReport], list[Problem]]:
    """Validate the given exercises (all when None) and the bank's layout; refresh stale timing.json files."""
    from runner.grading.client import GraderPool

    chosen = [bank.resolve_id(i) for i in ids] if ids else bank.ids
    schema = load_schema(bank.root)
    reports = []
    with GraderPool(jobs) as pool, GraderPool(1, env={"PYTHONHASHSEED": DETERMINISM_SEED}) as second:
        for exercise_id in chosen:
            report = ExerciseReport(exercise_id)
            exercise = static_checks(bank, exercise_id, report, schema)
            if exercise is not None:
                graded_checks(exercise, report, pool, second, write_timing=write_timing)
            reports.append(report)
            if on_report:
                on_report(report)
    return reports, orphans(bank) if not ids else []
