"""Elementwise ops: binary arithmetic with broadcasting, unary functions, comparisons.

Each primitive is its NumPy forward, a backward closure ``backward(g, out)`` written with Tensor ops
(so it can be differentiated again) and the local derivative in its docstring. The engine sums a
broadcast gradient back to each input's shape, so the closures here never have to.

A closure reads the op's inputs from ``out.parents`` rather than capturing them: every captured
variable is one more object per op (a cell, and a tuple of them) that Python's cyclic garbage
collector walks again and again while a graph is alive, which made deep graphs slower to build.
"""

import math

import numpy as np

from ..kernels import activations
from ..tensor import Tensor, _wrap, make_op
from .base import reflected, _broadcasting, _pair, primitive


# ---------------------------------------------------------------------------- binary primitives
@primitive
def add(a, b):
    """a + b (broadcasting).   d/da = 1,  d/db = 1."""
    a, b = _pair(a, b, "add")
    return make_op("add", _broadcasting("add", np.add, a, b), (a, b), lambda g, out: (g, g))


@primitive
def sub(a, b):
    """a - b.   d/da = 1,  d/db = -1."""
    a, b = _pair(a, b, "sub")
    return make_op("sub", _broadcasting("sub", np.subtract, a, b), (a, b),
                   lambda g, out: (g, -g if out.parents[1].requires_grad else None))


@primitive
def mul(a, b):
    """a * b.   d/da = b,  d/db = a."""
    a, b = _pair(a, b, "mul")
    def backward(g, out):
        a, b = out.parents
        return (g * b if a.requires_grad else None, g * a if b.requires_grad else None)

    return make_op("mul", _broadcasting("mul", np.multiply, a, b), (a, b), backward)


@primitive
def div(a, b):
    """a / b.   d/da = 1/b,  d/db = -a/b^2 = -out/b."""
    a, b = _pair(a, b, "div")
    def backward(g, out):
        a, b = out.parents
        return (g / b if a.requires_grad else None, -g * out / b if b.requires_grad else None)

    return make_op("div", _broadcasting("div", np.true_divide, a, b), (a, b), backward)


@primitive
def pow(a, b):
    """a ** b.   d/da = b * a^(b-1),  d/db = a^b * ln(a) = out * ln(a)."""
    a, b = _pair(a, b, "pow")
    def backward(g, out):
        a, b = out.parents
        return (g * b * a ** (b - 1) if a.requires_grad else None, g * out * a.log() if b.requires_grad else None)

    return make_op("pow", _broadcasting("pow", np.power, a, b), (a, b), backward)


def _extremum(name, np_fn, wins, a, b):
    """maximum / minimum: the gradient goes to the input that ``wins`` (np.greater / np.less), and is
    shared half and half where the two are equal."""
    a, b = _pair(a, b, name)

    def backward(g, out):
        a, b = out.parents
        share = _wrap((wins(a._data, b._data) + 0.5 * (a._data == b._data)).astype(out.dtype))
        return g * share, g * (1 - share)

    return make_op(name, _broadcasting(name, np_fn, a, b), (a, b), backward)


@primitive
def maximum(a, b):
    """Elementwise max.   d/da = 1 where a > b, 1/2 where a == b, else 0 (and the mirror for b)."""
    return _extremum("maximum", np.maximum, np.greater, a, b)


@primitive
def minimum(a, b):
    """Elementwise min.   d/da = 1 where a < b, 1/2 where a == b, else 0 (and the mirror for b)."""
    return _extremum("minimum", np.minimum, np.less, a, b)


