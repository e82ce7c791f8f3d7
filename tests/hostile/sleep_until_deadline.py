"""Each call takes just under the per-call limit, so only the run deadline stops the run."""
import time


def double(x):
    time.sleep(0.9)
    return x
