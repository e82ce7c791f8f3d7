"""Write garbage to every open descriptor from inside a call."""
import os


def double(x):
    for fd in range(3, 64):
        try:
            os.write(fd, b"garbage" * 100)
        except OSError:
            pass
    return x * 2
