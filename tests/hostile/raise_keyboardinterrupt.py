"""Raise KeyboardInterrupt from inside the call."""


def double(x):
    raise KeyboardInterrupt
