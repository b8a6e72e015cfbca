"""Sorting and selection: sort, argsort, msort, topk, kthvalue, masked_select, nonzero and unique.

No primitive of their own: the values a sort or a selection returns are gathered from the input at the
indices it found, so their gradient goes back to where each value came from (getitem's backward
scatters it there). Indices, nonzero and unique have no gradient.
"""

from collections import namedtuple

import numpy as np

from ..tensor import Tensor, _wrap
from .base import _dim
from .movement import gather
from .reduce import _on_scalar

Sort = namedtuple("Sort", ["values", "indices"])
TopK = namedtuple("TopK", ["values", "indices"])
KthValue = namedtuple("KthValue", ["values", "indices"])


def _order(data, d, descending):
    """The indices that sort ``data`` along ``d``. Always stable: equal elements keep their order, in both
    directions, and NaN counts as the largest value (PyTorch's order). Descending is the ascending
    order of the reversed data, read backwards, so ties stay first-come."""
    if not descending:
        return np.argsort(data, axis=d, kind="stable")
    return data.shape[d] - 1 - np.flip(np.argsort(np.flip(data, d), axis=d, kind="stable"), d)


def sort(input, dim=-1, descending=False, *, stable=False):
    """``torch.sort(input, dim=-1, descending=False, *, stable=False)``: (values, indices) with
    values = input gathered at indices. Every sort here is stable (``stable`` is accepted for PyTorch's
    signature); the gradient of the values goes back to the elements they came from.

    >>> sort(Tensor([3.0, 1.0, 2.0])).indices
    tensor([1, 2, 0])
    """
    if input.ndim == 0:
        return _on_scalar(sort, input, dim, "sort", descending)
    d = _dim(dim, input.ndim, "sort")
    indices = _order(input._data, d, descending)
    return Sort(gather(input, d, indices), _wrap(indices))


def argsort(input, dim=-1, descending=False, *, stable=False):
    """``torch.argsort(input, dim=-1, descending=False, *, stable=False)``: the indices of :func:`sort`."""
    return sort(input, dim, descending).indices


def msort(input):
    """``torch.msort(input)``: the values of input sorted along dimension 0."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """``torch.topk(input, k, dim=-1, largest=True, sorted=True)``: the k largest (or smallest) elements
    along ``dim`` and their indices, always in sorted order; among equal values the earlier index comes
    first (PyTorch leaves the order of ties unspecified)."""
    if input.ndim == 0:
        return _on_scalar(lambda x, d: topk(x, k, d, largest, sorted), input, dim, "topk")
    d = _dim(dim, input.ndim, "topk")
    if not 0 <= k <= input.shape[d]:
        raise RuntimeError(f"topk: k={k} is out of range for dimension {d} of size {input.shape[d]} "
                           f"(shape {input.shape})")
    indices = np.take(_order(input._data, d, largest), np.arange(k), axis=d)
    return TopK(gather(input, d, indices), _wrap(indices))


def kthvalue(input, k, dim=-1, keepdim=False):
    """``torch.kthvalue(input, k, dim=-1, keepdim=False)``: the k-th smallest element along ``dim``
    (k = 1 is the minimum) and its index; among equal values, the index of the k-th in a stable sort."""
    if input.ndim == 0:
        return _on_scalar(lambda x, d: kthvalue(x, k, d, keepdim), input, dim, "kthvalue")
    d = _dim(dim, input.ndim, "kthvalue")
    if not 1 <= k <= input.shape[d]:
        raise RuntimeError(f"kthvalue: k={k} is out of range for dimension {d} of size {input.shape[d]} "
                           f"(expected 1 <= k <= {input.shape[d]})")
    indices = np.take(_order(input._data, d, False), [k - 1], axis=d)
    values = gather(input, d, indices)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return KthValue(values, _wrap(indices))


def masked_select(input, mask):
    """``torch.masked_select(input, mask)``: the elements of input where the boolean ``mask`` is true, as a
    1-d tensor in row-major order (input and mask broadcast together). The gradient goes back to them."""
    mask = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected a bool mask, got dtype {mask.dtype}; compare to get one "
                           "(e.g. x > 0)")
    try:
        shape = np.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise RuntimeError(f"masked_select: input {input.shape} and mask {mask.shape} are not broadcastable") from None
    return input.broadcast_to(shape)[np.broadcast_to(mask, shape)]


def nonzero(input, *, as_tuple=False):
    """``torch.nonzero(input, *, as_tuple=False)``: the indices of the non-zero elements, one row each, as
    an int64 tensor of shape (count, input.ndim); ``as_tuple=True`` gives one 1-d tensor per dimension
    instead (the form ``x[...]`` indexes with)."""
    data = input._data
    if not as_tuple:
        return _wrap(np.argwhere(data).astype(np.int64))
    if data.ndim == 0:  # PyTorch treats a 0-d tensor as 1-d here
        return (_wrap(np.zeros(int(bool(data)), np.int64)),)
    return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(data))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """``torch.unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None)``: the distinct
    elements (or, with ``dim``, the distinct slices along dim), in ascending order; ``return_inverse`` adds
    where each element of input went (input[i] = output[inverse[i]]), ``return_counts`` how often each
    value occurs. Always sorted; NaNs stay distinct, as in PyTorch. No gradient."""
    axis = None if dim is None else _dim(dim, input.ndim, "unique")
    values, inverse, counts = np.unique(input._data, return_inverse=True, return_counts=True, axis=axis,
                                        equal_nan=False)
    inverse = inverse.reshape(input.shape if axis is None else -1).astype(np.int64)
    out = (_wrap(values),) + ((_wrap(inverse),) if return_inverse else ()) + \
        ((_wrap(counts.astype(np.int64)),) if return_counts else ())
    return out if len(out) > 1 else out[0]


# ------------------------------------------------------------------ the public names of this family
__all__ = ["argsort", "kthvalue", "masked_select", "msort", "nonzero", "sort", "topk", "unique"]
EXPORTS = ["sort", "argsort", "msort", "topk", "kthvalue", "masked_select", "nonzero", "unique"]  # torch.<name>
METHODS = {  # Tensor.<name>
    "sort": sort, "argsort": argsort, "msort": msort, "topk": topk, "kthvalue": kthvalue,
    "masked_select": masked_select, "nonzero": nonzero, "unique": unique,
}
