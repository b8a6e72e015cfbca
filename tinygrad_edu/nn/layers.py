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

from ..engine.device import check_cpu
from ..engine.tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter, _check_size

__all__ = ["BatchNorm1d", "BatchNorm2d", "Dropout", "Embedding", "Flatten", "GELU", "Identity", "LayerNorm",
           "LeakyReLU", "Linear", "LogSoftmax", "ReLU", "SiLU", "Sigmoid", "Softmax", "Tanh", "Unflatten",
           # issue 17
           "CELU", "CosineSimilarity", "ELU", "GroupNorm", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
           "LogSigmoid", "Mish", "PReLU", "PairwiseDistance", "ReLU6", "SELU", "Softmin", "Softplus", "Softshrink",
           "Softsign", "Tanhshrink", "Threshold"]


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
class _InplaceArg(Module):
    """An activation with PyTorch's ``inplace`` argument: kept and shown in ``repr``, while the result is
    always a new tensor (see the activations in :mod:`tinygrad_edu.nn.functional`)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_InplaceArg):
    """max(0, x).   d/dx = 1 where x > 0, else 0."""

    def forward(self, input):
        return F.relu(input)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x.   d/dx = 1 or negative_slope."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


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


class SiLU(_InplaceArg):
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


class Softmax(Module):
    """e^x / sum(e^x) along ``dim``; dim=None picks PyTorch's legacy dimension (0 for 0-D/1-D/3-D
    input, else 1) with a warning."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = F._legacy_softmax_dim("softmax", input.ndim, 4) if self.dim is None else self.dim
        return F.softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x - log(sum(e^x)) along ``dim``; dim=None picks the same legacy dimension as :class:`Softmax`."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = F._legacy_softmax_dim("log_softmax", input.ndim, 4) if self.dim is None else self.dim
        return F.log_softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class _DropoutNd(Module):
    """What Dropout and Dropout2d share, as in PyTorch: the probability ``p``, checked when built."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not (isinstance(p, numbers.Real) and 0 <= p <= 1):
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


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
    ``max_norm``, ``norm_type``, ``scale_grad_by_freq`` and ``sparse`` are :func:`~.functional.embedding`'s;
    ``_weight`` gives the initial table (kept as it is) and ``_freeze`` makes it not require grad.

    >>> Embedding(10, 3)(Tensor([[1, 2], [4, 5]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        check_cpu(device, "Embedding")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within num_embeddings "
                                 f"(-{num_embeddings} to {num_embeddings - 1})")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=np.dtype(dtype or np.float32)),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {tuple(_weight.shape)}, expected (num_embeddings, "
                                 f"embedding_dim) = ({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding holding the 2-D ``embeddings`` (num_embeddings, embedding_dim) as its weight, fixed
        (requires_grad=False) unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, embedding_dim), "
                             f"got shape {tuple(embeddings.shape)}")
        return cls(*embeddings.shape, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.numpy()[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        extras = [f"padding_idx={self.padding_idx}" if self.padding_idx is not None else "",
                  f"max_norm={self.max_norm}" if self.max_norm is not None else "",
                  f"norm_type={self.norm_type}" if self.norm_type != 2 else "",
                  f"scale_grad_by_freq={self.scale_grad_by_freq}" if self.scale_grad_by_freq else "",
                  "sparse=True" if self.sparse else ""]
        return ", ".join([f"{self.num_embeddings}, {self.embedding_dim}"] + [e for e in extras if e])


# ----------------------------------------------------------------------- more activations (issue 17)
class ELU(Module):
    """x where x > 0, else alpha (e^x - 1); see :func:`~.functional.elu`."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """x where x > 0, else alpha (e^(x / alpha) - 1); see :func:`~.functional.celu`."""

    def forward(self, input):
        return F.celu(input, self.alpha)


class SELU(_InplaceArg):
    """scale * elu(x, alpha) with the self-normalizing constants; see :func:`~.functional.selu`."""

    def forward(self, input):
        return F.selu(input)


class Hardtanh(Module):
    """x clamped to [min_val, max_val]; see :func:`~.functional.hardtanh`. ``min_value`` / ``max_value``
    are PyTorch's deprecated names for the bounds."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None or max_value is not None:
            warnings.warn("Hardtanh: keyword arguments min_value and max_value are deprecated, use min_val and "
                          "max_val instead", FutureWarning, stacklevel=2)
            min_val = min_val if min_value is None else min_value
            max_val = max_val if max_value is None else max_value
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6); see :func:`~.functional.relu6`."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(Module):
    """relu6(x + 3) / 6; see :func:`~.functional.hardsigmoid`."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input)


class Hardswish(Hardsigmoid):
    """x * relu6(x + 3) / 6; see :func:`~.functional.hardswish`."""

    def forward(self, input):
        return F.hardswish(input)


class Mish(Hardsigmoid):
    """x * tanh(softplus(x)); see :func:`~.functional.mish`."""

    def forward(self, input):
        return F.mish(input)


class LogSigmoid(Module):
    """log sigma(x), computed without overflow; see :func:`~.functional.logsigmoid`."""

    def forward(self, input):
        return F.logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|); see :func:`~.functional.softsign`."""

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """x - tanh(x); see :func:`~.functional.tanhshrink`."""

    def forward(self, input):
        return F.tanhshrink(input)


class Softshrink(Module):
    """x -+ lambd outside [-lambd, lambd], else 0; see :func:`~.functional.softshrink`."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Hardshrink(Softshrink):
    """x outside [-lambd, lambd], else 0; see :func:`~.functional.hardshrink`."""

    def forward(self, input):
        return F.hardshrink(input, self.lambd)


class Threshold(Module):
    """x where x > threshold, else ``value``; see :func:`~.functional.threshold`."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, linear where beta x > threshold; see :func:`~.functional.softplus`."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmin(Module):
    """softmax(-x) along ``dim``; dim=None picks the same legacy dimension as :class:`Softmax`."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class PReLU(Module):
    """x where x > 0, else a * x with a learned slope ``weight`` a: ``num_parameters`` = 1 (shared) or the
    number of channels (dimension 1), each starting at ``init``; see :func:`~.functional.prelu`.

    >>> PReLU(3).weight.shape
    (3,)
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        check_cpu(device, "PReLU")
        _check_size("PReLU", num_parameters, "num_parameters")
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(np.full(num_parameters, init, dtype=np.dtype(dtype or np.float32)))

    def reset_parameters(self):
        self.weight.numpy()[...] = self.init

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


# --------------------------------------------------------- group normalization, similarities (issue 17)
class GroupNorm(Module):
    """Normalize each sample's groups of channels; see :func:`~.functional.group_norm`. ``weight`` (ones)
    and ``bias`` (zeros) of shape (num_channels,) exist when ``affine`` (``bias=False`` drops the bias).

    >>> GroupNorm(2, 4)(Tensor(np.ones((3, 4, 5)))).shape
    (3, 4, 5)
    """

    def __init__(self, num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        check_cpu(device, "GroupNorm")
        _check_size("GroupNorm", num_groups, "num_groups")
        _check_size("GroupNorm", num_channels, "num_channels")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        dtype = np.dtype(dtype or np.float32)
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.zeros(num_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class CosineSimilarity(Module):
    """Cosine of the angle between x1 and x2 along ``dim``; see :func:`~.functional.cosine_similarity`."""

    def __init__(self, dim=1, eps=1e-08):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dimension; see :func:`~.functional.pairwise_distance`."""

    def __init__(self, p=2.0, eps=1e-06, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
