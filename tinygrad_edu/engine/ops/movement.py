"""Movement ops: reshaping, reordering, broadcasting, indexing, joining and padding.

The primitives move values without computing new ones, so each backward moves the gradient back:
reshape it, permute it by the inverse, sum it over broadcast dimensions (the engine does that), add
it back where it was read from, or slice it into pieces.
"""

import builtins

import numpy as np

from ..tensor import IndexedGradient, Tensor, is_grad_enabled, make_op
from .base import _dim, _dims, _shape_arg, _tensor, primitive
from .elementwise import where


# ----------------------------------------------------------------------------------- primitives
@primitive
def reshape(x, *shape):
    """Same elements, new shape (one entry may be -1).   Backward: reshape the gradient back."""
    shape = _shape_arg(shape)
    try:
        data = x._data.reshape(shape)
    except ValueError:
        raise RuntimeError(f"reshape: shape {tuple(shape)} is invalid for a tensor of shape {x.shape} "
                           f"({x.numel()} elements)") from None
    return make_op("reshape", data, (x,), lambda g, out: (g.reshape(out.parents[0].shape),))


@primitive
def permute(x, *dims):
    """Reorder dimensions.   Backward: apply the inverse permutation to the gradient."""
    dims = _shape_arg(dims)
    if len(dims) != x.ndim or sorted(d % builtins.max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
        raise RuntimeError(f"permute: {dims} is not a permutation of the {x.ndim} dimensions of shape {x.shape}")
    inverse = tuple(np.argsort([d % x.ndim for d in dims]))
    return make_op("permute", x._data.transpose(dims), (x,), lambda g, out: (g.permute(inverse),))


@primitive
def broadcast_to(x, *shape):
    """Repeat size-1 (or missing leading) dimensions to ``shape``, without copying.
    Backward: the engine sums the gradient over the repeated dimensions."""
    shape = _shape_arg(shape)
    try:
        data = np.broadcast_to(x._data, shape)
    except ValueError:
        raise RuntimeError(f"broadcast_to: cannot broadcast shape {x.shape} to {tuple(shape)}") from None
    return make_op("broadcast_to", data, (x,), lambda g, out: (g,))


def _index(idx):
    """Turn Tensors and lists inside an index into NumPy arrays NumPy can index with."""
    if isinstance(idx, tuple):
        return tuple(_index(i) for i in idx)
    if isinstance(idx, Tensor):
        return idx._data
    if isinstance(idx, list):
        return np.asarray(idx)
    return idx


def _is_basic(idx):
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


@primitive
def getitem(x, idx):
    """``x[idx]`` with ints, slices, None, Ellipsis, integer arrays/Tensors and boolean masks.
    Backward: scatter-add the gradient into zeros of x's shape; a repeated index adds up."""
    idx = _index(idx)
    try:
        data = x._data[idx]
    except IndexError as e:
        raise IndexError(f"index into a tensor of shape {x.shape}: {e}") from None
    basic = _is_basic(idx)

    def backward(g, out):
        if is_grad_enabled():  # create_graph: the gradient must be an op, differentiable again
            return (index_add_zeros(g, idx, x.shape),)
        return (IndexedGradient(g, idx, basic),)  # the engine adds it into one buffer for all of x's slices

    return make_op("getitem", data, (x,), backward)


@primitive
def index_add_zeros(g, idx, shape):
    """Zeros of ``shape`` with ``g`` added at ``idx`` (adjoint of getitem).   Backward: ``g_out[idx]``."""
    data = np.zeros(shape, dtype=g._data.dtype)
    if _is_basic(idx):
        data[idx] = g._data
    else:
        np.add.at(data, idx, g._data)
    return make_op("index_add_zeros", data, (g,), lambda g2, out: (getitem(g2, idx),))


@primitive
def cat(tensors, dim=0):
    """Join tensors along an existing dimension.   Backward: slice the gradient back into pieces."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    d = _dim(dim, tensors[0].ndim, "cat")
    try:
        data = np.concatenate([t._data for t in tensors], axis=d)
    except ValueError:
        raise RuntimeError(f"cat: shapes {[t.shape for t in tensors]} must match except in dimension {d}") from None
    edges = np.cumsum([0] + [t.shape[d] for t in tensors])

    def backward(g, out):
        lead = (slice(None),) * d
        return tuple(g[lead + (slice(lo, hi),)] for lo, hi in zip(edges[:-1], edges[1:]))

    return make_op("cat", data, tuple(tensors), backward)


@primitive
def _constant_pad(x, widths, value):
    """np.pad with a constant.   Backward: slice the padding off the gradient."""
    if builtins.min(builtins.min(w) for w in widths) < 0:
        raise ValueError(f"pad: widths must be non-negative, got {widths}")
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
    return make_op("constant_pad", np.pad(x._data, widths, constant_values=value), (x,), lambda g, out: (g[inner],))


# ----------------------------------------------------------------------------------- composites
def gather(x, dim, index):
    """out[i][j][k] = x[i][index[i][j][k]][k] for dim=1 (PyTorch's gather), as advanced indexing."""
    index = index._data if isinstance(index, Tensor) else np.asarray(index)
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


def unbind(x, dim=0):
    """The slices of x along ``dim``, as a tuple (PyTorch's ``unbind``): ``x[i]`` for each i. Cheap in
    both directions: each slice is a view, and the engine adds the slices' gradients into one buffer."""
    d = _dim(dim, x.ndim, "unbind")
    lead = (slice(None),) * d
    return tuple(x[lead + (i,)] for i in range(x.shape[d]))


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


# ------------------------------------------------------------------ the public names of this family
__all__ = ["broadcast_to", "cat", "chunk", "expand", "flatten", "gather", "getitem", "masked_fill", "pad", "permute", "reshape", "split", "squeeze", "stack", "transpose", "tril", "triu", "unbind", "unsqueeze"]  # what `from .movement import *` brings into ops
EXPORTS = ["reshape", "permute", "transpose", "broadcast_to", "squeeze", "unsqueeze", "flatten", "cat", "stack", "split", "chunk", "unbind", "pad", "masked_fill", "tril", "triu", "gather"]  # tinygrad_edu.<name>, as torch.<name>
METHODS = {  # Tensor.<name>
    "reshape": reshape, "view": reshape, "permute": permute, "broadcast_to": broadcast_to, "expand": expand,
    "transpose": transpose, "squeeze": squeeze, "unsqueeze": unsqueeze, "flatten": flatten, "gather": gather,
    "split": split, "chunk": chunk, "unbind": unbind, "masked_fill": masked_fill, "tril": tril, "triu": triu,
    "__getitem__": getitem,
}
