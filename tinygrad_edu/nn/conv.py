"""Convolution and pooling, vectorized with im2col ("unfold") and one matrix product.

The im2col idea
---------------
A 2-D convolution slides a (C, kh, kw) filter over an (N, C, H, W) input. Written with loops it is
six nested loops (batch, output channel, output row, output column, and the filter's kh x kw). im2col
turns it into a single matrix product:

1. **Unfold.** Copy every (C, kh, kw) window of the (padded) input into one row of a matrix::

       x (N, C, H, W)  --unfold-->  patches (N, H_out, W_out, kh, kw, C)  ==  cols (N*L, kh*kw*C)

   with L = H_out * W_out windows per image and H_out = (H + pad_top + pad_bottom - d*(kh-1) - 1) // s + 1
   (the same for W_out). NumPy's ``sliding_window_view`` presents all windows of the padded input as a
   strided *view* (window (r, c), offset (i, j) is xpad[:, r*s + i*d, c*s + j*d, :], nothing copied);
   one copy turns that view into cols. Channels are the innermost axis (the input is copied
   channels-last once), so the copy moves contiguous runs of C values.

2. **Multiply.** The filters (O, C, kh, kw), permuted to (O, kh, kw, C) to match, flatten to a
   (O, kh*kw*C) matrix W, and::

       out (N*L, O) = cols (N*L, kh*kw*C) @ W.T (kh*kw*C, O)      (+ bias)

   then reshape to (N, H_out, W_out, O) and move channels forward: (N, O, H_out, W_out).

3. **Backward.** dL/dW = G^T cols, one more matrix product with the saved cols. dL/dcols = G W would be
   as big as cols; instead dL/dx is built directly, one kernel offset (i, j) at a time: the product
   G (N*L, O) @ W[:, :, i, j] (O, C) is added onto the input positions that offset saw (col2im fused
   with the product; overlapping windows add up, as they must). Convolution, its input gradient (the
   "transposed convolution") and its weight gradient are three primitives, and each one's derivative
   is made of the other two, so convolutions differentiate to any order.

``groups`` splits the C input channels into G groups of C/G and the O filters into G groups of O/G;
each group is its own im2col product, done as one batched matmul over a leading G dimension.

Pooling reuses the same windows (a plain reshape when they tile the input, as 2x2 pooling does): max
pooling pads with the lowest float and takes the max of each window (the gradient goes to the first
maximum of each window, as in PyTorch); average pooling sums each window and divides. ``unfold`` /
``fold`` are im2col / col2im as a pair of ops, each the other's derivative.
"""

import numbers
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..engine.ops import pad
from ..engine.random import generator
from ..engine.tensor import Tensor, _wrap, make_op
from . import init
from .module import Module, Parameter

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


def _offset_slices(i, j, dilation, stride, out_hw):
    """The strided slice of the padded input that kernel offset (i, j) sees across all windows."""
    (dh, dw), (sh, sw), (ho, wo) = dilation, stride, out_hw
    return (slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


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


# ------------------------------------------------------------------- windows, in NumPy
def _windows(x, kernel, dilation, pads, stride, value=0.0):
    """im2col on an array: (N, C, H, W) -> a fresh (N, H_out, W_out, kh, kw, C) array of every window of
    ``x`` padded by ``pads`` = (top, bottom, left, right) with ``value``. ``sliding_window_view`` gives
    all windows as a strided *view* of the padded input (no copy, overlapping windows share memory);
    one copy then lays them out as rows of the cols matrix."""
    n, c, h, w = x.shape
    (kh, kw), (dh, dw), (sh, sw), (t, b, left, r) = kernel, dilation, stride, pads
    ho, wo = _out_size(h, kh, dh, t, b, sh), _out_size(w, kw, dw, left, r, sw)
    xp = np.full((n, h + t + b, w + left + r, c), value, dtype=x.dtype)  # channels last: C is innermost
    xp[:, t:t + h, left:left + w, :] = x.transpose(0, 2, 3, 1)
    view = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(1, 2))  # (N, ., ., C, eh, ew)
    view = view[:, :sh * (ho - 1) + 1:sh, :sw * (wo - 1) + 1:sw, :, ::dh, ::dw]  # stride and dilation
    return np.ascontiguousarray(view.transpose(0, 1, 2, 4, 5, 3))


