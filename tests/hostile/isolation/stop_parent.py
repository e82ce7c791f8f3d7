"""SIGSTOP the processes that enforce the per-call limits and start learners (the worker's children: the job
process and the learners' parent), then never answer."""
import os
import signal
import time


def _worker_children():
    def parent(pid):
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return int(fh.read().rsplit(b")", 1)[1].split()[1])

    try:
        worker = parent(os.getppid())
        with open(f"/proc/{worker}/task/{worker}/children", "rb") as fh:
            return {os.getppid(), *(int(c) for c in fh.read().split())}
    except (OSError, ValueError, IndexError):
        return {os.getppid()}


def double(x):
    for pid in _worker_children():
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            pass
    time.sleep(60)
    return 2 * x
