"""Op-table entries for the movement ops added with PyTorch's vocabulary (registered into op_table.CASES)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from op_table import COVERED_OPS, case, distinct, t, torch, uniform

import tinygrad_edu as tg

IDX3 = np.array([2, 0, 2])  # into a dimension of size >= 3, with a repeat
SCATTER_IDX = np.array([[3, 0], [1, 2], [0, 3]])  # (3, 2) into dim 1 of (3, 4), no repeat within a row
SCATTER_DUP = np.array([[3, 0, 3], [1, 1, 1], [0, 3, 2]])  # (3, 3) into dim 1 of (3, 4), repeats add up
TAKE_IDX = np.array([[5, -1], [0, 11]])  # into 12 elements, one counted from the end
ALONG_IDX = np.array([[3, 1]])  # (1, 2): broadcast over the rows of a (3, 4) input
UNIQUE3 = np.array([2, 0, 3])


def _tg(a):
    return tg.Tensor(a)


# ------------------------------------------------------------------------------ NumPy references
def np_scatter(a, dim, index, src, reduce=None, include_self=True):
    """PyTorch's scatter / scatter_reduce, written with np.ufunc.at over the gather positions."""
    grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grid[dim] = index
    where, src = tuple(grid), np.broadcast_to(src, index.shape) if np.ndim(src) == 0 else src
    out = a.copy()
    if reduce is None:
        out[where] = src
        return out
    written = np.zeros(a.shape, dtype=bool)
    written[where] = True
    start = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "amax": -np.inf, "amin": np.inf}[reduce]
    if not include_self:
        out[written] = start
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    ufunc.at(out, where, src)
    if reduce == "mean":
        count = np.full(a.shape, float(include_self))
        np.add.at(count, where, 1.0)
        out = out / np.maximum(count, 1.0)
    return out


def np_along(index, dim, shape):
    return np.broadcast_to(index.reshape((-1,) + (1,) * (len(shape) - dim - 1)), shape)


def np_pad_torch(a, pad, mode, value=0.0):
    """F.pad with negative widths: constant, reflect and replicate pad then crop; circular crops then wraps."""
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]
    widths = [(0, 0)] * (a.ndim - len(pairs)) + pairs[::-1]
    positive = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    crop = lambda x, base: x[tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(base, widths))]
    if mode == "circular":
        return np.pad(crop(a, a.shape), positive, mode="wrap")
    kw = {"constant_values": value} if mode == "constant" else {}
    padded = np.pad(a, positive, mode={"constant": "constant", "reflect": "reflect", "replicate": "edge"}[mode], **kw)
    return padded[tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(padded.shape, widths))]


def with_zeros(*shape, at=((0, 1), (2, 0))):
    """Values in [0.5, 1.5] except exact zeros at ``at``: the product's derivative at a zero."""

    def gen(rng):
        x = rng.uniform(0.5, 1.5, shape)
        for i in at:
            x[i] = 0.0
        return x

    return gen


# --------------------------------------------------------------------------------- repeat and flip
case("repeat_3d", lambda a: a.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3)), [(2, 3)], lambda a: a.repeat(2, 1, 3))
case("repeat_same_rank", lambda a: a.repeat((3, 2)), lambda a: np.tile(a, (3, 2)), [(2, 3)], lambda a: a.repeat(3, 2))
case("tile_fewer_dims", lambda a: tg.tile(a, (2,)), lambda a: np.tile(a, 2), [(2, 3)], lambda a: torch.tile(a, (2,)))
case("tile_method", lambda a: a.tile(2, 1, 2), lambda a: np.tile(a, (2, 1, 2)), [(2, 3)], lambda a: a.tile(2, 1, 2))
case("repeat_interleave_int_dim", lambda a: tg.repeat_interleave(a, 2, dim=1), lambda a: np.repeat(a, 2, axis=1),
     [(2, 3)], lambda a: torch.repeat_interleave(a, 2, dim=1))
