"""Reductions and scans: sum, prod, the extremes, median and the cumulative sums and products are
primitives; mean, var, std, logsumexp, softmax, log_softmax and the norms are composed from them (their
gradients come from the primitives they use).

Every reduction takes NumPy's ``axis=`` as another name for ``dim=``, as PyTorch's do.
"""

import builtins
import functools
import math
from collections import namedtuple

import numpy as np

from ..scopes import scoped
from ..tensor import _wrap, make_op
from .base import _count, _dim, _dims, _np_dtype, _without, primitive
from .elementwise import where
from .movement import cat, flip, gather


def _dim_or_axis(fn):
    """Let ``fn`` take ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=`` (``x.sum(axis=1,
    keepdims=True)``), as PyTorch does for NumPy users."""

    @functools.wraps(fn)
    def reduction(*args, axis=None, keepdims=None, **kwargs):
        for alias, name, value in (("axis", "dim", axis), ("keepdims", "keepdim", keepdims)):
            if value is not None:
                if name in kwargs:
                    raise TypeError(f"{fn.__name__}() got both {name} and {alias} ({alias} is another name for {name})")
                kwargs[name] = value
        return fn(*args, **kwargs)

    return reduction


def _accumulate_as(x, dtype):
    """``x`` converted to ``dtype`` before reducing (PyTorch's ``dtype=``, a differentiable cast). Without
    one, bools and integers accumulate in int64, as in PyTorch (NumPy would keep uint8's width)."""
    if dtype is not None:
        return x.astype(_np_dtype(dtype))
    return x.astype(np.int64) if x._data.dtype.kind in "biu" else x


def _on_scalar(fn, x, dim, name, *args, **kwargs):
    """``fn(x, dim, ...)`` for a 0-d ``x``, whose one element PyTorch lets dim 0 or -1 name: fn runs on x as
    shape (1,) along dim 0 and each result is made 0-d again."""
    if dim not in (0, -1):
        raise IndexError(f"{name}: dimension {dim} is out of range for a 0-d tensor (expected 0 or -1)")
    out = fn(x.reshape(1), 0, *args, **kwargs)
    if isinstance(out, tuple):
        return type(out)(*(o.reshape(()) for o in out))
    return out.reshape(())


def _check_nonempty(name, x, dims, dim):
    """An extreme of no elements does not exist: refuse it with PyTorch's exception types."""
    if dim is None and x.numel() == 0:
        raise RuntimeError(f"{name}: cannot reduce the empty tensor of shape {x.shape} over all its dimensions "
                           "(there is no identity to return); reduce over a non-empty dim instead")
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{name}: dimension {d} of shape {x.shape} has size 0, and {name} of no elements "
                             "does not exist")


