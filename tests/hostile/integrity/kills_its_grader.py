"""Kills the grading process that runs the checks (its parent) with SIGKILL during a call."""
import os
import signal


def double(x):
    os.kill(os.getppid(), signal.SIGKILL)
    return x * 2
