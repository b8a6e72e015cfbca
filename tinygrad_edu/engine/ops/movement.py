"""Movement ops: reshaping, reordering, broadcasting, indexing, joining and padding.

The primitives move values without computing new ones, so each backward moves the gradient back:
reshape it, permute it by the inverse, sum it over broadcast dimensions (the engine does that), add
it back where it was read from, or slice it into pieces.
"""

import builtins
import math
import warnings

import numpy as np

from ..tensor import IndexedGradient, Tensor, _wrap, is_grad_enabled, make_op
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
    return make_op("reshape", data, (x,), lambda g, out: (g.reshape(out.parents[0].shape),), saved=())


@primitive
def permute(x, *dims):
    """Reorder dimensions.   Backward: apply the inverse permutation to the gradient."""
    dims = _shape_arg(dims)
    if len(dims) != x.ndim or sorted(d % builtins.max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
        raise RuntimeError(f"permute: {dims} is not a permutation of the {x.ndim} dimensions of shape {x.shape}")
    inverse = tuple(np.argsort([d % x.ndim for d in dims]))
    return make_op("permute", x._data.transpose(dims), (x,), lambda g, out: (g.permute(inverse),), saved=())


@primitive
def broadcast_to(x, *shape):
    """Repeat size-1 (or missing leading) dimensions to ``shape``, without copying.
    Backward: the engine sums the gradient over the repeated dimensions."""
    shape = _shape_arg(shape)
    try:
        data = np.broadcast_to(x._data, shape)
    except ValueError:
        raise RuntimeError(f"broadcast_to: cannot broadcast shape {x.shape} to {tuple(shape)}") from None
    return make_op("broadcast_to", data, (x,), lambda g, out: (g,), saved=())


def _index(idx):
    """Turn Tensors and lists inside an index into NumPy arrays NumPy can index with."""
    if isinstance(idx, tuple):
        return tuple(_index(i) for i in idx)
    if isinstance(idx, Tensor):  # a 0-d integer tensor counts as an int, as in PyTorch
        return idx._data.item() if idx._data.ndim == 0 and idx._data.dtype.kind in "iu" else idx._data
    if isinstance(idx, list):
        return np.asarray(idx)
    return idx


def _ints_then_arrays(idx):
    """PyTorch applies the ints of an index before its integer arrays, while NumPy counts an int as one more
    array index (so a slice between them sends the arrays' dimensions to the front: for x of shape
    (2, 3, 4, 5), ``x[0, :, :, idx]`` is (3, 4, len(idx)) in PyTorch, (len(idx), 3, 4) in NumPy). For an
    index mixing both, the two indexes (the ints and slices, then the arrays) that give PyTorch's result."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    ints = [isinstance(p, (int, np.integer)) and not isinstance(p, (bool, np.bool_)) for p in parts]
    arrays = [isinstance(p, np.ndarray) for p in parts]
    if not (any(ints) and any(arrays)):
        return None
    first = tuple(q for p, a in zip(parts, arrays)
                  for q in ((slice(None),) * (p.ndim if p.dtype == np.bool_ else 1) if a else (p,)))
    then = tuple(p if a or p is Ellipsis else slice(None) for p, i, a in zip(parts, ints, arrays) if not i)
    return first, then


def _is_basic(idx):
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


@primitive
def getitem(x, idx):
    """``x[idx]`` with ints, slices, None, Ellipsis, integer arrays/Tensors and boolean masks (ints apply
    before the arrays, as in PyTorch).   Backward: scatter-add the gradient into zeros of x's shape; a
    repeated index adds up."""
    idx = _index(idx)
    split = _ints_then_arrays(idx)
    if split is not None:
        return getitem(getitem(x, split[0]), split[1])
    try:
        data = x._data[idx]
        if type(data) is not np.ndarray:  # one element: NumPy copies it out; x[i, ...] is a 0-d view, as PyTorch's
            data = x._data[(idx if isinstance(idx, tuple) else (idx,)) + (Ellipsis,)]
    except IndexError as e:
        raise IndexError(f"index into a tensor of shape {x.shape}: {e}") from None
    basic = _is_basic(idx)

    def backward(g, out):
        if is_grad_enabled():  # create_graph: the gradient must be an op, differentiable again
            return (index_add_zeros(g, idx, x.shape),)
        return (IndexedGradient(g, idx, basic),)  # the engine adds it into one buffer for all of x's slices

    return make_op("getitem", data, (x,), backward, saved=())


@primitive
def index_add_zeros(g, idx, shape):
    """Zeros of ``shape`` with ``g`` added at ``idx`` (adjoint of getitem).   Backward: ``g_out[idx]``."""
    data = np.zeros(shape, dtype=g._data.dtype)
    if _is_basic(idx):
        data[idx] = g._data
    else:
        np.add.at(data, idx, g._data)
    return make_op("index_add_zeros", data, (g,), lambda g2, out: (getitem(g2, idx),), saved=())


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

    return make_op("cat", data, tuple(tensors), backward, saved=())


@primitive
def _constant_pad(x, widths, value):
    """np.pad with a constant.   Backward: slice the padding off the gradient."""
    if builtins.min(builtins.min(w) for w in widths) < 0:
        raise ValueError(f"pad: widths must be non-negative, got {widths}")
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
    return make_op("constant_pad", np.pad(x._data, widths, constant_values=value), (x,), lambda g, out: (g[inner],),
                   saved=())


# ----------------------------------------------------------------------------------- composites
def gather(x, dim, index):
    """``out[i][j][k] = x[i][index[i][j][k]][k]`` for dim=1 (PyTorch's gather), as advanced indexing."""
    return getitem(x, _positions("gather", x, dim, index))


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
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {x.shape}")
    return x.reshape(x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:])  # not -1: sizes may be 0


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
    dimension backwards; a negative width crops. Modes: constant, reflect, replicate, circular; the last
    three are gathers with repeated indices, so their gradient adds up where a value was copied."""
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: expected an even number of widths for at most {x.ndim} dimensions, got {pad}")
    widths = [(0, 0)] * (x.ndim - len(pad) // 2) + [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
    for d, (n, (lo, hi)) in enumerate(zip(x.shape, widths)):
        if n + builtins.min(lo, 0) + builtins.min(hi, 0) < 0:
            raise RuntimeError(f"pad: padding ({lo}, {hi}) crops more than the {n} elements of dimension {d} "
                               f"of input {list(x.shape)}")
    if mode == "constant":  # cropping first or last gives the same: crop, then pad
        if builtins.min(builtins.min(w) for w in widths) < 0:
            x = x[tuple(slice(-builtins.min(lo, 0), n + builtins.min(hi, 0)) for n, (lo, hi) in zip(x.shape, widths))]
        return _constant_pad(x, [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in widths], value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: unknown mode {mode!r} (constant, reflect, replicate or circular)")
    index = tuple(_pad_index(mode, x.shape, d, w) for d, w in enumerate(widths))
    return x[np.ix_(*index)]


def _pad_index(mode, shape, d, widths):
    """Which input element each output element of dimension ``d`` copies. As in PyTorch, reflect and replicate
    pad and then crop, circular crops and then wraps around what is left (once at most)."""
    (lo, hi), n = widths, shape[d]
    before, after = builtins.max(lo, 0), builtins.max(hi, 0)
    cut_before, cut_after = builtins.max(-lo, 0), builtins.max(-hi, 0)
    if mode == "circular":
        kept = np.arange(cut_before, n - cut_after)
        if before > len(kept) or after > len(kept):
            raise RuntimeError(f"pad: Padding value causes wrapping around more than once: circular padding "
                               f"({lo}, {hi}) of dimension {d} of input {list(shape)} (at most its size, {len(kept)})")
        return np.pad(kept, (before, after), mode="wrap")
    if mode == "reflect" and (lo >= n or hi >= n):
        raise RuntimeError(f"pad: Padding size should be less than the corresponding input dimension, but got: "
                           f"reflect padding ({lo}, {hi}) at dimension {d} of input {list(shape)}")
    padded = np.pad(np.arange(n), (before, after), mode="reflect" if mode == "reflect" else "edge")
    return padded[cut_before:len(padded) - cut_after]


def masked_fill(x, mask, value):
    """``value`` where ``mask`` is true, else x."""
    return where(mask, _tensor(value, x).astype(x.dtype), x)


def tril(x, diagonal=0):
    """Keep the lower triangle (j <= i + diagonal) of the last two dimensions; zero the rest."""
    return where(np.tri(*x.shape[-2:], k=diagonal, dtype=bool), x, _wrap(np.zeros((), x._data.dtype)))


def triu(x, diagonal=0):
    """Keep the upper triangle (j >= i + diagonal) of the last two dimensions; zero the rest."""
    return where(~np.tri(*x.shape[-2:], k=diagonal - 1, dtype=bool), x, _wrap(np.zeros((), x._data.dtype)))


# --------------------------------------------------------------------- indices, checked as PyTorch
def _index_array(name, index, size, dim, error=RuntimeError, wrap=False):
    """``index`` (a Tensor, array or list of ints) as a NumPy integer array with values in [0, size).
    Negative values count from the end when ``wrap``; any other value outside is an ``error`` naming it."""
    index = index._data if isinstance(index, Tensor) else np.asarray(index, dtype=np.int64)
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): expected an integer (int64 or int32) index, got dtype {index.dtype}")
    bad = (index < (-size if wrap else 0)) | (index >= size)
    if bad.any():
        raise error(f"{name}: index {index[bad][0]} is out of bounds for dimension {dim} with size {size}")
    return np.where(index < 0, index + size, index) if wrap else index


def _positions(name, x, dim, index, src=None):
    """Where element ``[i][j][k]`` of ``index`` points in x for dim=1: ``x[i][index[i][j][k]][k]``, as one NumPy
    advanced index (what gather reads and scatter writes). PyTorch's rules: index has as many dimensions
    as x, and is no larger than x (except along ``dim``) nor than ``src``."""
    d = _dim(dim, x.ndim, name)
    index = _index_array(name, index, x.shape[d], d)
    if index.ndim != x.ndim or (src is not None and src.ndim != x.ndim):
        other = "" if src is None else f" and src {src.shape}"
        raise RuntimeError(f"{name}: index {index.shape}{other} must have as many dimensions as the input {x.shape}")
    if any(n > m for k, (n, m) in enumerate(zip(index.shape, x.shape)) if k != d) or (
            src is not None and any(n > m for n, m in zip(index.shape, src.shape))):
        other = "" if src is None else f", nor than src {src.shape}"
        raise RuntimeError(f"{name}: index {index.shape} must be no larger than the input {x.shape} apart from "
                           f"dimension {d}{other}")
    grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grid[d] = index
    return tuple(grid)


def _src(name, x, src, where_):
    """The part of ``src`` that the index reads (PyTorch allows a larger src), of x's dtype."""
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(f"{name}(): expected self.dtype to be equal to src.dtype, got {x.dtype} and {src.dtype}")
    shape = np.broadcast_shapes(*(w.shape for w in where_))  # the index's shape
    return src._data[tuple(slice(n) for n in shape)]


def _read_back(g, where_, src):
    """``g`` at the written positions (a gather), as a gradient of src's shape: zero where src was not read."""
    gs = getitem(g, where_)
    if gs.shape == src.shape:
        return gs
    return _constant_pad(gs, [(0, m - n) for n, m in zip(gs.shape, src.shape)], 0.0)


def _along(index, dim, shape):
    """A 1-d ``index`` along ``dim``, broadcast to ``shape``: the scatter index of index_add and index_copy."""
    return np.broadcast_to(index.reshape((-1,) + (1,) * (len(shape) - dim - 1)), shape)


def _identity(reduce, dtype):
    """The value that leaves ``reduce`` unchanged: where include_self=False starts."""
    if reduce in ("amax", "amin"):
        big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
        return -big if reduce == "amax" else big
    return 1 if reduce == "prod" else 0


_REDUCE = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


# ---------------------------------------------------------------------------- scatter primitives
@primitive
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """out = input, then ``out[i][index[i][j]][k] = src[i][j][k]`` (dim=1), or ``value`` there; PyTorch's
    ``scatter(input, dim, index, src | value, *, reduce=None)``, out of place (reduce "add" or "multiply"
    is scatter_reduce's sum or prod).   d/dinput = 1 where nothing was written, else 0;
    dL/dsrc = g.gather(dim, index)."""
    if src is None and value is None:
        raise TypeError("scatter: give src (a tensor) or value (a number)")
    if not isinstance(src, Tensor):  # a number, positionally or as value=
        src = _wrap(np.full(np.shape(index), value if src is None else src, dtype=input.dtype))
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    where_ = _positions("scatter", input, dim, index, src)
    data = input._data.copy()
    data[where_] = _src("scatter", input, src, where_)
    written = np.zeros(input.shape, dtype=bool)
    written[where_] = True
    return make_op("scatter", data, (input, src),
                   lambda g, out: (where(written, 0, g), _read_back(g, where_, out.parents[1])), saved=())


@primitive
def scatter_add(input, dim, index, src):
    """out = input, then ``out[i][index[i][j]][k] += src[i][j][k]`` for dim=1 (a repeated index adds up).
    d/dinput = 1,  dL/dsrc = g.gather(dim, index)."""
    where_ = _positions("scatter_add", input, dim, index, src)
    data = input._data.copy()
    np.add.at(data, where_, _src("scatter_add", input, src, where_))
    return make_op("scatter_add", data, (input, src), lambda g, out: (g, _read_back(g, where_, out.parents[1])),
                   saved=())


@primitive
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """out = input, then each ``out[i][index[i][j]][k]`` (dim=1) reduced with every ``src[i][j][k]`` sent there:
    reduce is "sum", "prod", "mean", "amax" or "amin"; include_self=False leaves input's own value out
    of the positions written. Backward (PyTorch's): sum: d/dinput = 1, dL/dsrc = g.gather(dim, index);
    mean: the same divided by each position's count; amax/amin: g shared equally by the elements equal
    to the result; prod: d/dx = out / x, with a zero's derivative the product of the others."""
    if reduce not in _REDUCE:
        raise RuntimeError(f"scatter_reduce: reduce must be one of sum, prod, mean, amax, amin; got {reduce!r}")
    where_ = _positions("scatter_reduce", input, dim, index, src)
    values = _src("scatter_reduce", input, src, where_)
    written = np.zeros(input.shape, dtype=bool)
    written[where_] = True
    data = input._data.copy()
    if not include_self:
        data[written] = _identity(reduce, data.dtype)
    _REDUCE[reduce].at(data, where_, values)
    count = np.full(input.shape, int(include_self))
    np.add.at(count, where_, 1)
    count = np.maximum(count, 1)
    if reduce == "mean":
        data = (data // count if data.dtype.kind in "iu" else data / count).astype(input.dtype)

    def backward(g, out):
        x, src = out.parents
        if reduce in ("sum", "mean"):
            g = g / count.astype(g.dtype) if reduce == "mean" else g
            gx, gs = g, getitem(g, where_)
        elif reduce in ("amax", "amin"):
            x_wins, src_wins = x._data == out._data, values == out._data[where_]
            ties = x_wins.astype(g.dtype)
            np.add.at(ties, where_, src_wins)
            shared = g / np.maximum(ties, 1)
            gx, gs = where(x_wins, shared, 0), where(src_wins, getitem(shared, where_), 0)
        else:
            gx, gs = _prod_backward(g, out, x, src, dim, index, include_self, where_, values)
        gx = where(written, 0, gx) if not include_self else gx
        if gs.shape != src.shape:
            gs = _constant_pad(gs, [(0, m - n) for n, m in zip(gs.shape, src.shape)], 0.0)
        return gx, gs

    return make_op("scatter_reduce", data, (input, src), backward,
                   saved=() if reduce in ("sum", "mean") else None)  # the others compare values


def _prod_backward(g, out, x, src, dim, index, include_self, where_, values):
    """PyTorch's gradient of scatter_reduce's product: out / x where x != 0; for a zero, the product of the
    others, computed again with the zero replaced by 1 (a second zero in the same product makes it 0)."""
    x_zero = x._data == 0
    gx = g * scatter_reduce(where(x_zero, 1, x), dim, index, src, "prod", include_self=include_self) / where(
        x_zero, 1, x)
    src_zero = values == 0
    zeros_there = np.zeros(x.shape)
    np.add.at(zeros_there, where_, src_zero)
    lone_zero = src_zero & (zeros_there[where_] == 1)
    s = src if src.shape == values.shape else getitem(src, tuple(slice(n) for n in values.shape))
    others = scatter_reduce(x, dim, index, where(lone_zero, 1, s), "prod", include_self=include_self)
    gs = where(lone_zero, getitem(g * others, where_), getitem(g * out, where_) / where(src_zero, 1, s))
    return gx, gs


# ----------------------------------------------------------------- shape ops composed of the above
def repeat(input, *sizes):
    """``Tensor.repeat(*sizes)``: tile x ``sizes`` times along each dimension (extra sizes add leading
    dimensions): [a, b].repeat(2) = [a, b, a, b]. A broadcast of x with a size-r axis before each of its
    axes, then a reshape, so the gradient sums the copies."""
    sizes = _shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat: {len(sizes)} repeat sizes {sizes} for a tensor of {input.ndim} dimensions "
                           f"{input.shape}: give at least one per dimension (tile pads them with 1s)")
    shape = (1,) * (len(sizes) - input.ndim) + input.shape
    x = input.reshape([m for n in shape for m in (1, n)])
    x = x.broadcast_to([m for r, n in zip(sizes, shape) for m in (r, n)])
    return x.reshape([r * n for r, n in zip(sizes, shape)])


def tile(input, *dims):
    """``torch.tile(input, dims)``: ``repeat`` with missing leading sizes taken as 1."""
    dims = _shape_arg(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """``torch.repeat_interleave(input, repeats, dim=None, *, output_size=None)``: each element ``repeats``
    times in a row along ``dim`` (flattened when None): [a, b] -> [a, a, b, b] for 2; ``repeats`` may
    give one count per element. ``repeat_interleave(counts)`` alone is arange(n) repeated counts times."""
    if repeats is None:
        return _wrap(np.repeat(np.arange(input.shape[0]), input._data))
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else _dim(dim, x.ndim, "repeat_interleave")
    counts = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if counts.ndim > 1 or (counts.size != 1 and counts.size != x.shape[d]):
        raise RuntimeError(f"repeat_interleave: repeats of shape {counts.shape} must be one count or one per "
                           f"element of dimension {d} (size {x.shape[d]})")
    if (counts < 0).any():
        raise RuntimeError(f"repeat_interleave: repeats can not be negative, got {counts.tolist()}")
    index = np.repeat(np.arange(x.shape[d]), counts.reshape(-1) if counts.size > 1 else int(counts.reshape(-1)[0]))
    if output_size is not None and output_size != len(index):
        raise RuntimeError(f"repeat_interleave: output_size {output_size} but the repeats give {len(index)}")
    return getitem(x, (slice(None),) * d + (index,))


def flip(input, *dims):
    """``torch.flip(input, dims)``: reverse the order of elements along each of ``dims``."""
    flipped = _dims(_shape_arg(dims), input.ndim, "flip")
    return input[tuple(slice(None, None, -1) if d in flipped else slice(None) for d in range(input.ndim))]


def fliplr(input):
    """Reverse the columns (dimension 1) of a tensor of at least 2 dimensions."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: input must be at least 2-d, got shape {input.shape}")
    return flip(input, 1)


def flipud(input):
    """Reverse the rows (dimension 0) of a tensor of at least 1 dimension."""
    if input.ndim < 1:
        raise RuntimeError("flipud: input must be at least 1-d, got a 0-d tensor")
    return flip(input, 0)


def roll(input, shifts, dims=None):
    """``torch.roll(input, shifts, dims=None)``: out[(i + shift) % n] = x[i] along each dim (the flattened
    tensor when dims is None). An index with (i - shift) % n; the gradient rolls back."""
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: {len(shifts)} shifts {shifts} need as many dims")
        return roll(input.flatten(), shifts, 0).reshape(input.shape)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    out = input
    for shift, dim in zip(shifts, dims):  # a loop over the (few) rolled dimensions
        d = _dim(dim, input.ndim, "roll")
        n = input.shape[d]
        out = getitem(out, (slice(None),) * d + ((np.arange(n) - shift) % builtins.max(n, 1),))
    return out


def movedim(input, source, destination):
    """``torch.movedim(input, source, destination)``: move dimension(s) ``source`` to position(s)
    ``destination``, the others keeping their order (a permute)."""
    src = [_dim(s, input.ndim, "movedim") for s in (source if isinstance(source, (tuple, list)) else (source,))]
    dst = [_dim(s, input.ndim, "movedim") for s in (destination if isinstance(destination, (tuple, list))
                                                    else (destination,))]
    if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: source {source} and destination {destination} must list as many dims, "
                           "none repeated")
    order = [d for d in range(input.ndim) if d not in src]
    for to, frm in sorted(zip(dst, src)):
        order.insert(to, frm)
    return input.permute(order)


moveaxis = movedim
swapaxes = swapdims = transpose  # PyTorch's (and NumPy's) other names


def unflatten(input, dim, sizes):
    """``torch.unflatten(input, dim, sizes)``: split dimension ``dim`` into ``sizes`` (one may be -1)."""
    d = _dim(dim, input.ndim, "unflatten")
    sizes = tuple(sizes)
    if -1 not in sizes and int(np.prod(sizes)) != input.shape[d]:
        raise RuntimeError(f"unflatten: sizes {sizes} don't multiply up to the size of dim {d} ({input.shape[d]}) "
                           f"of shape {input.shape}")
    return input.reshape(input.shape[:d] + sizes + input.shape[d + 1:])


def narrow(input, dim, start, length):
    """``torch.narrow(input, dim, start, length)``: elements start .. start + length - 1 along ``dim``."""
    d = _dim(dim, input.ndim, "narrow")
    n, start = input.shape[d], int(start)
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for dimension {d} with size {n}")
    start %= builtins.max(n, 1)
    if length < 0 or start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}), "
                           "or length is negative")
    return input[(slice(None),) * d + (slice(start, start + length),)]


def select(input, dim, index):
    """``torch.select(input, dim, index)``: the slice at ``index`` along ``dim`` (which disappears)."""
    d = _dim(dim, input.ndim, "select")
    if not -input.shape[d] <= index < input.shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    return input[(slice(None),) * d + (index,)]


def index_select(input, dim, index):
    """``torch.index_select(input, dim, index)``: the slices at the (1-d) ``index`` along ``dim``.
    The gradient adds up where an index repeats."""
    d = _dim(dim, input.ndim, "index_select")
    index = _index_array("index_select", index, input.shape[d], d, IndexError)
    if index.ndim > 1:
        raise IndexError(f"index_select(): index is supposed to be a vector, got shape {index.shape}")
    return getitem(input, (slice(None),) * d + (index.reshape(-1),))


def take(input, index):
    """``torch.take(input, index)``: elements of the flattened input at ``index`` (any shape; negative
    values count from the end)."""
    flat = input.reshape(-1)
    return getitem(flat, _index_array("take", index, flat.shape[0], 0, IndexError, wrap=True))


def take_along_dim(input, indices, dim=None):
    """``torch.take_along_dim(input, indices, dim=None)``: gather along ``dim`` after broadcasting input and
    indices in the other dimensions (the flattened input with flattened indices when dim is None)."""
    indices = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if dim is None:
        return take_along_dim(input.reshape(-1), indices.reshape(-1), 0)
    d = _dim(dim, input.ndim, "take_along_dim")
    if indices.ndim != input.ndim:
        raise RuntimeError(f"take_along_dim: indices {indices.shape} and input {input.shape} must have the same "
                           "number of dimensions")
    try:
        batch = np.broadcast_shapes(input.shape[:d] + (1,) + input.shape[d + 1:],
                                    indices.shape[:d] + (1,) + indices.shape[d + 1:])
    except ValueError:
        raise RuntimeError(f"take_along_dim: input {input.shape} and indices {indices.shape} do not broadcast "
                           f"apart from dimension {d}") from None
    indices = _index_array("take_along_dim", indices, input.shape[d], d, wrap=True)
    x = input.broadcast_to(batch[:d] + (input.shape[d],) + batch[d + 1:])
    return gather(x, d, np.broadcast_to(indices, batch[:d] + (indices.shape[d],) + batch[d + 1:]))


def index_add(input, dim, index, source, *, alpha=1):
    """``torch.index_add(input, dim, index, source, *, alpha=1)``: out = input, then the slice of out at
    index[i] along ``dim`` += alpha * (slice i of source); a repeated index adds up."""
    d = _dim(dim, input.ndim, "index_add")
    index = _index_array("index_add", index, input.shape[d], d).reshape(-1)
    _slices_fit("index_add", input, d, index, source)
    return scatter_add(input, d, _along(index, d, source.shape), source if alpha == 1 else source * alpha)


def index_copy(input, dim, index, source):
    """``torch.index_copy(input, dim, index, source)``: out = input with its slice at index[i] along ``dim``
    replaced by slice i of source."""
    d = _dim(dim, input.ndim, "index_copy")
    index = _index_array("index_copy", index, input.shape[d], d, IndexError).reshape(-1)
    _slices_fit("index_copy", input, d, index, source)
    return scatter(input, d, _along(index, d, source.shape), source)


def _slices_fit(name, input, d, index, source):
    if source.shape != input.shape[:d] + (len(index),) + input.shape[d + 1:]:
        raise RuntimeError(f"{name}: source {source.shape} must match the input {input.shape} except in dimension "
                           f"{d}, where it must have one slice per index ({len(index)})")


def index_fill(input, dim, index, value):
    """``torch.index_fill(input, dim, index, value)``: out = input with its slices at ``index`` along ``dim``
    set to ``value`` (a number or a 0-d tensor, which then gets the sum of their gradients)."""
    d = _dim(dim, input.ndim, "index_fill")
    filled = np.zeros(input.shape[d], dtype=bool)
    filled[_index_array("index_fill", index, input.shape[d], d, IndexError, wrap=True)] = True
    return where(filled.reshape((-1,) + (1,) * (input.ndim - d - 1)), _tensor(value, input).astype(input.dtype),
                 input)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """``torch.diagonal(input, offset=0, dim1=0, dim2=1)``: the elements x[i, i + offset] of dims (dim1, dim2),
    as a new last dimension (a copy, where PyTorch returns a view)."""
    a, b = _dim(dim1, input.ndim, "diagonal"), _dim(dim2, input.ndim, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    x = movedim(input, (a, b), (-2, -1))
    rows, cols = x.shape[-2:]
    i = np.arange(builtins.max(builtins.min(rows + builtins.min(offset, 0), cols - builtins.max(offset, 0)), 0))
    return x[..., i - builtins.min(offset, 0), i + builtins.max(offset, 0)]


def diag(input, diagonal=0):
    """``torch.diag(input, diagonal=0)``: a 1-d tensor as the ``diagonal``-th diagonal of a square matrix of
    zeros, or a matrix's ``diagonal``-th diagonal as a 1-d tensor."""
    if input.ndim == 2:
        return input.diagonal(diagonal)  # the method: the argument hides the function
    if input.ndim != 1:
        raise RuntimeError(f"diag: expected a 1-d or 2-d tensor, got shape {input.shape}")
    k = diagonal
    m = input.shape[0] + builtins.abs(k)
    line = _constant_pad(input, [(0, builtins.abs(k))], 0)
    return where(np.eye(m, k=k, dtype=bool), line.reshape((m, 1) if k >= 0 else (1, m)), 0)


def tensor_unfold(input, dimension, size, step):
    """``Tensor.unfold(dimension, size, step)``: the windows of ``size`` elements along ``dimension``, ``step``
    apart, with the window's elements as a new last dimension: shape (..., n, ...) becomes
    (..., (n - size) // step + 1, ..., size). (Not ``nn.functional.unfold``, which is im2col.)"""
    d = _dim(dimension, input.ndim, "unfold")
    n = input.shape[d]
    if size > n or size < 0:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    windows = np.arange(0, n - size + 1, step)[:, None] + np.arange(size)
    return movedim(getitem(input, (slice(None),) * d + (windows,)), d + 1, -1)


def meshgrid(*tensors, indexing=None):
    """``torch.meshgrid(*tensors, indexing=None)``: coordinate grids from 1-d tensors of lengths n0, n1, ...:
    output k has shape (n0, n1, ...) and varies along dimension k ("ij"), or with the first two dimensions
    swapped ("xy", NumPy's default). As PyTorch, warns when indexing is not given and then uses "ij"."""
    if indexing is None:
        warnings.warn("meshgrid: in an upcoming release, it will be required to pass the indexing argument; "
                      "using indexing='ij'", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    lines = [_tensor(t) for t in (tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple))
                                  else tensors)]
    if any(t.ndim > 1 for t in lines):
        raise RuntimeError(f"meshgrid: expects 0-d or 1-d tensors, got shapes {[t.shape for t in lines]}")
    swap = indexing == "xy" and len(lines) > 1
    if swap:
        lines[0], lines[1] = lines[1], lines[0]
    shape = tuple(t.numel() for t in lines)
    grids = [t.reshape([-1 if j == k else 1 for j in range(len(lines))]).expand(shape) for k, t in enumerate(lines)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def _atleast(shape_of, tensors):
    """Each tensor reshaped by ``shape_of``: one tensor for one argument, else a tuple."""
    one = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    tensors = [_tensor(t) for t in (tensors if len(tensors) != 1 or one else tensors[0])]
    out = tuple(t if shape_of(t.shape) == t.shape else t.reshape(shape_of(t.shape)) for t in tensors)
    return out[0] if one else out


def atleast_1d(*tensors):
    """0-d tensors as shape (1,); others unchanged."""
    return _atleast(lambda s: s or (1,), tensors)


def atleast_2d(*tensors):
    """0-d as (1, 1), 1-d (n,) as (1, n); others unchanged."""
    return _atleast(lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s, tensors)


def atleast_3d(*tensors):
    """0-d as (1, 1, 1), (n,) as (1, n, 1), (m, n) as (m, n, 1); others unchanged."""
    return _atleast(lambda s: ((1, 1, 1), (1,) + s + (1,), s + (1,))[len(s)] if len(s) < 3 else s, tensors)


def hstack(tensors):
    """Join along dimension 1 (dimension 0 for 1-d tensors)."""
    tensors = atleast_1d(tensors)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Join along dimension 0, 1-d tensors as rows."""
    return cat(atleast_2d(tensors), 0)


def dstack(tensors):
    """Join along dimension 2 (depth), after ``atleast_3d``."""
    return cat(atleast_3d(tensors), 2)


def column_stack(tensors):
    """Join along dimension 1, 0-d and 1-d tensors as columns."""
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in map(_tensor, tensors)], 1)


# ------------------------------------------------------------------ the public names of this family
__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to", "cat", "chunk", "column_stack", "diag", "diagonal",
           "dstack", "expand", "flatten", "flip", "fliplr", "flipud", "gather", "getitem", "hstack", "index_add",
           "index_copy", "index_fill", "index_select", "masked_fill", "meshgrid", "moveaxis", "movedim", "narrow",
           "pad", "permute", "repeat", "repeat_interleave", "reshape", "roll", "scatter", "scatter_add",
           "scatter_reduce", "select", "split", "squeeze", "stack", "swapaxes", "swapdims", "take", "take_along_dim",
           "tensor_unfold", "tile", "transpose", "tril", "triu", "unbind", "unflatten", "unsqueeze",
           "vstack"]  # what `from .movement import *` brings into ops
EXPORTS = ["reshape", "permute", "transpose", "broadcast_to", "squeeze", "unsqueeze", "flatten", "cat", "stack",
           "split", "chunk", "unbind", "pad", "masked_fill", "tril", "triu", "gather", "atleast_1d", "atleast_2d",
           "atleast_3d", "column_stack", "diag", "diagonal", "dstack", "flip", "fliplr", "flipud", "hstack",
           "index_add", "index_copy", "index_fill", "index_select", "meshgrid", "moveaxis", "movedim", "narrow",
           "repeat_interleave", "roll", "scatter", "scatter_add", "scatter_reduce", "select", "swapaxes", "swapdims",
           "take", "take_along_dim", "tile", "unflatten", "vstack"]  # tinygrad_edu.<name>, as torch.<name>
METHODS = {  # Tensor.<name>
    "reshape": reshape, "view": reshape, "permute": permute, "broadcast_to": broadcast_to, "expand": expand,
    "transpose": transpose, "squeeze": squeeze, "unsqueeze": unsqueeze, "flatten": flatten, "gather": gather,
    "split": split, "chunk": chunk, "unbind": unbind, "masked_fill": masked_fill, "tril": tril, "triu": triu,
    "repeat": repeat, "tile": tile, "repeat_interleave": repeat_interleave, "flip": flip, "fliplr": fliplr,
    "flipud": flipud, "roll": roll, "diagonal": diagonal, "diag": diag, "unfold": tensor_unfold,
    "unflatten": unflatten, "movedim": movedim, "moveaxis": movedim, "swapaxes": transpose,
    "swapdims": transpose, "narrow": narrow, "select": select, "index_select": index_select,
    "take_along_dim": take_along_dim, "take": take, "scatter": scatter, "scatter_add": scatter_add,
    "scatter_reduce": scatter_reduce, "index_add": index_add, "index_fill": index_fill,
    "index_copy": index_copy,
    "__getitem__": getitem,
}
