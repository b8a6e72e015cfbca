"""Adadelta: step sizes from the ratio of running RMS of past updates to running RMS of gradients."""

import numpy as np

from .optimizer import Optimizer, _check_nonnegative


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler), PyTorch's formulation; ``lr`` scales the update (1.0 gives the paper's rule).

    With gradient ``g`` (negated when ``maximize``), ``v`` and ``u`` starting at zero::

        g ← g + λ·p
        v ← ρ·v + (1 − ρ)·g²
        Δ ← √(u + eps) / √(v + eps) · g
        u ← ρ·u + (1 − ρ)·Δ²
        p ← p − lr·Δ

    ``foreach`` changes nothing here (see :class:`Optimizer`).

    >>> opt = Adadelta(model_params)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check(self, group):
        _check_nonnegative("learning rate", group["lr"])
        _check_nonnegative("epsilon value", group["eps"])
        _check_nonnegative("weight_decay value", group["weight_decay"])
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']} (must be in [0, 1])")

    def _state_keys(self, group):
        return {"step", "square_avg", "acc_delta"}

    def _update(self, p, g, state, group):
        rho, eps = group["rho"], group["eps"]
        if group["maximize"]:
            g = -g
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p.numpy()), acc_delta=np.zeros_like(p.numpy()))
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.numpy()
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u *= rho
        u += (1 - rho) * delta * delta
        p.numpy()[...] -= group["lr"] * delta
