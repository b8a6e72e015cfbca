"""Loss functions with the names, signatures and semantics of ``torch.nn.functional`` and ``torch.nn``.

Every loss is plain Python over the engine's ops, with no backward of its own: its gradients (and
gradients of gradients) come from the primitives. Each function computes a per-element loss and
then reduces it: ``reduction='none'`` keeps it, ``'sum'`` adds it up, ``'mean'`` divides the sum by
the number of elements, or, for the class-index losses, by the summed class weights of the targets
that are not ignored. The Module classes hold the options and call the functions.
"""

import warnings

import numpy as np

from ..engine.ops import log_softmax, minimum, softmax_cross_entropy, where
from ..engine.scopes import scoped
from ..engine.tensor import Tensor
from .module import Module

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss",
           "BCEWithLogitsLoss"]

_REDUCTIONS = ("none", "mean", "sum")


# ------------------------------------------------------------------------------------------ checks
def _check_reduction(name, reduction, allowed=_REDUCTIONS):
    if reduction not in allowed:
        options = ", ".join(map(repr, allowed[:-1])) + f" or {allowed[-1]!r}"
        raise ValueError(f"{name}: reduction must be {options}, got {reduction!r}")


def _check_input(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {input.dtype}")


def _float_target(name, target, input):
    """``target`` as a floating Tensor of the input's shape (arrays and lists take the input's dtype)."""
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=input.dtype))
    if target.dtype.kind != "f":
        raise TypeError(f"{name}: target must be floating point, got dtype {target.dtype}")
    if target.shape != input.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} must be equal")
    return target


def _optional_tensor(name, what, value, input, shape):
    """None, or ``value`` as a Tensor (arrays take the input's dtype) whose shape is ``shape`` or, when
    ``shape`` is None, broadcasts to the input's shape."""
    if value is None:
        return None
    if not isinstance(value, Tensor):
        value = Tensor(np.asarray(value, dtype=input.dtype))
    if shape is not None and value.shape != shape:
        raise ValueError(f"{name}: {what} must have shape {shape} (one entry per class), got {value.shape}")
    if shape is None:
        try:
            fits = np.broadcast_shapes(value.shape, input.shape) == input.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{name}: {what} of shape {value.shape} does not broadcast to the input's shape "
                             f"{input.shape}")
    return value


def _reduce(loss, reduction, denominator=None):
    """Apply ``reduction`` to the per-element ``loss``; 'mean' divides the sum by ``denominator``
    (by default the number of elements)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if denominator is None else loss.sum() / denominator


# ------------------------------------------------------------------------------ class-index losses
def _class_dim(name, input):
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension: shape (C,), (N, C) or (N, C, d1, ...), "
                         "got a 0-d tensor")
    return 0 if input.ndim == 1 else 1


def _picked_log_probs(name, log_probs, target, weight, ignore_index, hint=""):
    """The per-target terms shared by nll_loss and cross_entropy.

    Returns (-w[y] * log_probs[y], sum of w[y], kept): the weighted negative log-probability of each
    target class, the total weight of the targets ('mean' divides by it; a target equal to
    ``ignore_index`` weighs 0), and the boolean mask of targets that are not ignored. Validates the
    target's dtype, shape and values first.
    """
    cd = _class_dim(name, log_probs)
    t, kept = _class_targets(name, log_probs, target, ignore_index, hint)
    safe = np.where(kept, t, 0)  # any valid class: the ignored terms are multiplied by a zero weight
    picked = log_probs.gather(cd, np.expand_dims(safe, cd)).squeeze(cd)
    if weight is None and kept.all():  # every weight is 1: nothing to multiply, the total is the count
        return -picked, kept.size, kept
    w = Tensor(kept.astype(log_probs.dtype)) if weight is None else where(kept, weight[safe], 0.0)
    return -(picked * w), w.sum(), kept


def _class_targets(name, input, target, ignore_index, hint=""):
    """The class-index ``target`` as an integer array of the input's shape less its class dimension, and
    the mask of targets that are not ``ignore_index``, after checking its dtype, shape and values."""
    cd = _class_dim(name, input)
    n_classes = input.shape[cd]
    t = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: class-index targets must be integers, got dtype {t.dtype} with shape "
                        f"{t.shape}{hint}")
    expected = input.shape[:cd] + input.shape[cd + 1:]
    if t.shape != expected:
        raise ValueError(f"{name}: input of shape {input.shape} (classes on dim {cd}) needs a target of shape "
                         f"{expected}, got {t.shape}{hint}")
    kept = t != ignore_index
    if t.size and (t.min() < 0 or t.max() >= n_classes):  # rarely true (ignore_index < 0): find a culprit
        bad = t[kept & ((t < 0) | (t >= n_classes))]
        if bad.size:
            raise IndexError(f"{name}: target {bad.flat[0]} is out of bounds for {n_classes} classes (expected 0 "
                             f"to {n_classes - 1}, or ignore_index={ignore_index})")
    return t, kept


@scoped
def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of class indices, given log-probabilities.

    ``input`` holds log-probabilities of shape (C,), (N, C) or (N, C, d1, ...) (classes on dim 1),
    ``target`` integer class indices of shape (), (N,) or (N, d1, ...). With w = ``weight`` (shape (C,),
    default all ones) and the sum over targets y_i that are not ``ignore_index``::

        loss_i = -w[y_i] * input[i, y_i]          (0 where y_i is ignored)
        mean   = sum_i loss_i / sum_i w[y_i]

    ``d loss_i / d input[i, c] = -w[y_i] [c = y_i]``.

    >>> round(nll_loss(Tensor([[-1.0, -2.0]]), Tensor([1])).item(), 4)
    2.0
    """
    _check_reduction("nll_loss", reduction)
    _check_input("nll_loss", input)
    cd = _class_dim("nll_loss", input)
    weight = _optional_tensor("nll_loss", "weight", weight, input, (input.shape[cd],))
    loss, total_weight, _ = _picked_log_probs("nll_loss", input, target, weight, ignore_index)
    return _reduce(loss, reduction, total_weight)


