"""Tensor methods that convert, copy or describe a tensor rather than compute with it: dtype conversion
(``to``, ``type``, ``float`` ...), copies and look-alikes (``clone``, ``new_zeros``, ``view_as`` ...), and
the Python protocols (``len``, iteration, ``int(t)``, ``f"{t:.4f}"``, ``range(t)``).

The one differentiable op here is ``clone`` (d/dx = 1); conversions to another floating dtype go
through the primitive ``astype`` (``elementwise.py``), so their gradients come back in the source dtype.
"""

import numpy as np

from .. import dtype as dtypes
from ..device import CPU, check_cpu
from ..device import device as Device
from ..tensor import Tensor, _wrap, make_op
from .base import _np_dtype, _shape_arg, primitive
from .elementwise import astype


@primitive
def clone(x, *, memory_format=None):
    """A copy of ``x`` with its own memory, still in the graph.   d/dx = 1."""
    return make_op("clone", x._data.copy(), (x,), lambda g, out: (g,), saved=())


def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False, memory_format=None):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)`` (other's dtype): self when
    nothing changes (unless ``copy=True``), else a converted copy (differentiable between float dtypes)."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, (str, Device, int)):  # an int is a GPU index, as in PyTorch
            device = arg
        elif arg is not None:
            dtype = arg
    check_cpu(device, "to")
    if dtype is not None and _np_dtype(dtype) != self._data.dtype:
        return astype(self, dtype)
    return clone(self) if copy else self


def type(self, dtype=None, non_blocking=False):
    """Without an argument, the type's name (``'tinygrad_edu.FloatTensor'``); else ``to(dtype)``."""
    if dtype is None:
        return f"tinygrad_edu.{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
    if isinstance(dtype, str):  # 'tinygrad_edu.DoubleTensor', 'torch.LongTensor', 'float64'
        name = dtype.split(".")[-1]
        dtype = _np_dtype(_BY_TYPE_NAME.get(name, name))
    return to(self, dtype=dtype)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
               "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor"}
_BY_TYPE_NAME = {v: k for k, v in _TYPE_NAMES.items()}


def _converter(d):
    return lambda self, memory_format=None: to(self, d)


def view(self, *shape_or_dtype):
    """``view(*shape)``: the same elements in another shape (as reshape); ``view(dtype)``: the same bytes
    read as another dtype of the same size (not differentiable)."""
    if len(shape_or_dtype) == 1 and not isinstance(shape_or_dtype[0], (int, np.integer, tuple, list)):
        target = _np_dtype(shape_or_dtype[0])
        if target.itemsize != self._data.dtype.itemsize:
            raise RuntimeError(f"view: cannot view a {self.dtype.name} tensor as {target.name}: their sizes differ "
                               f"({self._data.dtype.itemsize} and {target.itemsize} bytes)")
        return _wrap(self._data.view(target))
    return self.reshape(*shape_or_dtype)


def _new(fill):
    def new(self, *size, dtype=None, device=None, requires_grad=False, **_):
        check_cpu(device, "new tensor")
        data = fill(_shape_arg(size), self._data.dtype if dtype is None else _np_dtype(dtype))
        t = _wrap(data)
        return t.requires_grad_() if requires_grad else t

    return new


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value``, of self's dtype unless ``dtype`` says otherwise."""
    return _new(lambda shape, d: np.full(shape, fill_value, dtype=d))(self, size, dtype=dtype, device=device,
                                                                       requires_grad=requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor holding (a copy of) ``data``, of self's dtype unless ``dtype`` says otherwise."""
    check_cpu(device, "new_tensor")
    t = _wrap(np.array(getattr(data, "_data", data), dtype=self._data.dtype if dtype is None else _np_dtype(dtype)))
    return t.requires_grad_() if requires_grad else t


def _format(self, spec):
    """``f"{loss:.4f}"`` formats a one-element tensor as its number; other tensors as their repr."""
    if self._data.size == 1 and self._data.ndim <= 1 or self._data.ndim == 0:
        return format(self._data.item(), spec)
    return format(repr(self), spec)


def _index(self):
    """``range(t)``, ``lst[t]``: a one-element integer tensor is a Python int."""
    if self._data.size != 1 or self._data.dtype.kind not in "iub":
        raise TypeError(f"only integer tensors of a single element can be converted to an index, got a "
                        f"{self.dtype.name} tensor of shape {tuple(self.shape)}")
    return int(self._data.item())


def _iter(self):
    """Iterating a tensor gives its slices along the first dimension (each ``self[i]``)."""
    if self._data.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self._data.shape[0]))


def is_contiguous(self, memory_format=None):
    return bool(self._data.flags.c_contiguous)


def contiguous(self, memory_format=None):
    """self if its elements are laid out in row-major order, else a row-major copy (still in the graph)."""
    return self if self._data.flags.c_contiguous else clone(self)


METHODS = {
    "clone": clone, "to": to, "type": type, "view": view, "contiguous": contiguous, "is_contiguous": is_contiguous,
    "float": _converter(dtypes.float32), "double": _converter(dtypes.float64), "half": _converter(dtypes.float16),
    "int": _converter(dtypes.int32), "long": _converter(dtypes.int64), "short": _converter(dtypes.int16),
    "char": _converter(dtypes.int8), "byte": _converter(dtypes.uint8), "bool": _converter(dtypes.bool_),
    "type_as": lambda self, other: to(self, other.dtype),
    "view_as": lambda self, other: self.reshape(other.shape),
    "reshape_as": lambda self, other: self.reshape(other.shape),
    "expand_as": lambda self, other: self.expand(*other.shape),
    "new_zeros": _new(np.zeros), "new_ones": _new(np.ones), "new_empty": _new(np.empty), "new_full": new_full,
    "new_tensor": new_tensor,
    "dim": lambda self: self._data.ndim, "ndimension": lambda self: self._data.ndim,
    "nelement": lambda self: self._data.size, "element_size": lambda self: self._data.dtype.itemsize,
    "is_floating_point": lambda self: self._data.dtype.kind == "f",
    "is_complex": lambda self: self._data.dtype.kind == "c",
    "cpu": lambda self, memory_format=None: self,
    "cuda": lambda self, device=None, non_blocking=False, memory_format=None: check_cpu(
        "cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device, "cuda"),
    "t": lambda self: self if self._data.ndim < 2 else _t(self),
    "__format__": _format, "__index__": _index, "__iter__": _iter,
    "device": property(lambda self: CPU, doc="Where the tensor lives: always the CPU."),
    "is_cuda": property(lambda self: False),
}


def _t(self):
    if self._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D "
                           "(use .mT or .transpose(dim0, dim1))")
    return self.transpose(0, 1)


EXPORTS = ["clone"]
__all__ = ["clone"]
