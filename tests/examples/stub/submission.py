import numpy as np


def double(x):
    raise NotImplementedError  # TODO
