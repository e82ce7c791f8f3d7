"""Kills the warm worker process (its grandparent), taking the worker's pipe to the client with it."""
import os
import signal


def double(x):
    with open(f"/proc/{os.getppid()}/stat") as fh:
        worker = int(fh.read().rsplit(")", 1)[1].split()[1])
    os.kill(worker, signal.SIGKILL)
    return x * 2
