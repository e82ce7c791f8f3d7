import warnings

import numpy as np


def double(x):
    warnings.warn("learner warnings are not failures", RuntimeWarning)
    np.log(np.zeros(1))  # numpy's own RuntimeWarning too
    return x * 2