def _add_windows(piece, shape, dtype, kernel, dilation, pads, stride, out_hw):
    """col2im on arrays: start from zeros of the padded (N, H + pads, W + pads, C) and, for each kernel
    offset (i, j), add ``piece(i, j)`` (N, H_out, W_out, C) onto the strided slice that offset sees;
    overlapping windows add up. Returns the unpadded sum as (N, C, H, W)."""
    n, c, h, w = shape
    (t, b, left, r) = pads
    acc = np.zeros((n, h + t + b, w + left + r, c), dtype=dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            rows, columns = _offset_slices(i, j, dilation, stride, out_hw)
            acc[:, rows, columns, :] += piece(i, j)
    return np.ascontiguousarray(acc[:, t:t + h, left:left + w, :].transpose(0, 3, 1, 2))


# ------------------------------------------------------------------- the adjoint primitive pair
def _patches(x, kernel, dilation, pads, stride, value=0.0):
    """im2col as an op: (N, C, H, W) -> (N, H_out, W_out, kh, kw, C), see :func:`_windows`.
    Backward: :func:`_unpatches` (col2im) of the gradient; padding positions get none."""
    cols = _windows(x.data, kernel, dilation, pads, stride, value)

    def backward(g, out):
        return (_unpatches(g, x.shape[2:], kernel, dilation, pads, stride),)

    return make_op("unfold", cols, (x,), backward)


def _unpatches(cols, hw, kernel, dilation, pads, stride):
    """col2im as an op, the adjoint of :func:`_patches`: (N, H_out, W_out, kh, kw, C) -> (N, C, H, W),
    adding each window back where it came from. Backward: :func:`_patches` of the gradient."""
    n, ho, wo, kh, kw, c = cols.shape
    by_offset = np.ascontiguousarray(cols.data.transpose(3, 4, 0, 1, 2, 5))  # contiguous (N, H_out, W_out, C) blocks
    data = _add_windows(lambda i, j: by_offset[i, j], (n, c, *hw), cols.dtype, kernel, dilation, pads, stride, (ho, wo))

    def backward(g, out):
        return (_patches(g, kernel, dilation, pads, stride),)

    return make_op("fold", data, (cols,), backward)


# ------------------------------------------------- convolution: three primitives, each the others' derivative
class _Geometry(NamedTuple):
    kernel: tuple
    dilation: tuple
    pads: tuple  # (top, bottom, left, right)
    stride: tuple
    groups: int


def _grouped_cols(cols, groups):
    """(N, H_out, W_out, kh, kw, C) windows -> (N, G, L, kh*kw*C/G), L = H_out*W_out (a view when G = 1)."""
    n, ho, wo, kh, kw, c = cols.shape
    grouped = cols.reshape(n, ho * wo, kh * kw, groups, c // groups).transpose(0, 3, 1, 2, 4)
    return grouped.reshape(n, groups, ho * wo, -1)


def _grouped_weight(weight, groups):
    """(O, C/G, kh, kw) filters -> (G, O/G, kh*kw*C/G), columns ordered like the columns of the windows."""
    o, cg, kh, kw = weight.shape
    return weight.reshape(groups, o // groups, cg, kh, kw).transpose(0, 1, 3, 4, 2).reshape(groups, o // groups, -1)


def _conv(x, weight, bias, geo):
    """y = conv(x, W) + b: (N, C, H, W), (O, C/G, kh, kw), (O,) or None -> (N, O, H_out, W_out), as im2col
    and a matrix product per image and group:   Y (O/G, L) = W (O/G, kh*kw*C/G) @ cols^T (kh*kw*C/G, L),
    which is already the (N, O, H_out, W_out) layout.
    Backward: dL/dx = _conv_input_grad(G, W) (the transposed convolution), dL/dW = _conv_weight_grad(x, G),
    dL/db = G summed over batch and positions."""
    cols = _windows(x.data, geo.kernel, geo.dilation, geo.pads, geo.stride)
    n, ho, wo = cols.shape[:3]
    y = np.matmul(_grouped_weight(weight.data, geo.groups), _grouped_cols(cols, geo.groups).swapaxes(-1, -2))
    data = y.reshape(n, -1, ho, wo)  # (N, G, O/G, L) -> (N, O, H_out, W_out)
    if bias is not None:
        data += bias.data[:, None, None]

    def backward(g, out):
        return (_conv_input_grad(g, weight, x.shape, geo) if x.requires_grad else None,
                _conv_weight_grad(x, g, geo, cols) if weight.requires_grad else None,
                g.sum((0, 2, 3)) if bias is not None and bias.requires_grad else None)

    return make_op("conv2d", data, (x, weight) if bias is None else (x, weight, bias), backward)


def _conv_input_grad(g, weight, x_shape, geo):
    """dL/dx = col2im(G W), the transposed convolution of G, without materializing the (M, kh*kw*C)
    matrix G W: for each kernel offset (i, j) the product G (M, O) @ W[:, :, i, j] (O, C) is added
    straight onto the input positions that offset sees.
    Backward (upstream H, shaped like x): d/dG = conv(H, W), d/dW = _conv_weight_grad(H, G)."""
    n, o, ho, wo = g.shape
    # channels last, (G, M, O/G): each piece is then one (M, O/G) @ (O/G, C/G) product per group
    grad = np.ascontiguousarray(g.data.transpose(0, 2, 3, 1)).reshape(-1, geo.groups, o // geo.groups).swapaxes(0, 1)
    per_offset = weight.data.reshape(geo.groups, o // geo.groups, -1, *geo.kernel)  # (G, O/G, C/G, kh, kw)
    per_offset = np.ascontiguousarray(per_offset.transpose(3, 4, 0, 1, 2))  # (kh, kw, G, O/G, C/G), for BLAS
    buffer = np.empty((geo.groups, n * ho * wo, per_offset.shape[-1]), dtype=g.dtype)

    def piece(i, j):
        np.matmul(grad, per_offset[i, j], out=buffer)  # (G, M, C/G)
        return buffer.transpose(1, 0, 2).reshape(n, ho, wo, -1)

    data = _add_windows(piece, x_shape, g.dtype, geo.kernel, geo.dilation, geo.pads, geo.stride, (ho, wo))

    def backward(h, out):
        return (_conv(h, weight, None, geo) if g.requires_grad else None,
                _conv_weight_grad(h, g, geo) if weight.requires_grad else None)

    return make_op("conv2d_input_grad", data, (g, weight), backward)


def _conv_weight_grad(x, g, geo, cols=None):
    """dL/dW = sum over images of G (O/G, L) @ cols (L, kh*kw*C/G) per group, reshaped to W's
    (O, C/G, kh, kw). ``cols``: the windows of x if the forward pass kept them.
    Backward (upstream H, shaped like W): d/dx = _conv_input_grad(G, H), d/dG = conv(x, H)."""
    if cols is None:
        cols = _windows(x.data, geo.kernel, geo.dilation, geo.pads, geo.stride)
    o, kh, kw, cg = g.shape[1], *geo.kernel, x.shape[1] // geo.groups
    n, ho, wo = cols.shape[:3]
    dw = np.matmul(g.data.reshape(n, geo.groups, o // geo.groups, ho * wo), _grouped_cols(cols, geo.groups)).sum(0)
    data = np.ascontiguousarray(dw.reshape(o, kh, kw, cg).transpose(0, 3, 1, 2))

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
    p = _patches(input, kernel, dilation, pads, stride)
    n, ho, wo, kh, kw, c = p.shape
    return p.permute(0, 5, 3, 4, 1, 2).reshape(n, c * kh * kw, ho * wo)


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
    cols = input.reshape(n, ckk // (kh * kw), kh, kw, ho, wo).permute(0, 4, 5, 2, 3, 1)
    return _unpatches(cols, (h, w), kernel, dilation, pads, stride)


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
        return _patches(x, kernel, dilation, pads, stride, value).permute(0, 5, 1, 2, 3, 4)
    if x.shape[2:] != (ho * kh, wo * kw):
        x = x[:, :, :ho * kh, :wo * kw]  # the rows and columns no window reaches
    return x.reshape(x.shape[0], x.shape[1], ho, kh, wo, kw).permute(0, 1, 2, 4, 3, 5)


def _window_max(windows):
    """Max over the kernel axes of (N, C, H_out, W_out, kh, kw) windows -> (N, C, H_out, W_out).
    Its derivative is a constant 0/1 mask holding the *first* maximum of each window (PyTorch's choice
    when values tie, e.g. the zeros after a ReLU): dL/dwindows = G * mask, see :func:`_spread`.
    Returns the op and the mask."""
    data = windows.data
    offsets = [(i, j) for i in range(data.shape[4]) for j in range(data.shape[5])]  # row-major
    peak = data[..., 0, 0].copy()
    for i, j in offsets[1:]:  # elementwise maxima of strided slices: faster than a reduction over a view
        np.maximum(peak, data[..., i, j], out=peak)
    first = np.empty_like(data, dtype=bool)  # in the input's memory order, so the gradient needs no copy back
    taken = np.zeros(peak.shape, dtype=bool)
    for i, j in offsets:  # keep only the first maximum of each window
        np.greater(data[..., i, j] == peak, taken, out=first[..., i, j])
        taken |= first[..., i, j]
    mask = first.astype(data.dtype)
    return make_op("window_max", peak, (windows,), lambda g, out: (_spread(g, mask),)), mask


def _spread(g, mask):
    """Send each window's gradient to the element the mask picks: (N, C, H_out, W_out) g and a
    (N, C, H_out, W_out, kh, kw) 0/1 mask -> g[..., None, None] * mask, written one kernel offset at a
    time (long inner loops) into an array laid out like the mask.
    Backward (upstream H, shaped like the mask): dL/dg = sum over each window of H * mask."""
    data = np.empty_like(mask, dtype=g.dtype)
    for i in range(mask.shape[4]):
        for j in range(mask.shape[5]):
            np.multiply(g.data, mask[..., i, j], out=data[..., i, j])
    return make_op("spread", data, (g,), lambda h, out: ((h * _wrap(mask)).sum((4, 5)),))


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
    i, j = np.divmod(np.argmax(mask.reshape(n, c, ho, wo, -1), axis=-1), kernel[1])  # (N, C, H_out, W_out)
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
    total = p.sum((4, 5))  # (N, C, H_out, W_out)
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
