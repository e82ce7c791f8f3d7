"""Returns an integer too large to encode (JSON cannot carry it)."""


def double(x):
    return 10**5000
