"""Adagrad: per-coordinate step sizes shrinking with the sum of squared gradients."""

import numpy as np

from .optimizer import Optimizer, _check_nonnegative


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al.), PyTorch's formulation.

    With gradient ``g`` (negated when ``maximize``) at step ``t``, ``s`` starting at
    ``initial_accumulator_value``::

        g ← g + λ·p
        clr = lr / (1 + (t − 1)·lr_decay)
        s ← s + g²
        p ← p − clr·g / (√s + eps)

    >>> opt = Adagrad(model_params, lr=0.01)
    """

    def __init__(self, params, lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _check(self, group):
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            _check_nonnegative(f"{name} value", group[name])

    def _state_keys(self, group):
        return {"step", "sum"}

    def _update(self, p, g, state, group):
        if group["maximize"]:
            g = -g
        if not state:
            state.update(step=0, sum=np.full_like(p.numpy(), group["initial_accumulator_value"]))
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.numpy()
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += g * g
        p.numpy()[...] -= clr * (g / (np.sqrt(state["sum"]) + group["eps"]))
