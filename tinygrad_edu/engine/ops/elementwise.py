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
from ..scopes import scoped
from ..tensor import Tensor, _wrap, make_op
from .base import _broadcasting, _pair, default_float, primitive, reflected


def _is_bool(x):
    return type(x) is bool or (isinstance(x, Tensor) and x._data.dtype == np.bool_)


def _not_bool(name, x):
    """Arithmetic that PyTorch does not define on bools refuses them (NumPy would quietly use int8)."""
    if x._data.dtype == np.bool_:
        raise NotImplementedError(f'{name}: not implemented for bool tensors ("{name}_cpu" not implemented for '
                                  "'Bool'); convert with .long() or .float() first")


# ---------------------------------------------------------------------------- binary primitives
@primitive
def add(a, b, *, alpha=1):
    """a + b (broadcasting; ``alpha * b`` with ``alpha``, as PyTorch's).   d/da = 1,  d/db = 1."""
    if alpha != 1:
        b = mul(b, alpha)
    a, b = _pair(a, b, "add")
    return make_op("add", _broadcasting("add", np.add, a, b), (a, b), lambda g, out: (g, g), saved=())


@primitive
def sub(a, b, *, alpha=1):
    """a - b (``a - alpha * b`` with ``alpha``).   d/da = 1,  d/db = -1."""
    if alpha != 1:
        b = mul(b, alpha)
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError("sub: subtraction, the `-` operator, with a bool tensor is not supported; to invert a "
                           "mask use `~` or logical_not()")
    a, b = _pair(a, b, "sub")
    return make_op("sub", _broadcasting("sub", np.subtract, a, b), (a, b),
                   lambda g, out: (g, -g if out.parents[1].requires_grad else None), saved=())


@primitive
def mul(a, b):
    """a * b.   d/da = b,  d/db = a."""
    a, b = _pair(a, b, "mul")
    def backward(g, out):
        a, b = out.parents
        return (g * b if a.requires_grad else None, g * a if b.requires_grad else None)

    return make_op("mul", _broadcasting("mul", np.multiply, a, b), (a, b), backward,
                   saved=(b if a.requires_grad else None, a if b.requires_grad else None))


@primitive
def div(input, other, *, rounding_mode=None):
    """input / other; ``rounding_mode`` None (true division), "trunc" (toward zero) or "floor" (toward
    -inf, Python's //), as PyTorch's ``div(input, other, *, rounding_mode=None)``. int / int gives the
    default float dtype.   d/dinput = 1/other,  d/dother = -input/other^2 (0 when rounded)."""
    if rounding_mode is not None:
        return _rounded_div("div", input, other, rounding_mode)
    a, b = _pair(input, other, "div")
    if a._data.dtype.kind in "biu":
        a, b = _floating(a), _floating(b)
    def backward(g, out):  # reads the inputs, never the output: writing the quotient in place is fine
        a, b = out.parents
        return (g / b if a.requires_grad else None, -g * a / (b * b) if b.requires_grad else None)

    return make_op("div", _broadcasting("div", np.true_divide, a, b), (a, b), backward,
                   saved=(b, a if b.requires_grad else None))


