"""Functions with the names of ``torch.nn.functional``; each is an engine op or composed from them.

The normalization, embedding, dropout and attention functions below are plain Python over the engine's
ops, with no backward of their own: their gradients (and gradients of gradients) come from the
primitives. Attention's mask conventions are explained in ``nn/attention.py``.
"""

import math
import warnings

import numpy as np

from ..engine import ops
from ..engine.function import Function
from ..engine.ops import (
    adaptive_avg_pool2d,
    avg_pool2d,
    batch_norm_train,
    conv1d,
    conv2d,
    fold,
    gelu,
    linear,
    log_softmax,
    max_pool2d,
    minimum,
    pad,
    scaled_softmax,
    sigmoid,
    softmax,
    softplus,
    tanh,
    unfold,
    where,
)
from ..engine.ops.window import conv_transpose1d, conv_transpose2d
from ..engine.random import generator
from ..engine.scopes import scoped
from ..engine.tensor import Tensor, constant, no_grad
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "conv1d", "conv2d", "cross_entropy", "dropout", "dropout2d",
           "embedding", "fold", "gelu", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "max_pool2d",
           "mse_loss", "nll_loss", "one_hot", "pad", "relu", "scaled_dot_product_attention", "sigmoid", "silu",
           "softmax", "softplus", "tanh", "unfold"]


