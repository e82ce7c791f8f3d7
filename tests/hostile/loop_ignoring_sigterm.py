"""Ignore SIGTERM, then loop forever."""
import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)


def double(x):
    while True:
        pass
