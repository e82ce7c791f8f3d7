"""The worker's channels: jobs in, one JSON object per line, and events out, one JSON object per line."""

from __future__ import annotations

import json
import os
import time
import traceback

from runner.sandbox.wire import write_all


class Emitter:
    """Write events, one per line, to the results channel.

    A check's result waits (at most FLUSH_S) to travel with the next ones, or with the job's last event: one
    write, and one wake-up of the client, instead of one per check. Nothing reads them before the job ends; a
    job killed at its deadline loses at most FLUSH_S of them (those checks report the deadline instead).
    """

    FLUSH_S = 0.05
    BATCHED = ("collected", "test", "detail")

    def __init__(self, fd: int, job_id):
        self.fd, self.job_id = fd, job_id
        self.pending: list[str] = []
        self.flushed = time.monotonic()

    def __call__(self, event: dict) -> None:
        self.pending.append(json.dumps({"job": self.job_id, **event}) + "\n")
        if event.get("event") not in self.BATCHED or time.monotonic() - self.flushed >= self.FLUSH_S:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            data, self.pending = "".join(self.pending).encode(), []
            write_all(self.fd, data)
        self.flushed = time.monotonic()


class JobReader:
    """Jobs from a descriptor, one JSON object per line (read unbuffered, so forks never share a buffer)."""

    def __init__(self, fd: int = 0):
        self.fd, self.buffer, self.pushed = fd, b"", []

    def next(self) -> dict | None:
        if self.pushed:
            return self.pushed.pop()
        while b"\n" not in self.buffer:
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line) if line.strip() else self.next()

    def push_back(self, job: dict) -> None:
        self.pushed.append(job)


def report_crash(emit, exc: BaseException) -> None:
    """Emit `done` with the grader's own failure, where it happened (never raises)."""
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
    try:
        emit({"event": "done", "status": "error", "error": f"the grader failed: {type(exc).__name__}: {exc}{where}"})
    except BaseException:  # noqa: BLE001
        pass