@primitive
def pow(a, b):
    """a ** b.   d/da = b * a^(b-1), 0 where b == 0;  d/db = a^b * ln(a) = out * ln(a), 0 where a == 0 and
    b >= 0 (PyTorch's masks: 0^0 and 0^b would otherwise give 0 * inf = nan)."""
    if _is_bool(a) and isinstance(b, Tensor) and _is_bool(b):
        _not_bool("pow", a)
    a, b = _pair(a, b, "pow")
    def backward(g, out):
        a, b = out.parents
        da = db = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if a.requires_grad:
                da = g * b * a ** (b - 1)
                if (b._data == 0).any():
                    da = where(b._data == 0, 0.0, da)
            if b.requires_grad:
                db = g * out * a.log()
                if (a._data == 0).any():
                    db = where((a._data == 0) & (b._data >= 0), 0.0, db)
        return da, db

    data = _broadcasting("pow", np.power, a, b)
    if data.dtype != a._data.dtype:  # NumPy raises bool ** bool to int8; PyTorch keeps the promoted dtype
        data = data.astype(a._data.dtype)
    return make_op("pow", data, (a, b), backward, saved=(a, b, "output" if b.requires_grad else None))


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
def where(condition, input=None, other=None):
    """``input`` where ``condition`` is true, else ``other``.   d/dinput = [condition],  d/dother = [not condition].
    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``, as in PyTorch."""
    if input is None and other is None:
        return (condition if isinstance(condition, Tensor) else Tensor(condition)).nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: give both input and other, or neither (where(condition) lists the true positions)")
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
    a, b = _pair(input, other, "where")
    try:
        data = np.where(cond, a._data, b._data)
    except ValueError:
        raise RuntimeError(f"where: condition {cond.shape}, input {a.shape} and other {b.shape} "
                           "are not broadcastable") from None
    return make_op("where", data, (a, b),
                   lambda g, out: (where(cond, g, 0.0) if a.requires_grad else None,
                                   where(cond, 0.0, g) if b.requires_grad else None))


def _floating(x):
    """``x``, or a copy in the default float dtype if it holds integers or bools: a float function of an int
    tensor (sqrt, tan, log2...) gives the default float, as in PyTorch. An int tensor never requires grad,
    so the copy can be a leaf."""
    return x if x._data.dtype.kind in "fc" else _wrap(x._data.astype(default_float()))


# ----------------------------------------------------------------------------- unary primitives
@primitive
def neg(x):
    """-x.   d/dx = -1."""
    return make_op("neg", np.negative(x._data), (x,), lambda g, out: (-g,), saved=())


@primitive
def exp(x):
    """e^x.   d/dx = e^x = out."""
    x = _floating(x)
    return make_op("exp", np.exp(x._data), (x,), lambda g, out: (g * out,), saved=("output",))


@primitive
def log(x):
    """Natural log.   d/dx = 1/x."""
    x = _floating(x)
    return make_op("log", np.log(x._data), (x,), lambda g, out: (g / out.parents[0],), saved=(x,))


@primitive
def sqrt(x):
    """sqrt(x).   d/dx = 1 / (2 sqrt(x)) = 1 / (2 out)."""
    x = _floating(x)
    return make_op("sqrt", np.sqrt(x._data), (x,), lambda g, out: (g / (2 * out),), saved=("output",))


@primitive
def abs(x):
    """|x|.   d/dx = sign(x) (0 at 0, as in PyTorch)."""
    _not_bool("abs", x)
    return make_op("abs", np.abs(x._data), (x,), lambda g, out: (g * _wrap(np.sign(out.parents[0]._data)),))


@primitive
def sin(x):
    """sin(x).   d/dx = cos(x)."""
    x = _floating(x)
    return make_op("sin", np.sin(x._data), (x,), lambda g, out: (g * out.parents[0].cos(),))


@primitive
def cos(x):
    """cos(x).   d/dx = -sin(x)."""
    x = _floating(x)
    return make_op("cos", np.cos(x._data), (x,), lambda g, out: (-g * out.parents[0].sin(),))


@primitive
def tanh(x):
    """tanh(x).   d/dx = 1 - tanh(x)^2 = 1 - out^2."""
    x = _floating(x)
    return make_op("tanh", np.tanh(x._data), (x,), lambda g, out: (tanh_backward(g, out),),
                   saved=("output",))


