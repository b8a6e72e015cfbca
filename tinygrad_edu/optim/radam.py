"""RAdam: Adam whose adaptive step is switched on, and rectified, once its variance estimate is reliable."""

import numpy as np

from .adam import adam_moments, check_adam_group
from .optimizer import Optimizer


class RAdam(Optimizer):
    r"""RAdam (Liu et al.), PyTorch's formulation.

    With gradient ``g`` (negated when ``maximize``) at step ``t``::

        g ← g + λ·p                 (decoupled_weight_decay: p ← p·(1 − lr·λ) instead)
        m ← β₁·m + (1 − β₁)·g,      m̂ = m / (1 − β₁ᵗ)
        v ← β₂·v + (1 − β₂)·g²
        ρ∞ = 2/(1 − β₂) − 1,        ρ_t = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
        ρ_t > 5:   r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)),
                   p ← p − lr · m̂ · √(1 − β₂ᵗ)/(√v + eps) · r
        otherwise: p ← p − lr · m̂          (plain momentum while the variance estimate is too young)

    >>> opt = RAdam(model_params, lr=1e-3)
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _check(self, group):
        check_adam_group(group)

    def _state_keys(self, group):
        return {"step", "exp_avg", "exp_avg_sq"}

    def _update(self, p, g, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        g, m, v = adam_moments(p, g, state, group)
        t = state["step"]
        bias_correction2 = 1 - beta2 ** t
        m_hat = m / (1 - beta1 ** t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = bias_correction2 ** 0.5 / (np.sqrt(v) + group["eps"])
            p.numpy()[...] -= m_hat * lr * adaptive * rect
        else:
            p.numpy()[...] -= m_hat * lr