@scoped
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits and class indices or class probabilities.

    ``input`` holds logits of shape (C,), (N, C) or (N, C, d1, ...) (classes on dim 1). With
    log p = log_softmax(input) over the classes (finite even for logits of +-1e4), w = ``weight``
    (shape (C,), default ones), C classes and eps = ``label_smoothing``:

    - class indices (integer ``target`` of shape (), (N,) or (N, d1, ...)), as PyTorch::

        loss_i = (1 - eps) * w[y_i] * (-log p[i, y_i]) + (eps / C) * sum_c w[c] * (-log p[i, c])
        mean   = sum_i loss_i / sum_i w[y_i]      (targets equal to ``ignore_index`` give 0 and are left out)

    - class probabilities (floating ``target`` of the input's shape; ``ignore_index`` is not used)::

        q = (1 - eps) * target + eps / C
        loss_i = -sum_c w[c] * q[i, c] * log p[i, c]
        mean   = sum_i loss_i / (number of samples N * d1 * ...)

    Without weights or smoothing, d loss_i / d input[i, c] = softmax(input)[i, c] - q[i, c].

    >>> round(cross_entropy(Tensor([[0.0, 0.0, 0.0]]), Tensor([2])).item(), 4)   # ln 3
    1.0986
    """
    name = "cross_entropy"
    _check_reduction(name, reduction)
    _check_input(name, input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    cd = _class_dim(name, input)
    n_classes = input.shape[cd]
    weight = _optional_tensor(name, "weight", weight, input, (n_classes,))
    # the weight along the class dimension of the input, e.g. (C, 1, 1) for (N, C, H, W)
    class_weight = None if weight is None else weight.reshape((n_classes,) + (1,) * (input.ndim - cd - 1))
    t = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    hint = f"; class probabilities would need the input's shape {input.shape}"
    if t.shape != input.shape and label_smoothing == 0 and (weight is None or not weight.requires_grad):
        t, _ = _class_targets(name, input, t, ignore_index, hint)  # the common case, as one fused primitive
        return softmax_cross_entropy(input, t, weight, ignore_index, reduction)
    log_p = log_softmax(input, dim=cd)
    if t.shape == input.shape:
        if t.dtype.kind != "f":
            raise TypeError(f"{name}: a target with the input's shape {input.shape} holds class probabilities and "
                            f"must be floating point, got dtype {t.dtype}")
        q = _float_target(name, target, input)
        if label_smoothing > 0:
            q = q * (1 - label_smoothing) + label_smoothing / n_classes
        weighted = log_p * q if class_weight is None else log_p * q * class_weight
        loss = -weighted.sum(cd)
        return _reduce(loss, reduction, input.numpy().size // n_classes)

    loss, total_weight, kept = _picked_log_probs(name, log_p, target, weight, ignore_index, hint)
    if label_smoothing > 0:
        all_classes = log_p if class_weight is None else log_p * class_weight
        smooth = where(kept, -all_classes.sum(cd), 0.0)
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)
    return _reduce(loss, reduction, total_weight)


# ----------------------------------------------------------------------------- elementwise losses
@scoped
def mse_loss(input, target, reduction="mean"):
    """Squared error (x - y)^2 per element, no 1/2: ``mse_loss([1, 3], [0, 0]) = (1 + 9) / 2 = 5``.
    Input and target must have the same shape.   d/dx = 2 (x - y) (divided by the count for 'mean').

    >>> mse_loss(Tensor([1.0, 3.0]), Tensor([0.0, 0.0])).item()
    5.0
    """
    _check_reduction("mse_loss", reduction)
    _check_input("mse_loss", input)
    diff = input - _float_target("mse_loss", target, input)
    return _reduce(diff * diff, reduction)


@scoped
def l1_loss(input, target, reduction="mean"):
    """Absolute error |x - y| per element. Input and target must have the same shape.
    d/dx = sign(x - y) (0 where x = y, as in PyTorch).

    >>> l1_loss(Tensor([1.0, -3.0]), Tensor([0.0, 0.0])).item()
    2.0
    """
    _check_reduction("l1_loss", reduction)
    _check_input("l1_loss", input)
    return _reduce((input - _float_target("l1_loss", target, input)).abs(), reduction)


def _clamped_log(x):
    """max(log x, -100), PyTorch's guard that keeps BCE finite at x = 0. Where the clamp holds the
    gradient is 0; the inner ``where`` feeds log a harmless 1 there, so x = 0 gives 0 and not 0 * inf = NaN."""
    with np.errstate(divide="ignore"):
        above = np.log(x.numpy()) > -100
    return where(above, where(above, x, 1.0).log(), -100.0)


def _binary_loss(name, input, target, weight, reduction, per_element):
    """What both binary cross-entropies share: check the arguments, compute ``per_element(target)`` (the
    loss's own checks and formula, given the target as a Tensor of the input's shape), multiply by
    ``weight`` (broadcast to the input's shape) and reduce."""
    _check_reduction(name, reduction)
    _check_input(name, input)
    target = _float_target(name, target, input)
    weight = _optional_tensor(name, "weight", weight, input, None)
    loss = per_element(target)
    return _reduce(loss if weight is None else loss * weight, reduction)


@scoped
def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Binary cross-entropy between probabilities x in [0, 1] and targets y (same shape)::

        loss = -w * (y * max(log x, -100) + (1 - y) * max(log(1 - x), -100))

    ``weight`` w broadcasts to the input's shape. d/dx = w (x - y) / (x (1 - x)) where neither log is
    clamped; where a log is clamped (x within e^-100 of 0 or 1) its term contributes no gradient.
    For logits use :func:`binary_cross_entropy_with_logits`, which is exact and stable.

    >>> round(binary_cross_entropy(Tensor([0.5]), Tensor([1.0])).item(), 4)   # ln 2
    0.6931
    """
    def per_element(target):
        outside = input.numpy()[~((input.numpy() >= 0) & (input.numpy() <= 1))]
        if outside.size:
            raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], got {outside.flat[0]} "
                             "(for logits use binary_cross_entropy_with_logits)")
        return -(target * _clamped_log(input) + (1 - target) * _clamped_log(1 - input))

    return _binary_loss("binary_cross_entropy", input, target, weight, reduction, per_element)


@scoped
def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Binary cross-entropy of sigmoid(x) for logits x and targets y (same shape), in the stable form::

        log sigmoid(x) = min(x, 0) - log(1 + e^-|x|)          (no overflow for any x)
        loss = w * ((1 - y) * x - (1 + (pos_weight - 1) * y) * log sigmoid(x))

    which, without ``pos_weight`` and for finite x, is max(x, 0) - x y + log(1 + e^-|x|). ``weight`` w
    broadcasts to the input's shape and ``pos_weight`` (the weight of positive examples, e.g. shape (C,))
    along the last dimensions.   d/dx = w ((1 + (pos_weight - 1) y) sigmoid(x) - pos_weight y), i.e. w (sigmoid(x) - y)
    without pos_weight.

    >>> round(binary_cross_entropy_with_logits(Tensor([0.0]), Tensor([1.0])).item(), 4)   # ln 2
    0.6931
    """
    name = "binary_cross_entropy_with_logits"

    def per_element(target):
        pw = _optional_tensor(name, "pos_weight", pos_weight, input, None)
        log_sigmoid = minimum(input, 0.0) - (1 + (-input.abs()).exp()).log()  # log(1 + e^-|x|) is in (0, ln 2]
        # PyTorch's expression, term for term, so that infinite logits give its inf and NaN losses (and its finite
        # gradients): (1 - y) x is NaN for y = 1 at x = +inf, the difference NaN at x = -inf
        weighted = log_sigmoid if pw is None else (1 + (pw - 1) * target) * log_sigmoid
        return (1 - target) * input - weighted

    return _binary_loss(name, input, target, weight, reduction, per_element)


# ----------------------------------------------------------------------------------------- modules
def _buffer(value):
    return value if value is None or isinstance(value, Tensor) else Tensor(value)


class _Loss(Module):
    """Holds ``reduction`` (checked now, not at the first call) and, when given, ``weight`` as a buffer
    so that it moves with the module and is saved in ``state_dict``, as in PyTorch."""

    _reductions = _REDUCTIONS

    def __init__(self, reduction="mean", weight=None):
        super().__init__()
        _check_reduction(type(self).__name__, reduction, self._reductions)
        self.reduction = reduction
        self.register_buffer("weight", _buffer(weight))

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """:func:`cross_entropy` of logits (N, C, ...) and class indices or probabilities.

    >>> CrossEntropyLoss(label_smoothing=0.1)
    CrossEntropyLoss(ignore_index=-100, reduction='mean', label_smoothing=0.1)
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
        super().__init__(reduction, weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)

    def extra_repr(self):
        return (f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, "
                f"label_smoothing={self.label_smoothing}")


class NLLLoss(_Loss):
    """:func:`nll_loss` of log-probabilities (N, C, ...) and class indices."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction, weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)

    def extra_repr(self):
        return f"ignore_index={self.ignore_index}, reduction={self.reduction!r}"


class MSELoss(_Loss):
    """:func:`mse_loss`: mean (or sum) of squared errors."""

    def __init__(self, reduction="mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """:func:`l1_loss`: mean (or sum) of absolute errors."""

    def __init__(self, reduction="mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return l1_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """:func:`binary_cross_entropy` of probabilities in [0, 1]."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction, weight)

    def forward(self, input, target):
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """:func:`binary_cross_entropy_with_logits`: sigmoid and BCE in one stable step. ``pos_weight``
    is a buffer like ``weight``."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction, weight)
        self.register_buffer("pos_weight", _buffer(pos_weight))

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


# ---------------------------------------------------------------------------- issue 17's losses
def _legacy_reduction(name, size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average`` / ``reduce`` pair, still in the signatures: when either is
    given it decides (reduce=False -> 'none', size_average=False -> 'sum', else 'mean'), with a warning."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(f"{name}: size_average and reduce are deprecated, please use reduction='none', 'mean' or 'sum' "
                  "instead.", UserWarning, stacklevel=3)
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


@scoped
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Squared error near 0, absolute error beyond ``beta`` (Fast R-CNN's box loss); with d = |x - y|::

        loss = 0.5 d^2 / beta   where d < beta,   else d - 0.5 beta      (beta = 0: the L1 loss)

    d/dx = (x - y) / beta where d < beta, else sign(x - y).

    >>> smooth_l1_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), reduction="sum").item()
    2.625
    """
    name = "smooth_l1_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    _check_reduction(name, reduction)
    _check_input(name, input)
    if beta < 0:
        raise RuntimeError(f"{name}: beta must be >= 0, got {beta}")
    d = (input - _float_target(name, target, input)).abs()
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


@scoped
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Squared error near 0, linear beyond ``delta``; with d = |x - y|::

        loss = 0.5 d^2   where d < delta,   else delta (d - 0.5 delta)      (= delta * smooth_l1 with beta=delta)

    ``weight`` (the input's shape) multiplies each element's loss before the reduction.
    d/dx = x - y where d < delta, else delta sign(x - y).

    >>> huber_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), reduction="sum").item()
    2.625
    """
    name = "huber_loss"
    _check_reduction(name, reduction)
    _check_input(name, input)
    if delta <= 0:
        raise RuntimeError(f"{name}: delta must be > 0, got {delta}")
    d = (input - _float_target(name, target, input)).abs()
    loss = where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        weight = weight if isinstance(weight, Tensor) else Tensor(np.asarray(weight, dtype=input.dtype))
        if weight.shape != input.shape:
            raise ValueError(f"{name}: weight of shape {weight.shape} must have the input's shape {input.shape}")
        loss = loss * weight
    return _reduce(loss, reduction)


@scoped
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence KL(target || model), the model given as log-probabilities ``input``::

        loss = target (log target - input)           (0 where target = 0)
        loss = e^target (target - input)             with log_target=True (target as log-probabilities)

    ``reduction='batchmean'`` divides the sum by the batch size input.shape[0], which is the divergence
    itself; 'mean' divides by the number of elements, as PyTorch does.   d/dinput = -target (or -e^target).

    >>> p = Tensor([[0.5, 0.5]])
    >>> kl_div(p.log(), p, reduction="batchmean").item()
    0.0
    """
    name = "kl_div"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    _check_reduction(name, reduction, _REDUCTIONS + ("batchmean",))
    _check_input(name, input)
    target = _float_target(name, target, input)
    loss = target.exp() * (target - input) if log_target else target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


@scoped
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """Pull pairs together (target 1) or push them apart (target -1), by their cosine similarity::

        cos = x1 . x2 / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))      (over the last dimension)
        loss = 1 - cos   where target = 1,   max(0, cos - margin)   where target = -1

    for inputs (N, D) with target (N,), or (D,) with a 0-d target.

    >>> cosine_embedding_loss(Tensor([[1.0, 0.0]]), Tensor([[0.0, 1.0]]), Tensor([1.0])).item()
    1.0
    """
    name = "cosine_embedding_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    _check_reduction(name, reduction)
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    expected = 1 if target.ndim == 0 else 2
    if target.ndim > 1 or input1.ndim != expected or input2.ndim != expected:
        raise RuntimeError(f"{name}: expected inputs (N, D) with a target (N,), or inputs (D,) with a 0-d target; got "
                           f"input1 {input1.shape}, input2 {input2.shape} and target {target.shape}")
    dim = target.ndim
    squared1 = (input1 * input1).sum(dim) + 1e-12
    squared2 = (input2 * input2).sum(dim) + 1e-12
    cos = (input1 * input2).sum(dim) / (squared1 * squared2).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp_min(0), 0.0)
    return _reduce(loss, reduction)


@scoped
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 by ``margin`` where y = 1, below where y = -1.
    d/dx1 = -y where the loss is positive, else 0 (and the opposite for x2).

    >>> margin_ranking_loss(Tensor([1.0]), Tensor([2.0]), Tensor([1.0])).item()
    1.0
    """
    name = "margin_ranking_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    _check_reduction(name, reduction)
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input1.dtype))
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"{name}: input1, input2 and target must have the same number of dimensions, got shapes "
                           f"{input1.shape}, {input2.shape} and {target.shape}")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


class SmoothL1Loss(_Loss):
    """:func:`smooth_l1_loss`: squared error below ``beta``, absolute error above."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(_legacy_reduction("SmoothL1Loss", size_average, reduce, reduction))
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """:func:`huber_loss`: squared error below ``delta``, linear above."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, self.reduction, self.delta)


class KLDivLoss(_Loss):
    """:func:`kl_div` of log-probabilities and target probabilities (or log-probabilities when
    ``log_target``); ``reduction='batchmean'`` gives the divergence per sample."""

    _reductions = _REDUCTIONS + ("batchmean",)

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(_legacy_reduction("KLDivLoss", size_average, reduce, reduction))
        self.log_target = log_target

    def forward(self, input, target):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CosineEmbeddingLoss(_Loss):
    """:func:`cosine_embedding_loss`: targets 1 pull pairs together, -1 push them below ``margin``."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy_reduction("CosineEmbeddingLoss", size_average, reduce, reduction))
        self.margin = margin

    def forward(self, input1, input2, target):
        return cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """:func:`margin_ranking_loss`: x1 should rank above x2 by ``margin`` where the target is 1."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy_reduction("MarginRankingLoss", size_average, reduce, reduction))
        self.margin = margin

    def forward(self, input1, input2, target):
        return margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)