@primitive
def sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x), computed so that it never overflows and tiny results (sigma(-100) =
    3.8e-44 in float32) do not round to 0 (``kernels/activations.py``).
    d/dx = sigma(x) (1 - sigma(x)) = out (1 - out)."""
    x = _floating(x)
    return make_op("sigmoid", activations.sigmoid(x._data), (x,), lambda g, out: (sigmoid_backward(g, out),),
                   saved=("output",))


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
    """max(x, 0).   d/dx = 1 where x > 0 (where the output is > 0), else 0."""
    _not_bool("relu", x)
    return make_op("relu", np.maximum(x._data, 0), (x,), lambda g, out: (g * _wrap(out._data > 0),),
                   saved=("output",))


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
    x = _floating(x)
    return make_op("erf", _erf(x._data), (x,), lambda g, out: (g * (2 / math.sqrt(math.pi)) * (-x * x).exp(),))


@primitive
def clamp(input, min=None, max=None):
    """min(max(input, min), max): ``min`` and ``max`` numbers or tensors, either None (``clip`` is an alias).
    d/dinput = 1 where min <= input <= max;  d/dmin = 1 where input < min <= max;  d/dmax = 1 where
    max(input, min) > max (so max wins when min > max, as in PyTorch); else 0."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    x = input
    lo, hi = (b._data if isinstance(b, Tensor) else b for b in (min, max))
    raised = x._data if lo is None else np.maximum(x._data, lo)
    data = raised if hi is None else np.minimum(raised, hi)
    capped = False if hi is None else raised > hi
    floored = False if lo is None else (x._data < lo) & np.logical_not(capped)
    inside = np.logical_not(capped | floored)
    bounds = tuple(b for b in (min, max) if isinstance(b, Tensor))

    def backward(g, out):
        masks = [inside] + [m for b, m in ((min, floored), (max, capped)) if isinstance(b, Tensor)]
        return tuple(g * _wrap(m) if p.requires_grad else None for p, m in zip(out.parents, masks))

    return make_op("clamp", data, (x,) + bounds, backward)


@primitive
def astype(x, dtype):
    """Convert to another dtype.   d/dx = 1, with the gradient converted back to x's dtype."""
    dtype = np.dtype(dtype)
    if dtype == x._data.dtype:
        return x
    return make_op("astype", x._data.astype(dtype), (x,), lambda g, out: (g.astype(x._data.dtype),), saved=())


# ------------------------------------------------------------------------- more unary functions
@primitive
def tan(x):
    """tan(x).   d/dx = 1 + tan(x)^2 = 1 + out^2."""
    x = _floating(x)
    return make_op("tan", np.tan(x._data), (x,), lambda g, out: (g * (1 + out * out),))


@primitive
def asin(x):
    """arcsin(x), x in [-1, 1].   d/dx = 1 / sqrt(1 - x^2)."""
    x = _floating(x)
    return make_op("asin", np.arcsin(x._data), (x,), lambda g, out: (g / (1 - out.parents[0] ** 2).sqrt(),))


@primitive
def acos(x):
    """arccos(x), x in [-1, 1].   d/dx = -1 / sqrt(1 - x^2)."""
    x = _floating(x)
    return make_op("acos", np.arccos(x._data), (x,), lambda g, out: (-g / (1 - out.parents[0] ** 2).sqrt(),))


@primitive
def atan(x):
    """arctan(x).   d/dx = 1 / (1 + x^2)."""
    x = _floating(x)
    return make_op("atan", np.arctan(x._data), (x,), lambda g, out: (g / (1 + out.parents[0] ** 2),))


@primitive
def atan2(input, other):
    """The angle of the point (other, input): arctan(input / other) in the right quadrant, in (-pi, pi].
    d/dinput = other / (input^2 + other^2),  d/dother = -input / (input^2 + other^2)."""
    y, x = _pair(input, other, "atan2")
    y, x = _floating(y), _floating(x)

    def backward(g, out):
        y, x = out.parents
        r2 = y * y + x * x
        return (g * x / r2 if y.requires_grad else None, -g * y / r2 if x.requires_grad else None)

    return make_op("atan2", _broadcasting("atan2", np.arctan2, y, x), (y, x), backward)


@primitive
def sinh(x):
    """sinh(x) = (e^x - e^-x) / 2.   d/dx = cosh(x)."""
    x = _floating(x)
    return make_op("sinh", np.sinh(x._data), (x,), lambda g, out: (g * out.parents[0].cosh(),))


