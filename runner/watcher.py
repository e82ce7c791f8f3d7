"""The mock session's file watcher: a detached process that snapshots each task file whenever it changes.

`practice mock start` starts it; it ends with the session (finished, or its deadline passed). The version of a
task at the deadline is its last snapshot taken by then (here, by any command, or by the live view), never a
file's modification time, which anyone can set (`touch -d`).

It polls rather than subscribing to file events (watchfiles, inotify): a session has a handful of small files,
so reading and hashing them twice a second costs microseconds, works the same on every OS and file system
(network and container mounts included), needs no dependency, and what it saw at which time is exactly what
it records. Near the deadline it polls every 0.1 s, so at most that much work before the deadline is unseen.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

POLL_S = 0.5
FINAL_POLL_S = 0.1  # in the last FINAL_S seconds before the deadline
FINAL_S = 5.0
BEAT_S = 2.0  # how often the watcher says it is alive
STALE_S = 10.0  # a heartbeat older than this: the watcher is not running


def meta_key(session_id: int) -> str:
    return f"watcher:{session_id}"


def snapshot_file(store, attempt, clock: Callable[[], float], known: dict | None = None) -> bool:
    """Read and hash an attempt's file; keep it as a snapshot if it changed. Return whether one was added.

    The snapshot is stamped with the time after the read: the content was certainly there by then.
    `known` (attempt id -> last sha seen) spares the database when nothing changed.
    """
    try:
        text = Path(attempt.file).read_text(encoding="utf-8", errors="replace")
        mtime = os.stat(attempt.file).st_mtime  # shown by `practice versions`; never used to judge a deadline
    except OSError:
        return False
    digest = hashlib.sha256(text.encode()).hexdigest()
    if known is not None and known.get(attempt.id) == digest:
        return False
    added = store.add_snapshot(attempt.id, clock(), mtime, digest, text)
    if known is not None:
        known[attempt.id] = digest
    return added


def watch(store, session_id: int, clock: Callable[[], float], sleep: Callable[[float], None] = time.sleep) -> str:
    """Snapshot the session's task files on every change until it ends; return why it stopped."""
    from runner.clock import session_timebox

    known: dict = {}
    last_beat = None
    why = "gone"
    while True:
        session = store.session(session_id)
        if session is None or not store.path.exists():
            break
        if session.finished_at is not None:
            why = "finished"
            break
        box = session_timebox(session)
        if box.over(clock()):
            why = "deadline"
            break
        for attempt in store.session_attempts(session_id):
            snapshot_file(store, attempt, clock, known)
        now = clock()
        if last_beat is None or now - last_beat >= BEAT_S:
            store.set_meta(meta_key(session_id), json.dumps({"pid": os.getpid(), "beat": now, "state": "running"}))
            last_beat = now
        left = box.remaining(now)
        sleep(max(0.01, min(FINAL_POLL_S if left < FINAL_S else POLL_S, left + 0.01)))
    if store.path.exists():
        store.set_meta(meta_key(session_id), json.dumps({"pid": os.getpid(), "beat": clock(), "state": why}))
    return why


def spawn(database: Path, session_id: int) -> int | None:
    """Start the watcher detached from this command (it outlives it); return its pid, or None if it cannot run."""
    try:
        proc = subprocess.Popen([sys.executable, "-m", "runner.watcher", str(database), str(session_id)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, close_fds=True)
    except OSError:
        return None
    return proc.pid


def health(store, session_id: int, now: float) -> str:
    """"running", "ended" (the watcher stopped on its own), or "missing" (it never ran, died, or stalled)."""
    raw = store.get_meta(meta_key(session_id))
    if raw is None:
        return "missing"
    state = json.loads(raw)
    if state["state"] != "running":
        return "ended"
    return "running" if now - state["beat"] <= STALE_S else "missing"


def main(argv: list[str]) -> int:
    from runner.clock import clock_from_env
    from runner.store import Store

    store = Store(Path(argv[0]))
    try:
        watch(store, int(argv[1]), clock_from_env())
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
