"""In-place operations: item assignment, ``+=`` and the ``_`` methods (``add_``, ``zero_``, ``copy_``...).

Each computes the tensor's new value with the ordinary (out-of-place) op and hands it to the engine's
``_write`` (``engine/tensor.py``), which applies PyTorch's rules in one place:

- with grad mode off, or when nothing involved requires grad, the memory is written and that is all:
  the same object, a leaf stays a leaf (``with no_grad(): w -= lr * w.grad`` is a manual SGD step);
- on a leaf that requires grad (or a view of one), with grad mode on, the write is refused;
- otherwise the write is recorded and the tensor's history is *rebased* onto it, so gradients flow
  through the new value, and ops that used the old value still differentiate the old value.

Every write counts on the tensor's version counter (shared with its views); a backward that needs a
value overwritten since it was saved raises an error naming the op. So no derivative lives here:
each in-place op's gradient is its out-of-place op's, plus ``index_put`` (assignment) below.

>>> import tinygrad_edu as tg
>>> w = tg.tensor([1.0, 2.0], requires_grad=True)
>>> h = w * 2
>>> h[0] = 5.0            # recorded: h's history is rebased onto the assignment
>>> h.sum().backward()
>>> w.grad                # h[0] no longer depends on w
tensor([0., 2.])
"""

import numpy as np

from ..random import _numpy_rng
from ..tensor import Tensor, _count_write, _wrap, _write, is_grad_enabled, make_op
from .base import _tensor, primitive
from .elementwise import where
from .movement import _index


# ---------------------------------------------------------------------------------- assignment
@primitive
def index_put(x, idx, value):
    """``x`` with ``x[idx]`` replaced by ``value`` (broadcast, cast to x's dtype): the out-of-place form of
    ``x[idx] = value``.   d/dx = 1 outside ``idx``, 0 inside;  d/dvalue = g[idx] (summed where value broadcast)."""
    idx, value = _index(idx), _tensor(value)
    data = x._data.copy()
    _assign(data, idx, value._data, x)

    def backward(g, out):
        x, value = out.parents
        gx = gv = None
        if x.requires_grad:
            inside = np.zeros(x.shape, dtype=bool)
            inside[idx] = True
            gx = where(inside, 0.0, g)
        if value.requires_grad:
            gv = g[idx]
            if gv.shape != value.shape and gv.numel() == value.numel():  # value had extra leading 1s
                gv = gv.reshape(value.shape)
        return gx, gv

    return make_op("index_put", data, (x, value), backward, saved=())


def _assign(array, idx, value, x):
    try:
        array[idx] = value
    except IndexError as e:
        raise IndexError(f"setitem: index out of range for a tensor of shape {x.shape}: {e}") from None
    except ValueError as e:
        if not array.flags.writeable:
            raise RuntimeError("setitem: this tensor is a broadcast view (expand / broadcast_to): several of its "
                               "elements are one memory location, so it cannot be written; write into a .clone()"
                               ) from None
        raise RuntimeError(f"setitem: a value of shape {np.shape(value)} cannot be assigned to a selection of shape "
                           f"{np.shape(array[idx])} of a tensor of shape {x.shape} ({e})") from None


def setitem(x, idx, value):
    """``x[idx] = value`` with PyTorch's in-place rules (see the module docstring)."""
    if is_grad_enabled() and (x.requires_grad or getattr(value, "requires_grad", False)):
        _write(x, index_put(x, idx, value), "setitem", cast=True)
        return
    _assign(x._data, _index(idx), value._data if isinstance(value, Tensor) else value, x)
    _count_write(x)


# ------------------------------------------------------------------------------- in-place twins
def _twin(name):
    """``Tensor.<name>_``: ``<name>`` computed out of place, written back in place."""
    op = getattr(Tensor, name)

    def inplace(self, *args, **kwargs):
        return _write(self, op(self, *args, **kwargs), name + "_")

    inplace.__name__ = inplace.__qualname__ = name + "_"
    inplace.__doc__ = f"In-place ``{name}``: ``x.{name}_(...)`` makes x hold ``x.{name}(...)`` (same object)."
    return inplace


# every op whose in-place twin PyTorch has, and that takes the tensor's shape to itself
TWINS = [
    "neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "clamp", "clip",
    "clamp_min", "clamp_max", "floor", "ceil", "round", "trunc", "frac", "sign", "sgn", "reciprocal", "square",
    "rsqrt", "log2", "log10", "log1p", "exp2", "expm1", "asin", "acos", "atan", "atan2", "arctan2", "sinh", "cosh",
    "asinh", "acosh", "atanh", "erf", "lerp", "hypot", "fmod", "remainder", "floor_divide", "pow", "mul", "div",
    "true_divide", "copysign", "nan_to_num", "xlogy", "logaddexp", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "logical_and", "logical_or", "logical_xor",
    "logical_not", "masked_fill", "index_fill", "index_add", "index_copy", "scatter", "scatter_add",
    "scatter_reduce", "tril", "triu", "addcmul", "addcdiv", "maximum", "minimum", "gelu", "leaky_relu",
]


def add_(self, other, *, alpha=1):
    """In-place ``self += alpha * other``."""
    return _write(self, self.add(other, alpha=alpha), "add_")


def sub_(self, other, *, alpha=1):
    """In-place ``self -= alpha * other``."""
    return _write(self, self.sub(other, alpha=alpha), "sub_")