@primitive
def cosh(x):
    """cosh(x) = (e^x + e^-x) / 2.   d/dx = sinh(x)."""
    x = _floating(x)
    return make_op("cosh", np.cosh(x._data), (x,), lambda g, out: (g * out.parents[0].sinh(),))


@primitive
def asinh(x):
    """arsinh(x) = ln(x + sqrt(x^2 + 1)).   d/dx = 1 / sqrt(x^2 + 1)."""
    x = _floating(x)
    return make_op("asinh", np.arcsinh(x._data), (x,), lambda g, out: (g / (out.parents[0] ** 2 + 1).sqrt(),))


@primitive
def acosh(x):
    """arcosh(x) = ln(x + sqrt(x^2 - 1)), x >= 1.   d/dx = 1 / sqrt(x^2 - 1)."""
    x = _floating(x)
    return make_op("acosh", np.arccosh(x._data), (x,), lambda g, out: (g / (out.parents[0] ** 2 - 1).sqrt(),))


@primitive
def atanh(x):
    """artanh(x) = ln((1 + x) / (1 - x)) / 2, |x| < 1.   d/dx = 1 / (1 - x^2)."""
    x = _floating(x)
    return make_op("atanh", np.arctanh(x._data), (x,), lambda g, out: (g / (1 - out.parents[0] ** 2),))


@primitive
def rsqrt(x):
    """1 / sqrt(x).   d/dx = -x^(-3/2) / 2 = -out^3 / 2."""
    x = _floating(x)
    return make_op("rsqrt", 1 / np.sqrt(x._data), (x,), lambda g, out: (-0.5 * g * out ** 3,))


@primitive
def reciprocal(x):
    """1 / x.   d/dx = -1/x^2 = -out^2."""
    x = _floating(x)
    return make_op("reciprocal", np.reciprocal(x._data), (x,), lambda g, out: (-g * out * out,))


def square(x):
    """x^2, as x * x (an int tensor stays int; a bool one becomes int64, as in PyTorch)."""
    if x._data.dtype == np.bool_:
        x = astype(x, np.int64)
    return mul(x, x)


@primitive
def log2(x):
    """Base-2 log.   d/dx = 1 / (x ln 2)."""
    x = _floating(x)
    return make_op("log2", np.log2(x._data), (x,), lambda g, out: (g / (out.parents[0] * math.log(2)),))


@primitive
def log10(x):
    """Base-10 log.   d/dx = 1 / (x ln 10)."""
    x = _floating(x)
    return make_op("log10", np.log10(x._data), (x,), lambda g, out: (g / (out.parents[0] * math.log(10)),))


@primitive
def log1p(x):
    """ln(1 + x), accurate for tiny x (where 1 + x would round to 1).   d/dx = 1 / (1 + x)."""
    x = _floating(x)
    return make_op("log1p", np.log1p(x._data), (x,), lambda g, out: (g / (1 + out.parents[0]),))


@primitive
def exp2(x):
    """2^x.   d/dx = 2^x ln 2 = out ln 2."""
    x = _floating(x)
    return make_op("exp2", np.exp2(x._data), (x,), lambda g, out: (g * out * math.log(2),))


@primitive
def expm1(x):
    """e^x - 1, accurate for tiny x.   d/dx = e^x = out + 1."""
    x = _floating(x)
    return make_op("expm1", np.expm1(x._data), (x,), lambda g, out: (g * (out + 1),))


