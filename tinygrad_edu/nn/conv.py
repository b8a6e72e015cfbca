"""Convolution and pooling, vectorized with im2col ("unfold") and one matrix product.

The im2col idea
---------------
A 2-D convolution slides a (C, kh, kw) filter over an (N, C, H, W) input. Written with loops it is
six nested loops (batch, output channel, output row, output column, and the filter's kh x kw). im2col
turns it into a single matrix product:

1. **Unfold.** Copy every (C, kh, kw) window of the (padded) input into one column of a matrix::

       x (N, C, H, W)  --unfold-->  cols (C, kh, kw, N, H_out, Wq)  ==  (C*kh*kw, N*H_out*Wq)

   Row (c, i, j) of cols holds what kernel offset (i, j) of channel c sees in every window; column
   (n, r, q) is one window. H_out = (H + pad_top + pad_bottom - d*(kh-1) - 1) // s + 1 (the same for
   W_out). How the copy is laid out:

   - The padded input is flattened once, per channel and image, with its rows P apart: flat (C, N, size).
     Window (r, q), kernel offset (i, j), reads flat[(r*s_h + i*d_h)*P + q*s_w + j*d_w]: for a fixed
     offset that is a strided *view* of flat, and copying the kh*kw views gives cols.
   - Windows are taken on a grid of Wq = ceil(padded width / s_w) >= W_out columns per output row,
     with P = Wq*s_w. With stride 1 (the usual case) P = Wq, so one offset's H_out x Wq windows are one
     contiguous run of flat, copied (and in the backward pass added) in long runs. The grid's columns
     past W_out are windows that wrap into the next row: a few percent more arithmetic, dropped.

2. **Multiply.** The filters (O, C, kh, kw) are already a (O, C*kh*kw) matrix W, and one product
   covers every image::

       out (O, N*H_out*Wq) = W (O, C*kh*kw) @ cols (C*kh*kw, N*H_out*Wq)      (+ bias)

   then the grid's extra columns are dropped and the batch axis moved in front: (N, O, H_out, W_out).

3. **Backward.** With G, the output gradient, moved onto the grid (O, N*H_out*Wq), zeros in the extra
   columns: dL/dW = G @ cols^T, one more matrix product with the saved cols, and dL/dx = col2im(W^T @ G):
   the windows' gradient (C*kh*kw, N*H_out*Wq) is added back, one kernel offset at a time, into that
   offset's view of a zero flattened input; overlapping windows add up, as they must. Convolution, its
   input gradient (the "transposed convolution") and its weight gradient are three primitives, and each
   one's derivative is made of the other two, so convolutions differentiate to any order.

``groups`` splits the C input channels into G groups of C/G and the O filters into G groups of O/G;
each group is its own im2col product, done as one batched matmul over a leading G dimension.

Pooling reuses the same windows (a plain reshape when they tile the input, as 2x2 pooling does): max
pooling pads with the lowest float and takes the max of each window, comparing one contiguous
(N, C, H_out, W_out) plane per kernel offset (the gradient goes to the first maximum of each window, as
in PyTorch); average pooling adds the windows one kernel offset at a time and divides. ``unfold`` /
``fold`` are im2col / col2im as a pair of ops, each the other's derivative.
"""

import numbers
from typing import NamedTuple

import numpy as np

from ..engine.ops import _same_dtype, pad
from ..engine.random import generator
from ..engine.tensor import Tensor, _wrap, make_op
from . import init
from .module import Module, Parameter, _check_size

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "Conv1d", "Conv2d", "Dropout2d", "MaxPool2d", "adaptive_avg_pool2d",
           "avg_pool2d", "conv1d", "conv2d", "dropout2d", "fold", "max_pool2d", "unfold"]


# ------------------------------------------------------------------------------------------ helpers
def _pair(value, name):
    """An int or a pair of ints as a (height, width) tuple."""
    if isinstance(value, numbers.Integral):
        return (int(value), int(value))
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value}")
    return value


