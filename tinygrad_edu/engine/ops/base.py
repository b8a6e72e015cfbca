"""What every family of ops shares: operands as Tensors, broadcasting with errors that name the op,
``dim`` arguments normalized, and the registry of primitives.

A *primitive* is an op with a backward closure of its own (it calls ``make_op``); every other op is
composed from primitives. :func:`primitive` registers one under the name its graph nodes carry, so
that the tests can check every derivative and ``DERIVATIVES.md`` can list them.
"""

import builtins
import math
import numbers

import numpy as np

from ..dtype import _result_type, get_default_dtype, to_numpy
from ..tensor import Tensor, _wrap

PRIMITIVES = {}  # name -> function, in the order the families define them


def primitive(fn):
    """Register ``fn`` as a primitive, under its name without a leading underscore (the name its nodes
    carry in a drawn graph). Returns ``fn`` itself: a call costs nothing extra."""
    PRIMITIVES[fn.__name__.lstrip("_")] = fn
    return fn


def _np_dtype(dtype):
    """Any dtype argument (a tinygrad_edu dtype such as ``tinygrad_edu.float32``, a NumPy dtype or type,
    or a name) as a NumPy dtype; None stays None."""
    return None if dtype is None else to_numpy(dtype)


def default_float():
    """The NumPy dtype that Python floats and int-to-float results get (float32 unless changed with
    ``set_default_dtype``)."""
    return get_default_dtype().dtype


def reflected(fn):
    """``fn`` with its operands swapped: ``Tensor.__rsub__(self, other)`` is ``sub(other, self)``."""
    return lambda self, other: fn(other, self)


# ------------------------------------------------------------------------------------- operands
def _tensor(x, like=None):
    """``x`` as a Tensor; a Python number takes the dtype ``like`` gives it by PyTorch's promotion (so 2.0 *
    float64 stays float64, 3 + int32 stays int32); without ``like`` it is a tensor of its own."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (float, int)):
        return _wrap(np.asarray(x).astype(_result_type(like, x)))
    return _wrap(x) if isinstance(x, np.ndarray) else Tensor(x)


def _pair(a, b, name):
    """The operands of the binary op ``name`` as Tensors of the dtype PyTorch's promotion gives them
    (see ``engine/dtype.py``). Two tensors of one dtype, and a float tensor with a Python number on
    either side, take the fast path the op-overhead benchmark measures; other operands are checked and
    converted here."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._data.dtype is b._data.dtype:
                return a, b
        elif type(b) in (float, int) and a._data.dtype.kind == "f":
            return a, _wrap(np.array(b, dtype=a._data.dtype))
        else:
            _check_operands(name, a, b)
    elif type(a) in (float, int) and isinstance(b, Tensor) and b._data.dtype.kind == "f":  # 2.0 * x
        return _wrap(np.array(a, dtype=b._data.dtype)), b
    else:
        _check_operands(name, a, b)
    a, b = (x if isinstance(x, (Tensor, float, int, bool)) else _tensor(x) for x in (a, b))
    dtype = _result_type(a, b)
    return _cast(a, dtype), _cast(b, dtype)


def _cast(x, dtype):
    """``x`` (a Tensor or a Python number) as a Tensor of ``dtype``; a cast of a tensor that requires grad
    is the differentiable ``astype``, so its gradient comes back in its own dtype."""
    if not isinstance(x, Tensor):
        return _wrap(np.asarray(x).astype(dtype))
    if x._data.dtype == dtype:
        return x
    return x.astype(dtype) if x.requires_grad else _wrap(x._data.astype(dtype))


_OPERANDS = (Tensor, float, int, np.ndarray, np.number, np.bool_, numbers.Number, list, tuple)  # common first


def _check_operands(name, a, b):
    """None, a string or another object is named here, as Python names it, not deep inside NumPy."""
    if not (isinstance(a, _OPERANDS) and isinstance(b, _OPERANDS)):
        raise TypeError(f"unsupported operand type(s) for {name}: '{type(a).__name__}' and '{type(b).__name__}' "
                        "(expected Tensors, numbers or arrays)")


def _broadcasting(name, fn, a, b, core=0):
    """Apply NumPy's ``fn`` to two tensors; an error names the op and the real problem: the shapes when
    they do not broadcast (only the leading, batch dimensions broadcast when the last ``core`` ones are
    the operands' own, as matmul's matrices), and NumPy's reason otherwise (an int to a negative power)."""
    try:
        return fn(a._data, b._data)
    except ValueError as e:
        batch_a, batch_b = a.shape[:a.ndim - core], b.shape[:b.ndim - core]
        try:
            np.broadcast_shapes(batch_a, batch_b)
        except ValueError:
            if core:
                rule = (f": their batch dimensions (all but the last {core}, the matrices) are {batch_a} and "
                        f"{batch_b}, and each trailing one must match or be 1")
            else:
                rule = " (each trailing dimension must match or be 1)"
            raise RuntimeError(f"{name}: shapes {a.shape} and {b.shape} are not broadcastable{rule}") from None
        raise RuntimeError(f"{name} of {a.dtype} {a.shape} and {b.dtype} {b.shape}: {e}") from None


def _same_dtype(name, x, weight, bias=None):
    """A layer's input, weight and bias must share a dtype, as in PyTorch: NumPy would quietly promote
    a float64 input through float32 weights and return float64."""
    if x._data.dtype != weight._data.dtype or (bias is not None and bias._data.dtype != weight._data.dtype):
        got = f"input {x.dtype}, weight {weight.dtype}" + ("" if bias is None else f", bias {bias.dtype}")
        raise RuntimeError(f"{name}: expected the input, weight and bias to have the same dtype, got {got}; "
                           f"convert the input (input.to({weight.dtype})) or the model (model.to({x.dtype}))")


# ----------------------------------------------------------------------------------- dimensions
def _dims(dim, ndim, name):
    """Normalize ``dim`` (None, int or tuple of ints) to a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, checked cheaply
        return (dim % ndim,)
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    lo, hi = -builtins.max(ndim, 1), builtins.max(ndim, 1) - 1
    for d in dims:
        if not lo <= d <= hi:
            raise IndexError(f"{name}: dimension {d} is out of range for a tensor with {ndim} dimensions "
                             f"(expected a dim in [{lo}, {hi}])")
    return tuple(sorted(d % ndim for d in dims)) if ndim else ()


def _dim(dim, ndim, name):
    return _dims(dim, ndim, name)[0]


def _without(shape, dims):
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _shape_arg(shape):
    """A shape given as separate ints or as one tuple or list: f(2, 3) and f((2, 3)) both give (2, 3)."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


def _count(x, dims):
    return math.prod(x.shape[d] for d in dims)
