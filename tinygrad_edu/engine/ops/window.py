"""Window ops: convolution and pooling, vectorized with im2col ("unfold") and one matrix product.

A 2-D convolution slides a (C, kh, kw) filter over an (N, C, H, W) input. Written with loops it is
seven nested loops (batch, output channel, output row, output column, and the filter's C x kh x kw). im2col
turns it into a single matrix product, and :func:`conv2d_reference` says it in five lines:

1. **Unfold.** Copy every (C, kh, kw) window of the (padded) input into one column of a matrix:
   x (N, C, H, W) -> cols (N, C*kh*kw, L), L = H_out * W_out windows, with
   H_out = (H + pad_top + pad_bottom - d*(kh-1) - 1) // s + 1 (the same for W_out).
2. **Multiply.** The filters (O, C, kh, kw) are already a (O, C*kh*kw) matrix W: out = W @ cols + b,
   reshaped to (N, O, H_out, W_out).
3. **Backward.** dL/dW = G @ cols^T, and dL/dx = col2im(W^T @ G): each window's gradient is added back
   where the window came from; overlapping windows add up, as they must.

:func:`conv2d` is that computation as one primitive: the windows of all images are laid out once on
a grid (``kernels/im2col.py``) so that the product runs over every image at once and every copy runs
over contiguous memory. Convolution, its input gradient (the "transposed convolution") and its weight
gradient are three primitives, each one's derivative made of the other two, so convolutions
differentiate to any order; :func:`conv_transpose2d` is the input gradient with PyTorch's signature.
``groups`` splits the C input channels and the O filters into G groups, one product each, done as one
batched matmul.

Pooling reuses the same windows (a plain reshape when they tile the input, as 2x2 pooling does): max
pooling takes the max of each window (:func:`max_pool2d_reference`: unfold and max), average pooling
their sum over a count. ``unfold`` / ``fold`` are im2col / col2im, each the other's derivative.
"""

import numbers

import numpy as np

from ..kernels import pooling
from ..kernels.im2col import Geometry, add_windows, copy_windows, from_grid, out_size, to_grid, window_grid
from ..tensor import Tensor, _wrap, make_op
from .base import _same_dtype, primitive
from .movement import pad

# -------------------------------------------------------------------------------------- helpers


def _hw_pair(value, name):
    """An int or a pair of ints as a (height, width) tuple."""
    if isinstance(value, numbers.Integral):
        return (int(value), int(value))
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value}")
    return value


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


# --------------------------------------------- im2col and col2im: an adjoint pair of primitives
@primitive
def im2col(x, geo, value=0.0):
    """im2col as an op: (N, C, H, W) -> (N, C, kh, kw, H_out, W_out), every window of x padded by
    ``geo.pads`` with ``value`` (``kernels/im2col.py`` lays them out); a view of the window matrix, so
    that whoever reads it (unfold's reshape, pooling) makes the only copy.
    Backward: :func:`col2im` of the gradient; padding positions get none."""
    grid = window_grid(x.shape[2:], geo)

    def backward(g, out):
        return (col2im(g, x.shape[2:], geo),)

    cols = copy_windows(x._data, geo, value)[..., :grid.out_hw[1]]  # (C, kh, kw, N, H_out, W_out), a view
    return make_op("im2col", np.moveaxis(cols, 3, 0), (x,), backward)


@primitive
def col2im(cols, hw, geo):
    """col2im as an op, the adjoint of :func:`im2col`: (N, C, kh, kw, H_out, W_out) -> (N, C, H, W),
    adding each window back where it came from. Backward: :func:`im2col` of the gradient."""
    def backward(g, out):
        return (im2col(g, geo),)

    data = add_windows(to_grid(cols._data, window_grid(hw, geo).wq), hw, geo)
    return make_op("col2im", data, (cols,), backward)


