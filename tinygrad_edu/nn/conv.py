"""Convolution, transposed convolution, pooling and upsampling layers with PyTorch's signatures, defaults,
parameters and init.

The functions they call (``conv2d``, ``max_pool2d``, ...) are the engine's window ops
(``engine/ops/window.py``: im2col and one matrix product, with the derivatives); they are importable
from here and from ``nn.functional`` under PyTorch's names.
"""

import numbers

import numpy as np

from ..engine.ops import adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, fold, max_pool2d, unfold
from ..engine.tensor import Tensor
from . import functional as F
from . import init
from .functional import conv_transpose1d, conv_transpose2d, dropout2d, interpolate
from .layers import _DropoutNd, _weight_and_bias
from .module import Module, Parameter, _check_size

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Dropout2d",
           "MaxPool2d", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d", "adaptive_avg_pool2d", "avg_pool2d",
           "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "dropout2d", "fold", "interpolate", "max_pool2d",
           "unfold"]


def _tuple(value, dims):
    """An int or a sequence of ``dims`` ints as a tuple: how PyTorch's layers store their sizes."""
    return (int(value),) * dims if isinstance(value, numbers.Integral) else tuple(int(v) for v in value)


class _ConvNd(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, dims, transposed=False, output_padding=0):
        super().__init__()
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            _check_size(type(self).__name__, value, what, positive=False)
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide in_channels ({in_channels}) and out_channels "
                             f"({out_channels})")
        if transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}, got {padding_mode!r}')
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                             f"got {padding_mode!r}")
        tup = (lambda v: _tuple(v, dims))
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.dilation = tup(kernel_size), tup(stride), tup(dilation)
        if isinstance(padding, str):
            if transposed:
                raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple, got {padding!r}")
            if padding not in ("same", "valid"):
                raise ValueError(f"padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = tup(padding)
        self.padding_mode, self.transposed, self.output_padding = padding_mode, transposed, tup(output_padding)
        if transposed:  # weight (in, out/groups, k...): conv2d's weight for the convolution it transposes
            shape = (in_channels, out_channels // groups, *self.kernel_size)
            self.weight = Parameter(np.empty(shape, dtype=np.float32))
            self.register_parameter("bias", Parameter(np.empty(out_channels, dtype=np.float32)) if bias else None)
        else:
            _weight_and_bias(self, (out_channels, in_channels // groups, *self.kernel_size), bias)
        self.reset_parameters()

    def reset_parameters(self):
        # U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.shape[1] * kh * kw (out/groups * kh * kw when transposed)
        init._layer_default_(self.weight, self.bias)

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
        return F.pad(input, flat, mode=self.padding_mode), 0

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        zero = (0,) * len(self.kernel_size)
        if self.padding != zero:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * len(self.kernel_size):
            s += f", dilation={self.dilation}"
        if self.output_padding != zero:
            s += f", output_padding={self.output_padding}"
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

    >>> import numpy as np
    >>> Conv2d(1, 4, 3, padding=1)(Tensor(np.zeros((2, 1, 5, 5), dtype=np.float32))).shape
    (2, 4, 5, 5)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 2)

    def forward(self, input):
        if not isinstance(input, Tensor) or input.ndim != 4 or input.shape[1] != self.in_channels:
            got = input.shape if isinstance(input, Tensor) else type(input).__name__
            raise RuntimeError(f"Conv2d expected a 4-D input (N, C, H, W) with C = {self.in_channels}, got {got}")
        x, padding = self._padded(input)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


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
        return F.conv1d(x, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups)


class _ConvTransposeNd(_ConvNd):
    def _output_padding(self, input, output_size):
        """``output_padding``, or the one that gives ``output_size`` (the spatial sizes, optionally after N and C):
        a strided convolution maps s sizes to one, and this picks which of them to go back to."""
        if output_size is None:
            return self.output_padding
        dims = len(self.kernel_size)
        output_size = tuple(int(v) for v in output_size)[-dims:] if len(output_size) in (dims, dims + 2) else None
        if output_size is None:
            raise ValueError(f"{type(self).__name__}: output_size must have {dims} or {dims + 2} elements")
        smallest = tuple((n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip(
            input.shape[2:], self.stride, self.padding, self.dilation, self.kernel_size))
        largest = tuple(lo + s - 1 for lo, s in zip(smallest, self.stride))
        if not all(lo <= n <= hi for lo, n, hi in zip(smallest, output_size, largest)):
            raise ValueError(f"{type(self).__name__}: requested an output size of {output_size}, but valid sizes range "
                             f"from {smallest} to {largest} (for an input of {tuple(input.shape[2:])})")
        return tuple(n - lo for n, lo in zip(output_size, smallest))

    def _check_input(self, input):
        dims = len(self.kernel_size)
        if not isinstance(input, Tensor) or input.ndim != dims + 2 or input.shape[1] != self.in_channels:
            got = input.shape if isinstance(input, Tensor) else type(input).__name__
            layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
            raise RuntimeError(f"{type(self).__name__} expected a {dims + 2}-D input {layout} with C = "
                               f"{self.in_channels}, got {got}")


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer ("deconvolution", the learned upsampling of decoders and GANs), PyTorch's
    signature, parameters weight (in, out/groups, kh, kw) and bias (out,), and init; see :func:`conv_transpose2d`.
    Output H_out = (H - 1)*stride - 2*padding + dilation*(kh - 1) + output_padding + 1; ``forward(input,
    output_size)`` picks the output_padding that gives ``output_size``.

    >>> import numpy as np
    >>> ConvTranspose2d(4, 2, 4, stride=2, padding=1)(Tensor(np.zeros((1, 4, 5, 5), dtype=np.float32))).shape
    (1, 2, 10, 10)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 2, transposed=True, output_padding=output_padding)

    def forward(self, input, output_size=None):
        self._check_input(input)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer on (N, C, L): weight (in, out/groups, k), bias (out,); PyTorch's signature
    and init; see :func:`conv_transpose1d`."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 1, transposed=True, output_padding=output_padding)

    def forward(self, input, output_size=None):
        self._check_input(input)
        return conv_transpose1d(input, self.weight, self.bias, self.stride[0], self.padding[0],
                                self._output_padding(input, output_size)[0], self.groups, self.dilation[0])


class Upsample(Module):
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to ``size`` or by ``scale_factor`` with
    :func:`interpolate` ('nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear', 'area'); PyTorch's layer.

    >>> import numpy as np
    >>> Upsample(scale_factor=2)(Tensor(np.zeros((1, 3, 4, 4), dtype=np.float32))).shape
    (1, 3, 8, 8)
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """:class:`Upsample` with mode='nearest' for (N, C, H, W) input."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """:class:`Upsample` with mode='bilinear' and align_corners=True (as PyTorch's) for (N, C, H, W) input."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class MaxPool2d(Module):
    """Max over each window; stride defaults to kernel_size (PyTorch's signature and defaults)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
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
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class Dropout2d(_DropoutNd):
    """Training: zero whole channels with probability p, scale the rest by 1 / (1 - p). Evaluation: identity."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training)