@primitive
def where(condition, a, b):
    """``a`` where ``condition`` is true, else ``b``.   d/da = [condition],  d/db = [not condition]."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
    a, b = _pair(a, b, "where")
    try:
        data = np.where(cond, a._data, b._data)
    except ValueError:
        raise RuntimeError(f"where: condition {cond.shape}, a {a.shape} and b {b.shape} "
                           "are not broadcastable") from None
    return make_op("where", data, (a, b),
                   lambda g, out: (where(cond, g, 0.0) if a.requires_grad else None,
                                   where(cond, 0.0, g) if b.requires_grad else None))


# ----------------------------------------------------------------------------- unary primitives
@primitive
def neg(x):
    """-x.   d/dx = -1."""
    return make_op("neg", np.negative(x._data), (x,), lambda g, out: (-g,))


@primitive
def exp(x):
    """e^x.   d/dx = e^x = out."""
    return make_op("exp", np.exp(x._data), (x,), lambda g, out: (g * out,))


@primitive
def log(x):
    """Natural log.   d/dx = 1/x."""
    return make_op("log", np.log(x._data), (x,), lambda g, out: (g / out.parents[0],))


@primitive
def sqrt(x):
    """sqrt(x).   d/dx = 1 / (2 sqrt(x)) = 1 / (2 out)."""
    return make_op("sqrt", np.sqrt(x._data), (x,), lambda g, out: (g / (2 * out),))


@primitive
def abs(x):
    """|x|.   d/dx = sign(x) (0 at 0, as in PyTorch)."""
    return make_op("abs", np.abs(x._data), (x,), lambda g, out: (g * _wrap(np.sign(out.parents[0]._data)),))


@primitive
def sin(x):
    """sin(x).   d/dx = cos(x)."""
    return make_op("sin", np.sin(x._data), (x,), lambda g, out: (g * out.parents[0].cos(),))


@primitive
def cos(x):
    """cos(x).   d/dx = -sin(x)."""
    return make_op("cos", np.cos(x._data), (x,), lambda g, out: (-g * out.parents[0].sin(),))


@primitive
def tanh(x):
    """tanh(x).   d/dx = 1 - tanh(x)^2 = 1 - out^2."""
    return make_op("tanh", np.tanh(x._data), (x,), lambda g, out: (tanh_backward(g, out),))


@primitive
def sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x), computed so that it never overflows and tiny results (sigma(-100) =
    3.8e-44 in float32) do not round to 0 (``kernels/activations.py``).
    d/dx = sigma(x) (1 - sigma(x)) = out (1 - out)."""
    return make_op("sigmoid", activations.sigmoid(x._data), (x,), lambda g, out: (sigmoid_backward(g, out),))


@primitive
def tanh_backward(g, y):
    """tanh's gradient as one op: g (1 - y^2), given y = tanh(x). One NumPy expression where three ops
    (two products and a difference) would each make a Tensor; recurrent cells run it at every step.
    d/dg = 1 - y^2,  d/dy = -2 g y."""
    def backward(h, out):
        g, y = out.parents
        return (h * (1 - y * y) if g.requires_grad else None, -2 * h * g * y if y.requires_grad else None)

    return make_op("tanh_backward", g._data * (1 - y._data * y._data), (g, y), backward)


@primitive
def sigmoid_backward(g, y):
    """sigmoid's gradient as one op: g y (1 - y), given y = sigma(x) (see :func:`tanh_backward`).
    d/dg = y (1 - y),  d/dy = g (1 - 2 y)."""
    def backward(h, out):
        g, y = out.parents
        return (h * y * (1 - y) if g.requires_grad else None, h * g * (1 - 2 * y) if y.requires_grad else None)

    return make_op("sigmoid_backward", g._data * y._data * (1 - y._data), (g, y), backward)


@primitive
def relu(x):
    """max(x, 0).   d/dx = 1 where x > 0, else 0."""
    return make_op("relu", np.maximum(x._data, 0), (x,), lambda g, out: (g * _wrap(out.parents[0]._data > 0),))