@primitive
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (None: the dtype's largest and
    smallest finite values), as PyTorch's ``nan_to_num(input, nan=0.0, posinf=None, neginf=None)``.
    d/dinput = 1 where input is finite, else 0."""
    x = input
    data = np.nan_to_num(x._data, nan=nan, posinf=posinf, neginf=neginf)
    return make_op("nan_to_num", data, (x,), lambda g, out: (g * _wrap(np.isfinite(out.parents[0]._data)),))


# ----------------------------------------------------------------------- more binary functions
@primitive
def logaddexp(input, other):
    """log(e^input + e^other), without overflow.   d/dinput = sigma(input - other),  d/dother = sigma(other - input)."""
    a, b = _pair(input, other, "logaddexp")
    a, b = _floating(a), _floating(b)

    def backward(g, out):
        a, b = out.parents
        return (g * (a - b).sigmoid() if a.requires_grad else None, g * (b - a).sigmoid() if b.requires_grad else None)

    return make_op("logaddexp", _broadcasting("logaddexp", np.logaddexp, a, b), (a, b), backward)


@primitive
def hypot(input, other):
    """sqrt(input^2 + other^2), without overflow.   d/dinput = input / out,  d/dother = other / out."""
    a, b = _pair(input, other, "hypot")
    a, b = _floating(a), _floating(b)

    def backward(g, out):
        a, b = out.parents
        return (g * a / out if a.requires_grad else None, g * b / out if b.requires_grad else None)

    return make_op("hypot", _broadcasting("hypot", np.hypot, a, b), (a, b), backward)


@primitive
def xlogy(input, other):
    """input * ln(other), and 0 where input == 0 (unless other is NaN), so 0 * ln(0) counts as 0 as in
    entropy.   d/dinput = ln(other), 0 where input == 0 and other <= 0 (PyTorch's mask);  d/dother = input / other."""
    x, y = _pair(input, other, "xlogy")
    x, y = _floating(x), _floating(y)

    def backward(g, out):
        x, y = out.parents
        with np.errstate(divide="ignore", invalid="ignore"):
            dx = g * where((x._data == 0) & (y._data <= 0), 0.0, y.log()) if x.requires_grad else None
        return dx, g * x / y if y.requires_grad else None

    with np.errstate(divide="ignore", invalid="ignore"):
        product = _broadcasting("xlogy", lambda x, y: x * np.log(y), x, y)
    data = np.where((x._data == 0) & ~np.isnan(y._data), 0, product).astype(product.dtype)
    return make_op("xlogy", data, (x, y), backward)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2 (composed; Adam's moment updates in PyTorch's source use it)."""
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (composed)."""
    return input + value * tensor1 / tensor2


def clamp_min(input, min):
    """max(input, min): :func:`clamp` with a lower bound only."""
    return clamp(input, min=min)


def clamp_max(input, max):
    """min(input, max): :func:`clamp` with an upper bound only."""
    return clamp(input, max=max)


def lerp(input, end, weight):
    """Linear interpolation input + weight * (end - input) (``weight`` a number or a tensor)."""
    return input + weight * (end - input)


@primitive
def copysign(input, other):
    """|input| with the sign of other (-0.0 counts as negative).   d/dinput = out / input (+-1), 0 where
    input == 0;  d/dother = 0."""
    a, b = _pair(input, other, "copysign")
    a, b = _floating(a), _floating(b)

    def backward(g, out):
        a = out.parents[0]
        return g * _wrap(np.where(a._data == 0, 0, np.sign(a._data) * np.sign(out._data))), None

    return make_op("copysign", _broadcasting("copysign", np.copysign, a, b), (a, b), backward)


# -------------------------------------------- rounding: piecewise constant, so the gradient is zero
def _zero_gradient(g, out):
    """The derivative of a step function: zero (also at the jumps, as PyTorch)."""
    return tuple(_wrap(np.zeros(p._data.shape, g._data.dtype)) if p.requires_grad else None for p in out.parents)


def _round_like(name, fn, x):
    """floor, ceil, round and trunc: an int tensor is already whole and comes back unchanged; a bool one is
    refused, as PyTorch does."""
    if x._data.dtype.kind == "b":
        raise NotImplementedError(f"{name}: not implemented for bool tensors; convert first (x.long() or x.float())")
    if x._data.dtype.kind in "iu":
        return x
    return make_op(name, fn(x._data), (x,), _zero_gradient)


@primitive
def floor(input):
    """The largest whole number <= input.   d/dinput = 0."""
    return _round_like("floor", np.floor, input)


@primitive
def ceil(input):
    """The smallest whole number >= input.   d/dinput = 0."""
    return _round_like("ceil", np.ceil, input)


@primitive
def trunc(input):
    """input rounded toward zero (its integer part).   d/dinput = 0."""
    return _round_like("trunc", np.trunc, input)


@primitive
def round(input, *, decimals=0):
    """input rounded to ``decimals`` decimal places, halves to even (round(2.5) = 2), as PyTorch's
    ``round(input, *, decimals=0)``.   d/dinput = 0."""
    if decimals and input._data.dtype.kind in "iu":
        raise NotImplementedError(f"round: decimals={decimals} is not implemented for integer tensors "
                                  f"({input._data.dtype}); convert with .float() first")
    return _round_like("round", lambda a: np.round(a, decimals), input)


def frac(input):
    """The fractional part input - trunc(input), with input's sign (frac(-1.5) = -0.5).   d/dinput = 1."""
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(f"frac: not implemented for {input._data.dtype} tensors (only floating point)")
    return input - trunc(input)


@primitive
def sign(input):
    """-1, 0 or 1 by the sign of input, 0 for NaN as PyTorch (a bool tensor is its own sign).   d/dinput = 0."""
    x = input
    if x._data.dtype.kind == "b":
        return _wrap(x._data.copy())
    return make_op("sign", np.nan_to_num(np.sign(x._data), nan=0), (x,), _zero_gradient)


sgn = sign  # PyTorch's sgn differs from sign only for complex numbers


# --------------------------------------------------- integer division and remainder, floor and trunc
def _no_integer_zero_division(name, b):
    """Integer division by zero has no value: PyTorch raises (float division gives inf or nan)."""
    if b._data.dtype.kind in "biu" and not b._data.all():
        raise RuntimeError(f"ZeroDivisionError: {name} of integer tensors by zero "
                           f"({np.size(b._data) - np.count_nonzero(b._data)} zero divisor(s))")


def _trunc_divide(a, b):
    """Quotient rounded toward zero: exact for integers, where a float division could round."""
    if a.dtype.kind in "fc":
        return np.trunc(a / b)
    return np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))


