"""Every differentiable operation on Tensors.

Primitives come first: each is its NumPy forward, a backward closure ``backward(g, out)`` returning
one gradient per parent, and a docstring with the local derivative. The closures use Tensor ops, so
they are differentiable again (``create_graph=True``). Composite functions come after: plain Python
over primitives, with no backward of their own. The end of the file attaches all of them to Tensor.
"""

import builtins
import math
import numbers
from collections import namedtuple

import numpy as np

from .tensor import Tensor, _wrap, make_op


# ------------------------------------------------------------------------------------------ helpers
def _tensor(x, like=None):
    """``x`` as a Tensor; a Python number takes the dtype of a floating ``like`` (so 2.0 * float64 stays float64)."""
    if isinstance(x, Tensor):
        return x
    if type(x) in (float, int) and like is not None and like.data.dtype.kind == "f":
        return _wrap(np.array(x, dtype=like.data.dtype))
    return _wrap(x) if isinstance(x, np.ndarray) else Tensor(x)


def _pair(a, b, name):
    """The operands of the binary op ``name`` as Tensors. They are checked only off the fast path (a
    Tensor with a Tensor or a Python number), which the op-overhead benchmark measures."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return a, b
        if type(b) not in (float, int):
            _check_operands(name, a, b)
        return a, _tensor(b, a)
    if type(a) not in (float, int) or not isinstance(b, Tensor):
        _check_operands(name, a, b)
    return _tensor(a, b if isinstance(b, Tensor) else None), _tensor(b)


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
        return fn(a.data, b.data)
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
    if x.data.dtype != weight.data.dtype or (bias is not None and bias.data.dtype != weight.data.dtype):
        got = f"input {x.dtype}, weight {weight.dtype}" + ("" if bias is None else f", bias {bias.dtype}")
        raise RuntimeError(f"{name}: expected the input, weight and bias to have the same dtype, got {got}; "
                           f"convert the input (input.to({weight.dtype})) or the model (model.to({x.dtype}))")


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


# ------------------------------------------------------------------------------ binary primitives
def add(a, b):
    """a + b (broadcasting).   d/da = 1,  d/db = 1."""
    a, b = _pair(a, b, "add")
    return make_op("add", _broadcasting("add", np.add, a, b), (a, b), lambda g, out: (g, g))


def sub(a, b):
    """a - b.   d/da = 1,  d/db = -1."""
    a, b = _pair(a, b, "sub")
    return make_op("sub", _broadcasting("sub", np.subtract, a, b), (a, b),
                   lambda g, out: (g, -g if b.requires_grad else None))


def mul(a, b):
    """a * b.   d/da = b,  d/db = a."""
    a, b = _pair(a, b, "mul")
    return make_op("mul", _broadcasting("mul", np.multiply, a, b), (a, b),
                   lambda g, out: (g * b if a.requires_grad else None, g * a if b.requires_grad else None))


def div(a, b):
    """a / b.   d/da = 1/b,  d/db = -a/b^2 = -out/b."""
    a, b = _pair(a, b, "div")
    return make_op("div", _broadcasting("div", np.true_divide, a, b), (a, b),
                   lambda g, out: (g / b if a.requires_grad else None, -g * out / b if b.requires_grad else None))


def pow(a, b):
    """a ** b.   d/da = b * a^(b-1),  d/db = a^b * ln(a) = out * ln(a)."""
    a, b = _pair(a, b, "pow")
    return make_op("pow", _broadcasting("pow", np.power, a, b), (a, b),
                   lambda g, out: (g * b * a ** (b - 1) if a.requires_grad else None,
                                   g * out * a.log() if b.requires_grad else None))


def maximum(a, b):
    """Elementwise max.   d/da = 1 where a > b, 1/2 where a == b, else 0 (and the mirror for b)."""
    a, b = _pair(a, b, "maximum")

    def backward(g, out):
        share = _wrap(((a.data > b.data) + 0.5 * (a.data == b.data)).astype(out.dtype))
        return g * share, g * (1 - share)

    return make_op("maximum", _broadcasting("maximum", np.maximum, a, b), (a, b), backward)


def minimum(a, b):
    """Elementwise min.   d/da = 1 where a < b, 1/2 where a == b, else 0 (and the mirror for b)."""
    a, b = _pair(a, b, "minimum")

    def backward(g, out):
        share = _wrap(((a.data < b.data) + 0.5 * (a.data == b.data)).astype(out.dtype))
        return g * share, g * (1 - share)

    return make_op("minimum", _broadcasting("minimum", np.minimum, a, b), (a, b), backward)


def where(condition, a, b):
    """``a`` where ``condition`` is true, else ``b``.   d/da = [condition],  d/db = [not condition]."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
    a, b = _pair(a, b, "where")
    try:
        data = np.where(cond, a.data, b.data)
    except ValueError:
        raise RuntimeError(f"where: condition {cond.shape}, a {a.shape} and b {b.shape} "
                           "are not broadcastable") from None
    return make_op("where", data, (a, b),
                   lambda g, out: (where(cond, g, 0.0) if a.requires_grad else None,
                                   where(cond, 0.0, g) if b.requires_grad else None))


