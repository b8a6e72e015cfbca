"""Convolution and pooling layers with PyTorch's signatures, defaults, parameters and init.

The functions they call (``conv2d``, ``max_pool2d``, ...) are the engine's window ops
(``engine/ops/window.py``: im2col and one matrix product, with the derivatives); they are importable
from here and from ``nn.functional`` under PyTorch's names.
"""

import numbers

from ..engine.ops import adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, fold, max_pool2d, unfold
from ..engine.tensor import Tensor
from . import functional as F
from . import init
from .functional import dropout2d
from .layers import _DropoutNd, _weight_and_bias
from .module import Module, _check_size

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "Conv1d", "Conv2d", "Dropout2d", "MaxPool2d", "adaptive_avg_pool2d",
           "avg_pool2d", "conv1d", "conv2d", "dropout2d", "fold", "max_pool2d", "unfold"]


def _tuple(value, dims):
    """An int or a sequence of ``dims`` ints as a tuple: how PyTorch's layers store their sizes."""
    return (int(value),) * dims if isinstance(value, numbers.Integral) else tuple(int(v) for v in value)


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
        tup = (lambda v: _tuple(v, dims))
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
        _weight_and_bias(self, (out_channels, in_channels // groups, *self.kernel_size), bias)
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
        return F.pad(input, flat, mode=self.padding_mode), 0

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
