"""Schema migrations: an old history carries over, a newer database is refused and left as it was."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest
from typer.testing import CliRunner

from runner import migrations
from runner.errors import StoreError
from runner.store import Store

# The schema as released at version 1 (frozen copy: the test must not follow later edits of the code).
V1_FIRST = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE attempts (id INTEGER PRIMARY KEY, exercise TEXT NOT NULL, file TEXT NOT NULL,
    started_at REAL NOT NULL, time_limit_s REAL NOT NULL, state TEXT NOT NULL DEFAULT 'open', moved_to TEXT,
    hints_used INTEGER NOT NULL DEFAULT 0, solution_viewed_at REAL, session_id INTEGER);
CREATE INDEX attempts_exercise ON attempts (exercise);
CREATE TABLE submissions (id INTEGER PRIMARY KEY, exercise TEXT NOT NULL,
    attempt_id INTEGER REFERENCES attempts (id), file TEXT NOT NULL, source TEXT NOT NULL,
    submitted_at REAL NOT NULL, elapsed_s REAL, state TEXT NOT NULL DEFAULT 'pending', score REAL, points REAL,
    max_points REAL, error TEXT, result_json TEXT, session_id INTEGER, counted INTEGER NOT NULL DEFAULT 1,
    automatic INTEGER NOT NULL DEFAULT 0);
CREATE INDEX submissions_exercise ON submissions (exercise);
INSERT INTO meta VALUES ('schema', '1');
PRAGMA user_version = 1;
"""
V1_MOCK = """
CREATE TABLE sessions (id INTEGER PRIMARY KEY, preset TEXT NOT NULL, exercises TEXT NOT NULL, seed INTEGER,
    started_at REAL NOT NULL, deadline REAL NOT NULL, finished_at REAL, settled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE snapshots (id INTEGER PRIMARY KEY, attempt_id INTEGER NOT NULL REFERENCES attempts (id),
    taken_at REAL NOT NULL, mtime REAL NOT NULL, sha TEXT NOT NULL, source TEXT NOT NULL);
CREATE INDEX snapshots_attempt ON snapshots (attempt_id);
INSERT INTO sessions VALUES (1, 'quick', '["1A"]', 7, 500.0, 2300.0, 2000.0, 1);
INSERT INTO snapshots VALUES (1, 2, 600.0, 599.0, 'abc', 'def f(): ...');
"""
ROWS = """
INSERT INTO attempts VALUES (1, '1A', '/w/1A/softmax.py', 100.0, 900.0, 'restarted', '/w/1A/old.py', 2, 300.0, NULL);
INSERT INTO attempts VALUES (2, '1B', '/w/1B/attention.py', 500.0, 1200.0, 'open', NULL, 0, NULL, 1);
INSERT INTO submissions VALUES (1, '1A', 1, '/w/1A/softmax.py', 'src one', 200.0, 100.0, 'graded', 50.0, 1.0,
    2.0, NULL, '{}', NULL, 1, 0);
INSERT INTO submissions VALUES (2, '1B', 2, '/w/1B/attention.py', 'src two', 700.0, 200.0, 'interrupted', NULL,
    NULL, NULL, 'grading was stopped', NULL, 1, 0, 0);
INSERT INTO meta VALUES ('active_attempt', '2');
"""


def _v1_database(path, mock_tables=True):
    db = sqlite3.connect(path)
    db.executescript(V1_FIRST + (V1_MOCK if mock_tables else "") + ROWS)
    db.close()
    return path


def _table_rows(path, table):
    db = sqlite3.connect(path)
    try:
        return [tuple(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY id")]
    finally:
        db.close()


def test_version_1_history_carries_over(tmp_path):
    path = _v1_database(tmp_path / "db.sqlite")
    before = {t: _table_rows(path, t) for t in ("attempts", "submissions", "sessions", "snapshots")}
    store = Store(path)
    assert migrations.version_of(store.db) == migrations.SCHEMA_VERSION == 2
    assert store.get_meta("schema") == "2" and store.get_meta("active_attempt") == "2"
    after = {t: _table_rows(path, t) for t in before}
    assert after["attempts"] == [row + (None,) for row in before["attempts"]]  # the new column, unknown for old rows
    assert {t: after[t] for t in ("submissions", "sessions", "snapshots")} == {
        t: before[t] for t in ("submissions", "sessions", "snapshots")}
    # the store reads the old rows through its usual API, and the new column works
    assert [a.hints_used for a in store.attempts()] == [2, 0] and store.attempts()[0].first_hint_at is None
    assert store.submissions(exercise="1B")[0].state == "interrupted"
    assert store.session(1).ids == ["1A"] and store.snapshots(2)[0].source == "def f(): ..."
    assert store.add_hint(2, now=800.0) == 1 and store.attempt(2).first_hint_at == 800.0
    assert store.add_hint(1, now=900.0) == 3 and store.attempt(1).first_hint_at is None  # first hint's time unknown
    indexes = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "submissions_attempt" in indexes


def test_oldest_version_1_gains_the_mock_tables(tmp_path):
    path = _v1_database(tmp_path / "db.sqlite", mock_tables=False)
    store = Store(path)
    session = store.create_session("quick", '["1A"]', 1, 10.0, 100.0)
    assert store.session(session.id).deadline == 100.0
    assert len(store.attempts()) == 2 and len(store.submissions()) == 2


def test_new_database_matches_a_migrated_one(tmp_path):
    fresh = Store(tmp_path / "fresh.sqlite")
    migrated = Store(_v1_database(tmp_path / "old.sqlite"))

    def shape(store):
        tables = [r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: [(c[1], c[2], c[3], c[4]) for c in store.db.execute(f"PRAGMA table_info({t})")] for t in tables}

    assert shape(fresh) == shape(migrated)
    assert migrations.version_of(fresh.db) == migrations.SCHEMA_VERSION


def test_newer_database_is_refused_and_left_unchanged(tmp_path, practice_env):
    from runner.config import resolve_locations

    path = resolve_locations(None).database
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.execute("INSERT INTO meta VALUES ('from_the_future', 'yes')")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema version 99, newer than this practice reads"):
        Store(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 99
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == "2"
    db.close()
    from runner.cli import app

    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: the history database ")
    assert "Upgrade practice" in result.stderr


def test_a_failing_step_is_rolled_back(tmp_path, monkeypatch):
    path = _v1_database(tmp_path / "db.sqlite")
    bad = migrations.MIGRATIONS[1] + ["CREATE TABLE attempts (x)"]  # fails after the ALTER TABLE ran
    monkeypatch.setattr(migrations, "MIGRATIONS", [migrations.MIGRATIONS[0], bad])
    with pytest.raises(StoreError, match="cannot upgrade the history database .* to schema version 2"):
        Store(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "first_hint_at" not in [c[1] for c in db.execute("PRAGMA table_info(attempts)")]
    db.close()
    monkeypatch.undo()
    assert len(Store(path).attempts()) == 2


def _open(path, done):
    try:
        Store(path).close()
        done.put("ok")
    except Exception as exc:  # noqa: BLE001 - report to the parent
        done.put(repr(exc))


def test_concurrent_openers_migrate_once(tmp_path):
    path = _v1_database(tmp_path / "db.sqlite")
    ctx = multiprocessing.get_context("fork")
    done = ctx.Queue()
    procs = [ctx.Process(target=_open, args=(path, done)) for _ in range(4)]
    for p in procs:
        p.start()
    outcomes = [done.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
    assert outcomes == ["ok"] * 4
    assert len(Store(path).attempts()) == 2
