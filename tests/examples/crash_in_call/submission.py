import os


def double(x):
    if x.dtype.kind == "f" and x.dtype.itemsize == 4:
        os._exit(3)
    return x * 2
