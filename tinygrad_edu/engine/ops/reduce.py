"""Reductions: sum and the extremes are primitives; mean, var, std, logsumexp, softmax and
log_softmax are composed from them (their gradients come from the primitives they use).
"""

import builtins
from collections import namedtuple

import numpy as np

from ..tensor import _wrap, make_op
from .base import _count, _dim, _dims, _without, primitive
from .elementwise import where
from .movement import gather


# ----------------------------------------------------------------------------------- primitives
@primitive
def sum(x, dim=None, keepdim=False):
    """Sum over ``dim`` (int, tuple, or None for all).   d/dx_i = 1: the gradient is broadcast back."""
    dims = _dims(dim, x.ndim, "sum")
    kept = np.sum(x._data, axis=dims, keepdims=True)
    return make_op("sum", kept if keepdim else kept.reshape(_without(x.shape, dims)), (x,),
                   lambda g, out: (g.reshape(kept.shape).broadcast_to(x.shape),))


def _extreme(name, np_reduce, x, dim, keepdim):
    """amax and amin in one body: ``name`` is the op, ``np_reduce`` its NumPy reduction (derivative: see amax)."""
    dims = _dims(dim, x.ndim, name)
    if x.numel() == 0:
        raise RuntimeError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
    kept = np_reduce(x._data, axis=dims, keepdims=True)

    def backward(g, out):
        hit = x._data == kept
        share = _wrap((hit / hit.sum(axis=dims, keepdims=True)).astype(x.dtype))
        return (g.reshape(kept.shape) * share,)

    return make_op(name, kept if keepdim else kept.reshape(_without(x.shape, dims)), (x,), backward)


@primitive
def amax(x, dim=None, keepdim=False):
    """Largest value over ``dim``.   d/dx_i = 1/k for the k elements equal to the max, 0 elsewhere: ties
    share the gradient equally (PyTorch's choice)."""
    return _extreme("amax", np.max, x, dim, keepdim)


@primitive
def amin(x, dim=None, keepdim=False):
    """Smallest value over ``dim``.   d/dx_i = 1/k for the k elements equal to the min, 0 elsewhere: ties
    share the gradient equally (PyTorch's choice)."""
    return _extreme("amin", np.min, x, dim, keepdim)


# ----------------------------------------------------------------------------------- composites
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
    s = np.max(np.abs(d._data), axis=dims, keepdims=True, initial=0)
    s = _wrap(np.where((s > 0) & np.isfinite(s), s, 1).astype(d.dtype))
    v = (d / s).var(dims, unbiased, keepdim=True, correction=correction)
    nonzero = v._data != 0  # NaN (one element, correction 1) stays NaN, as in PyTorch
    out = where(nonzero, where(nonzero, v, 1.0).sqrt(), 0.0) * s  # the inner where keeps 1/0 out of the gradient
    return out if keepdim else out.reshape(_without(x.shape, dims))


def logsumexp(x, dim=None, keepdim=False):
    """log(sum(e^x)) computed as m + log(sum(e^(x - m))) with m = max(x), so it never overflows.
    m is a constant (detached): the result does not depend on it."""
    dims = _dims(dim, x.ndim, "logsumexp")
    m = np.max(x._data, axis=dims, keepdims=True)
    m = _wrap(np.where(np.isfinite(m), m, 0))
    out = (x - m).exp().sum(dims, keepdim=True).log() + m
    return out if keepdim else out.reshape(_without(x.shape, dims))


def _minus_max(x, dim, name):
    """x - max(x) along ``dim``, the max a constant: softmax and log_softmax do not change, nothing overflows."""
    d = _dim(dim, x.ndim, name)
    return x - _wrap(np.max(x._data, axis=d, keepdims=True)), d


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


# -------------------------------------------------------------------- values with their indices
MaxMin = namedtuple("MaxMin", ["values", "indices"])


def _extreme_at(name, x, dim, keepdim, np_arg):
    """max/min along one ``dim`` as (values, indices); the gradient goes to the returned index."""
    if dim is None:
        return amax(x) if name == "max" else amin(x)
    d = _dim(dim, x.ndim, name)
    indices = np.expand_dims(np_arg(x._data, axis=d), d)
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
        return _wrap(np.array(fn(x._data)))
    return _wrap(fn(x._data, axis=_dim(dim, x.ndim, name), keepdims=keepdim))


# ------------------------------------------------------------------ the public names of this family
__all__ = ["amax", "amin", "argmax", "argmin", "log_softmax", "logsumexp", "max", "mean", "min", "softmax", "std", "sum", "var"]  # what `from .reduce import *` brings into ops
EXPORTS = ["sum", "mean", "amax", "amin", "max", "min", "var", "std", "logsumexp", "argmax", "argmin", "softmax", "log_softmax"]  # tinygrad_edu.<name>, as torch.<name>
METHODS = {  # Tensor.<name>
    "sum": sum, "mean": mean, "amax": amax, "amin": amin, "max": max, "min": min, "var": var, "std": std,
    "logsumexp": logsumexp, "argmax": argmax, "argmin": argmin, "softmax": softmax, "log_softmax": log_softmax,
}