# ------------------------------------------------------------------------------- unary primitives
def neg(x):
    """-x.   d/dx = -1."""
    return make_op("neg", np.negative(x.data), (x,), lambda g, out: (-g,))


def exp(x):
    """e^x.   d/dx = e^x = out."""
    return make_op("exp", np.exp(x.data), (x,), lambda g, out: (g * out,))


def log(x):
    """Natural log.   d/dx = 1/x."""
    return make_op("log", np.log(x.data), (x,), lambda g, out: (g / x,))


def sqrt(x):
    """sqrt(x).   d/dx = 1 / (2 sqrt(x)) = 1 / (2 out)."""
    return make_op("sqrt", np.sqrt(x.data), (x,), lambda g, out: (g / (2 * out),))


def abs(x):
    """|x|.   d/dx = sign(x) (0 at 0, as in PyTorch)."""
    return make_op("abs", np.abs(x.data), (x,), lambda g, out: (g * _wrap(np.sign(x.data)),))


def sin(x):
    """sin(x).   d/dx = cos(x)."""
    return make_op("sin", np.sin(x.data), (x,), lambda g, out: (g * x.cos(),))


def cos(x):
    """cos(x).   d/dx = -sin(x)."""
    return make_op("cos", np.cos(x.data), (x,), lambda g, out: (-g * x.sin(),))


def tanh(x):
    """tanh(x).   d/dx = 1 - tanh(x)^2 = 1 - out^2."""
    return make_op("tanh", np.tanh(x.data), (x,), lambda g, out: (g - g * out * out,))


def sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x), from e = e^-|x| <= 1, which never overflows: e / (1 + e) for x < 0 and
    1 / (1 + e) for x >= 0 (the numerator is max(e, [x >= 0])), so tiny results (sigma(-100) = 3.8e-44
    in float32) do not round to 0.   d/dx = sigma(x) (1 - sigma(x)) = out (1 - out)."""
    e = np.exp(-np.abs(x.data))
    data = np.maximum(e, x.data >= 0) / (e + 1)
    return make_op("sigmoid", data, (x,), lambda g, out: (g * out * (1 - out),))


def relu(x):
    """max(x, 0).   d/dx = 1 where x > 0, else 0."""
    return make_op("relu", np.maximum(x.data, 0), (x,), lambda g, out: (g * _wrap(x.data > 0),))


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (PyTorch's defaults).
    d/dx = sigma(beta x) (1 where beta x > threshold)."""
    bx = beta * x.data
    linear = bx > threshold
    data = np.where(linear, x.data, np.logaddexp(0, bx) / beta)
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


def erf(x):
    """Error function erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt.   d/dx = 2/sqrt(pi) e^(-x^2)."""
    return make_op("erf", _erf(x.data), (x,), lambda g, out: (g * (2 / math.sqrt(math.pi)) * (-x * x).exp(),))


def clamp(x, min=None, max=None):
    """Limit x to [min, max] (either may be None).   d/dx = 1 inside the closed interval, else 0."""
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max")
    data = np.clip(x.data, min, max)
    return make_op("clamp", data, (x,), lambda g, out: (g * _wrap(data == x.data),))


