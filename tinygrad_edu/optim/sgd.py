"""Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay."""

from .optimizer import Optimizer, _check_nonnegative


class SGD(Optimizer):
    r"""Stochastic gradient descent, PyTorch's formulation.

    With gradient ``g`` (negated when ``maximize``), momentum ``μ``, dampening ``τ``, decay ``λ``::

        g ← g + λ·p
        b ← g                      on the first step,   b ← μ·b + (1 − τ)·g   afterwards
        g ← g + μ·b  (nesterov)    or   g ← b  (when μ ≠ 0)
        p ← p − lr·g

    >>> opt = SGD(model_params, lr=0.1, momentum=0.9)
    """

    def __init__(self, params, lr=0.001, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)

    def _check(self, group):
        _check_nonnegative("learning rate", group["lr"])
        _check_nonnegative("momentum value", group["momentum"])
        _check_nonnegative("weight_decay value", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _state_keys(self, group):
        return {"momentum_buffer"} if group["momentum"] != 0 else set()

    def _update(self, p, g, state, group):
        mu = group["momentum"]
        if group["maximize"]:
            g = -g
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.numpy()
        if mu != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.copy()
            else:
                buf = state["momentum_buffer"]
                buf *= mu
                buf += g if group["dampening"] == 0 else (1 - group["dampening"]) * g  # no temporary when 0
            g = g + mu * state["momentum_buffer"] if group["nesterov"] else state["momentum_buffer"]
        p.numpy()[...] -= group["lr"] * g
