"""The SQLite store: attempts, hints, submissions, and concurrent writers."""

from __future__ import annotations

import multiprocessing

from runner.clock import attempt_timebox
from runner.store import Store


def test_attempt_lifecycle(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    attempt = store.start_attempt("1A", "/w/1A/softmax.py", 900, now=1000.0)
    assert store.active_attempt() == attempt
    assert store.open_attempt("1A").id == attempt.id
    assert attempt_timebox(attempt).remaining(1300.0) == 600.0
    assert store.add_hint(attempt.id) == 1 and store.add_hint(attempt.id) == 2
    store.close_attempt(attempt.id, "/w/1A/softmax.old.py")
    assert store.open_attempt("1A") is None and store.active_attempt() is None
    assert store.attempt(attempt.id).moved_to == "/w/1A/softmax.old.py"


def test_submission_is_kept_before_grading(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    sid = store.begin_submission("1A", None, "/f.py", "print(1)", None, now=5.0)
    pending = store.submissions()[0]
    assert pending.state == "pending" and pending.source == "print(1)"
    store.finish_submission(sid, "graded", 50.0, 1.0, 2.0, None, "{}")
    done = store.submissions(exercise="1A")[0]
    assert (done.state, done.score) == ("graded", 50.0)
    assert store.best_scores() == {"1A": (50.0, 1)}


def _write_many(path, n, tag, done):
    store = Store(path)
    for i in range(n):
        sid = store.begin_submission("1A", None, "/f.py", f"{tag} {i}", None)
        store.finish_submission(sid, "graded", float(i), 1.0, 1.0, None, "{}")
    store.close()
    done.put((tag, n))


def test_concurrent_writers_do_not_corrupt(tmp_path):
    path = tmp_path / "db.sqlite"
    Store(path).close()
    ctx = multiprocessing.get_context("fork")
    done = ctx.Queue()
    procs = [ctx.Process(target=_write_many, args=(path, 40, tag, done)) for tag in range(4)]
    for p in procs:
        p.start()
    reports = sorted(done.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(120)
    assert reports == [(tag, 40) for tag in range(4)]
    assert all(p.exitcode == 0 for p in procs)
    rows = Store(path).submissions()
    counts = {tag: sum(r.source.startswith(f"{tag} ") for r in rows) for tag in range(4)}
    assert counts == {0: 40, 1: 40, 2: 40, 3: 40}
    assert all(r.state == "graded" for r in rows)
