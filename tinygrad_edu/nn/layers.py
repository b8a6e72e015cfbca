"""Layers: Modules with PyTorch's constructors, defaults, parameter names and ``repr``.

Each layer holds its Parameters and buffers and calls :mod:`tinygrad_edu.nn.functional` for the math,
so its gradients come from the engine's primitives. Weights are initialized exactly as PyTorch's
``reset_parameters`` does, with :mod:`tinygrad_edu.nn.init`, and ``state_dict()`` has PyTorch's keys
and shapes, so weights move between the two libraries unchanged.
"""

import math
import numbers
import warnings

import numpy as np

from ..engine.tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter, _check_size

__all__ = ["BatchNorm1d", "BatchNorm2d", "Dropout", "Embedding", "Flatten", "GELU", "Identity", "LayerNorm",
           "LeakyReLU", "Linear", "LogSoftmax", "ReLU", "SiLU", "Sigmoid", "Softmax", "Tanh", "Unflatten"]


# ------------------------------------------------------------------------------------------ linear
def _weight_and_bias(layer, weight_shape, bias):
    """Give ``layer`` (Linear, a convolution) PyTorch's float32 ``weight`` of ``weight_shape`` and, when
    ``bias``, a ``bias`` of shape (weight_shape[0],), else the parameter registered as None; both are
    left for the layer's ``reset_parameters`` to fill."""
    layer.weight = Parameter(np.empty(weight_shape, dtype=np.float32))
    layer.register_parameter("bias", Parameter(np.empty(weight_shape[0], dtype=np.float32)) if bias else None)


class Linear(Module):
    """y = x W^T + b for x of shape (..., in_features): W is (out_features, in_features), b is
    (out_features,). Initialized as PyTorch: W by ``kaiming_uniform_(a=sqrt(5))``, which is
    U(-1/sqrt(in), 1/sqrt(in)), and b from the same U(-1/sqrt(in), 1/sqrt(in)).

    >>> Linear(2, 3)(Tensor([[1.0, 2.0]])).shape
    (1, 3)
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        _check_size("Linear", in_features, "in_features", positive=False)
        _check_size("Linear", out_features, "out_features", positive=False)
        self.in_features, self.out_features = in_features, out_features
        _weight_and_bias(self, (out_features, in_features), bias)
        self.reset_parameters()

    def reset_parameters(self):
        init._layer_default_(self.weight, self.bias)  # U(-1/sqrt(in), 1/sqrt(in)), as PyTorch

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise RuntimeError(f"Linear expected input with {self.in_features} features (last dimension), "
                               f"got shape {input.shape}")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """y = x: a placeholder where a layer is optional (extra constructor arguments are ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


# ------------------------------------------------------------------------------------------ shapes
class Flatten(Module):
    """Merge dimensions start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size`` (one entry may be -1):
    Unflatten(1, (2, 3)) maps (N, 6) -> (N, 2, 3); the inverse of Flatten."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or \
                not all(isinstance(n, (int, np.integer)) for n in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list of ints, got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input):
        if not -input.ndim <= self.dim < input.ndim:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for input of shape {input.shape}")
        d = self.dim % input.ndim
        sizes = tuple(self.unflattened_size)
        known = math.prod(n for n in sizes if n != -1)
        if -1 in sizes:
            fits = sizes.count(-1) == 1 and known > 0 and input.shape[d] % known == 0
        else:
            fits = input.shape[d] == known
        if not fits:
            raise RuntimeError(f"Unflatten: cannot split dimension {self.dim} of size {input.shape[d]} "
                               f"(input shape {input.shape}) into {self.unflattened_size}")
        return input.reshape(input.shape[:d] + sizes + input.shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


# ------------------------------------------------------------------------------------- activations
class ReLU(Module):
    """max(0, x).   d/dx = 1 where x > 0, else 0."""

    def forward(self, input):
        return F.relu(input)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x.   d/dx = 1 or negative_slope."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigma(x) (swish).   d/dx = sigma(x) (1 + x (1 - sigma(x)))."""

    def forward(self, input):
        return F.silu(input)


class Sigmoid(Module):
    """sigma(x) = 1 / (1 + e^-x).   d/dx = sigma(x) (1 - sigma(x))."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x).   d/dx = 1 - tanh(x)^2."""

    def forward(self, input):
        return F.tanh(input)


def _legacy_softmax_dim(name, ndim):
    """PyTorch's rule when no dim is given: 0 for 0-D, 1-D and 3-D input, else 1 (deprecated, so it warns)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """e^x / sum(e^x) along ``dim``; dim=None picks PyTorch's legacy dimension (0 for 0-D/1-D/3-D
    input, else 1) with a warning."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = _legacy_softmax_dim("softmax", input.ndim) if self.dim is None else self.dim
        return F.softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x - log(sum(e^x)) along ``dim``; dim=None picks the same legacy dimension as :class:`Softmax`."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = _legacy_softmax_dim("log_softmax", input.ndim) if self.dim is None else self.dim
        return F.log_softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class _DropoutNd(Module):
    """What Dropout and Dropout2d share, as in PyTorch: the probability ``p``, checked when built."""

    def __init__(self, p=0.5):
        super().__init__()
        if not (isinstance(p, numbers.Real) and 0 <= p <= 1):
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def extra_repr(self):
        return f"p={self.p}"


