"""History in SQLite: attempts, clocks, hints and every submission with its source."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from runner.errors import StoreError
from runner.inflight import InFlight
from runner.migrations import SCHEMA_VERSION, migrate, version_of


def _now(now: float | None) -> float:
    """The time given (0.0 is a time like any other), or the wall clock when none was given."""
    return time.time() if now is None else now


@dataclass(frozen=True)
class Attempt:
    id: int
    exercise: str
    file: str
    started_at: float
    time_limit_s: float
    state: str
    moved_to: str | None
    hints_used: int
    solution_viewed_at: float | None
    session_id: int | None
    first_hint_at: float | None = None  # None also for hints taken before schema version 2 (time unknown)


@dataclass(frozen=True)
class Submission:
    id: int
    exercise: str
    attempt_id: int | None
    file: str
    source: str
    submitted_at: float
    elapsed_s: float | None
    state: str
    score: float | None
    points: float | None
    max_points: float | None
    error: str | None
    result_json: str | None
    session_id: int | None
    counted: int
    automatic: int


@dataclass(frozen=True)
class Session:
    id: int
    preset: str
    exercises: str  # JSON list
    seed: int | None
    started_at: float
    deadline: float
    finished_at: float | None
    settled: int

    @property
    def ids(self) -> list[str]:
        import json

        return json.loads(self.exercises)


@dataclass(frozen=True)
class Snapshot:
    id: int
    attempt_id: int
    taken_at: float
    mtime: float
    sha: str
    source: str


class Store:
    """One SQLite database; safe for several practice commands at once (WAL, immediate transactions)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA busy_timeout=30000")
            self.db.execute("PRAGMA foreign_keys=ON")
            if version_of(self.db) != SCHEMA_VERSION:  # new, older (migrate it) or newer (refused, untouched)
                migrate(self.db, self.path)
        except StoreError:
            self.db.close()
            raise
        except (sqlite3.Error, OSError) as exc:  # OSError: its folder cannot be made
            raise StoreError(f"cannot open the history database {self.path}: {getattr(exc, 'strerror', None) or exc}",
                             fix="Check PRACTICE_HOME points to a writable folder.") from None
        self.inflight = InFlight(self.path.parent / "locks")
        self.mark_abandoned()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run statements in one immediate transaction: all or nothing."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"the history database is busy or broken: {exc}",
                             fix="Try again; if it persists, check PRACTICE_HOME.") from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):  # e.g. a full disk: one clear line, never a traceback
                raise StoreError(f"could not write the history database {self.path}: {exc}",
                                 fix="Free some disk space or check PRACTICE_HOME, then try again.") from None
            raise

    def close(self) -> None:
        self.db.close()

    # ---- meta ---------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # ---- attempts -----------------------------------------------------------------------------------------

    def open_attempt(self, exercise: str) -> Attempt | None:
        row = self.db.execute("SELECT * FROM attempts WHERE exercise = ? AND state = 'open' "
                              "ORDER BY id DESC LIMIT 1", (exercise,)).fetchone()
        return Attempt(**row) if row else None

    def attempt(self, attempt_id: int) -> Attempt | None:
        row = self.db.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
        return Attempt(**row) if row else None

    def start_attempt(self, exercise: str, file: str, time_limit_s: float, now: float | None = None,
                      session_id: int | None = None) -> Attempt:
        with self.transaction() as db:
            cur = db.execute("INSERT INTO attempts (exercise, file, started_at, time_limit_s, session_id) "
                             "VALUES (?, ?, ?, ?, ?)", (exercise, file, _now(now), time_limit_s, session_id))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('active_attempt', ?)", (str(cur.lastrowid),))
        return self.attempt(cur.lastrowid)

    def close_attempt(self, attempt_id: int, moved_to: str | None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE attempts SET state = 'restarted', moved_to = ? WHERE id = ?", (moved_to, attempt_id))

    def set_active(self, attempt_id: int) -> None:
        self.set_meta("active_attempt", str(attempt_id))

    def active_attempt(self) -> Attempt | None:
        value = self.get_meta("active_attempt")
        attempt = self.attempt(int(value)) if value else None
        return attempt if attempt and attempt.state == "open" else None

    def add_hint(self, attempt_id: int, now: float | None = None) -> int:
        with self.transaction() as db:
            db.execute("UPDATE attempts SET hints_used = hints_used + 1, "  # a pre-v2 first hint keeps NULL: unknown
                       "first_hint_at = CASE WHEN hints_used = 0 THEN ? ELSE first_hint_at END WHERE id = ?",
                       (_now(now), attempt_id))
            return db.execute("SELECT hints_used FROM attempts WHERE id = ?", (attempt_id,)).fetchone()[0]

    def mark_solution_viewed(self, attempt_id: int, now: float | None = None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE attempts SET solution_viewed_at = COALESCE(solution_viewed_at, ?) WHERE id = ?",
                       (_now(now), attempt_id))

    def attempts(self, exercise: str | None = None) -> list[Attempt]:
        sql, args = "SELECT * FROM attempts", ()
        if exercise:
            sql, args = sql + " WHERE exercise = ?", (exercise,)
        return [Attempt(**row) for row in self.db.execute(sql + " ORDER BY id", args)]

    # ---- submissions --------------------------------------------------------------------------------------

    def begin_submission(self, exercise: str, attempt_id: int | None, file: str, source: str,
                         elapsed_s: float | None, now: float | None = None, session_id: int | None = None,
                         counted: bool = True, automatic: bool = False) -> int:
        """Record a submission and its source before grading, so a crash loses nothing."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO submissions (exercise, attempt_id, file, source, submitted_at, elapsed_s, session_id, "
                "counted, automatic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (exercise, attempt_id, file, source, _now(now), elapsed_s, session_id, int(counted),
                 int(automatic)))
            try:  # locked before the row is visible: no other command can take it for abandoned
                self.inflight.hold(cur.lastrowid)
            except OSError as exc:
                raise StoreError(f"cannot create a lock file under {self.inflight.folder}: {exc}",
                                 fix="Check PRACTICE_HOME points to a writable folder.") from None
            return cur.lastrowid

    def finish_submission(self, submission_id: int, state: str, score: float, points: float, max_points: float,
                          error: str | None, result_json: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE submissions SET state = ?, score = ?, points = ?, max_points = ?, error = ?, "
                       "result_json = ? WHERE id = ?",
                       (state, score, points, max_points, error, result_json, submission_id))
        self.inflight.release(submission_id)

    def cancel_submission(self, submission_id: int) -> None:
        """The learner stopped grading: the source stays, with no score; a cancelled submission never counts."""
        with self.transaction() as db:
            db.execute("UPDATE submissions SET state = 'cancelled', counted = 0, error = 'cancelled' WHERE id = ?",
                       (submission_id,))
        self.inflight.release(submission_id)

    def interrupt_submission(self, submission_id: int, reason: str) -> bool:
        """Grading stopped before a result (Ctrl-C, a signal, a crash): the source stays, it never counts.

        Best effort (the disk may be full): a submission left pending is marked by the next command that opens
        the store, once this process is gone. Return whether it was marked now.
        """
        try:
            marked = self._mark_interrupted([submission_id], reason)
        except StoreError:
            marked = []
        finally:
            self.inflight.release(submission_id)
        return bool(marked)

    def mark_abandoned(self) -> list[int]:
        """Mark pending submissions that no live process is grading (their grader died) as interrupted."""
        try:
            pending = [row[0] for row in self.db.execute("SELECT id FROM submissions WHERE state = 'pending'")]
        except sqlite3.Error:
            return []
        if not pending:
            return []
        taken = self.inflight.abandoned(pending)
        try:
            return self._mark_interrupted(list(taken), "grading stopped before it finished (the grader was "
                                                        "closed or killed)") if taken else []
        except StoreError:
            return []
        finally:
            self.inflight.forget(taken)

    def _mark_interrupted(self, ids: list[int], reason: str) -> list[int]:
        import json

        marked = []
        with self.transaction() as db:
            for submission_id in ids:
                cur = db.execute("UPDATE submissions SET state = 'interrupted', counted = 0, error = ? "
                                 "WHERE id = ? AND state = 'pending'", (reason, submission_id))
                if cur.rowcount:
                    marked.append(submission_id)
            if marked:
                row = db.execute("SELECT value FROM meta WHERE key = 'interrupted_unreported'").fetchone()
                unreported = json.loads(row[0]) if row and row[0] else []
                db.execute("INSERT OR REPLACE INTO meta VALUES ('interrupted_unreported', ?)",
                           (json.dumps(unreported + marked),))
        return marked

    def take_interrupted(self) -> list[Submission]:
        """Interrupted submissions no command has reported yet; reading them marks them reported."""
        import json

        if self.get_meta("interrupted_unreported") is None:
            return []
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'interrupted_unreported'").fetchone()
            ids = json.loads(row[0]) if row and row[0] else []
            db.execute("DELETE FROM meta WHERE key = 'interrupted_unreported'")
            rows = [db.execute("SELECT * FROM submissions WHERE id = ?", (i,)).fetchone() for i in ids]
        return [Submission(**r) for r in rows if r is not None]

    def submissions(self, exercise: str | None = None, attempt_id: int | None = None,
                    session_id: int | None = None) -> list[Submission]:
        clauses, args = [], []
        for column, value in (("exercise", exercise), ("attempt_id", attempt_id), ("session_id", session_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.execute(f"SELECT * FROM submissions{where} ORDER BY id", args)
        return [Submission(**row) for row in rows]

    def best_scores(self) -> dict[str, tuple[float, int]]:
        """Best graded score and number of submissions, per exercise."""
        rows = self.db.execute("SELECT exercise, MAX(COALESCE(score, 0)), COUNT(*) FROM submissions "
                               "WHERE state NOT IN ('interrupted', 'cancelled') GROUP BY exercise")
        return {row[0]: (row[1], row[2]) for row in rows}

    # ---- mock sessions ------------------------------------------------------------------------------------

    def create_session(self, preset: str, exercises: str, seed: int | None, started_at: float,
                       deadline: float) -> Session:
        with self.transaction() as db:
            cur = db.execute("INSERT INTO sessions (preset, exercises, seed, started_at, deadline) "
                             "VALUES (?, ?, ?, ?, ?)", (preset, exercises, seed, started_at, deadline))
        return self.session(cur.lastrowid)

    def session(self, session_id: int) -> Session | None:
        row = self.db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return Session(**row) if row else None

    def open_session(self) -> Session | None:
        row = self.db.execute("SELECT * FROM sessions WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1").fetchone()
        return Session(**row) if row else None

    def sessions(self) -> list[Session]:
        return [Session(**row) for row in self.db.execute("SELECT * FROM sessions ORDER BY id")]

    def end_session(self, session_id: int, finished_at: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE sessions SET finished_at = ? WHERE id = ?", (finished_at, session_id))

    def move_deadline(self, session_id: int, deadline: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE sessions SET deadline = ? WHERE id = ?", (deadline, session_id))

    def mark_settled(self, session_id: int) -> None:
        with self.transaction() as db:
            db.execute("UPDATE sessions SET settled = 1 WHERE id = ?", (session_id,))

    def session_attempts(self, session_id: int) -> list[Attempt]:
        rows = self.db.execute("SELECT * FROM attempts WHERE session_id = ? ORDER BY id", (session_id,))
        return [Attempt(**row) for row in rows]

    # ---- snapshots of saved files ---------------------------------------------------------------------------

    def add_snapshot(self, attempt_id: int, taken_at: float, mtime: float, sha: str, source: str) -> bool:
        """Keep a saved version unless it equals the attempt's latest snapshot; return whether it was new."""
        with self.transaction() as db:
            last = db.execute("SELECT sha FROM snapshots WHERE attempt_id = ? ORDER BY id DESC LIMIT 1",
                              (attempt_id,)).fetchone()
            if last and last[0] == sha:
                return False
            db.execute("INSERT INTO snapshots (attempt_id, taken_at, mtime, sha, source) VALUES (?, ?, ?, ?, ?)",
                       (attempt_id, taken_at, mtime, sha, source))
            return True

    def snapshots(self, attempt_id: int) -> list[Snapshot]:
        rows = self.db.execute("SELECT * FROM snapshots WHERE attempt_id = ? ORDER BY id", (attempt_id,))
        return [Snapshot(**row) for row in rows]