# ----------------------------------------------------------------------------------- primitives
@_dim_or_axis
@primitive
def sum(x, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (int, tuple, or None for all); ``dtype`` converts x first, and bools and integers
    sum in int64, as in PyTorch.   d/dx_i = 1: the gradient is broadcast back."""
    x = _accumulate_as(x, dtype)
    dims = _dims(dim, x.ndim, "sum")
    kept = np.sum(x._data, axis=dims, keepdims=True, dtype=x.dtype)  # NumPy would widen int8
    return make_op("sum", kept if keepdim else kept.reshape(_without(x.shape, dims)), (x,),
                   lambda g, out: (g.reshape(kept.shape).broadcast_to(x.shape),), saved=())


@_dim_or_axis
@primitive
def prod(x, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or along one int ``dim``: ``torch.prod(input, dim=None, keepdim=False, *,
    dtype=None)``; bools and integers multiply in int64.   d/dx_i = prod_{j != i} x_j: out / x_i when no
    x_j is 0, else (product of the elements before i) * (product of those after i), exact with zeros."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod: dim must be an int or None, got {dim!r} (prod reduces one dimension at a time)")
    x = _accumulate_as(x, dtype)
    dims = _dims(dim, x.ndim, "prod")
    kept = np.prod(x._data, axis=dims, keepdims=True, dtype=x.dtype)

    def backward(g, out):
        x = out.parents[0]
        if (x._data != 0).all():
            return (g.reshape(kept.shape) * out.reshape(kept.shape) / x,)
        return (g.reshape(kept.shape) * _products_of_others(x, dims),)

    return make_op("prod", kept if keepdim else kept.reshape(_without(x.shape, dims)), (x,), backward)


def _products_of_others(x, dims):
    """prod_{j != i} x_j over ``dims``, for every i, without dividing by x_i (which may be 0): the
    exclusive cumulative product from the front times the one from the back."""
    rest = [d for d in range(x.ndim) if d not in dims]
    order = rest + list(dims)
    rows = x.permute(order).reshape(*[x.shape[d] for d in rest], -1)
    ones = _wrap(np.ones(rows.shape[:-1] + (1,), x.dtype))
    before = cat([ones, rows[..., :-1]], -1).cumprod(-1)
    after = flip(cat([ones, rows[..., :0:-1]], -1).cumprod(-1), -1)
    return (before * after).reshape([x.shape[d] for d in order]).permute(tuple(np.argsort(order)))


def _extreme(name, np_reduce, x, dim, keepdim):
    """amax and amin in one body: ``name`` is the op, ``np_reduce`` its NumPy reduction (derivative: see amax)."""
    dims = _dims(dim, x.ndim, name)
    _check_nonempty(name, x, dims, dim)
    kept = np_reduce(x._data, axis=dims, keepdims=True)

    def backward(g, out):
        hit = x._data == kept
        share = _wrap((hit / hit.sum(axis=dims, keepdims=True)).astype(x.dtype))
        return (g.reshape(kept.shape) * share,)

    return make_op(name, kept if keepdim else kept.reshape(_without(x.shape, dims)), (x,), backward)


@_dim_or_axis
@primitive
def amax(x, dim=None, keepdim=False):
    """Largest value over ``dim``.   d/dx_i = 1/k for the k elements equal to the max, 0 elsewhere: ties
    share the gradient equally (PyTorch's choice)."""
    return _extreme("amax", np.max, x, dim, keepdim)


@_dim_or_axis
@primitive
def amin(x, dim=None, keepdim=False):
    """Smallest value over ``dim``.   d/dx_i = 1/k for the k elements equal to the min, 0 elsewhere: ties
    share the gradient equally (PyTorch's choice)."""
    return _extreme("amin", np.min, x, dim, keepdim)


Median = namedtuple("Median", ["values", "indices"])


@_dim_or_axis
@primitive
def median(x, dim=None, keepdim=False):
    """The lower median: the middle of the sorted values, the lower of the two middle ones for an even
    count, so always an element (NaN if any is NaN). With ``dim``, a (values, indices) pair whose gradient
    goes to the chosen element.   Without dim, d/dx_i = 1/k for the k elements equal to the median, else 0
    (PyTorch's choice)."""
    if dim is not None:
        return _median_along(x, dim, keepdim)
    data = np.sort(x._data, axis=None)  # NaN sorts last
    value = np.nan if data.size == 0 or np.isnan(data[-1]) else data[(data.size - 1) // 2]

    def backward(g, out):
        hit = (x._data == value) | (np.isnan(x._data) & np.isnan(value))
        return (g * _wrap((hit / hit.sum()).astype(x.dtype)),)

    return make_op("median", np.asarray(value, x.dtype), (x,), backward)


def _median_along(x, dim, keepdim):
    if x.ndim == 0:
        return _on_scalar(_median_along, x, dim, "median", keepdim)
    d = _dim(dim, x.ndim, "median")
    _check_nonempty("median", x, (d,), dim)
    middle = np.take(np.argsort(x._data, axis=d, kind="stable"), [(x.shape[d] - 1) // 2], axis=d)
    nan = np.isnan(x._data) if x._data.dtype.kind == "f" else np.zeros(x.shape, bool)
    indices = np.where(nan.any(d, keepdims=True), np.argmax(nan, d, keepdims=True), middle)  # NaN wins, as PyTorch
    values = gather(x, d, indices)
    return Median(values, _wrap(indices)) if keepdim else Median(values.squeeze(d), _wrap(indices.squeeze(d)))


# ---------------------------------------------------------------------------------------- scans
@_dim_or_axis
@primitive
def cumsum(x, dim, *, dtype=None):
    """Running sum along ``dim``: out_k = x_0 + ... + x_k (``torch.cumsum(input, dim, *, dtype=None)``; bools
    and integers sum in int64).   d/dx_i = sum_{k >= i} g_k: the cumsum of g taken from the end."""
    if x.ndim == 0:
        return _on_scalar(cumsum, x, dim, "cumsum", dtype=dtype)
    x = _accumulate_as(x, dtype)
    d = _dim(dim, x.ndim, "cumsum")
    return make_op("cumsum", np.cumsum(x._data, axis=d, dtype=x.dtype), (x,),
                   lambda g, out: (flip(flip(g, d).cumsum(d), d),))


@_dim_or_axis
@primitive
def cumprod(x, dim, *, dtype=None):
    """Running product along ``dim``: out_k = x_0 * ... * x_k (``torch.cumprod(input, dim, *, dtype=None)``).
    d out_k/dx_i = prod_{j <= k, j != i} x_j for i <= k, so dL/dx_i = sum_{k >= i} g_k out_k / x_i (a cumsum
    from the end) when no x_j is 0; with zeros, for each i the running product of x with x_i replaced by 1
    (n^2 values along dim, exact)."""
    if x.ndim == 0:
        return _on_scalar(cumprod, x, dim, "cumprod", dtype=dtype)
    x = _accumulate_as(x, dtype)
    d = _dim(dim, x.ndim, "cumprod")

    def backward(g, out):
        x = out.parents[0]
        if (x._data != 0).all():
            return (flip(flip(g * out, d).cumsum(d), d) / x,)
        n = x.shape[d]
        others = where(np.eye(n, dtype=bool), 1.0, x.transpose(d, -1).unsqueeze(-2)).cumprod(-1)  # [..., i, k]
        weighted = where(np.triu(np.ones((n, n), bool)), others * g.transpose(d, -1).unsqueeze(-2), 0.0)
        return (weighted.sum(-1).transpose(d, -1),)

    return make_op("cumprod", np.cumprod(x._data, axis=d, dtype=x.dtype), (x,), backward)


_LOG_ZERO = -1e4  # log of 0 weight where g has the other sign: e^-1e4 is 0 in every float dtype, and finite
#                  sums of it cannot make -inf - -inf = NaN in the second derivative


@_dim_or_axis
@primitive
def logcumsumexp(x, dim):
    """Running log(sum(e^x)) along ``dim``: out_k = log(e^x_0 + ... + e^x_k), accumulated pairwise with
    logaddexp, so it neither overflows nor loses small early terms.   d out_k/dx_i = e^(x_i - out_k) for
    i <= k; dL/dx_i = sum_{k >= i} g_k e^(x_i - out_k), computed in log space for the positive and the
    negative g_k apart (PyTorch's formula), so nothing overflows there either."""
    if x.ndim == 0:
        return _on_scalar(logcumsumexp, x, dim, "logcumsumexp")
    if x._data.dtype.kind not in "fc":
        raise NotImplementedError(f"logcumsumexp: not implemented for {x.dtype} tensors; convert with .float()")
    d = _dim(dim, x.ndim, "logcumsumexp")

    def backward(g, out):
        def part(sign):  # sum_{k >= i} |g_k| e^(x_i - out_k) over the g_k of one sign, in log space
            mask = g._data * sign > 0
            log_g = where(mask, where(mask, g * sign, 1.0).log(), _LOG_ZERO)
            return (flip(logcumsumexp(flip(log_g - out, d), d), d) + out.parents[0]).exp()

        return (part(1) - part(-1),)

    return make_op("logcumsumexp", np.logaddexp.accumulate(x._data, axis=d), (x,), backward)


CumExtreme = namedtuple("CumExtreme", ["values", "indices"])


def _cum_extreme(name, np_fn, x, dim):
    """cummax / cummin: the running extreme and, on ties, the latest index reaching it (PyTorch's choice);
    NaN, once met, stays. The values are gathered at the indices, so the gradient goes there."""
    if x.ndim == 0:
        return _on_scalar(functools.partial(_cum_extreme, name, np_fn), x, dim, name)
    d = _dim(dim, x.ndim, name)
    running = np_fn.accumulate(x._data, axis=d)
    reached = (x._data == running) | (x._data != x._data)  # x != x: NaN
    steps = np.arange(x.shape[d]).reshape((-1,) + (1,) * (x.ndim - 1 - d))
    indices = np.maximum.accumulate(np.where(reached, steps, 0), axis=d)
    return CumExtreme(gather(x, d, indices), _wrap(indices))


@_dim_or_axis
def cummax(x, dim):
    """Running maximum along ``dim`` and where it was reached: (values, indices), as ``torch.cummax``."""
    return _cum_extreme("cummax", np.maximum, x, dim)


@_dim_or_axis
def cummin(x, dim):
    """Running minimum along ``dim`` and where it was reached: (values, indices), as ``torch.cummin``."""
    return _cum_extreme("cummin", np.minimum, x, dim)


# ----------------------------------------------------------------------------------- composites
@scoped
@_dim_or_axis
def mean(x, dim=None, keepdim=False, *, dtype=None):
    """Average over ``dim``: sum / count (NaN for no elements). Integer tensors need ``dtype=`` (a float
    dtype to convert to first), as in PyTorch."""
    if dtype is not None:
        x = x.astype(_np_dtype(dtype))
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"mean: could not infer the output dtype: the input is {x.dtype}, and mean needs a "
                           "floating point tensor; pass dtype= (e.g. dtype=tinygrad_edu.float32) or call .float()")
    count = _count(x, _dims(dim, x.ndim, "mean"))
    if count == 0:
        with np.errstate(invalid="ignore"):
            return x.sum(dim, keepdim) / count
    return x.sum(dim, keepdim) / count


@_dim_or_axis
def any(x, dim=None, keepdim=False):
    """True where some element along ``dim`` (int, tuple or None for all) is non-zero; a bool tensor."""
    found = np.any(x._data, axis=_dims(dim, x.ndim, "any"), keepdims=keepdim)
    return _wrap(found.astype(np.uint8) if x._data.dtype == np.uint8 else found)  # uint8 in, uint8 out (PyTorch)


@_dim_or_axis
def all(x, dim=None, keepdim=False):
    """True where every element along ``dim`` (int, tuple or None for all) is non-zero; a bool tensor."""
    found = np.all(x._data, axis=_dims(dim, x.ndim, "all"), keepdims=keepdim)
    return _wrap(found.astype(np.uint8) if x._data.dtype == np.uint8 else found)  # uint8 in, uint8 out (PyTorch)


@scoped
@_dim_or_axis
def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """sum((x - mean)^2) / (N - correction). correction defaults to 1 (Bessel); ``unbiased=False``
    means correction 0, as in PyTorch."""
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = _dims(dim, x.ndim, "var")
    d = x - x.mean(dims, keepdim=True)
    return (d * d).sum(dims, keepdim) / builtins.max(_count(x, dims) - correction, 0)


@scoped
@_dim_or_axis
def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """sqrt(var), computed as s * sqrt(var(d / s)) with d = x - mean and s = max |d| along ``dim``, a
    constant (detached, 1 where it is 0): the squares of d / s are at most 1, so std of 3e19 in float32
    is finite although var is inf. d std = d var / (2 std), taken as 0 where std = 0 (a constant
    input), as in PyTorch: there sqrt's own derivative is 1/0 and var's is 0, which would make NaN."""
    dims = _dims(dim, x.ndim, "std")
    d = x - x.mean(dims, keepdim=True)
    s = np.max(np.abs(d._data), axis=dims, keepdims=True, initial=0)
    s = _wrap(np.where((s > 0) & np.isfinite(s), s, 1).astype(d.dtype))
    v = (d / s).var(dims, unbiased, keepdim=True, correction=correction)
    nonzero = v._data != 0  # NaN (one element, correction 1) stays NaN, as in PyTorch
    out = where(nonzero, where(nonzero, v, 1.0).sqrt(), 0.0) * s  # the inner where keeps 1/0 out of the gradient
    return out if keepdim else out.reshape(_without(x.shape, dims))


@_dim_or_axis
def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over ``dim`` in one call, as ``torch.var_mean``; the arguments are var's."""
    return var(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


@_dim_or_axis
def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over ``dim`` in one call, as ``torch.std_mean``; the arguments are std's."""
    return std(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


@scoped
@_dim_or_axis
def logsumexp(x, dim=None, keepdim=False):
    """log(sum(e^x)) computed as m + log(sum(e^(x - m))) with m = max(x), so it never overflows.
    m is a constant (detached): the result does not depend on it. Over no elements it is -inf."""
    dims = _dims(dim, x.ndim, "logsumexp")
    m = np.max(x._data, axis=dims, keepdims=True, initial=-np.inf)
    m = _wrap(np.where(np.isfinite(m), m, 0).astype(x.dtype))
    with np.errstate(divide="ignore"):  # log(0) = -inf: an empty sum, or every x = -inf
        out = (x - m).exp().sum(dims, keepdim=True).log() + m
    return out if keepdim else out.reshape(_without(x.shape, dims))


def _minus_max(x, dim, name):
    """x - max(x) along ``dim``, the max a constant: softmax and log_softmax do not change, nothing overflows."""
    d = _dim(dim, x.ndim, name)
    return x - _wrap(np.max(x._data, axis=d, keepdims=True)), d


@scoped
@_dim_or_axis
def softmax(x, dim=-1):
    """e^x / sum(e^x) along ``dim``, computed on x - max(x) for stability."""
    if x.ndim == 0:
        return _on_scalar(softmax, x, dim, "softmax")
    shifted, d = _minus_max(x, dim, "softmax")
    e = shifted.exp()
    return e / e.sum(d, keepdim=True)


@scoped
@_dim_or_axis
def log_softmax(x, dim=-1):
    """x - logsumexp(x), computed as (x - m) - log(sum(e^(x - m))) with m = max(x): subtracting the
    max first keeps float32 exact for logits of +-1e4."""
    if x.ndim == 0:
        return _on_scalar(log_softmax, x, dim, "log_softmax")
    shifted, d = _minus_max(x, dim, "log_softmax")
    return shifted - shifted.exp().sum(d, keepdim=True).log()


# ------------------------------------------------------------------------------------- norms
def _root_or_zero(s, p):
    """s^(1/p), with gradient 0 where s = 0: PyTorch's subgradient of a norm at 0 (the root's own
    derivative there is infinite, and 0 * inf would make NaN). The inner where keeps 0 out of the root."""
    nonzero = s._data != 0
    root = where(nonzero, s, 1.0).sqrt() if p == 2 else where(nonzero, s, 1.0) ** (1.0 / p)
    return where(nonzero, root, 0.0)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """||x||_ord over ``dim`` (all elements when None), ``torch.linalg.vector_norm``: (sum |x_i|^ord)^(1/ord);
    ord=inf / -inf the largest / smallest |x_i|, ord=0 the number of non-zero x_i (gradient 0). The
    gradient at a zero norm is 0, as in PyTorch. x must be floating point; ``dtype`` converts it first."""
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: expected a floating point tensor, got {x.dtype}; convert it "
                           "with .float()")
    if dtype is not None:
        x = x.astype(_np_dtype(dtype))
    dims = _dims(dim, x.ndim, "vector_norm")
    if ord in (math.inf, -math.inf):
        if x.numel() == 0:
            raise RuntimeError(f"linalg.vector_norm: cannot compute the {ord} norm of the empty tensor of shape "
                               f"{x.shape} over dim={dim!r}: the maximum of no elements does not exist")
        return x.abs().amax(dims, keepdim) if ord > 0 else x.abs().amin(dims, keepdim)
    if ord == 0:
        count = np.count_nonzero(x._data, axis=dims, keepdims=keepdim).astype(x.dtype)
        return (x * 0).sum(dims, keepdim) + _wrap(count)
    if ord == 1:
        return x.abs().sum(dims, keepdim)
    if ord == 2:
        return _root_or_zero((x * x).sum(dims, keepdim), 2)
    return _root_or_zero((x.abs() ** ord).sum(dims, keepdim), ord)


@_dim_or_axis
def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """``torch.norm(input, p='fro', dim=None, keepdim=False, dtype=None)``: the vector p-norm over ``dim``
    (see :func:`vector_norm`); 'fro' (Frobenius) is the 2-norm of all the elements of ``dim``."""
    if isinstance(p, str):
        if p != "fro" or (dim is not None and not isinstance(dim, int) and len(dim) > 2):
            raise NotImplementedError(f"norm: p={p!r} over dim={dim!r} is a matrix norm, which tinygrad_edu does "
                                      "not implement; use p='fro' or a number")
        p = 2
    return vector_norm(x, 2 if p is None else p, dim, keepdim, dtype=dtype)


# -------------------------------------------------------------------- values with their indices
MaxMin = namedtuple("MaxMin", ["values", "indices"])


def _extreme_at(name, x, dim, keepdim, np_arg):
    """max/min along one ``dim`` as (values, indices); the gradient goes to the returned index."""
    if dim is None:
        return amax(x) if name == "max" else amin(x)
    if x.ndim == 0:
        return _on_scalar(functools.partial(_extreme_at, name), x, dim, name, keepdim, np_arg)
    d = _dim(dim, x.ndim, name)
    _check_nonempty(name, x, (d,), dim)
    indices = np.expand_dims(np_arg(x._data, axis=d), d)
    values = gather(x, d, indices)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return MaxMin(values, _wrap(indices))


@_dim_or_axis
def max(x, dim=None, keepdim=False):
    """The largest element, or with ``dim`` a (values, indices) pair like PyTorch's."""
    return _extreme_at("max", x, dim, keepdim, np.argmax)


@_dim_or_axis
def min(x, dim=None, keepdim=False):
    """The smallest element, or with ``dim`` a (values, indices) pair like PyTorch's."""
    return _extreme_at("min", x, dim, keepdim, np.argmin)


@_dim_or_axis
def argmax(x, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor when dim is None); no gradient."""
    if x._data.dtype == np.bool_:
        raise RuntimeError('argmax: "argmax_cpu" not implemented for \'Bool\'; convert with .long() first')
    return _arg("argmax", np.argmax, x, dim, keepdim)


@_dim_or_axis
def argmin(x, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened tensor when dim is None); no gradient."""
    return _arg("argmin", np.argmin, x, dim, keepdim)


def _arg(name, fn, x, dim, keepdim):
    if dim is None:
        _check_nonempty(name, x, (), dim)
        return _wrap(np.array(fn(x._data)))
    if x.ndim == 0:
        return _on_scalar(functools.partial(_arg, name, fn), x, dim, name, keepdim)
    d = _dim(dim, x.ndim, name)
    _check_nonempty(name, x, (d,), dim)
    return _wrap(fn(x._data, axis=d, keepdims=keepdim))


# ------------------------------------------------------------------ the public names of this family
__all__ = ["all", "amax", "amin", "any", "argmax", "argmin", "cummax", "cummin", "cumprod", "cumsum", "log_softmax",
           "logcumsumexp", "logsumexp", "max", "mean", "median", "min", "norm", "prod", "softmax", "std", "std_mean",
           "sum", "var", "var_mean", "vector_norm"]  # what `from .reduce import *` brings into ops
EXPORTS = ["sum", "mean", "amax", "amin", "max", "min", "var", "std", "logsumexp", "argmax", "argmin", "softmax",
           "log_softmax", "prod", "any", "all", "std_mean", "var_mean", "median", "norm", "cumsum", "cumprod",
           "cummax", "cummin", "logcumsumexp"]  # tinygrad_edu.<name>, as torch.<name>
METHODS = {  # Tensor.<name>
    "sum": sum, "mean": mean, "amax": amax, "amin": amin, "max": max, "min": min, "var": var, "std": std,
    "logsumexp": logsumexp, "argmax": argmax, "argmin": argmin, "softmax": softmax, "log_softmax": log_softmax,
    "prod": prod, "any": any, "all": all, "median": median, "norm": norm, "cumsum": cumsum, "cumprod": cumprod,
    "cummax": cummax, "cummin": cummin, "logcumsumexp": logcumsumexp,
}