# ----------------------------------- convolution: three primitives, each the others' derivative
@primitive
def _conv2d(x, weight, bias, geo):
    """y = conv(x, W) + b: (N, C, H, W), (O, C/G, kh, kw), (O,) or None -> (N, O, H_out, W_out), as im2col
    and one matrix product per group over all images' windows:
        Y (O/G, N*H_out*Wq) = W (O/G, C/G*kh*kw) @ cols (C/G*kh*kw, N*H_out*Wq)
    then the grid's columns past W_out dropped and the batch axis moved to the front.
    Backward: dL/dx = conv2d_input_grad(G, W) (the transposed convolution), dL/dW = conv2d_weight_grad(x, G),
    dL/db = G summed over batch and positions."""
    cols = copy_windows(x._data, geo)  # (C, kh, kw, N, H_out, Wq)
    (_, wo), (o, n, ho, wq) = window_grid(x.shape[2:], geo).out_hw, (weight.shape[0], x.shape[0], *cols.shape[-2:])
    y = np.matmul(weight._data.reshape(geo.groups, o // geo.groups, -1), cols.reshape(geo.groups, -1, n * ho * wq))
    data = from_grid(y.reshape(o, n, ho, wq), wo, 0 if bias is None else bias._data[:, None, None])

    def backward(g, out):
        g_grid = to_grid(g._data, wq)  # (O, N, H_out, Wq), shared by both products
        return (conv2d_input_grad(g, weight, x.shape, geo, g_grid) if x.requires_grad else None,
                conv2d_weight_grad(x, g, geo, cols, g_grid) if weight.requires_grad else None,
                g.sum((0, 2, 3)) if bias is not None and bias.requires_grad else None)

    return make_op("conv2d", data, (x, weight) if bias is None else (x, weight, bias), backward)


@primitive
def conv2d_input_grad(g, weight, x_shape, geo, g_grid=None):
    """conv2d's input gradient col2im(W^T G), the transposed convolution of G: per group the windows' gradient
    dcols (C/G*kh*kw, N*H_out*Wq) = W^T (C/G*kh*kw, O/G) @ G (O/G, N*H_out*Wq), G on the grid (zero
    past column W_out), each window's values then added back where the window came from.
    ``g_grid``: G already on the grid, if the caller has it.
    Backward (upstream H, shaped like x): d/dG = conv(H, W), d/dW = conv2d_weight_grad(H, G)."""
    c, o, (kh, kw) = x_shape[1], weight.shape[0], geo.kernel
    if g_grid is None:
        g_grid = to_grid(g._data, window_grid(x_shape[2:], geo).wq)  # (O, N, H_out, Wq)
    w_t = weight._data.reshape(geo.groups, o // geo.groups, -1).swapaxes(1, 2)  # (G, C/G*kh*kw, O/G)
    dcols = np.matmul(w_t, g_grid.reshape(geo.groups, o // geo.groups, -1))
    data = add_windows(dcols.reshape(c, kh, kw, *g_grid.shape[1:]), x_shape[2:], geo)

    def backward(h, out):
        return (_conv2d(h, weight, None, geo) if g.requires_grad else None,
                conv2d_weight_grad(h, g, geo) if weight.requires_grad else None)

    return make_op("conv2d_input_grad", data, (g, weight), backward)


@primitive
def conv2d_weight_grad(x, g, geo, cols=None, g_grid=None):
    """conv2d's weight gradient G (O/G, N*H_out*Wq) @ cols^T (N*H_out*Wq, C/G*kh*kw) per group, G on the grid (its zero
    columns drop the grid's extra windows), reshaped to W's (O, C/G, kh, kw). Computed as the transpose of
    cols @ G^T: the same numbers, in the orientation OpenBLAS runs faster on these long, narrow
    matrices. ``cols``, ``g_grid``: the windows of x and G on the grid, if the caller has them.
    Backward (upstream H, shaped like W): d/dx = conv2d_input_grad(G, H), d/dG = conv(x, H)."""
    if cols is None:
        cols = copy_windows(x._data, geo)
    if g_grid is None:
        g_grid = to_grid(g._data, cols.shape[-1])
    o, groups = g.shape[1], geo.groups
    g_grid = g_grid.reshape(groups, o // groups, -1)
    dw = np.matmul(cols.reshape(groups, -1, g_grid.shape[-1]), g_grid.swapaxes(1, 2)).swapaxes(1, 2)
    data = dw.reshape(o, x.shape[1] // groups, *geo.kernel)

    def backward(h, out):
        return (conv2d_input_grad(g, h, x.shape, geo) if x.requires_grad else None,
                _conv2d(x, h, None, geo) if g.requires_grad else None)

    return make_op("conv2d_weight_grad", data, (x, g), backward)


# -------------------------------------------------------- convolution with PyTorch's signatures
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
    ph, pw = _hw_pair(padding, "padding")
    return (ph, ph, pw, pw)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch): input (N, C, H, W), weight (O, C/groups, kh, kw),
    bias (O,) -> (N, O, H_out, W_out). ``padding``: int, (ph, pw), 'valid' or 'same' (stride 1 only).
    Computed as im2col + one matmul (see the module docstring)."""
    _check_4d(input, "conv2d")
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4-D weight (out_channels, in_channels/groups, kh, kw), "
                           f"got shape {getattr(weight, 'shape', None)}")
    stride, dilation = _hw_pair(stride, "stride"), _hw_pair(dilation, "dilation")
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

    return _conv2d(input, weight, bias, Geometry((kh, kw), dilation, pads, stride, groups))


def conv2d_reference(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """:func:`conv2d` as the textbook writes it, composed of ops: unfold the windows into columns,
    reshape the filters into a matrix, one matmul per group (batched), add the bias. The primitive
    computes exactly this; it lays the windows of all images out once for one product over the batch."""
    o, cg, kh, kw = weight.shape
    dilation, stride = _hw_pair(dilation, "dilation"), _hw_pair(stride, "stride")
    top, bottom, left, right = _conv_pads(padding, (kh, kw), dilation, stride, "conv2d")
    ho, wo = (out_size(size, k, d, lo, hi, st) for size, k, d, lo, hi, st in
              zip(input.shape[2:], (kh, kw), dilation, (top, left), (bottom, right), stride))
    cols = unfold(pad(input, (left, right, top, bottom)), (kh, kw), dilation, 0, stride)  # (N, C*kh*kw, L)
    n = cols.shape[0]
    out = weight.reshape(groups, o // groups, -1) @ cols.reshape(n, groups, cg * kh * kw, ho * wo)  # (N, G, O/G, L)
    out = out.reshape(n, o, ho, wo)
    return out if bias is None else out + bias.reshape(1, o, 1, 1)


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


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution, PyTorch's signature: input (N, C_in, H, W), weight (C_in, C_out/groups, kh, kw),
    bias (C_out,) -> (N, C_out, H_out, W_out), H_out = (H - 1)*s - 2p + d*(kh - 1) + output_padding + 1.

    It is a convolution's input gradient: conv2d with this weight (read as (O, C/G, kh, kw), O = C_in) maps
    (N, C_out, H_out, W_out) to (N, C_in, H, W), and conv_transpose2d is that linear map's transpose,
    col2im(W^T x), the primitive :func:`conv2d_input_grad`. Each input pixel stamps its kernel, scaled,
    onto the output, s pixels apart, overlaps adding up. Its derivatives are that primitive's:
    dL/dx = conv2d(G, W), dL/dW = conv2d_weight_grad(G, x) (the roles of input and gradient swapped).
    ``output_padding`` adds rows/columns at the bottom/right (the sizes a strided conv2d maps to one size).

    >>> import numpy as np
    >>> conv_transpose2d(Tensor(np.ones((1, 1, 2, 2))), Tensor(np.ones((1, 1, 2, 2))), stride=2).shape
    (1, 1, 4, 4)
    """
    _check_4d(input, "conv_transpose2d", "(N, C_in, H, W)")
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d: expected a 4-D weight (in_channels, out_channels/groups, kh, kw), "
                           f"got shape {getattr(weight, 'shape', None)}")
    stride, dilation = _hw_pair(stride, "stride"), _hw_pair(dilation, "dilation")
    padding, output_padding = _hw_pair(padding, "padding"), _hw_pair(output_padding, "output_padding")
    n, c, h, w = input.shape
    cw, og, kh, kw = weight.shape
    if groups < 1 or c % groups:
        raise RuntimeError(f"conv_transpose2d: groups={groups} must divide the input channels ({c})")
    if cw != c:
        raise RuntimeError(f"conv_transpose2d: weight of shape {weight.shape} expects {cw} input channels, got {c} "
                           f"channels in input of shape {input.shape}")
    if bias is not None and bias.shape != (og * groups,):
        raise RuntimeError(f"conv_transpose2d: bias of shape {bias.shape} does not fit {og * groups} output channels")
    for op, s, d in zip(output_padding, stride, dilation):
        if op < 0 or op >= max(s, d):
            raise RuntimeError(f"conv_transpose2d: output_padding must be smaller than either stride or dilation, "
                               f"got output_padding={output_padding}, stride={stride}, dilation={dilation}")
    _same_dtype("conv_transpose2d", input, weight, bias)
    out_hw = tuple((size - 1) * s - 2 * p + d * (k - 1) + op + 1 for size, s, p, d, k, op in
                   zip((h, w), stride, padding, dilation, (kh, kw), output_padding))
    if min(out_hw) < 1:
        raise RuntimeError(f"conv_transpose2d: padding={padding} leaves an output of size {out_hw} for input of "
                           f"shape {input.shape} and kernel ({kh}, {kw})")
    geo = Geometry((kh, kw), dilation, (padding[0], padding[0], padding[1], padding[1]), stride, groups)
    windows = window_grid(out_hw, geo).out_hw
    if windows != (h, w):  # output_padding >= stride (allowed when < dilation): windows that see no input
        input = pad(input, (0, windows[1] - w, 0, windows[0] - h))
    out = conv2d_input_grad(input, weight, (n, og * groups, *out_hw), geo)
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution: input (N, C_in, L), weight (C_in, C_out/groups, k) -> (N, C_out, L_out),
    L_out = (L - 1)*s - 2p + d*(k - 1) + output_padding + 1; conv_transpose2d on a height of 1."""
    if not isinstance(input, Tensor) or input.ndim != 3:
        raise RuntimeError(f"conv_transpose1d: expected a 3-D input (N, C_in, L), got shape "
                           f"{getattr(input, 'shape', None)}")
    if not isinstance(weight, Tensor) or weight.ndim != 3:
        raise RuntimeError(f"conv_transpose1d: expected a 3-D weight (in_channels, out_channels/groups, k), "
                           f"got shape {getattr(weight, 'shape', None)}")
    out = conv_transpose2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, _single(stride)), (0, _single(padding)),
                           (0, _single(output_padding)), groups, (1, _single(dilation)))
    return out.squeeze(2)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``F.unfold``: (N, C, H, W) -> (N, C*kh*kw, L), column l holding window l (row-major
    over the H_out x W_out positions), its C*kh*kw entries ordered (channel, kernel row, kernel column)."""
    _check_4d(input, "unfold")
    kernel, dilation, padding, stride = (_hw_pair(v, name) for v, name in ((kernel_size, "kernel_size"),
                                         (dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    pads = (padding[0], padding[0], padding[1], padding[1])
    _check_fits("unfold", input.shape[2:], kernel, dilation, pads)
    p = im2col(input, Geometry(kernel, dilation, pads, stride))  # (N, C, kh, kw, H_out, W_out)
    return p.reshape(p.shape[0], -1, p.shape[4] * p.shape[5])


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``F.fold``, the adjoint of :func:`unfold`: (N, C*kh*kw, L) -> (N, C, H, W), summing
    overlapping values. ``output_size`` is (H, W); L must equal the number of windows that gives."""
    if not isinstance(input, Tensor) or input.ndim != 3:
        raise RuntimeError(f"fold: expected a 3-D input (N, C*kh*kw, L), got shape {getattr(input, 'shape', None)}")
    (h, w), kernel, dilation, padding, stride = (_hw_pair(v, name) for v, name in (
        (output_size, "output_size"), (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"),
        (stride, "stride")))
    kh, kw = kernel
    pads = (padding[0], padding[0], padding[1], padding[1])
    _check_fits("fold", (h, w), kernel, dilation, pads)
    ho, wo = out_size(h, kh, dilation[0], *pads[:2], stride[0]), out_size(w, kw, dilation[1], *pads[2:], stride[1])
    n, ckk, length = input.shape
    if ckk % (kh * kw) or length != ho * wo:
        raise RuntimeError(f"fold: input of shape {input.shape} does not fit kernel {kernel} and output size "
                           f"{(h, w)}: expected (N, C*{kh * kw}, {ho * wo})")
    cols = input.reshape(n, ckk // (kh * kw), kh, kw, ho, wo)
    return col2im(cols, (h, w), Geometry(kernel, dilation, pads, stride))


# -------------------------------------------------------------------------------------- pooling
def _pool_geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Kernel, stride, dilation, output size and the (top, bottom, left, right) padding, the bottom and
    right grown so that ceil_mode's last, partial window fits."""
    _check_4d(x, name)
    kernel = _hw_pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) \
        else _hw_pair(stride, "stride")
    padding, dilation = _hw_pair(padding, "padding"), _hw_pair(dilation, "dilation")
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
    im2col's copies; otherwise :func:`im2col`."""
    (kh, kw), (ho, wo) = kernel, out_hw
    if tuple(stride) != tuple(kernel) or tuple(dilation) != (1, 1) or any(pads):
        return im2col(x, Geometry(kernel, dilation, pads, stride), value).permute(0, 1, 4, 5, 2, 3)
    if x.shape[2:] != (ho * kh, wo * kw):
        x = x[:, :, :ho * kh, :wo * kw]  # the rows and columns no window reaches
    return x.reshape(x.shape[0], x.shape[1], ho, kh, wo, kw).permute(0, 1, 2, 4, 3, 5)


@primitive
def window_max(windows):
    """Max over the kernel axes of (N, C, H_out, W_out, kh, kw) windows -> (N, C, H_out, W_out).
    Derivative: dL/dwindows = G * mask, the constant 0/1 mask holding the *first* maximum of each window
    (PyTorch's choice when values tie, e.g. the zeros after a ReLU), see :func:`spread`.

    Returns the op and the mask (laid out (kh, kw, N, C, H_out, W_out), see ``kernels/pooling.py``)."""
    peak, mask = pooling.first_max(windows._data)
    return make_op("window_max", peak, (windows,), lambda g, out: (spread(g, mask, windows._data),)), mask


@primitive
def window_sum(windows):
    """Sum over the kernel axes of (N, C, H_out, W_out, kh, kw) windows -> (N, C, H_out, W_out).
    Derivative: dL/dwindows = G at every kernel offset, :func:`spread` without a mask."""
    return make_op("window_sum", pooling.sum_offsets(windows._data), (windows,),
                   lambda g, out: (spread(g, None, windows._data),))


@primitive
def spread(g, mask, like):
    """Send each window's gradient to its elements: (N, C, H_out, W_out) g -> the (N, C, H_out, W_out, kh, kw)
    windows' gradient, g * mask[i, j] at kernel offset (i, j) for a (kh, kw, N, C, H_out, W_out) 0/1 mask
    (max pooling), g itself at every offset for ``mask=None`` (sums); laid out in memory like ``like``.
    Derivative (upstream H, shaped like the windows): dL/dg = :func:`window_sum` of H (times the mask)."""
    def backward(h, out):
        return (window_sum(h if mask is None else h * _wrap(np.moveaxis(mask, (0, 1), (4, 5)))),)

    return make_op("spread", pooling.spread_offsets(g._data, mask, like), (g,), backward)


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
    out, mask = window_max(p)
    if not return_indices:
        return out
    i, j = np.divmod(np.argmax(mask.reshape(-1, n, c, ho, wo), axis=0), kernel[1])  # (N, C, H_out, W_out)
    rows = np.arange(ho)[:, None] * stride[0] - padding[0] + i * dilation[0]
    cols = np.arange(wo) * stride[1] - padding[1] + j * dilation[1]
    return out, _wrap((rows * w + cols).astype(np.int64))


def max_pool2d_reference(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """:func:`max_pool2d` composed of ops: pad with -inf, unfold the windows, take each window's max
    (its gradient goes to the first maximum, as the primitive's)."""
    kernel, stride, _, dilation, (ho, wo), (top, bottom, left, right) = _pool_geometry(
        "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode)
    x = pad(input, (left, right, top, bottom), value=-np.inf)
    n, c = input.shape[:2]
    cols = unfold(x, kernel, dilation, 0, stride).reshape(n, c, kernel[0] * kernel[1], -1)
    return cols.max(2).values.reshape(n, c, ho, wo)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over each window of an (N, C, H, W) input. The divisor is PyTorch's: the window clipped to the
    padded input (count_include_pad=True) or to the input itself (False), or ``divisor_override``."""
    kernel, stride, padding, _, (ho, wo), pads = _pool_geometry(
        "avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    n, c, h, w = input.shape
    p = _pool_windows(input, kernel, (1, 1), pads, stride, (ho, wo))
    total = window_sum(p)  # (N, C, H_out, W_out)
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
