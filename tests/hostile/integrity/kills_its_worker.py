"""Kills the warm worker process (its grandparent: it is forked by the learners' parent, a child of the worker),
taking the worker's pipe to the client with it."""
import os
import signal

KILLED = []  # once: after that its parent is gone too, and "its grandparent" is no longer the worker


def double(x):
    if not KILLED:
        with open(f"/proc/{os.getppid()}/stat") as fh:
            worker = int(fh.read().rsplit(")", 1)[1].split()[1])
        os.kill(worker, signal.SIGKILL)
        KILLED.append(worker)
    return x * 2