def relu(input, inplace=False):
    """max(x, 0), the engine's ``relu``; ``inplace`` is accepted and the result is a new tensor (see
    "activations" below).   d/dx = 1 where x > 0, else 0."""
    return ops.relu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x.   d/dx = 1 or negative_slope."""
    return ops.leaky_relu(input, negative_slope)


def silu(input, inplace=False):
    """x * sigma(x) (also called swish).   d/dx = sigma(x) (1 + x (1 - sigma(x))).

    >>> silu(Tensor([0.0])).item()
    0.0
    """
    return input * input.sigmoid()


@scoped
def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: each element is zeroed with probability ``p`` and the survivors are scaled
    by 1 / (1 - p), so E[output] = input and evaluation needs no rescaling. The mask comes from the
    library's generator (seed it with ``tinygrad_edu.manual_seed``). When not training, or p == 0,
    ``input`` itself is returned; p == 1 gives zeros.   d/dx = mask / (1 - p).

    >>> dropout(Tensor([1.0, 2.0]), p=0.5, training=False).tolist()
    [1.0, 2.0]
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    # float32 draws when the input is float32: half the random bits to make, as fast a comparison
    keep = generator().random(input.shape, dtype=np.float32 if input.dtype == np.float32 else np.float64) >= p
    return input * constant((keep / (1 - p)).astype(input.dtype))


def dropout2d(input, p=0.5, training=True, inplace=False):
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
    return input * constant((keep / (1 - p)).astype(input.dtype))


def _array(buffer, name):
    """The NumPy array behind a running statistic (a Tensor's ``.numpy()`` or the array itself)."""
    array = buffer.numpy() if isinstance(buffer, Tensor) else buffer
    if not isinstance(array, np.ndarray):
        raise TypeError(f"batch_norm: {name} must be a NumPy array or a Tensor, got {type(buffer).__name__}")
    return array


def _float32_if_half(input):
    """float16 statistics overflow (a deviation of 300 squares to 90000 > 65504, and the normalized
    output becomes 0): PyTorch computes them in float32, and so do the normalizations here, casting
    the result back to float16. Returns (input to compute with, dtype of the result or None)."""
    return (input.astype(np.float32), np.float16) if input.dtype == np.float16 else (input, None)


@scoped
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    """Normalize each channel (dimension 1) of an (N, C), (N, C, L) or (N, C, H, W) input over all
    other dimensions:  y = (x - mean) / sqrt(var + eps) * weight + bias.

    Training uses the batch mean and *biased* batch variance, and when running statistics are given
    updates them in place (no graph): running = (1 - momentum) * running + momentum * batch, with the
    *unbiased* batch variance n / (n - 1) * var for ``running_var``, as PyTorch. Evaluation uses the
    running statistics. ``running_mean`` / ``running_var`` are NumPy arrays or Tensors of shape (C,) and
    keep their dtype; a float16 input is normalized in float32 and the result cast back to float16.

    >>> x = Tensor(np.array([[1.0], [3.0]]))
    >>> batch_norm(x, None, None, training=True).numpy().round(4).tolist()
    [[-1.0], [1.0]]
    """
    if input.ndim not in (2, 3, 4):
        raise ValueError(f"batch_norm: expected input of shape (N, C), (N, C, L) or (N, C, H, W), "
                         f"got shape {input.shape} ({input.ndim} dimensions)")
    channels = input.shape[1]
    stats = [None if t is None else _array(t, name) for name, t in (("running_mean", running_mean),
                                                                     ("running_var", running_var))]
    for name, t in (("running_mean", stats[0]), ("running_var", stats[1]), ("weight", weight), ("bias", bias)):
        shape = None if t is None else t.shape
        if shape is not None and shape != (channels,):
            raise RuntimeError(f"batch_norm: {name} has shape {shape}, expected ({channels},) "
                               f"for input of shape {input.shape} with {channels} channels")
    if training:  # one fused primitive (engine/ops/fused.py; batch_norm_train_reference is the composition)
        count = input.numel() // channels
        if count < 2:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {input.shape}")
        out, mean, var = batch_norm_train(input, weight, bias, eps)
        for array, batch in zip(stats, (mean, var * (count / (count - 1)))):
            if array is not None:  # running = (1 - momentum) * running + momentum * batch, in place
                array *= 1 - momentum
                array += momentum * batch
        return out
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var must be given in evaluation mode "
                         "(training=False)")
    per_channel = (1, channels) + (1,) * (input.ndim - 2)
    x, result_dtype = _float32_if_half(input)
    mean, var = (t if isinstance(t, Tensor) else constant(t) for t in (running_mean, running_var))
    out = (x - mean.reshape(per_channel)) / (var.reshape(per_channel) + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out if result_dtype is None else out.astype(result_dtype)


@scoped
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalize over the last len(normalized_shape) dimensions:
    y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance and eps inside the
    square root; ``weight`` and ``bias`` have shape ``normalized_shape``. A float16 input is normalized
    in float32 and the result cast back to float16, as in PyTorch.

    >>> layer_norm(Tensor(np.array([[1.0, 3.0]])), (2,)).numpy().round(4).tolist()
    [[-1.0, 1.0]]
    """
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or k > input.ndim or input.shape[input.ndim - k:] != normalized_shape:
        raise RuntimeError(f"layer_norm: normalized_shape {normalized_shape} does not match the trailing "
                           f"dimensions of input shape {input.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != normalized_shape:
            raise RuntimeError(f"layer_norm: {name} has shape {t.shape}, expected normalized_shape {normalized_shape}")
    dims = tuple(range(input.ndim - k, input.ndim))
    x, result_dtype = _float32_if_half(input)
    centered = x - x.mean(dims, keepdim=True)
    out = centered / ((centered * centered).mean(dims, keepdim=True) + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out if result_dtype is None else out.astype(result_dtype)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) at the integer indices ``input``: the result
    has shape input.shape + (embedding_dim,). Backward scatter-adds into the rows, so a repeated
    index accumulates; the row ``padding_idx`` gets no gradient.

    ``max_norm``: before the lookup, each row that is looked up and whose ``norm_type``-norm exceeds
    max_norm is scaled, in place in ``weight`` (outside the graph), to norm max_norm, as PyTorch.
    ``scale_grad_by_freq``: each row's gradient is divided by how often its index occurs in ``input``.
    ``sparse=True`` is accepted, but the gradient is an ordinary dense tensor (there are no sparse ones).

    >>> embedding(Tensor([2, 0]), Tensor(np.eye(3))).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    index = input.numpy() if isinstance(input, Tensor) else np.asarray(input)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must have shape (num_embeddings, embedding_dim), got {weight.shape}")
    n = weight.shape[0]
    bad = index[(index < 0) | (index >= n)]
    if bad.size:
        raise IndexError(f"embedding: index {bad.flat[0]} is out of range for num_embeddings={n} "
                         f"(valid indices are 0 to {n - 1})")
    if padding_idx is not None and not -n <= padding_idx < n:
        raise ValueError(f"embedding: padding_idx {padding_idx} is out of range for num_embeddings={n}")
    if max_norm is not None:
        _renorm_rows(weight, np.unique(index), max_norm, norm_type)
    rows = weight[index]
    if scale_grad_by_freq:
        uniques, inverse, counts = np.unique(index, return_inverse=True, return_counts=True)
        rows = _ScaleGradient.apply(rows, (1 / counts[inverse.reshape(index.shape)])[..., None].astype(rows.dtype))
    if padding_idx is None:
        return rows
    # the same values, but the padding positions come from a constant copy, so no gradient reaches that row
    return where((index != padding_idx % n)[..., None], rows, rows.detach())


def _renorm_rows(weight, rows, max_norm, norm_type):
    """Scale each of ``weight``'s ``rows`` whose norm exceeds max_norm by max_norm / (norm + 1e-7), in place
    and unrecorded (PyTorch's ``embedding_renorm_``); the write counts as a new version of ``weight``."""
    with no_grad():
        selected = weight[rows]
        norms = selected.norm(norm_type, 1).numpy().astype(np.float64)
        too_long = norms > max_norm
        if too_long.any():
            scale = (max_norm / (norms[too_long] + 1e-7)).astype(weight.dtype)[:, None]
            weight[rows[too_long]] = selected[too_long] * constant(scale)


class _ScaleGradient(Function):
    """The identity, whose backward multiplies the gradient by a constant array ``scale``."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.clone()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * constant(ctx.scale), None


def one_hot(tensor, num_classes=-1):
    """Class indices of shape (*) to an int64 tensor of shape (*, num_classes) with a 1 at each index.
    ``num_classes=-1`` uses the largest index + 1.

    >>> one_hot(Tensor([0, 2])).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    index = tensor.numpy() if isinstance(tensor, Tensor) else np.asarray(tensor)
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {index.dtype}")
    if num_classes == -1:
        if index.size == 0:
            raise RuntimeError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = int(index.max()) + 1
    bad = index[(index < 0) | (index >= num_classes)]
    if bad.size:
        raise RuntimeError(f"one_hot: class value {bad.flat[0]} is out of range for num_classes={num_classes} "
                           f"(expected 0 to {num_classes - 1})")
    return constant((index[..., None] == np.arange(num_classes)).astype(np.int64))


# ------------------------------------------------------------------------------------- attention
def _additive_mask(mask, name, disallowed, dtype):
    """``mask`` as a float array to add to the scores: a boolean mask becomes -inf where it equals
    ``disallowed`` and 0 elsewhere; a float mask is used as it is, and a float Tensor stays a Tensor, so
    that it gets a gradient (a learned attention bias), as in PyTorch."""
    if isinstance(mask, Tensor) and mask.dtype.kind == "f":
        return mask if mask.dtype == dtype else mask.to(dtype)
    array = mask.numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype == np.bool_:
        return np.where(array == disallowed, -np.inf, 0.0).astype(dtype)
    if array.dtype.kind != "f":
        raise TypeError(f"{name} must be a boolean or floating point mask, got dtype {array.dtype}")
    return array.astype(dtype, copy=False)


def _attention(q, k, v, mask=None, dropout_p=0.0, scale=None):
    """softmax(q k^T * scale + mask) v for q (..., L, E), k (..., S, E), v (..., S, Ev) and an additive
    float ``mask`` array broadcastable to (..., L, S). Returns (output (..., L, Ev), weights (..., L, S));
    the weights are those multiplied with v, so after dropout."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    weights = dropout(scaled_softmax(q @ k.mT, scale, mask), dropout_p)
    return weights @ v, weights


@scoped
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(Q K^T * scale + M) V with PyTorch's signature and mask convention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); leading dimensions
    broadcast. ``scale`` defaults to 1 / sqrt(E). ``attn_mask`` broadcastable to (..., L, S): boolean
    True = the key **takes part** (False = masked out), or a float mask that is added to the scores.
    ``is_causal=True`` lets query i see keys j <= i (the upper-left aligned lower triangle) and cannot
    be combined with ``attn_mask``. Dropout with probability ``dropout_p`` is applied to the weights
    whenever dropout_p > 0 (the function does not know about training mode; pass 0 when evaluating).
    A query row whose keys are all masked gets output 0 (see the module docstring).

    >>> q = Tensor(np.ones((1, 2, 4)))
    >>> scaled_dot_product_attention(q, q, q, is_causal=True).shape
    (1, 2, 4)
    """
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ValueError(f"scaled_dot_product_attention: query, key and value need at least 2 dimensions "
                         f"(..., L, E), got shapes {query.shape}, {key.shape}, {value.shape}")
    L, S = query.shape[-2], key.shape[-2]
    if key.shape[-1] != query.shape[-1] or value.shape[-2] != S:
        raise ValueError(f"scaled_dot_product_attention: expected query (..., L, E), key (..., S, E) and "
                         f"value (..., S, Ev), got shapes {query.shape}, {key.shape}, {value.shape}")
    mask = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: pass either attn_mask or is_causal=True, not both")
        mask = np.where(np.tri(L, S, dtype=bool), 0.0, -np.inf).astype(query.dtype)
    elif attn_mask is not None:
        mask = _additive_mask(attn_mask, "attn_mask", False, query.dtype)
        if mask.ndim < 2 or mask.shape[-2] not in (1, L) or mask.shape[-1] not in (1, S):
            raise ValueError(f"scaled_dot_product_attention: attn_mask of shape {mask.shape} does not broadcast "
                             f"to the attention scores (..., L, S) = (..., {L}, {S})")
    return _attention(query, key, value, mask, dropout_p, scale)[0]


# ------------------------------------------------- transposed convolution and resampling (upsampling)
__all__ += ["conv_transpose1d", "conv_transpose2d", "interpolate"]

_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}  # the mode for each input rank
_MODES = ("nearest", "nearest-exact", "area", *_LINEAR_MODES)


def _resample_axis(mode, size, out, scale, align_corners, dtype):
    """PyTorch's coordinate map along one axis: for each of ``out`` output positions the input positions
    (i0, i1) and the weight l of i1 (output = x[i0] (1 - l) + x[i1] l); l is None for the nearest modes.
    ``scale``: the user's scale factor, or None to use size / out. Computed in PyTorch's precision (float32
    for nearest, the input's for linear), so that rounding picks the same input positions."""
    j = np.arange(out)
    if mode.startswith("nearest"):
        step = np.float32(1.0 / scale) if scale else np.float32(size) / np.float32(out)
        src = j.astype(np.float32) * step if mode == "nearest" else ((j + 0.5) * np.float64(step)).astype(np.float32)
        return np.minimum(np.floor(src).astype(np.int64), size - 1), None, None
    t = np.float64 if dtype == np.float64 else np.float32
    if align_corners:
        step = t(size - 1) / t(out - 1) if out > 1 else t(0)
        src = j.astype(t) * step
    else:
        step = t(1.0 / scale) if scale else t(size) / t(out)
        src = np.maximum((j.astype(t) + t(0.5)) * step - t(0.5), t(0))
    i0 = np.minimum(src.astype(np.int64), size - 1)
    weight = np.clip(src - i0.astype(t), 0, 1).astype(t)
    return i0, np.minimum(i0 + 1, size - 1), weight


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dimensions of an (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to ``size`` (an int
    or one per dimension) or by ``scale_factor`` (output size floor(size * factor)), PyTorch's signature.

    Modes: 'nearest' (input index floor(j * in/out), PyTorch's, which is not the nearest centre),
    'nearest-exact' (floor((j + 0.5) * in/out): the nearest centre, as PIL and scikit-image), 'linear' (3-D),
    'bilinear' (4-D), 'trilinear' (5-D): output j reads the source coordinate
    x = (j + 0.5) * in/out - 0.5 clamped at 0 (align_corners=False, the default: pixel *areas* line up),
    or x = j * (in - 1)/(out - 1) (align_corners=True: the corner pixels' *centres* line up), and mixes
    its two neighbours, (1 - l) x[floor(x)] + l x[floor(x) + 1], l = x - floor(x), one axis after the
    other. With a ``scale_factor`` (and ``recompute_scale_factor`` not True) in/out is 1 / scale_factor, as
    in PyTorch. 'area': adaptive average pooling to the size (3-D and 4-D input).

    Composed of gathers (``index_select``) and weighted sums, so the gradient, a scatter-add of G
    times the same weights, comes from those ops.

    >>> interpolate(Tensor(np.array([[[1.0, 3.0]]])), scale_factor=2, mode="linear").tolist()
    [[[1.0, 1.5, 2.5, 3.0]]]
    """
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not available; use one of {', '.join(_MODES)}")
    if mode in _LINEAR_MODES:
        align_corners = bool(align_corners)
    elif align_corners is not None:
        raise ValueError(f"interpolate: align_corners only applies to the modes linear | bilinear | trilinear, "
                         f"not to mode={mode!r}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not available (it low-pass filters before "
                                  "downsampling); resize with antialias=False, or average-pool first")
    if not isinstance(input, Tensor) or input.ndim not in (3, 4, 5):
        raise NotImplementedError(f"interpolate: expected a 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) "
                                  f"input, got shape {getattr(input, 'shape', type(input).__name__)}")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != input.ndim:
        need = {3: "linear", 4: "bilinear", 5: "trilinear"}[input.ndim]
        raise NotImplementedError(f"interpolate: got {input.ndim}-D input of shape {input.shape}, but mode={mode!r} "
                                  f"needs {_LINEAR_MODES[mode]}-D input; use mode={need!r}")
    dims, spatial = input.ndim - 2, input.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: " + ("only one of size or scale_factor should be defined" if size is not None
                                            else "either size or scale_factor should be defined"))
    if size is not None and recompute_scale_factor:
        raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size")
    given = size if size is not None else scale_factor
    given = tuple(given) if isinstance(given, (list, tuple)) else (given,) * dims
    if len(given) != dims:
        what = "size" if size is not None else "scale_factor"
        raise ValueError(f"interpolate: input with spatial dimensions {list(spatial)} needs {dims} values for {what}, "
                         f"got {what}={given}")
    if size is not None:
        if not all(isinstance(s, (int, np.integer)) for s in given):
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, got {size!r}")
        out, scales = tuple(int(s) for s in given), (None,) * dims
    else:
        out, scales = tuple(int(s * f) for s, f in zip(spatial, given)), tuple(float(f) for f in given)
        if recompute_scale_factor or mode == "area":
            scales = (None,) * dims
    if min(out) < 1 or min(spatial) < 1:
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, got input {tuple(spatial)} "
                         f"and output {out}")
    if mode == "area":
        if dims == 3:
            raise NotImplementedError("interpolate: mode='area' takes 3-D or 4-D input (adaptive average pooling), "
                                      f"got shape {input.shape}")
        if dims == 1:
            return adaptive_avg_pool2d(input.unsqueeze(2), (1, out[0])).squeeze(2)
        return adaptive_avg_pool2d(input, out)
    if mode in _LINEAR_MODES and input.dtype.kind != "f":
        raise RuntimeError(f"interpolate: mode={mode!r} needs a floating point input, got dtype {input.dtype}")
    x = input
    for axis, (n, o, s) in enumerate(zip(spatial, out, scales), start=2):
        if mode == "nearest" and input.ndim == 4 and o in (n, 2 * n):
            s = None  # PyTorch's 2-D kernel copies or doubles such an axis exactly, whatever the scale factor
        if o == n and (mode in _LINEAR_MODES or s is None):  # PyTorch copies an axis whose size does not change
            continue
        i0, i1, weight = _resample_axis(mode, n, o, s, align_corners, input.dtype)
        if weight is None and o % n == 0 and np.array_equal(i0, np.arange(o) // (o // n)):
            # each input element k = o / n times in a row (scale_factor=2): a broadcast, whose gradient is a sum
            wide = x.unsqueeze(axis + 1)
            x = wide.expand(*wide.shape[:axis + 1], o // n, *wide.shape[axis + 2:]).reshape(
                *x.shape[:axis], o, *x.shape[axis + 1:])
            continue
        near = x.index_select(axis, i0)
        if weight is None:
            x = near
            continue
        shape = (o,) + (1,) * (input.ndim - 1 - axis)
        weight = weight.reshape(shape).astype(input.dtype)
        x = near * constant(1 - weight) + x.index_select(axis, i1) * constant(weight)
    return x


# -------------------------------------------------------------------------- activations (issue 17)
# PyTorch's ``inplace=True`` is accepted wherever its signature has it, and the result is a new tensor all
# the same: writing into the input would bump its version and break the backward of any op that saved it.
# Hence ``x = F.elu(x, inplace=True)`` (or ``nn.ELU(inplace=True)`` in a Sequential) works as in PyTorch,
# while a program that ignores the returned value and reads ``x`` again sees ``x`` unchanged.

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha (e^x - 1).   d/dx = 1 where x > 0, else alpha e^x.
    (e^x - 1 is taken of min(x, 0), so a large x never overflows the branch that is not used.)

    >>> elu(Tensor(np.array([-1.0, 2.0]))).numpy().round(4).tolist()
    [-0.6321, 2.0]
    """
    return where(input > 0, input, alpha * input.clamp(max=0).expm1())


def celu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha (e^(x / alpha) - 1): ELU made continuously differentiable for every alpha.
    d/dx = 1 where x > 0, else e^(x / alpha)."""
    if alpha == 0:
        raise RuntimeError("celu: alpha cannot be 0 (the negative branch divides x by alpha)")
    return where(input > 0, input, alpha * (input.clamp(max=0) / alpha).expm1())


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalizing constants alpha = 1.6733 and scale = 1.0507
    (Klambauer et al., 2017).   d/dx = scale where x > 0, else scale * alpha e^x."""
    return _SELU_SCALE * elu(input, _SELU_ALPHA)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val].   d/dx = 1 where min_val < x < max_val, else 0 (0 on the bounds
    themselves, as PyTorch; a plain ``clamp`` passes the gradient there).

    >>> hardtanh(Tensor([-3.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    inside = (input > min_val) & (input < max_val)
    return where(inside, input, input.clamp(min_val, max_val).detach())


def relu6(input, inplace=False):
    """min(max(x, 0), 6), i.e. hardtanh(x, 0, 6).   d/dx = 1 where 0 < x < 6, else 0."""
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6, a piecewise-linear sigmoid.   d/dx = 1/6 where -3 < x < 3, else 0."""
    return hardtanh(input + 3, 0.0, 6.0) / 6


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6 (MobileNetV3).   d/dx = 0 for x <= -3, x/3 + 1/2 for -3 < x < 3, 1 for x >= 3."""
    return input * hardtanh(input + 3, 0.0, 6.0) / 6


def mish(input, inplace=False):
    """x * tanh(softplus(x)) (Misra, 2019).
    d/dx = tanh(softplus(x)) + x sigma(x) (1 - tanh(softplus(x))^2)."""
    return input * softplus(input).tanh()


def logsigmoid(input):
    """log sigma(x) = min(x, 0) - log(1 + e^-|x|), a form that never overflows.   d/dx = 1 - sigma(x).

    >>> round(logsigmoid(Tensor([0.0])).item(), 4)   # -ln 2
    -0.6931
    """
    return minimum(input, 0.0) - (-input.abs()).exp().log1p()


def softsign(input):
    """x / (1 + |x|).   d/dx = 1 / (1 + |x|)^2."""
    return input / (1 + input.abs())


def tanhshrink(input):
    """x - tanh(x).   d/dx = tanh(x)^2."""
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0.   d/dx = 1 outside [-lambd, lambd], else 0."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambd must be >= 0, got {lambd}")
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0.0))


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0.   d/dx = 1 outside [-lambd, lambd], else 0."""
    return where((input > lambd) | (input < -lambd), input, 0.0)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value``.   d/dx = 1 where x > threshold, else 0."""
    return where(input > threshold, input, value)


def _legacy_softmax_dim(name, ndim, stacklevel):
    """PyTorch's rule when no dim is given: 0 for 0-D, 1-D and 3-D input, else 1 (deprecated, so it warns;
    ``stacklevel`` counts from this function to the caller's line that the warning should name)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``: the smallest entries get the largest weights. ``dtype`` converts the input
    first; dim=None picks PyTorch's legacy dimension with a warning."""
    if dim is None:
        dim = _legacy_softmax_dim("softmin", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, dim)


def prelu(input, weight):
    """x where x > 0, else a * x, with a learned slope ``weight`` a: one for all channels (1 element) or
    one per channel (C elements, channels on dimension 1).   d/dx = 1 or a;  d/da = x where x <= 0.

    >>> prelu(Tensor([-2.0, 3.0]), Tensor([0.25])).tolist()
    [-0.5, 3.0]
    """
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim > 1 or weight.numel() not in (1, channels):
        raise RuntimeError(f"prelu: weight of shape {weight.shape} must hold 1 slope or one per channel, and the "
                           f"input of shape {input.shape} has {channels} channel(s) (dimension 1)")
    slope = weight.reshape(()) if weight.numel() == 1 else weight.reshape((channels,) + (1,) * (input.ndim - 2))
    return where(input > 0, input, slope * input)


# ---------------------------------------------------------------- normalization, distances (issue 17)
@scoped
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Split the C channels (dimension 1) of an (N, C, ...) input into ``num_groups`` groups and normalize
    each sample's group over its channels and positions: y = (x - mean) / sqrt(var + eps) * weight + bias
    (biased variance; ``weight`` and ``bias`` of shape (C,)). num_groups=1 is LayerNorm over (C, ...),
    num_groups=C is InstanceNorm. Independent of the batch, so the same in training and evaluation.

    >>> group_norm(Tensor(np.array([[1.0, 3.0]])), 1).numpy().round(4).tolist()
    [[-1.0, 1.0]]
    """
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected an input of shape (N, C, ...), got shape {input.shape}")
    n, channels = input.shape[:2]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(f"group_norm: the {channels} channels (dimension 1) of the input of shape {input.shape} "
                           f"must divide into num_groups={num_groups} equal groups")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise RuntimeError(f"group_norm: {name} has shape {t.shape}, expected ({channels},) for the input's "
                               f"{channels} channels")
    x, result_dtype = _float32_if_half(input)
    grouped = x.reshape(n, num_groups, channels // num_groups * math.prod(input.shape[2:]))
    centered = grouped - grouped.mean(2, keepdim=True)
    out = (centered / ((centered * centered).mean(2, keepdim=True) + eps).sqrt()).reshape(input.shape)
    per_channel = (channels,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out if result_dtype is None else out.astype(result_dtype)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(||x||_p, eps) along ``dim``: unit p-norm vectors (a zero vector stays zero).

    >>> normalize(Tensor(np.array([[3.0, 4.0]]))).tolist()
    [[0.6, 0.8]]
    """
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps)


def _broadcast_pair(name, x1, x2):
    """x1 and x2 expanded to their common shape (both are needed at full size: the norms run over it)."""
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise RuntimeError(f"{name}: x1 of shape {x1.shape} and x2 of shape {x2.shape} do not broadcast "
                           "together") from None
    return x1.expand(shape), x2.expand(shape)


def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    """sum(x1 * x2) / (max(||x1||, eps) max(||x2||, eps)) along ``dim``, after broadcasting x1 with x2;
    each vector is divided by its norm before the product, which keeps the result within [-1, 1].
    (PyTorch clamps the norms without recording the clamp; the two differ only for a norm below eps.)

    >>> cosine_similarity(Tensor(np.array([[1.0, 0.0]])), Tensor(np.array([[1.0, 1.0]]))).numpy().round(4).tolist()
    [0.7071]
    """
    x1, x2 = _broadcast_pair("cosine_similarity", x1, x2)
    unit1 = x1 / x1.norm(2, dim, keepdim=True).clamp_min(eps)
    unit2 = x2 / x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return (unit1 * unit2).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    """||x1 - x2 + eps||_p over the last dimension (eps keeps the gradient finite where x1 == x2).

    >>> pairwise_distance(Tensor([[3.0, 0.0]]), Tensor([[0.0, 4.0]]), eps=0.0).tolist()
    [5.0]
    """
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


__all__ += ["celu", "cosine_embedding_loss", "cosine_similarity", "elu", "group_norm", "hardshrink", "hardsigmoid",
            "hardswish", "hardtanh", "huber_loss", "kl_div", "logsigmoid", "margin_ranking_loss", "mish",
            "normalize", "pairwise_distance", "prelu", "relu6", "selu", "smooth_l1_loss", "softmin", "softshrink",
            "softsign", "tanhshrink", "threshold"]
