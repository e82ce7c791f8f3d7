"""Raise SystemExit from inside the call."""


def double(x):
    raise SystemExit(0)
