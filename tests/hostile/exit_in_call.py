"""sys.exit(0) inside the call."""
import sys


def double(x):
    sys.exit(0)