def astype(x, dtype):
    """Convert to another dtype.   d/dx = 1, with the gradient converted back to x's dtype."""
    dtype = np.dtype(dtype)
    if dtype == x.data.dtype:
        return x
    return make_op("astype", x.data.astype(dtype), (x,), lambda g, out: (g.astype(x.data.dtype),))


# --------------------------------------------------------------------------- reduction primitives
def sum(x, dim=None, keepdim=False):
    """Sum over ``dim`` (int, tuple, or None for all).   d/dx_i = 1: the gradient is broadcast back."""
    dims = _dims(dim, x.ndim, "sum")
    kept = np.sum(x.data, axis=dims, keepdims=True)
    return make_op("sum", kept if keepdim else kept.reshape(_without(x.shape, dims)), (x,),
                   lambda g, out: (g.reshape(kept.shape).broadcast_to(x.shape),))


def _without(shape, dims):
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _extreme(name, np_reduce, x, dim, keepdim):
    """amax / amin: d/dx_i = 1/k for the k elements equal to the extreme, 0 elsewhere (PyTorch's choice)."""
    dims = _dims(dim, x.ndim, name)
    if x.numel() == 0:
        raise RuntimeError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
    kept = np_reduce(x.data, axis=dims, keepdims=True)

    def backward(g, out):
        hit = x.data == kept
        share = _wrap((hit / hit.sum(axis=dims, keepdims=True)).astype(x.dtype))
        return (g.reshape(kept.shape) * share,)

    return make_op(name, kept if keepdim else kept.reshape(_without(x.shape, dims)), (x,), backward)


def amax(x, dim=None, keepdim=False):
    """Largest value over ``dim``; ties share the gradient equally."""
    return _extreme("amax", np.max, x, dim, keepdim)


def amin(x, dim=None, keepdim=False):
    """Smallest value over ``dim``; ties share the gradient equally."""
    return _extreme("amin", np.min, x, dim, keepdim)


# ---------------------------------------------------------------------------- movement primitives
def reshape(x, *shape):
    """Same elements, new shape (one entry may be -1).   Backward: reshape the gradient back."""
    shape = _shape_arg(shape)
    try:
        data = x.data.reshape(shape)
    except ValueError:
        raise RuntimeError(f"reshape: shape {tuple(shape)} is invalid for a tensor of shape {x.shape} "
                           f"({x.numel()} elements)") from None
    return make_op("reshape", data, (x,), lambda g, out: (g.reshape(x.shape),))


