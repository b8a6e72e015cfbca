"""Functions that create tensors: constants, ranges and random samples.

Shapes are given as separate ints or one tuple (``zeros(2, 3)`` or ``zeros((2, 3))``); floating
tensors are float32 unless ``dtype`` says otherwise.
"""

import numpy as np

from .ops.base import _shape_arg
from .random import generator
from .tensor import Tensor, _wrap


def _make(data, requires_grad):
    t = _wrap(data)
    return t.requires_grad_() if requires_grad else t


def zeros(*size, dtype=np.float32, requires_grad=False):
    return _make(np.zeros(_shape_arg(size), dtype=dtype), requires_grad)


def ones(*size, dtype=np.float32, requires_grad=False):
    return _make(np.ones(_shape_arg(size), dtype=dtype), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value`` (float32 for a float, int64 for an int)."""
    return _make(np.full(_shape_arg((size,)), fill_value, dtype=dtype or Tensor(fill_value).dtype), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _make(np.zeros(t.shape, dtype=dtype or t.dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _make(np.ones(t.shape, dtype=dtype or t.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """[start, end) by step; int64 when all of them are ints, else float32 (as PyTorch)."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, int) for v in (start, end, step)) else np.float32
    return _make(np.arange(start, end, step, dtype=dtype), requires_grad)


def eye(n, m=None, dtype=np.float32, requires_grad=False):
    return _make(np.eye(n, m, dtype=dtype), requires_grad)


def randn(*size, dtype=np.float32, requires_grad=False):
    """Samples of the standard normal distribution N(0, 1)."""
    return _make(generator().standard_normal(_shape_arg(size)).astype(dtype), requires_grad)


def rand(*size, dtype=np.float32, requires_grad=False):
    """Samples of the uniform distribution on [0, 1)."""
    return _make(generator().random(_shape_arg(size)).astype(dtype), requires_grad)
