"""os._exit(0) inside the call."""
import os


def double(x):
    os._exit(0)