@primitive
def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (PyTorch's defaults).
    d/dx = sigma(beta x) (1 where beta x > threshold)."""
    bx = beta * x._data
    linear = bx > threshold
    data = np.where(linear, x._data, np.logaddexp(0, bx) / beta)
    return make_op("softplus", data, (x,),
                   lambda g, out: (g * where(linear, 1.0, (beta * x).sigmoid()),))


# Hart & Cheney rational approximations as in the classic Unix libm (relative error ~1e-16):
# erf(x) = x * 2/sqrt(pi) * P1(x^2)/Q1(x^2) for |x| <= 0.5, erfc(x) = e^(-x^2) P2(x)/Q2(x) above.
_ERF_P1 = (80437.3630960840172832162, 7404.07142710151470082064, 3017.82788536507577809226,
           38.0140318123903008244444, 14.3383842191748205576712, -0.288805137207594084924010,
           0.007547728033418631287834)

_ERF_Q1 = (80437.3630960840172826266, 34216.5257924628539769006, 6379.60017324428279487120,
           658.070155459240506326937, 38.0190713951939403753468, 1.0)
_ERF_P2 = (1826.3348842295112592168999, 2898.0293292167655611275846, 2320.439590251635247384768711,
           1143.262070703886173606073338, 368.5196154710010637133875746, 77.08161730368428609781633646,
           9.675807882987265400604202961, 0.5641877825507397413087057563)
_ERF_Q2 = (1826.3348842295112595576438, 4958.82756472114071495438422, 6089.5424232724435504633068,
           4429.612803883682726711528526, 2094.384367789539593790281779, 661.7361207107653469211984771,
           137.1255960500622202878443578, 17.14980943627607849376131193, 1.0)


def _polyval(coefficients, x):
    """c0 + c1 x + c2 x^2 + ... by Horner's rule."""
    result = np.zeros_like(x)
    for c in reversed(coefficients):
        result = result * x + c
    return result


def _erf(x):
    a = np.abs(x).astype(np.float64)
    small = np.minimum(a, 0.5)
    large = np.clip(a, 0.5, 9.0)  # erfc(9) < 1e-36: 1 - erfc is exactly 1 beyond
    inner = small * (2 / math.sqrt(math.pi)) * _polyval(_ERF_P1, small ** 2) / _polyval(_ERF_Q1, small ** 2)
    outer = 1 - np.exp(-large ** 2) * _polyval(_ERF_P2, large) / _polyval(_ERF_Q2, large)
    return (np.sign(x) * np.where(a <= 0.5, inner, outer)).astype(x.dtype)


@primitive
def erf(x):
    """Error function erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt.   d/dx = 2/sqrt(pi) e^(-x^2)."""
    return make_op("erf", _erf(x._data), (x,), lambda g, out: (g * (2 / math.sqrt(math.pi)) * (-x * x).exp(),))


@primitive
def clamp(x, min=None, max=None):
    """Limit x to [min, max] (either may be None).   d/dx = 1 inside the closed interval, else 0."""
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max")
    data = np.clip(x._data, min, max)
    return make_op("clamp", data, (x,), lambda g, out: (g * _wrap(data == x._data),))


@primitive
def astype(x, dtype):
    """Convert to another dtype.   d/dx = 1, with the gradient converted back to x's dtype."""
    dtype = np.dtype(dtype)
    if dtype == x._data.dtype:
        return x
    return make_op("astype", x._data.astype(dtype), (x,), lambda g, out: (g.astype(x._data.dtype),))


# ----------------------------------------------------------------------------------- composites
def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, else negative_slope * x."""
    return where(x._data > 0, x, x * negative_slope)


def gelu(x, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF: 0.5 x (1 + erf(x / sqrt 2)). ``approximate="tanh"``
    uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as PyTorch."""
    if approximate == "none":
        return 0.5 * x * (1 + (x * (1 / math.sqrt(2))).erf())
    if approximate == "tanh":
        return 0.5 * x * (1 + (math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)).tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


# -------------------------------------------------------------------- comparisons (no gradient)
def _compare(fn):
    def compare(a, b):
        a, b = _pair(a, b, fn.__name__)
        return _wrap(_broadcasting(fn.__name__, fn, a, b))

    return compare


eq, ne, lt, le, gt, ge = map(_compare, (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal))
logical_and, logical_or = _compare(np.logical_and), _compare(np.logical_or)


# ------------------------------------------------------------------ the public names of this family
__all__ = ["abs", "add", "astype", "clamp", "cos", "div", "eq", "erf", "exp", "ge", "gelu", "gt", "le", "leaky_relu", "log", "logical_and", "logical_or", "lt", "maximum", "minimum", "mul", "ne", "neg", "pow", "relu", "sigmoid", "sin", "softplus", "sqrt", "sub", "tanh", "where"]  # what `from .elementwise import *` brings into ops
EXPORTS = ["add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "leaky_relu", "gelu", "softplus", "erf", "maximum", "minimum", "clamp", "where"]  # tinygrad_edu.<name>, as torch.<name>
METHODS = {  # Tensor.<name>
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg, "exp": exp, "log": log,
    "sqrt": sqrt, "abs": abs, "sin": sin, "cos": cos, "tanh": tanh, "sigmoid": sigmoid, "relu": relu,
    "leaky_relu": leaky_relu, "gelu": gelu, "softplus": softplus, "erf": erf, "maximum": maximum,
    "minimum": minimum, "clamp": clamp, "clip": clamp, "astype": astype,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "__add__": add, "__sub__": sub, "__mul__": mul, "__truediv__": div, "__pow__": pow, "__neg__": neg, "__abs__": abs,
    "__radd__": reflected(add), "__rsub__": reflected(sub), "__rmul__": reflected(mul),
    "__rtruediv__": reflected(div), "__rpow__": reflected(pow),
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": logical_and, "__or__": logical_or,
}
