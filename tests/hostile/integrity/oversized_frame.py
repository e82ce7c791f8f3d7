"""Announces a 3 GiB result on every descriptor it can write to, then answers normally."""
import os
import struct


def double(x):
    for fd in range(3, 32):
        try:
            os.write(fd, struct.pack(">4sIQ", b"PRW1", 2, 3 << 30))
        except OSError:
            pass
    return x * 2