def fill_(self, value):
    """Set every element to ``value`` (a number, or a one-element tensor: then differentiable)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError(f"fill_: the value must be a number or a one-element tensor, got shape {value.shape}")
        return _write(self, value.reshape(()).broadcast_to(self.shape), "fill_", cast=True)
    return _write(self, _wrap(np.full(self.shape, value, dtype=self._data.dtype)), "fill_", cast=True)


def zero_(self):
    """Set every element to 0."""
    return _write(self, _wrap(np.zeros_like(self._data)), "zero_")


def copy_(self, src, non_blocking=False):
    """Copy ``src``'s values (broadcast to self's shape, cast to self's dtype) into self."""
    src = _tensor(src)
    try:
        np.broadcast_shapes(src.shape, self.shape)
    except ValueError:
        raise RuntimeError(f"copy_: the source of shape {src.shape} does not broadcast to the destination's shape "
                           f"{self.shape}") from None
    return _write(self, src.broadcast_to(self.shape) if src.shape != self.shape else src, "copy_", cast=True)


def detach_(self):
    """Make self a leaf that requires no grad, cut from the graph that made it (in place)."""
    self._ctx, self.requires_grad = None, False
    return self


# ---------------------------------------------------------------------------------- random fills
def _fill_with(self, name, sample):
    return _write(self, _wrap(np.asarray(sample, dtype=self._data.dtype).reshape(self.shape)), name, cast=True)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with samples of N(mean, std^2)."""
    return _fill_with(self, "normal_", _numpy_rng(generator, "normal_").normal(mean, std, self.shape))


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """Fill with samples of the uniform distribution on [a, b)."""
    return _fill_with(self, "uniform_", _numpy_rng(generator, "uniform_").uniform(a, b, self.shape))


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 with probability ``p`` (a number or a tensor broadcasting to self), else 0."""
    p = p._data if isinstance(p, Tensor) else p
    return _fill_with(self, "bernoulli_", _numpy_rng(generator, "bernoulli_").random(self.shape) < p)


def random_(self, from_=0, to=None, *, generator=None):
    """Fill with integers uniform on [from_, to) (``random_(to)``: [0, to)); without ``to``, up to the
    largest integer the dtype holds exactly."""
    if to is None and from_ != 0:
        from_, to = 0, from_
    if to is None:
        dtype = self._data.dtype
        to = 2 ** np.finfo(dtype).nmant + 1 if dtype.kind == "f" else np.iinfo(dtype).max
    return _fill_with(self, "random_", _numpy_rng(generator, "random_").integers(from_, to, self.shape))


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with samples of the exponential distribution of rate ``lambd``."""
    return _fill_with(self, "exponential_", _numpy_rng(generator, "exponential_").exponential(1.0 / lambd, self.shape))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with exp of N(mean, std^2) samples."""
    return _fill_with(self, "log_normal_", _numpy_rng(generator, "log_normal_").lognormal(mean, std, self.shape))


def geometric_(self, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    return _fill_with(self, "geometric_", _numpy_rng(generator, "geometric_").geometric(p, self.shape))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with samples of the Cauchy distribution."""
    return _fill_with(self, "cauchy_", median + sigma * _numpy_rng(generator, "cauchy_").standard_cauchy(self.shape))


METHODS = {
    "__setitem__": setitem, "add_": add_, "sub_": sub_, "subtract_": sub_, "fill_": fill_, "zero_": zero_,
    "copy_": copy_, "detach_": detach_, "normal_": normal_, "uniform_": uniform_, "bernoulli_": bernoulli_,
    "random_": random_, "exponential_": exponential_, "log_normal_": log_normal_, "geometric_": geometric_,
    "cauchy_": cauchy_,
}
AUGMENTED = {  # __iadd__ -> (__add__, the operator a user writes, which errors name)
    "__iadd__": ("__add__", "+="), "__isub__": ("__sub__", "-="), "__imul__": ("__mul__", "*="),
    "__itruediv__": ("__truediv__", "/="), "__ifloordiv__": ("__floordiv__", "//="), "__imod__": ("__mod__", "%="),
    "__ipow__": ("__pow__", "**="), "__iand__": ("__and__", "&="), "__ior__": ("__or__", "|="),
    "__ixor__": ("__xor__", "^="), "__ilshift__": ("__lshift__", "<<="), "__irshift__": ("__rshift__", ">>="),
}


def attach():
    """Add the in-place methods to Tensor: after every family's, since the twins wrap those."""
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name in TWINS:
        if hasattr(Tensor, name):
            setattr(Tensor, name + "_", _twin(name))
    for name, (op, symbol) in AUGMENTED.items():
        if hasattr(Tensor, op):
            setattr(Tensor, name, _augmented_method(getattr(Tensor, op), symbol, _UFUNCS.get(name)))


# a float tensor updated by a number or a tensor, recording nothing (p.data += -lr * p.grad): NumPy writes the
# result straight into its memory, without the new array and the copy of the general path
_UFUNCS = {"__iadd__": np.add, "__isub__": np.subtract, "__imul__": np.multiply, "__itruediv__": np.true_divide}


def _fits(shape, target):
    """Does ``shape`` broadcast to ``target`` (and not beyond it)?"""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _augmented_method(fn, name, ufunc):
    def inplace(self, other):
        if ufunc is not None and self._data.dtype.kind == "f" and self._data.flags.writeable:
            plain = type(other) in (float, int)
            if (plain or (type(other) is Tensor and other._data.dtype.kind in "fiu")) and not (
                    is_grad_enabled() and (self.requires_grad or getattr(other, "requires_grad", False))):
                value = other if plain else other._data
                if plain or value.shape == self._data.shape or _fits(value.shape, self._data.shape):
                    ufunc(self._data, value, out=self._data, casting="unsafe")
                    _count_write(self)
                    return self
        return _write(self, fn(self, other), name)

    inplace.__name__ = name
    return inplace
