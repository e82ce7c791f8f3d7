import sys

sys.exit(0)


def double(x):
    return x * 2
