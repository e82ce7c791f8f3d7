"""Keep allocating large buffers (without touching them) until memory runs out."""
import numpy as np


def double(x):
    hog = []
    while True:
        hog.append(np.empty(256 * 1024 * 1024, dtype=np.uint8))