_ROUNDINGS = {"floor": np.floor_divide, "trunc": _trunc_divide}


def _rounded_div(name, input, other, rounding_mode):
    """div with ``rounding_mode`` "floor" or "trunc": a step function of its inputs, so zero gradients."""
    if rounding_mode not in _ROUNDINGS:
        raise RuntimeError(f"div: expected rounding_mode to be one of None, 'trunc' or 'floor', got {rounding_mode!r}")
    a, b = _pair(input, other, name)
    _no_integer_zero_division(name, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        data = _broadcasting(name, _ROUNDINGS[rounding_mode], a, b)
    return make_op(name, data, (a, b), _zero_gradient)


@primitive
def floor_divide(input, other):
    """input // other rounded toward -inf (Python's //), as ``div(input, other, rounding_mode="floor")``.
    d/dinput = 0,  d/dother = 0 (PyTorch has no derivative here and refuses a backward through it)."""
    if _is_bool(input) and _is_bool(other):
        _not_bool("floor_divide", input if isinstance(input, Tensor) else other)
    return _rounded_div("floor_divide", input, other, "floor")


def _remainder_op(name, np_fn, rounding_mode, input, other):
    a, b = _pair(input, other, name)
    _no_integer_zero_division(name, b)

    def backward(g, out):
        a, b = out.parents
        return (g if a.requires_grad else None,
                -g * div(a, b, rounding_mode=rounding_mode) if b.requires_grad else None)

    with np.errstate(divide="ignore", invalid="ignore"):
        data = _broadcasting(name, np_fn, a, b)
    return make_op(name, data, (a, b), backward)


@primitive
def remainder(input, other):
    """input % other = input - floor(input / other) * other: the sign of other, as Python's %.
    d/dinput = 1,  d/dother = -floor(input / other)."""
    return _remainder_op("remainder", np.remainder, "floor", input, other)


@primitive
def fmod(input, other):
    """input - trunc(input / other) * other: the sign of input, as C's fmod.
    d/dinput = 1,  d/dother = -trunc(input / other)."""
    return _remainder_op("fmod", np.fmod, "trunc", input, other)


# ----------------------------------------------------------------- bitwise and logical (no gradient)
def _integral(name, *tensors):
    for t in tensors:
        if t._data.dtype.kind not in "biu":
            raise NotImplementedError(f"{name}: not implemented for {t._data.dtype} tensors, only integer and bool "
                                      "ones" + ("; for conditions use logical_and / logical_or / logical_not"
                                               if t._data.dtype.kind == "f" else ""))


def _bitwise(name, np_fn):
    def op(input, other):
        a, b = _pair(input, other, name)
        _integral(name, a, b)
        return _wrap(_broadcasting(name, np_fn, a, b))

    op.__name__ = name
    op.__doc__ = (f"Elementwise {name.split('_')[1]} of the bits of integer tensors; on bool tensors, the logical "
                  f"{name.split('_')[1]}. No gradient.")
    return op


bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)


