"""Adam and AdamW: bias-corrected moment estimates, with L2 or decoupled weight decay."""

import math

import numpy as np

from .optimizer import Optimizer, _check_betas, _check_nonnegative


def check_adam_group(group):
    """The settings every Adam-style optimizer (Adam, AdamW, NAdam, RAdam) shares, checked as PyTorch does."""
    _check_nonnegative("learning rate", group["lr"])
    _check_nonnegative("epsilon value", group["eps"])
    _check_betas(group["betas"])
    _check_nonnegative("weight_decay value", group["weight_decay"])


def adam_moments(p, g, state, group):
    """The start every Adam-style step (Adam, AdamW, NAdam, RAdam) shares: flip g for ``maximize``, start the
    state (step 0, zero moments), count the step, apply weight decay (decoupled: shrink p; else L2: add
    wd * p to g), and update the moving averages m of g and v of g^2 in place. Returns (g, m, v)."""
    lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
    if group["maximize"]:
        g = -g
    if not state:
        state.update(step=0, exp_avg=np.zeros_like(p.numpy()), exp_avg_sq=np.zeros_like(p.numpy()))
    state["step"] += 1
    if wd != 0:
        if group["decoupled_weight_decay"]:
            p.numpy()[...] *= 1 - lr * wd
        else:
            g = g + wd * p.numpy()
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += (1 - beta2) * g * g
    return g, m, v


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), PyTorch's formulation; eps sits *outside* the square root.

    With gradient ``g`` (negated when ``maximize``) at step ``t``::

        g ← g + λ·p                      (L2 decay; with decoupled_weight_decay: p ← p·(1 − lr·λ))
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²           (amsgrad: v̂ ← max(v̂, v) is used below instead of v)
        p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)

    >>> opt = Adam(model_params, lr=1e-3)
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check(self, group):
        check_adam_group(group)

    def _state_keys(self, group):
        return {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if group["amsgrad"] else set())

    def _update(self, p, g, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        g, m, v = adam_moments(p, g, state, group)
        if group["amsgrad"]:
            state.setdefault("max_exp_avg_sq", np.zeros_like(v))
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step_size = lr / (1 - beta1 ** state["step"])
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** state["step"]) + group["eps"]
        p.numpy()[...] -= step_size * (m / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter): first ``p ← p·(1 − lr·λ)``, then Adam.

    The same update as :class:`Adam` with ``decoupled_weight_decay=True``; ``weight_decay`` defaults to 0.01.

    >>> opt = AdamW(model_params, lr=1e-3, weight_decay=0.01)
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