case("repeat_interleave_tensor", lambda a: a.repeat_interleave(_tg(np.array([1, 0, 2])), dim=0),
     lambda a: np.repeat(a, [1, 0, 2], axis=0), [(3, 2)], lambda a: a.repeat_interleave(t(np.array([1, 0, 2])), dim=0))
case("repeat_interleave_flat", lambda a: a.repeat_interleave(2), lambda a: np.repeat(a, 2), [(2, 3)],
     lambda a: a.repeat_interleave(2))
case("flip_two_dims", lambda a: tg.flip(a, (0, 2)), lambda a: np.flip(a, (0, 2)), [(2, 3, 4)],
     lambda a: torch.flip(a, (0, 2)))
case("flip_method_negdim", lambda a: a.flip(-1), lambda a: np.flip(a, -1), [(2, 3)], lambda a: a.flip(-1))
case("fliplr", tg.fliplr, np.fliplr, [(3, 4)], lambda a: torch.fliplr(a))
case("flipud", lambda a: a.flipud(), np.flipud, [(3, 4)], lambda a: a.flipud())
case("roll_dim", lambda a: a.roll(1, 1), lambda a: np.roll(a, 1, 1), [(3, 4)], lambda a: a.roll(1, 1))
case("roll_two_dims", lambda a: tg.roll(a, (2, -1), (0, 1)), lambda a: np.roll(a, (2, -1), (0, 1)), [(3, 4)],
     lambda a: torch.roll(a, (2, -1), (0, 1)))
case("roll_flat", lambda a: a.roll(5), lambda a: np.roll(a, 5), [(3, 4)], lambda a: a.roll(5))

# ---------------------------------------------------------------------------- diagonals and windows
case("diagonal", lambda a: a.diagonal(), np.diagonal, [(3, 4)], lambda a: a.diagonal())
case("diagonal_offset_dims", lambda a: tg.diagonal(a, 1, 0, 2), lambda a: np.diagonal(a, 1, 0, 2), [(3, 2, 4)],
     lambda a: torch.diagonal(a, 1, 0, 2))
case("diagonal_negative_offset", lambda a: a.diagonal(-1, -1, -2), lambda a: np.diagonal(a, -1, -1, -2), [(2, 3, 4)],
     lambda a: a.diagonal(-1, -1, -2))
case("diag_vector", tg.diag, np.diag, [(3,)], lambda a: torch.diag(a))
case("diag_vector_above", lambda a: tg.diag(a, 1), lambda a: np.diag(a, 1), [(3,)], lambda a: torch.diag(a, 1))
case("diag_vector_below", lambda a: a.diag(-2), lambda a: np.diag(a, -2), [(3,)], lambda a: a.diag(-2))
case("diag_matrix", lambda a: tg.diag(a, 1), lambda a: np.diag(a, 1), [(3, 4)], lambda a: torch.diag(a, 1))
case("tensor_unfold_step1", lambda a: a.unfold(1, 2, 1), lambda a: sliding_window_view(a, 2, axis=1), [(2, 5)],
     lambda a: a.unfold(1, 2, 1))
case("tensor_unfold_step2", lambda a: a.unfold(0, 3, 2), lambda a: sliding_window_view(a, 3, axis=0)[::2], [(7, 2)],
     lambda a: a.unfold(0, 3, 2))

# ------------------------------------------------------------------------------- dimension moves
case("unflatten", lambda a: tg.unflatten(a, 1, (2, -1)), lambda a: a.reshape(3, 2, 3), [(3, 6)],
     lambda a: torch.unflatten(a, 1, (2, -1)))
case("movedim", lambda a: a.movedim(0, -1), lambda a: np.moveaxis(a, 0, -1), [(2, 3, 4)], lambda a: a.movedim(0, -1))
case("movedim_tuple", lambda a: tg.movedim(a, (0, 1), (2, 0)), lambda a: np.moveaxis(a, (0, 1), (2, 0)),
     [(2, 3, 4)], lambda a: torch.movedim(a, (0, 1), (2, 0)))
