"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

import numpy as np

from .optimizer import Optimizer, _check_nonnegative


class RMSprop(Optimizer):
    r"""RMSprop (Hinton), PyTorch's formulation; eps sits *outside* the square root.

    With gradient ``g`` (negated when ``maximize``)::

        g ← g + λ·p
        v ← α·v + (1 − α)·g²
        a ← √(v − ḡ²) + eps  with ḡ ← α·ḡ + (1 − α)·g  when centered,   else  a ← √v + eps
        b ← μ·b + g/a,  p ← p − lr·b     when μ > 0,    else  p ← p − lr·g/a

    >>> opt = RMSprop(model_params, lr=0.01)
    """

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _check(self, group):
        for name in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            _check_nonnegative(f"{name} value", group[name])

    def _state_keys(self, group):
        return ({"step", "square_avg"} | ({"momentum_buffer"} if group["momentum"] > 0 else set())
                | ({"grad_avg"} if group["centered"] else set()))

    def _update(self, p, g, state, group):
        alpha = group["alpha"]
        if group["maximize"]:
            g = -g
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p.numpy()))
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.numpy())
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.numpy())
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.numpy()
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * g * g
        if group["centered"]:
            mean = state["grad_avg"]
            mean += (1 - alpha) * (g - mean)
            avg = np.sqrt(v - mean * mean) + group["eps"]
        else:
            avg = np.sqrt(v) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            p.numpy()[...] -= group["lr"] * buf
        else:
            p.numpy()[...] -= group["lr"] * (g / avg)