def _shape_arg(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


def permute(x, *dims):
    """Reorder dimensions.   Backward: apply the inverse permutation to the gradient."""
    dims = _shape_arg(dims)
    if len(dims) != x.ndim or sorted(d % builtins.max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
        raise RuntimeError(f"permute: {dims} is not a permutation of the {x.ndim} dimensions of shape {x.shape}")
    inverse = tuple(np.argsort([d % x.ndim for d in dims]))
    return make_op("permute", x.data.transpose(dims), (x,), lambda g, out: (g.permute(inverse),))


def broadcast_to(x, *shape):
    """Repeat size-1 (or missing leading) dimensions to ``shape``, without copying.
    Backward: the engine sums the gradient over the repeated dimensions."""
    shape = _shape_arg(shape)
    try:
        data = np.broadcast_to(x.data, shape)
    except ValueError:
        raise RuntimeError(f"broadcast_to: cannot broadcast shape {x.shape} to {tuple(shape)}") from None
    return make_op("expand", data, (x,), lambda g, out: (g,))


def _index(idx):
    """Turn Tensors and lists inside an index into NumPy arrays NumPy can index with."""
    if isinstance(idx, tuple):
        return tuple(_index(i) for i in idx)
    if isinstance(idx, Tensor):
        return idx.data
    if isinstance(idx, list):
        return np.asarray(idx)
    return idx


def _is_basic(idx):
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


def getitem(x, idx):
    """``x[idx]`` with ints, slices, None, Ellipsis, integer arrays/Tensors and boolean masks.
    Backward: scatter-add the gradient into zeros of x's shape; a repeated index adds up."""
    idx = _index(idx)
    try:
        data = x.data[idx]
    except IndexError as e:
        raise IndexError(f"index into a tensor of shape {x.shape}: {e}") from None
    return make_op("getitem", data, (x,), lambda g, out: (index_add_zeros(g, idx, x.shape),))


def index_add_zeros(g, idx, shape):
    """Zeros of ``shape`` with ``g`` added at ``idx`` (adjoint of getitem).   Backward: ``g_out[idx]``."""
    data = np.zeros(shape, dtype=g.data.dtype)
    if _is_basic(idx):
        data[idx] = g.data
    else:
        np.add.at(data, idx, g.data)
    return make_op("index_add", data, (g,), lambda g2, out: (getitem(g2, idx),))


def cat(tensors, dim=0):
    """Join tensors along an existing dimension.   Backward: slice the gradient back into pieces."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    d = _dim(dim, tensors[0].ndim, "cat")
    try:
        data = np.concatenate([t.data for t in tensors], axis=d)
    except ValueError:
        raise RuntimeError(f"cat: shapes {[t.shape for t in tensors]} must match except in dimension {d}") from None
    edges = np.cumsum([0] + [t.shape[d] for t in tensors])

    def backward(g, out):
        lead = (slice(None),) * d
        return tuple(g[lead + (slice(lo, hi),)] for lo, hi in zip(edges[:-1], edges[1:]))

    return make_op("cat", data, tuple(tensors), backward)


def _constant_pad(x, widths, value):
    """np.pad with a constant.   Backward: slice the padding off the gradient."""
    if builtins.min(builtins.min(w) for w in widths) < 0:
        raise ValueError(f"pad: widths must be non-negative, got {widths}")
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
    return make_op("pad", np.pad(x.data, widths, constant_values=value), (x,), lambda g, out: (g[inner],))


def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D operands are promoted and the added dimension removed,
    leading (batch) dimensions broadcast.   For C = A B:  dL/dA = G B^T,  dL/dB = A^T G
    (the engine sums over broadcast batch dimensions). When B is a transposed view (``x @ W.T``)
    dL/dB is computed as (G^T A)^T: the same numbers, laid out like B, so W's gradient is contiguous."""
    a, b = _pair(a, b, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
    rows = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != rows:
        raise RuntimeError(f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
                           f"({a.shape[-1]} columns vs {rows} rows)")
    if a.ndim == 1 or b.ndim == 1:
        out = matmul(a.unsqueeze(0) if a.ndim == 1 else a, b.unsqueeze(-1) if b.ndim == 1 else b)
        return out.squeeze(((-2,) if a.ndim == 1 else ()) + ((-1,) if b.ndim == 1 else ()))
    transposed = b.ndim == 2 and b.data.flags.f_contiguous and not b.data.flags.c_contiguous

    def backward(g, out):
        gb = None if not b.requires_grad else (g.mT @ a).mT if transposed else a.mT @ g
        return (g @ b.mT if a.requires_grad else None), gb

    return make_op("matmul", _broadcasting("matmul", np.matmul, a, b, core=2), (a, b), backward)


def linear(x, weight, bias=None):
    """y = x W^T + b, PyTorch's layout: x (..., in), W (out, in), b (out,).
    dL/dx = G W,  dL/dW = G^T x and dL/db = sum of G, both summed over all leading dimensions.
    Fused (x @ W.T + b is the same math) because it is measured: one op instead of three forward and
    a handful fewer backward keeps the MLP benchmark step within 10% of PyTorch's."""
    if x.ndim == 0 or x.shape[-1] != weight.shape[-1] or weight.ndim != 2:
        raise RuntimeError(f"linear: input of shape {x.shape} does not fit a weight of shape {weight.shape} "
                           "(expected input (..., in) and weight (out, in))")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise RuntimeError(f"linear: bias of shape {bias.shape} does not fit a weight of shape {weight.shape}")
    _same_dtype("linear", x, weight, bias)
    # leading dimensions flattened into rows: NumPy runs a 3-D @ 2-D product as a loop of small ones
    data = (x.data.reshape(-1, x.shape[-1]) @ weight.data.T).reshape(*x.shape[:-1], weight.shape[0])
    if bias is not None:
        data += bias.data  # in place: the product is a fresh array

    def backward(g, out):
        g2, x2 = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
        return ((g2 @ weight).reshape(x.shape) if x.requires_grad else None,
                g2.mT @ x2 if weight.requires_grad else None,
                g2.sum(0) if bias is not None and bias.requires_grad else None)

    return make_op("linear", data, (x, weight) if bias is None else (x, weight, bias), backward)


# ------------------------------------------------------------------------------------- composites
def _count(x, dims):
    return int(np.prod([x.shape[d] for d in dims]))


def mean(x, dim=None, keepdim=False):
    """Average over ``dim``: sum / count."""
    return x.sum(dim, keepdim) / _count(x, _dims(dim, x.ndim, "mean"))


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """sum((x - mean)^2) / (N - correction). correction defaults to 1 (Bessel); ``unbiased=False``
    means correction 0, as in PyTorch."""
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = _dims(dim, x.ndim, "var")
    d = x - x.mean(dims, keepdim=True)
    return (d * d).sum(dims, keepdim) / builtins.max(_count(x, dims) - correction, 0)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """sqrt(var), computed as s * sqrt(var(d / s)) with d = x - mean and s = max |d| along ``dim``, a
    constant (detached, 1 where it is 0): the squares of d / s are at most 1, so std of 3e19 in float32
    is finite although var is inf. d std = d var / (2 std), taken as 0 where std = 0 (a constant
    input), as in PyTorch: there sqrt's own derivative is 1/0 and var's is 0, which would make NaN."""
    dims = _dims(dim, x.ndim, "std")
    d = x - x.mean(dims, keepdim=True)
    s = np.max(np.abs(d.data), axis=dims, keepdims=True, initial=0)
    s = _wrap(np.where((s > 0) & np.isfinite(s), s, 1).astype(d.dtype))
    v = (d / s).var(dims, unbiased, keepdim=True, correction=correction)
    nonzero = v.data != 0  # NaN (one element, correction 1) stays NaN, as in PyTorch
    out = where(nonzero, where(nonzero, v, 1.0).sqrt(), 0.0) * s  # the inner where keeps 1/0 out of the gradient
    return out if keepdim else out.reshape(_without(x.shape, dims))


def logsumexp(x, dim=None, keepdim=False):
    """log(sum(e^x)) computed as m + log(sum(e^(x - m))) with m = max(x), so it never overflows.
    m is a constant (detached): the result does not depend on it."""
    dims = _dims(dim, x.ndim, "logsumexp")
    m = np.max(x.data, axis=dims, keepdims=True)
    m = _wrap(np.where(np.isfinite(m), m, 0))
    out = (x - m).exp().sum(dims, keepdim=True).log() + m
    return out if keepdim else out.reshape(_without(x.shape, dims))


def _minus_max(x, dim, name):
    """x - max(x) along ``dim``, the max a constant: softmax and log_softmax do not change, nothing overflows."""
    d = _dim(dim, x.ndim, name)
    return x - _wrap(np.max(x.data, axis=d, keepdims=True)), d


def softmax(x, dim=-1):
    """e^x / sum(e^x) along ``dim``, computed on x - max(x) for stability."""
    shifted, d = _minus_max(x, dim, "softmax")
    e = shifted.exp()
    return e / e.sum(d, keepdim=True)


def log_softmax(x, dim=-1):
    """x - logsumexp(x), computed as (x - m) - log(sum(e^(x - m))) with m = max(x): subtracting the
    max first keeps float32 exact for logits of +-1e4."""
    shifted, d = _minus_max(x, dim, "log_softmax")
    return shifted - shifted.exp().sum(d, keepdim=True).log()


def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, else negative_slope * x."""
    return where(x.data > 0, x, x * negative_slope)


def gelu(x, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF: 0.5 x (1 + erf(x / sqrt 2)). ``approximate="tanh"``
    uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as PyTorch."""
    if approximate == "none":
        return 0.5 * x * (1 + (x * (1 / math.sqrt(2))).erf())
    if approximate == "tanh":
        return 0.5 * x * (1 + (math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)).tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


MaxMin = namedtuple("MaxMin", ["values", "indices"])


def _extreme_at(name, x, dim, keepdim, np_arg):
    """max/min along one ``dim`` as (values, indices); the gradient goes to the returned index."""
    if dim is None:
        return amax(x) if name == "max" else amin(x)
    d = _dim(dim, x.ndim, name)
    indices = np.expand_dims(np_arg(x.data, axis=d), d)
    values = gather(x, d, indices)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return MaxMin(values, _wrap(indices))


def max(x, dim=None, keepdim=False):
    """The largest element, or with ``dim`` a (values, indices) pair like PyTorch's."""
    return _extreme_at("max", x, dim, keepdim, np.argmax)


def min(x, dim=None, keepdim=False):
    """The smallest element, or with ``dim`` a (values, indices) pair like PyTorch's."""
    return _extreme_at("min", x, dim, keepdim, np.argmin)


def argmax(x, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor when dim is None); no gradient."""
    return _arg("argmax", np.argmax, x, dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened tensor when dim is None); no gradient."""
    return _arg("argmin", np.argmin, x, dim, keepdim)


def _arg(name, fn, x, dim, keepdim):
    if dim is None:
        return _wrap(np.array(fn(x.data)))
    return _wrap(fn(x.data, axis=_dim(dim, x.ndim, name), keepdims=keepdim))


def gather(x, dim, index):
    """out[i][j][k] = x[i][index[i][j][k]][k] for dim=1 (PyTorch's gather), as advanced indexing."""
    index = index.data if isinstance(index, Tensor) else np.asarray(index)
    d = _dim(dim, x.ndim, "gather")
    if index.ndim != x.ndim:
        raise RuntimeError(f"gather: index has {index.ndim} dimensions but the tensor has {x.ndim}")
    grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grid[d] = index
    return getitem(x, tuple(grid))


def transpose(x, dim0, dim1):
    """Swap two dimensions."""
    dims = list(range(x.ndim))
    a, b = _dim(dim0, x.ndim, "transpose"), _dim(dim1, x.ndim, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    return x.permute(dims)


def squeeze(x, dim=None):
    """Remove size-1 dimensions (all of them, or those in ``dim`` that have size 1)."""
    dims = _dims(dim, x.ndim, "squeeze")
    return x.reshape([n for i, n in enumerate(x.shape) if not (i in dims and n == 1)])


def unsqueeze(x, dim):
    """Insert a size-1 dimension at ``dim`` (-1 appends)."""
    d = _dim(dim, x.ndim + 1, "unsqueeze")
    return x.reshape(x.shape[:d] + (1,) + x.shape[d:])


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dimensions start_dim..end_dim into one."""
    if x.ndim == 0:
        return x.reshape(1)
    s, e = _dim(start_dim, x.ndim, "flatten"), _dim(end_dim, x.ndim, "flatten")
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])


def expand(x, *sizes):
    """Broadcast to ``sizes``; -1 keeps a dimension's size."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    return x.broadcast_to([x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes)])


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    if len({t.shape for t in tensors}) > 1:
        raise RuntimeError(f"stack: all tensors must have the same shape, got {[t.shape for t in tensors]}")
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def split(x, split_size_or_sections, dim=0):
    """Pieces of size ``split_size`` (the last may be smaller), or of the listed sizes, along ``dim``."""
    d = _dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        sizes = [split_size_or_sections] * (n // split_size_or_sections)
        sizes += [n % split_size_or_sections] if n % split_size_or_sections else []
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} do not add up to {n}, the size of dimension {d}")
    edges = np.cumsum([0] + sizes)
    lead = (slice(None),) * d
    return tuple(x[lead + (slice(lo, hi),)] for lo, hi in zip(edges[:-1], edges[1:]))


def chunk(x, chunks, dim=0):
    """Split into ``chunks`` pieces of ceil(size / chunks) (fewer if the size runs out), as PyTorch."""
    n = x.shape[_dim(dim, x.ndim, "chunk")]
    return split(x, builtins.max(-(-n // chunks), 1), dim)


def pad(x, pad, mode="constant", value=0.0):
    """Pad like ``torch.nn.functional.pad``: ``pad`` lists (before, after) widths from the last
    dimension backwards. Modes: constant, reflect, replicate, circular; the last three are gathers
    with repeated indices, so their gradient adds up where a value was copied."""
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: expected an even number of widths for at most {x.ndim} dimensions, got {pad}")
    widths = [(0, 0)] * (x.ndim - len(pad) // 2) + [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
    if mode == "constant":
        return _constant_pad(x, widths, value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: unknown mode {mode!r} (constant, reflect, replicate or circular)")
    numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    index = tuple(np.pad(np.arange(n), w, mode=numpy_mode) for n, w in zip(x.shape, widths))
    return x[np.ix_(*index)]


def masked_fill(x, mask, value):
    """``value`` where ``mask`` is true, else x."""
    return where(mask, _tensor(value, x).astype(x.dtype), x)


def tril(x, diagonal=0):
    """Keep the lower triangle (j <= i + diagonal) of the last two dimensions; zero the rest."""
    return where(np.tri(*x.shape[-2:], k=diagonal, dtype=bool), x, 0)


def triu(x, diagonal=0):
    """Keep the upper triangle (j >= i + diagonal) of the last two dimensions; zero the rest."""
    return where(~np.tri(*x.shape[-2:], k=diagonal - 1, dtype=bool), x, 0)


# ------------------------------------------------------------------------ comparisons (no gradient)
def _compare(fn):
    def compare(a, b):
        a, b = _pair(a, b, fn.__name__)
        return _wrap(_broadcasting(fn.__name__, fn, a, b))

    return compare


eq, ne, lt, le, gt, ge = map(_compare, (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal))
logical_and, logical_or = _compare(np.logical_and), _compare(np.logical_or)


# ----------------------------------------------------------------------------- Tensor integration
def _reflected(fn):
    return lambda self, other: fn(other, self)


for _name, _fn in {
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg, "exp": exp, "log": log,
    "sqrt": sqrt, "abs": abs, "sin": sin, "cos": cos, "tanh": tanh, "sigmoid": sigmoid, "relu": relu,
    "leaky_relu": leaky_relu, "gelu": gelu, "softplus": softplus, "erf": erf, "maximum": maximum,
    "minimum": minimum, "clamp": clamp, "clip": clamp, "astype": astype, "sum": sum, "mean": mean,
    "amax": amax, "amin": amin, "max": max, "min": min, "var": var, "std": std, "logsumexp": logsumexp,
    "argmax": argmax, "argmin": argmin, "softmax": softmax, "log_softmax": log_softmax, "reshape": reshape,
    "view": reshape, "permute": permute, "broadcast_to": broadcast_to, "expand": expand, "transpose": transpose,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "flatten": flatten, "matmul": matmul, "gather": gather,
    "split": split, "chunk": chunk, "masked_fill": masked_fill, "tril": tril, "triu": triu,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "__add__": add, "__sub__": sub, "__mul__": mul, "__truediv__": div, "__pow__": pow,
    "__matmul__": matmul, "__neg__": neg, "__getitem__": getitem, "__abs__": abs,
    "__radd__": _reflected(add), "__rsub__": _reflected(sub), "__rmul__": _reflected(mul),
    "__rtruediv__": _reflected(div), "__rpow__": _reflected(pow), "__rmatmul__": _reflected(matmul),
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": logical_and, "__or__": logical_or,
}.items():
    setattr(Tensor, _name, _fn)

Tensor.__invert__ = lambda self: _wrap(np.logical_not(self.data))
Tensor.T = property(lambda self: self.permute(tuple(reversed(range(self.ndim)))))
Tensor.mT = property(lambda self: self.transpose(-2, -1))
Tensor.float = lambda self: self.astype(np.float32)
Tensor.double = lambda self: self.astype(np.float64)
Tensor.to = astype