case("moveaxis", lambda a: tg.moveaxis(a, 2, 0), lambda a: np.moveaxis(a, 2, 0), [(2, 3, 4)],
     lambda a: torch.moveaxis(a, 2, 0))
case("swapaxes", lambda a: tg.swapaxes(a, 0, 2), lambda a: np.swapaxes(a, 0, 2), [(2, 3, 4)],
     lambda a: torch.swapaxes(a, 0, 2))
case("swapdims", lambda a: a.swapdims(-1, 0), lambda a: np.swapaxes(a, -1, 0), [(2, 3, 4)],
     lambda a: a.swapdims(-1, 0))
case("squeeze_tuple", lambda a: a.squeeze((0, 2)), lambda a: np.squeeze(a, (0, 2)), [(1, 3, 1, 2)],
     lambda a: a.squeeze((0, 2)))

# ----------------------------------------------------------------------------- selecting elements
case("narrow", lambda a: a.narrow(1, 1, 2), lambda a: a[:, 1:3], [(3, 4)], lambda a: a.narrow(1, 1, 2))
case("narrow_negative_start", lambda a: tg.narrow(a, 0, -2, 2), lambda a: a[-2:], [(3, 4)],
     lambda a: torch.narrow(a, 0, -2, 2))
case("select", lambda a: a.select(1, -1), lambda a: a[:, -1], [(3, 4)], lambda a: a.select(1, -1))
case("index_select", lambda a: a.index_select(0, IDX3), lambda a: np.take(a, IDX3, 0), [(3, 4)],
     lambda a: a.index_select(0, t(IDX3)))
case("index_select_fn_dim1", lambda a: tg.index_select(a, 1, _tg(IDX3)), lambda a: np.take(a, IDX3, 1), [(2, 3)],
     lambda a: torch.index_select(a, 1, t(IDX3)))
case("take", lambda a: tg.take(a, _tg(TAKE_IDX)), lambda a: np.take(a, TAKE_IDX), [(3, 4)],
     lambda a: torch.take(a, t(TAKE_IDX)))
case("take_along_dim", lambda a: tg.take_along_dim(a, SCATTER_DUP, 1),
     lambda a: np.take_along_axis(a, SCATTER_DUP, 1), [(3, 4)], lambda a: torch.take_along_dim(a, t(SCATTER_DUP), 1))
case("take_along_dim_broadcast", lambda a: a.take_along_dim(_tg(ALONG_IDX), dim=1),
     lambda a: np.take_along_axis(a, np.broadcast_to(ALONG_IDX, (3, 2)), 1), [(3, 4)],
     lambda a: a.take_along_dim(t(ALONG_IDX), dim=1))
case("take_along_dim_flat", lambda a: tg.take_along_dim(a, TAKE_IDX[:, :1]),
     lambda a: np.take(a, TAKE_IDX[:, :1].reshape(-1)), [(3, 4)], lambda a: torch.take_along_dim(a, t(TAKE_IDX[:, :1])))

# ---------------------------------------------------------------------------------- scatter family
case("scatter_src", lambda a, b: a.scatter(1, _tg(SCATTER_IDX), b), lambda a, b: np_scatter(a, 1, SCATTER_IDX, b),
     [(3, 4), (3, 2)], lambda a, b: a.scatter(1, t(SCATTER_IDX), b))
case("scatter_value", lambda a: tg.scatter(a, 0, SCATTER_IDX[:2].T.copy() % 2, value=2.5),
     lambda a: np_scatter(a, 0, SCATTER_IDX[:2].T % 2, 2.5), [(2, 3)],
     lambda a: torch.scatter(a, 0, t(SCATTER_IDX[:2].T.copy() % 2), value=2.5))
case("scatter_add", lambda a, b: a.scatter_add(1, _tg(SCATTER_DUP), b),
     lambda a, b: np_scatter(a, 1, SCATTER_DUP, b, "sum"), [(3, 4), (3, 3)],
     lambda a, b: a.scatter_add(1, t(SCATTER_DUP), b))