class Dropout(_DropoutNd):
    """Training: zero each element with probability p and scale the rest by 1 / (1 - p), so the
    expected output equals the input. Evaluation: the identity."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training)


# ----------------------------------------------------------------------------------- normalization
class _BatchNorm(Module):
    """Shared body of BatchNorm1d/2d: y = (x - mean) / sqrt(var + eps) * weight + bias per channel
    (dimension 1), the statistics taken over every other dimension.

    Training normalizes with the batch mean and biased variance and, when ``track_running_stats``,
    updates the buffers in place (no graph): running = (1 - f) running + f batch, with the unbiased
    variance for ``running_var``, f = momentum, or f = 1 / num_batches_tracked (a cumulative average)
    when momentum is None. Evaluation normalizes with the running statistics; without them it uses
    the batch's. ``weight`` starts at 1 and ``bias`` at 0.
    """

    _input_shapes = ""  # the accepted input layouts, named in errors
    _input_ranks = ()

    def __init__(self, num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=np.float32))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.zeros(num_features, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        tracked = track_running_stats
        self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=np.float32)) if tracked else None)
        self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=np.float32)) if tracked else None)
        self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)) if tracked else None)

    def forward(self, input):
        name = type(self).__name__
        if input.ndim not in self._input_ranks:
            raise ValueError(f"{name} expected input of shape {self._input_shapes}, got shape {input.shape} "
                             f"({input.ndim}-D)")
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{name}({self.num_features}) expected input with {self.num_features} channels "
                               f"(dimension 1), got shape {input.shape}")
        update = self.training and self.track_running_stats
        factor = 0.0 if self.momentum is None else self.momentum
        if update and self.momentum is None:
            factor = 1.0 / (int(self.num_batches_tracked.numpy()) + 1)
        use_batch_stats = self.training or self.running_mean is None
        out = F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                           training=use_batch_stats, momentum=factor, eps=self.eps)
        if update:  # counted only once batch_norm has accepted the batch, so a bad input changes nothing
            self.num_batches_tracked.numpy()[...] += 1
        return out

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input over N (and L); see :class:`_BatchNorm`.

    >>> BatchNorm1d(3)(Tensor(np.ones((4, 3)))).shape
    (4, 3)
    """

    _input_shapes = "(N, C) or (N, C, L)"
    _input_ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input over N, H and W; see :class:`_BatchNorm`."""

    _input_shapes = "(N, C, H, W)"
    _input_ranks = (4,)


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last len(normalized_shape) dimensions
    (biased variance, eps inside the square root); ``weight`` (ones) and ``bias`` (zeros) have shape
    ``normalized_shape`` and exist when ``elementwise_affine`` (``bias=False`` drops the bias).

    >>> LayerNorm(2)(Tensor(np.array([[1.0, 3.0]]))).numpy().round(4).tolist()
    [[-1.0, 1.0]]
    """

    def __init__(self, normalized_shape, eps=1e-05, elementwise_affine=True, bias=True):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=np.float32))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=np.float32))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, " \
               f"bias={self.bias is not None}"


# --------------------------------------------------------------------------------------- embedding
class Embedding(Module):
    """A lookup table: integer indices of shape (*) -> rows of ``weight`` (num_embeddings,
    embedding_dim), shape (*, embedding_dim). ``weight`` ~ N(0, 1). The row ``padding_idx`` (negative
    counts from the end, stored as num_embeddings + padding_idx) starts at 0 and gets no gradient.

    >>> Embedding(10, 3)(Tensor([[1, 2], [4, 5]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within num_embeddings "
                                 f"(-{num_embeddings} to {num_embeddings - 1})")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=np.float32))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.numpy()[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}" + \
            (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
