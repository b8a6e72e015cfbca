"""Functions with the names of ``torch.nn.functional``; each is an engine op or composed from them.

The normalization, embedding, dropout and attention functions below are plain Python over the engine's
ops, with no backward of their own: their gradients (and gradients of gradients) come from the
primitives. Attention's mask conventions are explained in ``nn/attention.py``.
"""

import math

import numpy as np

from ..engine.ops import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    fold,
    gelu,
    leaky_relu,
    linear,
    log_softmax,
    max_pool2d,
    pad,
    relu,
    scaled_softmax,
    sigmoid,
    softmax,
    softplus,
    tanh,
    unfold,
    where,
)
from ..engine.random import generator
from ..engine.tensor import Tensor, constant
from .loss import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss, nll_loss

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "conv1d", "conv2d", "cross_entropy", "dropout", "dropout2d",
           "embedding", "fold", "gelu", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "max_pool2d",
           "mse_loss", "nll_loss", "one_hot", "pad", "relu", "scaled_dot_product_attention", "sigmoid", "silu",
           "softmax", "softplus", "tanh", "unfold"]


def silu(input):
    """x * sigma(x) (also called swish).   d/dx = sigma(x) (1 + x (1 - sigma(x))).

    >>> silu(Tensor([0.0])).item()
    0.0
    """
    return input * input.sigmoid()


def dropout(input, p=0.5, training=True):
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
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and np.shape(_array(t, name)) != (channels,):
            raise RuntimeError(f"batch_norm: {name} has shape {np.shape(_array(t, name))}, expected ({channels},) "
                               f"for input of shape {input.shape} with {channels} channels")
    dims = (0,) + tuple(range(2, input.ndim))
    per_channel = (1, channels) + (1,) * (input.ndim - 2)
    x, result_dtype = _float32_if_half(input)
    if training:
        count = x.numel() // channels
        if count < 2:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {input.shape}")
        centered = x - x.mean(dims, keepdim=True)
        var = (centered * centered).mean(dims, keepdim=True)
        unbiased_var = var.numpy().reshape(channels) * (count / (count - 1))
        for stat, batch in ((running_mean, x.numpy().mean(axis=dims)), (running_var, unbiased_var)):
            if stat is not None:
                array = _array(stat, "running statistic")
                array[...] = (1 - momentum) * array + momentum * batch
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var must be given in evaluation mode "
                             "(training=False)")
        mean, var = (t if isinstance(t, Tensor) else constant(t) for t in (running_mean, running_var))
        centered = x - mean.reshape(per_channel)
        var = var.reshape(per_channel)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out if result_dtype is None else out.astype(result_dtype)


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


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (num_embeddings, embedding_dim) at the integer indices ``input``: the result
    has shape input.shape + (embedding_dim,). Backward scatter-adds into the rows, so a repeated
    index accumulates; the row ``padding_idx`` gets no gradient.

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
    rows = weight[index]
    if padding_idx is None:
        return rows
    if not -n <= padding_idx < n:
        raise ValueError(f"embedding: padding_idx {padding_idx} is out of range for num_embeddings={n}")
    # the same values, but the padding positions come from a constant copy, so no gradient reaches that row
    return where((index != padding_idx % n)[..., None], rows, rows.detach())


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
