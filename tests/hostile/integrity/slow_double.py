"""Correct, but each call takes 1.5 s: grading lasts long enough to be interrupted."""
import time


def double(x):
    time.sleep(1.5)
    return x * 2