case("scatter_add_fn_dim0", lambda a, b: tg.scatter_add(a, 0, SCATTER_DUP.T[:, :2] % 3, b),
     lambda a, b: np_scatter(a, 0, SCATTER_DUP.T[:, :2] % 3, b, "sum"), [(3, 2), (3, 2)],
     lambda a, b: torch.scatter_add(a, 0, t(SCATTER_DUP.T[:, :2].copy() % 3), b))
for _reduce in ("sum", "mean", "amax", "amin", "prod"):
    for _self in (True, False):
        _spec = distinct(3, 4) if _reduce in ("amax", "amin") else uniform(0.5, 1.5, 3, 4)
        _src = distinct(3, 3) if _reduce in ("amax", "amin") else uniform(0.5, 1.5, 3, 3)
        case(f"scatter_reduce_{_reduce}_{'include' if _self else 'exclude'}_self",
             lambda a, b, r=_reduce, s=_self: a.scatter_reduce(1, _tg(SCATTER_DUP), b, r, include_self=s),
             lambda a, b, r=_reduce, s=_self: np_scatter(a, 1, SCATTER_DUP, b, r, s), [_spec, _src],
             lambda a, b, r=_reduce, s=_self: a.scatter_reduce(1, t(SCATTER_DUP), b, r, include_self=s))
case("scatter_reduce_prod_zeros", lambda a, b: tg.scatter_reduce(a, 1, SCATTER_DUP, b, "prod"),
     lambda a, b: np_scatter(a, 1, SCATTER_DUP, b, "prod"), [with_zeros(3, 4, at=((1, 1),)), with_zeros(3, 3)],
     lambda a, b: torch.scatter_reduce(a, 1, t(SCATTER_DUP), b, "prod"))
case("index_add", lambda a, b: a.index_add(0, _tg(IDX3), b, alpha=2.0),
     lambda a, b: np_scatter(a, 0, np_along(IDX3, 0, (3, 4)), 2.0 * b, "sum"), [(3, 4), (3, 4)],
     lambda a, b: a.index_add(0, t(IDX3), b, alpha=2.0))
case("index_add_fn_dim1", lambda a, b: tg.index_add(a, 1, IDX3, b),
     lambda a, b: np_scatter(a, 1, np_along(IDX3, 1, (2, 3)), b, "sum"), [(2, 4), (2, 3)],
     lambda a, b: torch.index_add(a, 1, t(IDX3), b))
case("index_copy", lambda a, b: a.index_copy(1, _tg(UNIQUE3), b),
     lambda a, b: np_scatter(a, 1, np_along(UNIQUE3, 1, (2, 3)), b), [(2, 4), (2, 3)],
     lambda a, b: a.index_copy(1, t(UNIQUE3), b))
case("index_fill", lambda a: a.index_fill(1, _tg(IDX3), -1.5),
     lambda a: np.where(np.isin(np.arange(4), IDX3), -1.5, a), [(3, 4)], lambda a: a.index_fill(1, t(IDX3), -1.5))
case("index_fill_tensor_value", lambda a, v: tg.index_fill(a, 0, _tg(np.array([2, 2])), v),
     lambda a, v: np.where(np.arange(3)[:, None] == 2, v, a), [(3, 4), ()],
     lambda a, v: torch.index_fill(a, 0, t(np.array([2, 2])), v))

# ----------------------------------------------------------------------------------- joining, grids
case("meshgrid_ij", lambda a, b: tg.meshgrid(a, b, indexing="ij"), lambda a, b: np.meshgrid(a, b, indexing="ij"),
     [(3,), (4,)], lambda a, b: torch.meshgrid(a, b, indexing="ij"))
case("meshgrid_xy_three", lambda a, b, c: tg.meshgrid([a, b, c], indexing="xy"),
     lambda a, b, c: np.meshgrid(a, b, c, indexing="xy"), [(2,), (3,), (4,)],
     lambda a, b, c: torch.meshgrid([a, b, c], indexing="xy"))
