"""A warm grading worker: numpy and pytest imported once, one forked process per job.

    python -m runner.grading.worker RESULTS_FD

Reads one JSON job per line on stdin and writes JSON events, one per line, to RESULTS_FD. Each job runs in a
forked process (its own process group) that is killed, with everything it spawned, at the job's deadline.
Every job ends with an `end` event, whatever happened to it.
"""

from __future__ import annotations

import json
import os
import select
import sys
import time
import traceback

# Warm imports: everything a job needs, paid once per worker instead of once per submission.
import numpy  # noqa: F401
import pytest  # noqa: F401

from runner.bank import Bank
from runner.grading.job import run_job
from runner.sandbox.reaper import become_subreaper, kill_descendants, kill_tree
from runner.sandbox.wire import write_all

DEADLINE_GRACE_S = 2.0


class Emitter:
    """Write one event per line to the results channel."""

    def __init__(self, fd: int, job_id):
        self.fd, self.job_id = fd, job_id

    def __call__(self, event: dict) -> None:
        write_all(self.fd, (json.dumps({"job": self.job_id, **event}) + "\n").encode())


def _job_seconds(job: dict) -> float:
    try:
        return Bank(job["bank"]).get(job["exercise"]).limits.run_seconds
    except Exception:  # noqa: BLE001 - a broken bank is reported by the job itself
        return 30.0


def _wait(pid: int, seconds: float) -> tuple[bool, int]:
    """Wait for pid to exit; return (finished, exit code)."""
    end = time.monotonic() + seconds
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return True, os.waitstatus_to_exitcode(status)
            left = end - time.monotonic()
            if left <= 0:
                return False, -1
            if pidfd is not None:
                select.select([pidfd], [], [], left)
            else:
                time.sleep(min(left, 0.005))
    finally:
        if pidfd is not None:
            os.close(pidfd)


def run_one(job: dict, results_fd: int) -> None:
    emit = Emitter(results_fd, job.get("id"))
    seconds = _job_seconds(job) + DEADLINE_GRACE_S
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setpgid(0, 0)
            become_subreaper()
            run_job(job, emit)
        except BaseException as exc:  # noqa: BLE001 - report, never hang
            code = 1
            last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
            where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
            try:
                emit({"event": "done", "status": "error",
                      "error": f"the grader failed: {type(exc).__name__}: {exc}{where}"})
            except BaseException:  # noqa: BLE001
                pass
        finally:
            try:
                kill_descendants()
            finally:
                os._exit(code)
    finished, code = _wait(pid, seconds)
    if not finished:
        kill_tree(pid, grace=0.05)
    kill_descendants()
    emit({"event": "end", "deadline": not finished, "exit": code})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    results_fd = int(argv[0])
    become_subreaper()
    for line in sys.stdin:
        if line.strip():
            run_one(json.loads(line), results_fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
