"""Timed mock OA sessions: presets, the shared countdown, deadline rules and the final report.

Rules, as on a real OA: tasks may be submitted in any order and as often as wanted; the last submission before
the deadline counts; a later one is recorded but flagged late and does not count. Work saved but never
submitted still counts: at the first command after the deadline, each task's file as saved at the deadline is
graded, as a submission made at the deadline, unless it is unchanged since its last counted submission. "As saved
at the deadline" is the last snapshot the platform took by then (runner/watcher.py), never a file's mtime.
The session score is the mean of the task scores, each 0–100, every task weighted equally.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from runner.bank import DIFFICULTIES, Exercise
from runner.clock import Timebox, session_timebox
from runner.errors import BankError, NoAttempt, UsageError
from runner.store import Attempt, Session, Submission
from runner.workspace import create_from_stub, move_aside

SCORE_SCALE = "0-100: the mean of the task scores, each task weighted equally"


@dataclass(frozen=True)
class Slot:
    ids: tuple[str, ...] = ()
    topic: str | None = None
    tags: tuple[str, ...] = ()
    prefix: str | None = None
    count: int = 1
    draw: str = "random"  # or "due": the learner's review queue (runner/schedule.py), due first, then new


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    minutes: float
    slots: tuple[Slot, ...]
    order: str = "easiest-first"


@dataclass(frozen=True)
class TaskReport:
    exercise: str
    title: str
    score: float
    submissions: int
    late: int
    counted_at: float | None
    time_spent_s: float | None
    hints: int
    file: str


@dataclass(frozen=True)
class SessionReport:
    session: Session
    tasks: list[TaskReport]
    now: float
    previous: list[tuple[Session, float]] = field(default_factory=list)
    auto_graded: list[str] = field(default_factory=list)
    watcher: str = "running"  # the file watcher: running | ended | missing (see runner/watcher.py)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tasks) / len(self.tasks), 1) if self.tasks else 0.0

    @property
    def timebox(self) -> Timebox:
        return session_timebox(self.session)

    @property
    def over(self) -> bool:
        return self.timebox.over(self.now)

    def to_dict(self) -> dict:
        s = self.session
        return {
            "session": {"id": s.id, "preset": s.preset, "exercises": s.ids, "seed": s.seed, "started_at": s.started_at,
                        "deadline": s.deadline, "finished_at": s.finished_at,
                        "minutes": round((s.deadline - s.started_at) / 60, 3)},
            "score": self.score,
            "scale": SCORE_SCALE,
            "watcher": self.watcher,  # the file watcher: running | ended | missing
            "tasks": [{"exercise": t.exercise, "score": t.score, "submissions": t.submissions,
                       "late_submissions": t.late, "counted_at": t.counted_at, "time_spent_s": t.time_spent_s,
                       "hints": t.hints} for t in self.tasks],
            "previous": [{"session": prev.id, "preset": prev.preset, "score": score,
                          "finished_at": prev.finished_at} for prev, score in self.previous],
        }


# ---- presets -------------------------------------------------------------------------------------------

def load_presets(bank_root: Path) -> tuple[str, dict[str, Preset]]:
    """Read exercises/presets.yaml; return (default name, presets)."""
    from runner.bank import BankLayout
    from runner.bankfile import Reader, parse_yaml

    path = BankLayout(bank_root).presets_path
    if not path.is_file():
        raise BankError(f"{path} does not exist", fix="Add mock presets to the bank, or use --ids.")
    r = Reader(path, parse_yaml(path))
    r.mapping(("format", "default", "presets"), ("format", "default", "presets"))
    presets = {}
    for name, body in (r.data["presets"] or {}).items():
        p = Reader(path, body, f"presets.{name}.")
        p.mapping(("title", "minutes", "slots", "order"), ("title", "minutes", "slots"))
        order = p.text("order", "easiest-first")
        if order not in ("easiest-first", "as-listed"):
            raise p.fail("order", f"is {order!r}", "Use easiest-first or as-listed.")
        slots = []
        for s in p.items("slots"):
            s.mapping(("from", "topic", "tags", "prefix", "count", "draw"))
            if s.text("draw", "random") not in ("random", "due"):
                raise s.fail("draw", f"is {s.text('draw')!r}", "Use random or due.")
            slots.append(Slot(ids=s.text_list("from"), topic=s.text("topic"), tags=s.text_list("tags"),
                              prefix=s.text("prefix"), count=int(s.number("count", 1)),
                              draw=s.text("draw", "random")))
        presets[str(name)] = Preset(str(name), p.text("title"), p.number("minutes"), tuple(slots), order)
    default = str(r.data["default"])
    if default not in presets:
        raise r.fail("default", f"names {default!r}, which is not a preset", "Name one of the presets.")
    return default, presets


def _matches(exercise: Exercise, slot: Slot) -> bool:
    if slot.ids and exercise.id not in slot.ids:
        return False
    if slot.topic and exercise.topic != slot.topic:
        return False
    if slot.tags and not set(slot.tags) & ({exercise.topic} | set(exercise.tags)):
        return False
    return not (slot.prefix and not exercise.id.startswith(slot.prefix))


def draw(preset: Preset, exercises: list[Exercise], seed: int, queue: list[str] | None = None) -> list[Exercise]:
    """Draw each slot's exercises with a seeded generator (a "due" slot: the first in `queue`, the learner's
    review queue), then order them (easiest first by default)."""
    import random

    rng = random.Random(seed)
    rank = {exercise_id: n for n, exercise_id in enumerate(queue or [])}
    chosen: list[Exercise] = []
    for n, slot in enumerate(preset.slots, 1):
        pool = [e for e in exercises if _matches(e, slot) and e not in chosen]
        if len(pool) < slot.count:
            raise BankError(f"mock preset `{preset.name}` slot {n} has {len(pool)} exercises to draw from, "
                            f"needs {slot.count}", fix="Widen the slot in exercises/presets.yaml.")
        if slot.draw == "due":
            chosen.extend(sorted(pool, key=lambda e: rank.get(e.id, len(rank)))[:slot.count])
        else:
            chosen.extend(rng.sample(pool, slot.count))
    if preset.order == "easiest-first":  # by difficulty; equal difficulties keep the slots' order
        chosen.sort(key=lambda e: DIFFICULTIES.index(e.difficulty))
    return chosen


# ---- the session ---------------------------------------------------------------------------------------

def sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


class MockSessions:
    """Mock sessions on top of a Practice (bank, store, workspace, clock)."""

    def __init__(self, practice):
        self.p = practice

    def presets(self) -> tuple[str, dict[str, Preset]]:
        return load_presets(self.p.bank.root)

    def start(self, preset_name: str | None = None, ids: list[str] | None = None, minutes: float | None = None,
              seed: int | None = None, watch: bool = False) -> SessionReport:
        """Draw the tasks, write their stubs, start the countdown and (with `watch`) the file watcher."""
        now = self.p.clock()
        running = self.p.store.open_session()
        if running is not None:
            if not session_timebox(running).over(now):
                raise UsageError(f"mock session {running.id} is still running",
                                 fix="Finish it first with `practice mock finish`.")
            self.finish()
        seed = int(now * 1000) % 2**31 if seed is None else seed
        if ids:
            exercises = [self.p.bank.get(i) for i in ids]
            if len({e.id for e in exercises}) != len(exercises):
                raise UsageError("an exercise is listed twice in --ids", fix="List each id once.")
            name, total = "custom", sum(e.minutes for e in exercises) if minutes is None else minutes
        else:
            default, presets = self.presets()
            name = preset_name or default
            if name not in presets:
                raise UsageError(f"no mock preset `{name}`", fix=f"Choose one of: {', '.join(presets)}.")
            due = any(slot.draw == "due" for slot in presets[name].slots)
            queue = [pick.exercise for pick in self.p.plan().picks] if due else None  # imports FSRS only then
            exercises = draw(presets[name], self.p.bank.all(), seed, queue)
            total = presets[name].minutes if minutes is None else minutes
        if not (math.isfinite(total) and total > 0):  # 0 is not "the default"; nan or inf is no deadline
            raise UsageError("--minutes must be a positive number", fix="Give e.g. --minutes 70 or --minutes 0.5.")
        session = self.p.store.create_session(name, json.dumps([e.id for e in exercises]), seed, now, now + total * 60)
        folder = self.p.locations.workspace / f"mock-{session.id}"
        for exercise in exercises:
            path = folder / exercise.id / exercise.stub
            if path.exists():  # left by a session of the same number in an earlier history: start from the stub
                move_aside(path, now)
            create_from_stub(path, exercise)
            self.p.store.start_attempt(exercise.id, str(path), exercise.time_limit_s, now, session.id)
        if watch:
            from runner.watcher import meta_key, spawn

            pid = spawn(self.p.store.path, session.id)
            if pid is not None:  # its first heartbeat, until it gives its own
                self.p.store.set_meta(meta_key(session.id), json.dumps({"pid": pid, "beat": now, "state": "running"}))
        return self.report(session)

    def current(self) -> Session:
        session = self.p.store.open_session()
        if session is None:
            raise NoAttempt("no mock session is running", fix="Start one with `practice mock start`.")
        return session

    # ---- deadline rules ------------------------------------------------------------------------------

    def snapshot(self) -> None:
        """Keep each task file's newly saved version, so its state at the deadline is known later."""
        from runner.watcher import snapshot_file

        session = self.p.store.open_session()
        if session is None or session_timebox(session).over(self.p.clock()):
            return
        for attempt in self.p.store.session_attempts(session.id):
            snapshot_file(self.p.store, attempt, self.p.clock)

    def deadline_version(self, attempt: Attempt, box: Timebox) -> str | None:
        """The file as saved at the deadline: its last snapshot taken by then (never the file's mtime)."""
        earlier = [s for s in self.p.store.snapshots(attempt.id) if box.counts(s.taken_at)]
        return earlier[-1].source if earlier else None

    def settle(self) -> list[str]:
        """After the deadline of the running session, grade work saved but not submitted; return ids graded."""
        session = self.p.store.open_session()
        if session is None or session.settled or not session_timebox(session).over(self.p.clock()):
            return []
        return self._settle(session)

    def _settle(self, session: Session) -> list[str]:
        graded = []
        for attempt in self.p.store.session_attempts(session.id):
            exercise = self.p.bank.get(attempt.exercise)
            text = self.deadline_version(attempt, session_timebox(session))
            if text is None or text == exercise.stub_path.read_text(encoding="utf-8"):
                continue
            counted = [s for s in self.p.store.submissions(attempt_id=attempt.id) if s.counted]
            if counted and counted[-1].source == text:
                continue
            import tempfile

            with tempfile.TemporaryDirectory(prefix="practice-deadline-") as tmp:
                copy = Path(tmp) / Path(attempt.file).name
                copy.write_text(text, encoding="utf-8")
                self.p.grade_and_record(exercise, attempt, copy, now=session.deadline, counted=True,
                                        automatic=True, record_file=attempt.file)
            graded.append(exercise.id)
        self.p.store.mark_settled(session.id)
        return graded

    # ---- reports ------------------------------------------------------------------------------------

    def status(self) -> SessionReport:
        self.snapshot()
        graded = self.settle()
        return self.report(self.current(), graded)

    def finish(self) -> SessionReport:
        """End the running session (early, if time is left: the deadline becomes now) and report."""
        session = self.current()
        now = self.p.clock()
        if not session_timebox(session).over(now):
            self.snapshot()
            now = self.p.clock()  # after the snapshots, so they are all in time
            self.p.store.move_deadline(session.id, now)
            session = self.p.store.session(session.id)
        graded = [] if session.settled else self._settle(session)
        self.p.store.end_session(session.id, now)
        for attempt in self.p.store.session_attempts(session.id):
            if attempt.state == "open":
                self.p.store.close_attempt(attempt.id, None)
        return self.report(self.p.store.session(session.id), graded, with_previous=True)

    def past(self, session_id: int | None = None) -> SessionReport:
        """A finished session's final report (the latest when no id is given), to show or export again;
        earlier sessions are those before it."""
        import dataclasses

        done = [s for s in self.p.store.sessions() if s.finished_at is not None]
        if not done:
            raise NoAttempt("no mock session has finished yet", fix="Finish one with `practice mock finish`.")
        session = done[-1] if session_id is None else next((s for s in done if s.id == session_id), None)
        if session is None:
            raise UsageError(f"there is no finished mock session {session_id}",
                             fix=f"Choose one of: {', '.join(str(s.id) for s in done)}.")
        report = self.report(session, with_previous=True)
        return dataclasses.replace(report, previous=[(s, score) for s, score in report.previous if s.id < session.id])

    def task_reports(self, session: Session) -> list[TaskReport]:
        tasks = []
        for attempt in self.p.store.session_attempts(session.id):
            subs: list[Submission] = self.p.store.submissions(attempt_id=attempt.id)
            counted = [s for s in subs if s.counted]
            last = counted[-1] if counted else None
            tasks.append(TaskReport(
                exercise=attempt.exercise, title=self.p.bank.get(attempt.exercise).title,
                score=(last.score or 0.0) if last else 0.0, submissions=len(subs),
                late=sum(1 for s in subs if not s.counted and s.state not in ("cancelled", "interrupted")),
                counted_at=last.submitted_at if last else None,
                time_spent_s=(last.submitted_at - session.started_at) if last else None,
                hints=attempt.hints_used, file=attempt.file))
        return tasks

    def report(self, session: Session, graded: list[str] | None = None, with_previous: bool = False) -> SessionReport:
        previous = []
        if with_previous:
            for other in self.p.store.sessions():
                if other.id != session.id and other.finished_at is not None:
                    tasks = self.task_reports(other)
                    previous.append((other, round(sum(t.score for t in tasks) / len(tasks), 1) if tasks else 0.0))
        from runner.watcher import health

        now = self.p.clock()
        watcher = health(self.p.store, session.id, now) if session.finished_at is None else "ended"
        return SessionReport(session, self.task_reports(session), now, previous, graded or [], watcher)