def bitwise_not(input):
    """~input: every bit flipped on integer tensors (~x = -x - 1), logical not on bool tensors. No gradient."""
    _integral("bitwise_not", input)
    return _wrap(np.invert(input._data))


def _left_shift(a, b):
    too_far = (b < 0) | (b >= 8 * a.dtype.itemsize)  # NumPy leaves these undefined; PyTorch shifts everything out
    return np.where(too_far, 0, np.left_shift(a, np.where(too_far, 0, b))).astype(a.dtype)


def _right_shift(a, b):
    bits = 8 * a.dtype.itemsize
    too_far = (b < 0) | (b >= bits)
    # shifting by bits-1 and then 1 more gives what PyTorch gives: the sign fill, 0 or -1
    return np.right_shift(np.right_shift(a, np.where(too_far, bits - 1, b)), too_far.astype(a.dtype))


bitwise_left_shift = _bitwise("bitwise_left_shift", _left_shift)
bitwise_left_shift.__doc__ = ("input << other = input * 2^other on integer tensors (0 once other reaches the "
                              "bit width or is negative). No gradient.")
bitwise_right_shift = _bitwise("bitwise_right_shift", _right_shift)
bitwise_right_shift.__doc__ = ("input >> other = floor(input / 2^other) on integer tensors (0 or -1 once other "
                               "reaches the bit width or is negative). No gradient.")


def _logical(np_fn):
    def op(input, other):
        a, b = (x if isinstance(x, Tensor) else Tensor(x) for x in (input, other))
        return _wrap(_broadcasting(np_fn.__name__, np_fn, a, b))

    op.__name__ = np_fn.__name__
    op.__doc__ = f"Elementwise {np_fn.__name__[8:]} of the truth (nonzero) of each element: any dtype -> bool."
    return op


logical_and, logical_or, logical_xor = map(_logical, (np.logical_and, np.logical_or, np.logical_xor))


def logical_not(input):
    """True where input is zero (False), any dtype -> bool."""
    return _wrap(np.logical_not(input._data))


def _invert(self):
    """~x: bitwise not of an integer tensor, logical not of a bool one (a TypeError for floats, as PyTorch)."""
    if self._data.dtype.kind not in "biu":
        raise TypeError(f"~ (bitwise not) is only for integer and bool tensors, got {self._data.dtype}; "
                        "for a mask of conditions use a bool tensor or logical_not")
    return bitwise_not(self)


