"""The history database's schema, as an ordered list of migrations: MIGRATIONS[n] takes version n to n + 1.

A database records its version in `PRAGMA user_version` (0 when new). Opening it applies the migrations from its
version up, each in one immediate transaction that first re-reads the version (another command may have just
migrated it), so a step runs once and all or nothing. A database newer than this code is refused, never
downgraded. Never edit a released step: append a new one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from runner.errors import StoreError

# Version 1: the schema as first released (sessions and snapshots were added later without a new version).
_V1 = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    """CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    exercise TEXT NOT NULL,
    file TEXT NOT NULL,
    started_at REAL NOT NULL,
    time_limit_s REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',          -- open | restarted
    moved_to TEXT,                                -- where --restart moved the file
    hints_used INTEGER NOT NULL DEFAULT 0,
    solution_viewed_at REAL,
    session_id INTEGER
)""",
    "CREATE INDEX IF NOT EXISTS attempts_exercise ON attempts (exercise)",
    """CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    exercise TEXT NOT NULL,
    attempt_id INTEGER REFERENCES attempts (id),
    file TEXT NOT NULL,
    source TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    elapsed_s REAL,
    state TEXT NOT NULL DEFAULT 'pending',        -- pending | graded | error | cancelled | interrupted
    score REAL,
    points REAL,
    max_points REAL,
    error TEXT,
    result_json TEXT,
    session_id INTEGER,
    counted INTEGER NOT NULL DEFAULT 1,           -- 0: late for a mock session
    automatic INTEGER NOT NULL DEFAULT 0          -- 1: graded at a mock deadline, not submitted by hand
)""",
    "CREATE INDEX IF NOT EXISTS submissions_exercise ON submissions (exercise)",
    """CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    preset TEXT NOT NULL,
    exercises TEXT NOT NULL,                      -- JSON list of ids, in task order
    seed INTEGER,
    started_at REAL NOT NULL,
    deadline REAL NOT NULL,
    finished_at REAL,
    settled INTEGER NOT NULL DEFAULT 0            -- 1: work saved by the deadline has been graded
)""",
    """CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES attempts (id),
    taken_at REAL NOT NULL,
    mtime REAL NOT NULL,
    sha TEXT NOT NULL,
    source TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS snapshots_attempt ON snapshots (attempt_id)",
]

# Version 2: when the first hint of an attempt was taken (the scheduler counts only hints taken before solving),
# and an index for reading an attempt's submissions. The v1 tables are created again first: a version-1 database
# from before mock sessions has no `sessions` or `snapshots` table.
_V2 = [statement for statement in _V1 if "sessions" in statement or "snapshots" in statement] + [
    "ALTER TABLE attempts ADD COLUMN first_hint_at REAL",
    "CREATE INDEX IF NOT EXISTS submissions_attempt ON submissions (attempt_id)",
]

MIGRATIONS: list[list[str]] = [_V1, _V2]
SCHEMA_VERSION = len(MIGRATIONS)


def version_of(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def newer_error(path: Path, found: int) -> StoreError:
    return StoreError(f"the history database {path} has schema version {found}, newer than this practice reads "
                      f"(up to {SCHEMA_VERSION}); it was left unchanged",
                      fix="Upgrade practice (`pip install -U practice`), or set PRACTICE_HOME to another folder.")


def migrate(db: sqlite3.Connection, path: Path, target: int = SCHEMA_VERSION) -> int:
    """Bring the database up to `target`, one step per transaction; return the version it was found at.

    `db` must be in autocommit mode (isolation_level=None). Raises StoreError for a newer database and for a
    step that fails (that step is rolled back; the steps before it stay).
    """
    found = current = version_of(db)
    if found > target:
        raise newer_error(path, found)
    while True:
        try:
            db.execute("BEGIN IMMEDIATE")
            current = version_of(db)  # re-read under the write lock: another command may have migrated it
            if current > target:
                raise newer_error(path, current)
            if current == target:
                db.execute("COMMIT")
                return found
            for statement in MIGRATIONS[current]:
                db.execute(statement)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(current + 1),))
            db.execute(f"PRAGMA user_version = {current + 1}")
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot upgrade the history database {path} to schema version {current + 1}: "
                                 f"{exc}", fix="Check PRACTICE_HOME is writable, with free space; try again.") from None
            raise
