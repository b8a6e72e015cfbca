"""Gradient clipping: rescale or clamp the ``.grad`` of a set of parameters before the optimizer step."""

import math

import numpy as np

from ..engine.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    r"""Scale all gradients together so that their joint norm is at most ``max_norm``.

    ``total = ‖(‖g₁‖, ‖g₂‖, ...)‖`` in the ``norm_type`` norm (``inf``: the largest ``|g|``). When
    ``c = max_norm / (total + 1e-6) < 1`` every gradient becomes ``c·g`` (a new Tensor; the old array is
    left alone). Returns ``total``, the norm *before* clipping, as a 0-d Tensor.

    >>> clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    params = _with_grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return Tensor(np.array(0.0))
    grads = [p.grad.numpy() for p in params]
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g), initial=0.0)) for g in grads)
    else:
        norms = np.array([np.sum(np.abs(g) ** norm_type) ** (1 / norm_type) for g in grads])
        total = float(np.sum(norms ** norm_type) ** (1 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite "
                           f"({total}), so it cannot be clipped. Pass error_if_nonfinite=False to skip this check.")
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for p in params:
            p.grad = Tensor(p.grad.numpy() * np.asarray(scale, dtype=p.grad.numpy().dtype))
    return Tensor(np.array(total, dtype=np.result_type(*grads)))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into ``[-clip_value, clip_value]`` (new Tensors; old arrays untouched).

    >>> clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    clip_value = float(clip_value)
    for p in _with_grads(parameters):
        p.grad = Tensor(np.clip(p.grad.numpy(), -clip_value, clip_value))
