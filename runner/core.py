"""What each command does, as plain functions over the bank, the workspace, the grader and the store."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from runner.bank import Bank, Exercise
from runner.clock import Timebox, attempt_timebox
from runner.config import Locations, resolve_locations
from runner.errors import BankError, NoAttempt, PracticeError, UsageError, WorkspaceError
from runner.store import Attempt, Snapshot, Store, Submission
from runner.workspace import create_from_stub, learner_file, move_aside, read_source

if TYPE_CHECKING:  # results load with the grader, not with every command
    from runner.results import GradeResult, RunResult


@contextmanager
def interruptible(store: Store, submission_id: int) -> Iterator[None]:
    """Grade under a guard: Ctrl-C, SIGTERM, SIGHUP or a crash marks the submission interrupted at once.

    `kill -9` cannot be caught: then the submission's lock dies with the process and the next command marks it.
    """
    import signal
    import threading

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                previous[sig] = signal.signal(sig, stop)
    try:
        yield
    except BaseException as exc:
        why = ("grading was stopped (Ctrl-C or a signal)" if isinstance(exc, (KeyboardInterrupt, SystemExit))
               else f"grading failed before its result was recorded ({type(exc).__name__}: {exc})")
        store.interrupt_submission(submission_id, why)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass(frozen=True)
class CatalogEntry:
    exercise: Exercise
    best: float | None
    submissions: int
    status: str  # new | started | attempted | solved


@dataclass(frozen=True)
class StartInfo:
    exercise: Exercise
    attempt: Attempt
    path: Path
    resumed: bool
    created: bool
    moved_to: Path | None
    now: float
    timebox: Timebox | None = None  # the clock the attempt is judged by (its mock session's, in a session)


@dataclass(frozen=True)
class Target:
    """What a run or submit works on: an exercise, maybe an attempt, and a file."""

    exercise: Exercise
    attempt: Attempt | None
    path: Path


@dataclass(frozen=True)
class HintInfo:
    exercise: Exercise
    number: int
    total: int
    text: str


@dataclass(frozen=True)
class StatusInfo:
    active: Attempt | None
    exercise: Exercise | None
    now: float
    open_attempts: list[Attempt] = field(default_factory=list)
    best: dict = field(default_factory=dict)
    timeboxes: dict = field(default_factory=dict)  # attempt id -> Timebox


@dataclass(frozen=True)
class PendingSubmission:
    """A submission recorded but not yet graded (see `Practice.begin_submit`)."""

    id: int
    exercise: Exercise
    attempt: Attempt | None
    path: Path
    elapsed_s: float | None
    time_limit_s: float
    clock: str  # "exercise" or "session"
    counted: bool
    source: str | None = None  # the text recorded in the store: exactly what gets graded


@dataclass(frozen=True)
class ExerciseHistory:
    exercise: str
    title: str
    topic: str
    attempts: int
    submissions: int
    best: float | None
    time_to_solve_s: float | None  # time used at the first submission scoring 100


@dataclass(frozen=True)
class TopicStats:
    topic: str
    exercises: int
    attempted: int
    solved: int
    mean_best: float


@dataclass(frozen=True)
class SolutionInfo:
    exercise: Exercise
    reference: str
    answers: str
    submitted: bool


@dataclass
class Practice:
    """The platform for one set of locations; `clock` is injectable for tests."""

    locations: Locations = field(default_factory=resolve_locations)
    clock: Callable[[], float] = time.time
    grader: Callable[[Exercise, Path], GradeResult] | None = None  # default: a fresh worker per submission

    @cached_property
    def bank(self) -> Bank:
        return Bank(self.locations.bank, cache_dir=self.locations.home / "cache")

    @cached_property
    def store(self) -> Store:
        return Store(self.locations.database)

    @cached_property
    def mock(self):
        from runner.mock import MockSessions

        return MockSessions(self)

    # ---- catalog ------------------------------------------------------------------------------------------

    def catalog(self) -> list[CatalogEntry]:
        best = self.store.best_scores()
        opened = {a.exercise for a in self.store.attempts() if a.state == "open"}
        entries = []
        for exercise in self.bank.all():
            score, count = best.get(exercise.id, (None, 0))
            if score is not None and score >= 100:
                status = "solved"
            elif count:
                status = "attempted"
            else:
                status = "started" if exercise.id in opened else "new"
            entries.append(CatalogEntry(exercise, score, count, status))
        return entries

    # ---- attempts -----------------------------------------------------------------------------------------

    def start(self, exercise_id: str, restart: bool = False) -> StartInfo:
        """Create the learner's file from the stub and start the clock, or resume the open attempt."""
        exercise = self.bank.get(exercise_id)
        attempt = self.store.open_attempt(exercise.id)
        path = Path(attempt.file) if attempt else learner_file(self.locations.workspace, exercise)
        now = self.clock()
        moved = None
        if restart and attempt is not None and attempt.session_id is not None:
            raise UsageError(f"{exercise.id} is a task of the running mock session",
                             fix="Keep editing its file, or finish the session with `practice mock finish`.")
        if restart:
            if path.exists():
                moved = move_aside(path, now)
            if attempt:
                self.store.close_attempt(attempt.id, str(moved) if moved else None)
            attempt = None
            path = learner_file(self.locations.workspace, exercise)
        created = create_from_stub(path, exercise)
        if attempt is not None:
            self.store.set_active(attempt.id)
            return StartInfo(exercise, attempt, path, True, created, moved, now, self.timebox(attempt))
        attempt = self.store.start_attempt(exercise.id, str(path), exercise.time_limit_s, now)
        return StartInfo(exercise, attempt, path, False, created, moved, now, self.timebox(attempt))

    def timebox(self, attempt: Attempt | None) -> Timebox | None:
        """The clock an attempt is judged by: its mock session's deadline in a session, else its own limit."""
        if attempt is None:
            return None
        session = self.store.session(attempt.session_id) if attempt.session_id is not None else None
        return attempt_timebox(attempt, session)

    def target(self, exercise_id: str | None, file: Path | None) -> Target:
        """Find what to run or submit: the given id (or the active attempt) and the given file (or its own)."""
        if exercise_id is None:
            attempt = self.store.active_attempt()
            if attempt is None:
                raise NoAttempt("no active attempt",
                                fix="Give an id (`practice submit 1A`) or run `practice start ID`.")
            if attempt.exercise not in self.bank.ids:  # started with --bank: say so, not "no exercise X"
                raise NoAttempt(f"your active attempt, {attempt.exercise}, is not in the bank in use",
                                fix="Give its bank (`practice --bank DIR submit`) or an id of this bank.")
            exercise = self.bank.get(attempt.exercise)
        else:
            exercise = self.bank.get(exercise_id)
            attempt = self.store.open_attempt(exercise.id)
        if file is not None:
            path = Path(file).expanduser().resolve()
        elif attempt is not None:
            path = Path(attempt.file)
        else:
            path = learner_file(self.locations.workspace, exercise)
            if not path.exists():
                raise WorkspaceError(f"no file for {exercise.id} yet",
                                     fix=f"Run `practice start {exercise.id}`, or pass --file PATH.")
        if not path.is_file():
            raise WorkspaceError(f"no file at {path}", fix="Check the path, or run `practice start ID`.")
        return Target(exercise, attempt, path)

    # ---- grading ------------------------------------------------------------------------------------------

    def run(self, exercise_id: str | None, file: Path | None) -> RunResult:
        """Check the visible examples only; nothing is recorded."""
        from runner.grading.client import run_examples

        target = self.target(exercise_id, file)
        return run_examples(target.exercise, target.path)

    def submit(self, exercise_id: str | None, file: Path | None, reveal: bool = False) -> GradeResult:
        """Grade with the hidden checks and record the submission, its source and its result.

        During a mock session the submission counts for it until the deadline; after, it is kept but flagged.
        `reveal`: also find a counterexample for each failed check that may show one.
        """
        return self.grade_pending(self.begin_submit(exercise_id, file), reveal)

    def begin_submit(self, exercise_id: str | None, file: Path | None, settle: bool = True) -> PendingSubmission:
        """Apply the mock deadline rules, then record the source; grade it next and pass the result to finish.

        The live view passes `settle=False`: grading saved work at a deadline can take long, and it must not
        freeze; the next command settles.
        """
        self.mock.snapshot()
        if settle:
            self.mock.settle()
        target = self.target(exercise_id, file)
        now = self.clock()
        box = self.timebox(target.attempt)
        counted = box.counts(now) if box is not None and box.mock else True
        return self.begin_grading(target.exercise, target.attempt, target.path, now, counted)

    def begin_grading(self, exercise: Exercise, attempt: Attempt | None, path: Path, now: float,
                      counted: bool = True, automatic: bool = False,
                      record_file: str | None = None) -> PendingSubmission:
        """Record the source first, so nothing is lost if grading crashes."""
        source = read_source(path)
        box = self.timebox(attempt)
        elapsed = box.elapsed(now) if box else None
        submission_id = self.store.begin_submission(
            exercise.id, attempt.id if attempt else None, record_file or str(path), source, elapsed, now,
            attempt.session_id if attempt else None, counted, automatic)
        return PendingSubmission(submission_id, exercise, attempt, path, elapsed,
                                 box.limit_s if box else exercise.time_limit_s, box.source if box else "exercise",
                                 counted, source=source)

    def grade(self, pending: PendingSubmission, reveal: bool = False) -> GradeResult:
        """Grade exactly the recorded source text: a file edited after it was recorded is not what runs."""
        if self.grader is not None:
            return self.grader(pending.exercise, pending.path)
        from runner.grading.client import grade_file

        result = grade_file(pending.exercise, pending.path, source=pending.source, reveal=reveal)
        if result.bank_problem:  # never the learner's 0: the submission is marked interrupted, the command exits 3
            raise BankError(result.error)
        return result

    def finish_submit(self, pending: PendingSubmission, result: GradeResult) -> GradeResult:
        """Stamp the grader's result with the clock and the attempt, and record it."""
        attempt = self.store.attempt(pending.attempt.id) if pending.attempt else None
        result = dataclasses.replace(result, elapsed_s=pending.elapsed_s, time_limit_s=pending.time_limit_s,
                                     clock=pending.clock, hints_used=attempt.hints_used if attempt else 0,
                                     counted=pending.counted)
        self.store.finish_submission(pending.id, result.status.value, result.score, result.points,
                                     result.max_points, result.error, json.dumps(result.to_dict()))
        return result

    def cancel_submit(self, pending: PendingSubmission) -> None:
        """The learner stopped grading: keep the source, mark it cancelled (it never counts)."""
        self.store.cancel_submission(pending.id)

    def grade_and_record(self, exercise: Exercise, attempt: Attempt | None, path: Path, now: float,
                         counted: bool = True, automatic: bool = False, record_file: str | None = None) -> GradeResult:
        """Record the source first (nothing is lost if grading crashes), grade it, then record the result."""
        return self.grade_pending(self.begin_grading(exercise, attempt, path, now, counted, automatic, record_file))

    def grade_pending(self, pending: PendingSubmission, reveal: bool = False) -> GradeResult:
        """Grade a recorded submission and record its result; an interruption or crash marks it interrupted."""
        with interruptible(self.store, pending.id):
            return self.finish_submit(pending, self.grade(pending, reveal))

    def interrupted_notice(self) -> str | None:
        """One line about submissions interrupted since the last command (they never count), or None."""
        lost = self.store.take_interrupted()
        if not lost:
            return None
        which = ", ".join(f"#{s.id} ({s.exercise})" for s in lost)
        if len(lost) == 1:
            return (f"note: submission {which} stopped before grading finished and does not count (its source "
                    "is kept); submit again to grade it.")
        return (f"note: submissions {which} stopped before grading finished and do not count (their sources "
                "are kept); submit again to grade them.")

    # ---- help ---------------------------------------------------------------------------------------------

    def hint(self, exercise_id: str) -> HintInfo:
        """Reveal one more hint and record it on the open attempt."""
        exercise = self.bank.get(exercise_id)
        attempt = self.store.open_attempt(exercise.id)
        if attempt is None:
            raise NoAttempt(f"no attempt at {exercise.id} to record the hint on",
                            fix=f"Run `practice start {exercise.id}` first.")
        if not exercise.hints:
            return HintInfo(exercise, 0, 0, "This exercise has no hints.")
        if attempt.hints_used >= len(exercise.hints):
            n = len(exercise.hints)
            return HintInfo(exercise, n, n, exercise.hints[-1])
        used = self.store.add_hint(attempt.id, self.clock())
        return HintInfo(exercise, used, len(exercise.hints), exercise.hints[used - 1])

    def solution(self, exercise_id: str) -> SolutionInfo:
        """Return the reference and model answers, and whether the attempt was already submitted."""
        exercise = self.bank.get(exercise_id)
        reference = read_source(exercise.reference_path)
        answers = exercise.answers_path.read_text(encoding="utf-8") if exercise.answers_path.is_file() else ""
        attempt = self.store.open_attempt(exercise.id)
        submitted = bool(self.store.submissions(exercise=exercise.id)) if attempt is None else bool(
            self.store.submissions(attempt_id=attempt.id))
        return SolutionInfo(exercise, reference, answers, submitted)

    def record_solution_viewed(self, exercise_id: str) -> None:
        attempt = self.store.open_attempt(self.bank.resolve_id(exercise_id))
        if attempt is not None:
            self.store.mark_solution_viewed(attempt.id, self.clock())

    # ---- status and history -------------------------------------------------------------------------------

    def status(self) -> StatusInfo:
        active = self.store.active_attempt()
        opened = [a for a in self.store.attempts() if a.state == "open"]
        if active is not None and active.exercise not in self.bank.ids:  # started in another bank (--bank)
            active = next((a for a in reversed(opened) if a.exercise in self.bank.ids), None)
        exercise = self.bank.get(active.exercise) if active else None
        boxes = {a.id: self.timebox(a) for a in opened + ([active] if active else [])}
        return StatusInfo(active, exercise, self.clock(), opened, self.store.best_scores(), boxes)

    def versions(self, exercise_id: str) -> tuple[Exercise, Attempt, list[Snapshot]]:
        """Every saved version of the exercise's open attempt (from the live view and session commands)."""
        exercise = self.bank.get(exercise_id)
        attempt = self.store.open_attempt(exercise.id)
        if attempt is None:
            raise NoAttempt(f"no open attempt at {exercise.id}", fix=f"Run `practice start {exercise.id}` first.")
        return exercise, attempt, self.store.snapshots(attempt.id)

    def restore(self, exercise_id: str, number: int) -> tuple[Path, Path | None]:
        """Put saved version `number` back in the learner's file; the current file is moved aside, not lost."""
        exercise, attempt, snapshots = self.versions(exercise_id)
        check_version(exercise.id, number, snapshots)
        path = Path(attempt.file)
        moved = move_aside(path, self.clock()) if path.exists() else None
        path.write_text(snapshots[number - 1].source, encoding="utf-8")
        return path, moved

    def history(self, exercise_id: str | None = None) -> tuple[list[ExerciseHistory], list[Submission]]:
        """Per exercise (attempts, best score, time to solve), and every submission."""
        only = self.bank.resolve_id(exercise_id) if exercise_id else None
        submissions = self.store.submissions(exercise=only)
        attempts = self.store.attempts(only)
        summary = []
        for ex_id in dict.fromkeys([a.exercise for a in attempts] + [s.exercise for s in submissions]):
            subs = [s for s in submissions if s.exercise == ex_id]
            graded = [s.score for s in subs if s.score is not None]
            solved = next((s for s in subs if (s.score or 0) >= 100), None)
            try:
                exercise = self.bank.get(ex_id)
                title, topic = exercise.title, exercise.topic
            except PracticeError:
                title, topic = "(no longer in the bank)", ""
            counted = sum(s.state not in ("interrupted", "cancelled") for s in subs)  # the rows below keep them all
            summary.append(ExerciseHistory(ex_id, title, topic, sum(a.exercise == ex_id for a in attempts), counted,
                                           max(graded) if graded else None, solved.elapsed_s if solved else None))
        return summary, submissions

    def plan(self):
        """What to practise next, from the learner's own history (runner/schedule.py: FSRS cards, the queue)."""
        from runner.schedule import plan

        return plan(self.bank.all(), self.store.attempts(), self.store.submissions(), self.clock())

    def stats(self) -> tuple[list[TopicStats], list[Submission]]:
        """Progress by topic, and the graded submissions in time order (for the chart)."""
        best = self.store.best_scores()
        topics: dict[str, list] = {}
        for exercise in self.bank.all():
            topics.setdefault(exercise.topic, []).append(exercise)
        rows = []
        for topic, exercises in sorted(topics.items()):
            scores = [best[e.id][0] for e in exercises if e.id in best]
            rows.append(TopicStats(topic, len(exercises), len(scores), sum(1 for v in scores if v >= 100),
                                   round(sum(scores) / len(exercises), 1)))
        graded = [s for s in self.store.submissions() if s.score is not None]
        return rows, graded


def check_version(exercise_id: str, number: int, snapshots: list) -> None:
    """Refuse a version number the open attempt does not have, saying which ones it has (if any)."""
    if 1 <= number <= len(snapshots):
        return
    if not snapshots:
        raise UsageError(f"{exercise_id} has no saved versions in this attempt",
                         fix=f"The live view of `practice start {exercise_id}` saves one at every save; files moved "
                             f"aside by --restart or --restore sit beside yours as *.old.py.")
    raise UsageError(f"{exercise_id} has no saved version {number}",
                     fix=f"Choose 1–{len(snapshots)}; see `practice versions {exercise_id}`.")
