"""The logistic sigmoid in NumPy, shared by the ``sigmoid`` op and the fused recurrent loops."""

import numpy as np


def sigmoid(x, out=None):
    """sigma(x) = 1 / (1 + e^-x), from e = e^-|x| <= 1, which never overflows: e / (1 + e) for x < 0 and
    1 / (1 + e) for x >= 0 (the numerator is max(e, [x >= 0])), so tiny results (sigma(-100) = 3.8e-44
    in float32) do not round to 0. Written into ``out`` when given, which may be ``x`` itself."""
    if out is None and x.dtype.kind not in "fc":
        x = x.astype(np.float64)  # as np.exp would: integers and booleans give float64
    positive = x >= 0
    e = np.abs(x, out=np.empty(x.shape, x.dtype) if out is None else out)  # an array even for 0-d x
    np.negative(e, out=e)
    np.exp(e, out=e)
    numerator = np.maximum(e, positive)
    e += 1
    return np.divide(numerator, e, out=e)