# ----------------------------------------------------------------------------------- composites
def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, else negative_slope * x."""
    return where(x._data > 0, x, x * negative_slope)


@scoped
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
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne  # PyTorch's long names


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other| elementwise (infinities close only to themselves; NaN to
    NaN only with ``equal_nan``), as PyTorch's ``isclose``. No gradient."""
    a, b = _pair(input, other, "isclose")
    return _wrap(_broadcasting("isclose", lambda a, b: np.isclose(a, b, rtol, atol, equal_nan), a, b))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when :func:`isclose` holds everywhere: a Python bool."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """True when the two tensors have the same shape and the same values: a Python bool."""
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def _test(np_fn, doc):
    def test(input):
        return _wrap(np_fn(input._data))

    test.__name__, test.__doc__ = np_fn.__name__, doc
    return test


isnan = _test(np.isnan, "True where input is NaN (any dtype -> bool).")
isinf = _test(np.isinf, "True where input is +inf or -inf.")
isfinite = _test(np.isfinite, "True where input is neither infinite nor NaN.")
isposinf = _test(np.isposinf, "True where input is +inf.")
isneginf = _test(np.isneginf, "True where input is -inf.")


# ------------------------------------------------------------------ the public names of this family
arctan2, clip = atan2, clamp  # PyTorch's aliases
_MATH = ["tan", "asin", "acos", "atan", "atan2", "arctan2", "sinh", "cosh", "asinh", "acosh", "atanh", "rsqrt",
         "square", "reciprocal", "log2", "log10", "log1p", "exp2", "expm1", "logaddexp", "lerp", "hypot", "xlogy",
         "nan_to_num", "copysign", "floor", "ceil", "round", "trunc", "frac", "sign", "sgn", "floor_divide",
         "remainder", "fmod", "addcmul", "addcdiv", "clamp_min", "clamp_max"]
_BITS = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
         "logical_and", "logical_or", "logical_xor", "logical_not"]
_COMPARE = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
            "isclose", "allclose", "equal", "isnan", "isinf", "isfinite", "isposinf", "isneginf"]
__all__ = ["abs", "add", "astype", "clamp", "clip", "cos", "div", "erf", "exp", "gelu", "leaky_relu", "log", "maximum",
           "minimum", "mul", "neg", "pow", "relu", "sigmoid", "sin", "softplus", "sqrt", "sub", "tanh",
           "where"] + _MATH + _BITS + _COMPARE  # what `from .elementwise import *` brings into ops
EXPORTS = ["add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid",
           "relu", "leaky_relu", "gelu", "softplus", "erf", "maximum", "minimum", "clamp", "clip",
           "where"] + _MATH + _BITS + _COMPARE  # tinygrad_edu.<name>, as torch.<name>
_METHOD_NAMES = [n for n in _MATH + _BITS + _COMPARE if n not in ("lerp", "allclose", "equal")]
METHODS = {  # Tensor.<name>
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg, "exp": exp, "log": log,
    "sqrt": sqrt, "abs": abs, "sin": sin, "cos": cos, "tanh": tanh, "sigmoid": sigmoid, "relu": relu,
    "leaky_relu": leaky_relu, "gelu": gelu, "softplus": softplus, "erf": erf, "maximum": maximum,
    "minimum": minimum, "clamp": clamp, "clip": clamp, "astype": astype,
    **{name: globals()[name] for name in _METHOD_NAMES},
    "lerp": lerp, "allclose": allclose, "equal": equal,
    "where": lambda self, condition, other: where(condition, self, other),  # x.where(c, y) is where(c, x, y)
    "__add__": add, "__sub__": sub, "__mul__": mul, "__truediv__": div, "__pow__": pow, "__neg__": neg, "__abs__": abs,
    "__radd__": reflected(add), "__rsub__": reflected(sub), "__rmul__": reflected(mul),
    "__rtruediv__": reflected(div), "__rpow__": reflected(pow),
    "__floordiv__": floor_divide, "__rfloordiv__": reflected(floor_divide),
    "__mod__": remainder, "__rmod__": reflected(remainder),
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor, "__invert__": _invert,
    "__rand__": reflected(bitwise_and), "__ror__": reflected(bitwise_or), "__rxor__": reflected(bitwise_xor),
    "__lshift__": bitwise_left_shift, "__rshift__": bitwise_right_shift,
    "__rlshift__": reflected(bitwise_left_shift), "__rrshift__": reflected(bitwise_right_shift),
}