case("atleast_1d", tg.atleast_1d, np.atleast_1d, [()], lambda a: torch.atleast_1d(a))
case("atleast_2d_two", lambda a, b: tg.atleast_2d(a, b), lambda a, b: np.atleast_2d(a, b), [(3,), (2, 3)],
     lambda a, b: torch.atleast_2d(a, b))
case("atleast_3d_list", lambda a, b: tg.atleast_3d([a, b]), lambda a, b: np.atleast_3d(a, b), [(3,), (2, 3)],
     lambda a, b: torch.atleast_3d([a, b]))
case("hstack", lambda a, b: tg.hstack([a, b]), lambda a, b: np.hstack([a, b]), [(2, 3), (2, 1)],
     lambda a, b: torch.hstack([a, b]))
case("hstack_1d", lambda a, b: tg.hstack([a, b]), lambda a, b: np.hstack([a, b]), [(2,), (3,)],
     lambda a, b: torch.hstack([a, b]))
case("vstack", lambda a, b: tg.vstack([a, b]), lambda a, b: np.vstack([a, b]), [(3,), (2, 3)],
     lambda a, b: torch.vstack([a, b]))
case("dstack", lambda a, b: tg.dstack([a, b]), lambda a, b: np.dstack([a, b]), [(2, 3), (2, 3, 2)],
     lambda a, b: torch.dstack([a, b]))
case("column_stack", lambda a, b: tg.column_stack([a, b]), lambda a, b: np.column_stack([a, b]), [(3,), (3, 2)],
     lambda a, b: torch.column_stack([a, b]))

# --------------------------------------- indexing: PyTorch applies ints before the integer arrays
case("getitem_int_slice_array", lambda a: a[0, :, :, IDX3], lambda a: a[0][:, :, IDX3], [(2, 3, 4, 5)],
     lambda a: a[0, :, :, t(IDX3)])
case("getitem_array_slice_int", lambda a: a[:, IDX3, :, 1], lambda a: a[:, :, :, 1][:, IDX3], [(2, 3, 4, 5)],
     lambda a: a[:, t(IDX3), :, 1])
case("getitem_0d_tensor_int", lambda a: a[_tg(np.array(1)), ..., _tg(IDX3)], lambda a: a[1][..., IDX3], [(2, 3, 4)],
     lambda a: a[t(np.array(1)), ..., t(IDX3)])

# ----------------------------------------------------------------------- padding with negative widths
_NEG_PADS = [("constant_crop", (2, 5), (-1, 2), "constant"), ("constant_crop_2d", (3, 4), (1, -2, -1, 1), "constant"),
             ("reflect_crop", (2, 5), (-1, 3), "reflect"), ("reflect_crop_after", (1, 2, 5), (3, -2), "reflect"),
             ("replicate_crop", (2, 4), (2, -1), "replicate"), ("circular_crop", (2, 5), (-1, 2), "circular"),
             ("circular_crop_after", (1, 2, 5), (3, -1), "circular")]
for _tag, _shape, _p, _mode in _NEG_PADS:
    case(f"pad_{_tag}", lambda a, p=_p, m=_mode: tg.nn.functional.pad(a, p, mode=m, value=0.5),
         lambda a, p=_p, m=_mode: np_pad_torch(a, p, m, 0.5), [_shape],
         lambda a, p=_p, m=_mode: torch.nn.functional.pad(a, p, mode=m, value=0.5) if m == "constant"
         else torch.nn.functional.pad(a, p, mode=m))

COVERED_OPS.update({
    "repeat_interleave", "tile", "flip", "fliplr", "flipud", "roll", "diagonal", "diag", "unflatten", "movedim",
    "moveaxis", "swapaxes", "swapdims", "narrow", "select", "index_select", "take", "take_along_dim", "scatter",
    "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill", "meshgrid", "atleast_1d",
    "atleast_2d", "atleast_3d", "hstack", "vstack", "dstack", "column_stack",
})
