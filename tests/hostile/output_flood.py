"""Print without end (fast), then return the wrong answer."""
import sys


def double(x):
    line = "=" * 1000 + "\n"
    for _ in range(200_000):
        sys.stdout.write(line)
    return x