def _out_size(size, k, d, lo, hi, s):
    """Number of window positions: floor((size + lo + hi - d*(k-1) - 1) / s) + 1."""
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def _check_4d(x, name, what="(N, C, H, W)"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise RuntimeError(f"{name}: expected a 4-D input {what}, got shape {x.shape}")


def _check_fits(name, hw, kernel, dilation, pads):
    """The (dilated) kernel must fit in the padded input, or there is no window at all."""
    (h, w), (kh, kw), (dh, dw), (t, b, left, r) = hw, kernel, dilation, pads
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if h + t + b < eh or w + left + r < ew:
        raise RuntimeError(f"{name}: kernel of size ({eh}, {ew}) (dilation included) is larger than the padded "
                           f"input of size ({h + t + b}, {w + left + r})")


# ------------------------------------------------------------------- the window grid, in NumPy
class _Geometry(NamedTuple):
    kernel: tuple
    dilation: tuple
    pads: tuple  # (top, bottom, left, right)
    stride: tuple
    groups: int = 1


class _Grid(NamedTuple):
    """Where one geometry's windows lie in the flattened padded input (see the module docstring)."""
    out_hw: tuple  # (H_out, W_out)
    wq: int  # grid columns per output row, Wq = ceil(W_padded / s_w) >= W_out
    pitch: int  # P = Wq * s_w >= W_padded: the distance between padded rows in the flattened input
    size: int  # length of the flattened input, with room for the last windows' reads


def _grid(hw, geo):
    """The :class:`_Grid` of an (H, W) input under geometry ``geo``."""
    (h, w), (kh, kw), (dh, dw), (t, b, left, r), (sh, sw) = hw, geo.kernel, geo.dilation, geo.pads, geo.stride
    ho, wo = _out_size(h, kh, dh, t, b, sh), _out_size(w, kw, dw, left, r, sw)
    wq = -(-(w + left + r) // sw)
    pitch = wq * sw
    return _Grid((ho, wo), wq, pitch, max((h + t + b) * pitch, (kh - 1) * dh * pitch + (kw - 1) * dw + ho * sh * pitch))


def _offset_view(flat, i, j, geo, grid):
    """The (C, N, H_out, Wq) values that kernel offset (i, j) sees in a flattened padded input (C, N, size):
    grid position (r, q) reads flat[(r*s_h + i*d_h)*P + q*s_w + j*d_w]. A view, for reading or adding."""
    (dh, dw), (sh, sw), (ho, _), wq, pitch = geo.dilation, geo.stride, grid.out_hw, grid.wq, grid.pitch
    start = i * dh * pitch + j * dw
    c, n, _ = flat.shape
    return flat[:, :, start:start + ho * sh * pitch].reshape(c, n, ho, sh * pitch)[..., :wq * sw:sw]


def _interior(flat, hw, geo, grid):
    """The unpadded (C, N, H, W) input inside a flattened padded one (C, N, size): a view."""
    (h, w), (t, b, left, _) = hw, geo.pads
    c, n, _ = flat.shape
    return flat[:, :, :(h + t + b) * grid.pitch].reshape(c, n, h + t + b, grid.pitch)[:, :, t:t + h, left:left + w]


def _windows(x, geo, value=0.0):
    """im2col on an array: (N, C, H, W) -> (C, kh, kw, N, H_out, Wq), every window of ``x`` padded by
    ``geo.pads`` with ``value``: the input is flattened once into (C, N, size) with rows P apart, then
    each kernel offset's view of it is copied out (with stride 1, one contiguous run per image)."""
    n, c, h, w = x.shape
    grid = _grid((h, w), geo)
    flat = np.full((c, n, grid.size), value, dtype=x.dtype)
    _interior(flat, (h, w), geo, grid)[...] = x.transpose(1, 0, 2, 3)
    cols = np.empty((c, *geo.kernel, n, grid.out_hw[0], grid.wq), dtype=x.dtype)
    for i in range(geo.kernel[0]):
        for j in range(geo.kernel[1]):
            cols[:, i, j] = _offset_view(flat, i, j, geo, grid)
    return cols


def _add_windows(cols, hw, geo):
    """col2im on arrays, the adjoint of :func:`_windows`: (C, kh, kw, N, H_out, Wq) -> (N, C, H, W).
    Start from a zero flattened padded input and add each kernel offset's windows back into that
    offset's view of it; overlapping windows add up, and the grid's columns past W_out must be zero
    (they land in padding or the next row). Returns the unpadded sum."""
    grid = _grid(hw, geo)
    acc = np.zeros((cols.shape[0], cols.shape[3], grid.size), dtype=cols.dtype)
    for i in range(geo.kernel[0]):
        for j in range(geo.kernel[1]):
            _offset_view(acc, i, j, geo, grid)[...] += cols[:, i, j]
    return np.ascontiguousarray(_interior(acc, hw, geo, grid).transpose(1, 0, 2, 3))


def _to_grid(a, wq):
    """(N, ..., H_out, W_out) -> (..., N, H_out, Wq): the batch axis moved in front of the rows and
    zero columns appended, the layout of :func:`_windows`."""
    grid = np.zeros((*a.shape[1:-2], a.shape[0], a.shape[-2], wq), dtype=a.dtype)
    grid[..., :a.shape[-1]] = np.moveaxis(a, 0, -3)
    return grid


def _from_grid(a, wo, shift):
    """The inverse of :func:`_to_grid`: (..., N, H_out, Wq) -> (N, ..., H_out, W_out), plus ``shift``
    (a bias, broadcast against the result) added in the same pass."""
    moved = np.moveaxis(a[..., :wo], -3, 0)
    return np.add(moved, shift, out=np.empty(moved.shape, dtype=a.dtype))


# ------------------------------------------------------------------- the adjoint primitive pair
def _patches(x, geo, value=0.0):
    """im2col as an op: (N, C, H, W) -> (N, C, kh, kw, H_out, W_out), see :func:`_windows`; a view of the
    window matrix, so that whoever reads it (unfold's reshape, pooling) makes the only copy.
    Backward: :func:`_unpatches` (col2im) of the gradient; padding positions get none."""
    grid = _grid(x.shape[2:], geo)

    def backward(g, out):
        return (_unpatches(g, x.shape[2:], geo),)

    cols = _windows(x.data, geo, value)[..., :grid.out_hw[1]]  # (C, kh, kw, N, H_out, W_out), a view
    return make_op("unfold", np.moveaxis(cols, 3, 0), (x,), backward)


def _unpatches(cols, hw, geo):
    """col2im as an op, the adjoint of :func:`_patches`: (N, C, kh, kw, H_out, W_out) -> (N, C, H, W),
    adding each window back where it came from. Backward: :func:`_patches` of the gradient."""
    def backward(g, out):
        return (_patches(g, geo),)

    data = _add_windows(_to_grid(cols.data, _grid(hw, geo).wq), hw, geo)
    return make_op("fold", data, (cols,), backward)


# ------------------------------------------------- convolution: three primitives, each the others' derivative
def _conv(x, weight, bias, geo):
    """y = conv(x, W) + b: (N, C, H, W), (O, C/G, kh, kw), (O,) or None -> (N, O, H_out, W_out), as im2col
    and one matrix product per group over all images' windows:
        Y (O/G, N*H_out*Wq) = W (O/G, C/G*kh*kw) @ cols (C/G*kh*kw, N*H_out*Wq)
    then the grid's columns past W_out dropped and the batch axis moved to the front.
    Backward: dL/dx = _conv_input_grad(G, W) (the transposed convolution), dL/dW = _conv_weight_grad(x, G),
    dL/db = G summed over batch and positions."""
    cols = _windows(x.data, geo)  # (C, kh, kw, N, H_out, Wq)
    (_, wo), (o, n, ho, wq) = _grid(x.shape[2:], geo).out_hw, (weight.shape[0], x.shape[0], *cols.shape[-2:])
    y = np.matmul(weight.data.reshape(geo.groups, o // geo.groups, -1), cols.reshape(geo.groups, -1, n * ho * wq))
    data = _from_grid(y.reshape(o, n, ho, wq), wo, 0 if bias is None else bias.data[:, None, None])

    def backward(g, out):
        g_grid = _to_grid(g.data, wq)  # (O, N, H_out, Wq), shared by both products
        return (_conv_input_grad(g, weight, x.shape, geo, g_grid) if x.requires_grad else None,
                _conv_weight_grad(x, g, geo, cols, g_grid) if weight.requires_grad else None,
                g.sum((0, 2, 3)) if bias is not None and bias.requires_grad else None)

    return make_op("conv2d", data, (x, weight) if bias is None else (x, weight, bias), backward)


def _conv_input_grad(g, weight, x_shape, geo, g_grid=None):
    """dL/dx = col2im(W^T G), the transposed convolution of G: per group the windows' gradient
    dcols (C/G*kh*kw, N*H_out*Wq) = W^T (C/G*kh*kw, O/G) @ G (O/G, N*H_out*Wq), G on the grid (zero
    past column W_out), each window's values then added back where the window came from.
    ``g_grid``: G already on the grid, if the caller has it.
    Backward (upstream H, shaped like x): d/dG = conv(H, W), d/dW = _conv_weight_grad(H, G)."""
    c, o, (kh, kw) = x_shape[1], weight.shape[0], geo.kernel
    if g_grid is None:
        g_grid = _to_grid(g.data, _grid(x_shape[2:], geo).wq)  # (O, N, H_out, Wq)
    w_t = weight.data.reshape(geo.groups, o // geo.groups, -1).swapaxes(1, 2)  # (G, C/G*kh*kw, O/G)
    dcols = np.matmul(w_t, g_grid.reshape(geo.groups, o // geo.groups, -1))
    data = _add_windows(dcols.reshape(c, kh, kw, *g_grid.shape[1:]), x_shape[2:], geo)

    def backward(h, out):
        return (_conv(h, weight, None, geo) if g.requires_grad else None,
                _conv_weight_grad(h, g, geo) if weight.requires_grad else None)

    return make_op("conv2d_input_grad", data, (g, weight), backward)


def _conv_weight_grad(x, g, geo, cols=None, g_grid=None):
    """dL/dW = G (O/G, N*H_out*Wq) @ cols^T (N*H_out*Wq, C/G*kh*kw) per group, G on the grid (its zero
    columns drop the grid's extra windows), reshaped to W's (O, C/G, kh, kw). Computed as the transpose of
    cols @ G^T: the same numbers, and OpenBLAS runs that orientation 10-20% faster on these long, narrow
    matrices. ``cols``, ``g_grid``: the windows of x and G on the grid, if the caller has them.
    Backward (upstream H, shaped like W): d/dx = _conv_input_grad(G, H), d/dG = conv(x, H)."""
    if cols is None:
        cols = _windows(x.data, geo)
    if g_grid is None:
        g_grid = _to_grid(g.data, cols.shape[-1])
    o, groups = g.shape[1], geo.groups
    g_grid = g_grid.reshape(groups, o // groups, -1)
    dw = np.matmul(cols.reshape(groups, -1, g_grid.shape[-1]), g_grid.swapaxes(1, 2)).swapaxes(1, 2)
    data = dw.reshape(o, x.shape[1] // groups, *geo.kernel)

    def backward(h, out):
        return (_conv_input_grad(g, h, x.shape, geo) if x.requires_grad else None,
                _conv(x, h, None, geo) if g.requires_grad else None)

    return make_op("conv2d_weight_grad", data, (x, g), backward)


# --------------------------------------------------------------------------- unfold / fold (public)
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``F.unfold``: (N, C, H, W) -> (N, C*kh*kw, L), column l holding window l (row-major
    over the H_out x W_out positions), its C*kh*kw entries ordered (channel, kernel row, kernel column)."""
    _check_4d(input, "unfold")
    kernel, dilation, padding, stride = (_pair(v, name) for v, name in ((kernel_size, "kernel_size"),
                                         (dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    pads = (padding[0], padding[0], padding[1], padding[1])
    _check_fits("unfold", input.shape[2:], kernel, dilation, pads)
    p = _patches(input, _Geometry(kernel, dilation, pads, stride))  # (N, C, kh, kw, H_out, W_out)
    return p.reshape(p.shape[0], -1, p.shape[4] * p.shape[5])


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``F.fold``, the adjoint of :func:`unfold`: (N, C*kh*kw, L) -> (N, C, H, W), summing
    overlapping values. ``output_size`` is (H, W); L must equal the number of windows that gives."""
    if not isinstance(input, Tensor) or input.ndim != 3:
        raise RuntimeError(f"fold: expected a 3-D input (N, C*kh*kw, L), got shape {getattr(input, 'shape', None)}")
    (h, w), kernel, dilation, padding, stride = (_pair(v, name) for v, name in (
        (output_size, "output_size"), (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"),
        (stride, "stride")))
    kh, kw = kernel
    pads = (padding[0], padding[0], padding[1], padding[1])
    _check_fits("fold", (h, w), kernel, dilation, pads)
    ho, wo = _out_size(h, kh, dilation[0], *pads[:2], stride[0]), _out_size(w, kw, dilation[1], *pads[2:], stride[1])
    n, ckk, length = input.shape
    if ckk % (kh * kw) or length != ho * wo:
        raise RuntimeError(f"fold: input of shape {input.shape} does not fit kernel {kernel} and output size "
                           f"{(h, w)}: expected (N, C*{kh * kw}, {ho * wo})")
    cols = input.reshape(n, ckk // (kh * kw), kh, kw, ho, wo)
    return _unpatches(cols, (h, w), _Geometry(kernel, dilation, pads, stride))


# ---------------------------------------------------------------------------------- convolution
def _conv_pads(padding, kernel, dilation, stride, name):
    """(top, bottom, left, right) from an int, a pair, 'valid' or 'same' (extra on bottom/right, as PyTorch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{name}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{name}: padding='same' is not supported for strided convolutions (stride={stride})")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return (totals[0] // 2, totals[0] - totals[0] // 2, totals[1] // 2, totals[1] - totals[1] // 2)
    ph, pw = _pair(padding, "padding")
    return (ph, ph, pw, pw)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch): input (N, C, H, W), weight (O, C/groups, kh, kw),
    bias (O,) -> (N, O, H_out, W_out). ``padding``: int, (ph, pw), 'valid' or 'same' (stride 1 only).
    Computed as im2col + one matmul (see the module docstring)."""
    _check_4d(input, "conv2d")
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4-D weight (out_channels, in_channels/groups, kh, kw), "
                           f"got shape {getattr(weight, 'shape', None)}")
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    n, c, h, w = input.shape
    o, cg, kh, kw = weight.shape
    if groups < 1 or c % groups or o % groups:
        raise RuntimeError(f"conv2d: groups={groups} must divide both the input channels ({c}) and the output "
                           f"channels ({o})")
    if cg * groups != c:
        raise RuntimeError(f"conv2d: expected input with {cg * groups} channels (weight {weight.shape}, "
                           f"groups={groups}), got {c} channels in input of shape {input.shape}")
    if bias is not None and bias.shape != (o,):
        raise RuntimeError(f"conv2d: bias of shape {bias.shape} does not fit {o} output channels")
    _same_dtype("conv2d", input, weight, bias)
    pads = _conv_pads(padding, (kh, kw), dilation, stride, "conv2d")
    _check_fits("conv2d", (h, w), (kh, kw), dilation, pads)

    return _conv(input, weight, bias, _Geometry((kh, kw), dilation, pads, stride, groups))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution: input (N, C, L), weight (O, C/groups, k) -> (N, O, L_out); conv2d on a height of 1."""
    if not isinstance(input, Tensor) or input.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 3-D input (N, C, L), got shape {getattr(input, 'shape', None)}")
    if not isinstance(weight, Tensor) or weight.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 3-D weight (out_channels, in_channels/groups, k), "
                           f"got shape {getattr(weight, 'shape', None)}")
    pad2 = padding if isinstance(padding, str) else (0, _single(padding))
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, _single(stride)), pad2,
                 (1, _single(dilation)), groups)
    return out.squeeze(2)


def _single(v):
    return int(v if isinstance(v, numbers.Integral) else tuple(v)[0])


# -------------------------------------------------------------------------------------- pooling
def _pool_geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Kernel, stride, dilation, output size and the (top, bottom, left, right) padding, the bottom and
    right grown so that ceil_mode's last, partial window fits."""
    _check_4d(x, name)
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) \
        else _pair(stride, "stride")
    padding, dilation = _pair(padding, "padding"), _pair(dilation, "dilation")
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{name}: padding should be at most half of the (dilated) kernel size, "
                               f"got padding={padding} for kernel_size={kernel}")
    _check_fits(name, x.shape[2:], kernel, dilation, (padding[0], padding[0], padding[1], padding[1]))
    out, extra = [], []
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation):
        span = size + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= size + p:  # the last window must start inside the input or left padding
            o -= 1
        out.append(o)
        extra.append(max((o - 1) * s + d * (k - 1) + 1 - (size + 2 * p), 0))
    pads = (padding[0], padding[0] + extra[0], padding[1], padding[1] + extra[1])
    return kernel, stride, padding, dilation, tuple(out), pads


def _pool_windows(x, kernel, dilation, pads, stride, out_hw, value=0.0):
    """The windows of a pooling layer as an (N, C, H_out, W_out, kh, kw) view. When they tile the input
    (stride = kernel, no padding or dilation: the usual 2x2 pooling) they are a reshape of it, without
    im2col's copies; otherwise :func:`_patches`."""
    (kh, kw), (ho, wo) = kernel, out_hw
    if tuple(stride) != tuple(kernel) or tuple(dilation) != (1, 1) or any(pads):
        return _patches(x, _Geometry(kernel, dilation, pads, stride), value).permute(0, 1, 4, 5, 2, 3)
    if x.shape[2:] != (ho * kh, wo * kw):
        x = x[:, :, :ho * kh, :wo * kw]  # the rows and columns no window reaches
    return x.reshape(x.shape[0], x.shape[1], ho, kh, wo, kw).permute(0, 1, 2, 4, 3, 5)


def _window_max(windows):
    """Max over the kernel axes of (N, C, H_out, W_out, kh, kw) windows -> (N, C, H_out, W_out).
    Its derivative is a constant 0/1 mask holding the *first* maximum of each window (PyTorch's choice
    when values tie, e.g. the zeros after a ReLU): dL/dwindows = G * mask, see :func:`_spread`.
    The windows are first copied into one contiguous plane per kernel offset, (kh, kw, N, C, H_out, W_out),
    so that every comparison runs over contiguous memory (on strided views NumPy is several times
    slower); the mask keeps that layout. Returns the op and the mask."""
    data = windows.data
    planes = np.ascontiguousarray(np.moveaxis(data, (4, 5), (0, 1)))  # (kh, kw, N, C, H_out, W_out)
    offsets = planes.reshape(-1, *planes.shape[2:])  # row-major over (i, j)
    peak = offsets.max(axis=0)
    first = np.empty(offsets.shape, dtype=bool)
    taken = np.zeros(peak.shape, dtype=bool)
    for plane, keep in zip(offsets, first):  # keep only the first maximum of each window
        np.greater(plane == peak, taken, out=keep)
        taken |= keep
    mask = first.reshape(planes.shape).astype(data.dtype)
    return make_op("window_max", peak, (windows,), lambda g, out: (_spread(g, mask, data),)), mask


def _window_sum(windows):
    """Sum over the kernel axes of (N, C, H_out, W_out, kh, kw) windows -> (N, C, H_out, W_out), adding one
    kernel offset's (N, C, H_out, W_out) plane at a time (a NumPy reduction over two short strided axes is
    several times slower). Backward: dL/dwindows = G at every kernel offset, :func:`_spread` without a mask."""
    data = windows.data
    total = data[..., 0, 0].copy()
    for i in range(data.shape[4]):
        for j in range(data.shape[5]):
            if i or j:
                total += data[..., i, j]
    return make_op("window_sum", total, (windows,), lambda g, out: (_spread(g, None, data),))


def _spread(g, mask, like):
    """Send each window's gradient to its elements: (N, C, H_out, W_out) g -> the (N, C, H_out, W_out, kh, kw)
    windows' gradient, g * mask[i, j] at kernel offset (i, j) for a (kh, kw, N, C, H_out, W_out) 0/1 mask
    (max pooling), g itself at every offset for ``mask=None`` (sums). Written one offset at a time into an
    array laid out in memory like ``like`` (the windows: for 2x2 pooling a view of the input, so the
    gradient needs no copy back).
    Backward (upstream H, shaped like the windows): dL/dg = :func:`_window_sum` of H (times the mask)."""
    data = np.empty_like(like, dtype=g.dtype)
    for i in range(data.shape[4]):
        for j in range(data.shape[5]):
            if mask is None:
                data[..., i, j] = g.data
            else:
                np.multiply(g.data, mask[i, j], out=data[..., i, j])

    def backward(h, out):
        return (_window_sum(h if mask is None else h * _wrap(np.moveaxis(mask, (0, 1), (4, 5)))),)

    return make_op("spread", data, (g,), backward)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over each window of an (N, C, H, W) input, padded with the most negative float (every window
    holds at least one real element, so the padding never wins). The gradient goes to the first maximum
    of each window, as in PyTorch. With ``return_indices`` also returns each maximum's flat index
    row * W + column into the unpadded H x W plane (int64)."""
    kernel, stride, padding, dilation, (ho, wo), pads = _pool_geometry(
        "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode)
    n, c, h, w = input.shape
    lowest = np.finfo(input.dtype).min if input.dtype.kind == "f" else np.iinfo(input.dtype).min
    p = _pool_windows(input, kernel, dilation, pads, stride, (ho, wo), value=lowest)  # (N, C, H_out, W_out, kh, kw)
    out, mask = _window_max(p)
    if not return_indices:
        return out
    i, j = np.divmod(np.argmax(mask.reshape(-1, n, c, ho, wo), axis=0), kernel[1])  # (N, C, H_out, W_out)
    rows = np.arange(ho)[:, None] * stride[0] - padding[0] + i * dilation[0]
    cols = np.arange(wo) * stride[1] - padding[1] + j * dilation[1]
    return out, _wrap((rows * w + cols).astype(np.int64))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over each window of an (N, C, H, W) input. The divisor is PyTorch's: the window clipped to the
    padded input (count_include_pad=True) or to the input itself (False), or ``divisor_override``."""
    kernel, stride, padding, _, (ho, wo), pads = _pool_geometry(
        "avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    n, c, h, w = input.shape
    p = _pool_windows(input, kernel, (1, 1), pads, stride, (ho, wo))
    total = _window_sum(p)  # (N, C, H_out, W_out)
    if divisor_override:
        return total / float(divisor_override)
    counts = []
    for o, size, k, s, pd in zip((ho, wo), (h, w), kernel, stride, padding):
        start = np.arange(o) * s - pd
        end = np.minimum(start + k, size + pd)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    divisor = np.outer(counts[0], counts[1]).astype(input.dtype)
    return total / _wrap(divisor)


def _averaging_matrix(size, out, dtype):
    """(out, size) matrix whose row i averages input[start_i:end_i], start_i = floor(i*size/out),
    end_i = ceil((i+1)*size/out): PyTorch's adaptive pooling windows."""
    i = np.arange(out)
    start, end = (i * size) // out, -(-((i + 1) * size) // out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return _wrap((inside / (end - start)[:, None]).astype(dtype))


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed (H_out, W_out) (an int for both; None keeps that size): out = A_h x A_w^T
    with constant averaging matrices A_h (H_out, H) and A_w (W_out, W), two matmuls."""
    _check_4d(input, "adaptive_avg_pool2d")
    size = (output_size, output_size) if isinstance(output_size, numbers.Integral) or output_size is None \
        else tuple(output_size)
    h, w = input.shape[2:]
    ho, wo = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    if ho < 1 or wo < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {output_size}")
    a_h, a_w = _averaging_matrix(h, ho, input.dtype), _averaging_matrix(w, wo, input.dtype)
    return a_h @ input @ a_w.mT


def dropout2d(input, p=0.5, training=True):
    """Zero whole channels: each (n, c) plane of an (N, C, H, W) input is dropped with probability p, the
    survivors scaled by 1 / (1 - p) so the expected output equals the input."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout2d: probability p must be in [0, 1], got {p}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"dropout2d: expected a 4-D input (N, C, H, W) or 3-D (C, H, W), got shape {input.shape}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = generator().random(input.shape[:-2] + (1, 1)) >= p
    return input * _wrap((keep / (1 - p)).astype(input.dtype))


# ---------------------------------------------------------------------------------------- modules
class _ConvNd(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, dims):
        super().__init__()
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            _check_size(type(self).__name__, value, what, positive=False)
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide in_channels ({in_channels}) and out_channels "
                             f"({out_channels})")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                             f"got {padding_mode!r}")
        tup = (lambda v: _pair(v, "")) if dims == 2 else (lambda v: (_single(v),))
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.dilation = tup(kernel_size), tup(stride), tup(dilation)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = tup(padding)
        self.padding_mode = padding_mode
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=np.float32))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._layer_default_(self.weight, self.bias)  # U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C/G * kh * kw

    def _padded(self, input):
        """For padding_mode other than 'zeros': pad explicitly with F.pad, then convolve without padding."""
        if self.padding_mode == "zeros":
            return input, self.padding
        k = self.kernel_size
        if self.padding == "valid":
            return input, 0
        if self.padding == "same":
            totals = [d * (kk - 1) for kk, d in zip(k, self.dilation)]
            widths = [(t // 2, t - t // 2) for t in totals]
        else:
            widths = [(p, p) for p in self.padding]
        flat = tuple(v for lo_hi in reversed(widths) for v in lo_hi)  # last dimension first, as F.pad
        return pad(input, flat, mode=self.padding_mode), 0

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        zero = (0,) * len(self.kernel_size)
        if self.padding != zero:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * len(self.kernel_size):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution layer, PyTorch's signature, parameters weight (out, in/groups, kh, kw) and bias (out,),
    and init. ``padding_mode`` 'reflect', 'replicate' or 'circular' pads with :func:`pad` first.

    >>> Conv2d(1, 4, 3, padding=1)(Tensor(np.zeros((2, 1, 5, 5), dtype=np.float32))).shape
    (2, 4, 5, 5)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 2)

    def forward(self, input):
        _check_4d(input, "Conv2d")
        if input.shape[1] != self.in_channels:
            raise RuntimeError(f"Conv2d expected input with {self.in_channels} channels (dimension 1), "
                               f"got shape {input.shape}")
        x, padding = self._padded(input)
        return conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution layer on (N, C, L): weight (out, in/groups, k), bias (out,); PyTorch's init."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 1)

    def forward(self, input):
        if input.ndim != 3 or input.shape[1] != self.in_channels:
            raise RuntimeError(f"Conv1d expected a 3-D input (N, C, L) with C = {self.in_channels}, "
                               f"got shape {input.shape}")
        x, padding = self._padded(input)
        padding = padding if isinstance(padding, str) else (padding[0] if isinstance(padding, tuple) else padding)
        return conv1d(x, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups)


class MaxPool2d(Module):
    """Max over each window; stride defaults to kernel_size (PyTorch's signature and defaults)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over each window; stride defaults to kernel_size (PyTorch's signature and defaults)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class Dropout2d(Module):
    """Training: zero whole channels with probability p, scale the rest by 1 / (1 - p). Evaluation: identity."""

    def __init__(self, p=0.5):
        super().__init__()
        if not (isinstance(p, numbers.Real) and 0 <= p <= 1):
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, input):
        return dropout2d(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
