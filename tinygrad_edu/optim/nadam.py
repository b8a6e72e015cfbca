"""NAdam: Adam with Nesterov momentum, looking one momentum step ahead."""

import numpy as np

from .adam import adam_moments, check_adam_group
from .optimizer import Optimizer, _check_nonnegative


class NAdam(Optimizer):
    r"""NAdam (Dozat), PyTorch's formulation, with its momentum schedule ``μ_t``.

    With gradient ``g`` (negated when ``maximize``) at step ``t`` and ``ψ = momentum_decay``::

        g ← g + λ·p                 (decoupled_weight_decay: p ← p·(1 − lr·λ) instead)
        μ_t = β₁·(1 − ½·0.96^(t·ψ)),    Π_t = μ₁·μ₂·…·μ_t   (state 'mu_product')
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        d = √(v / (1 − β₂ᵗ)) + eps
        p ← p − lr·(1 − μ_t)/(1 − Π_t) · g/d − lr·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d

    PyTorch keeps ``mu_product`` in a 0-d tensor of its default dtype (float32 unless changed); here it
    is a Python float, so float64 runs match PyTorch's with ``torch.set_default_dtype(torch.float64)``
    exactly and its default ones to float32 rounding.

    >>> opt = NAdam(model_params, lr=2e-3)
    """

    def __init__(self, params, lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=0.004,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check(self, group):
        check_adam_group(group)
        _check_nonnegative("momentum_decay value", group["momentum_decay"])

    def _state_keys(self, group):
        return {"step", "mu_product", "exp_avg", "exp_avg_sq"}

    def _update(self, p, g, state, group):
        lr, (beta1, beta2), psi = group["lr"], group["betas"], group["momentum_decay"]
        g, m, v = adam_moments(p, g, state, group)
        t = state["step"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] = mu_product = state.get("mu_product", 1.0) * mu
        denom = np.sqrt(v / (1 - beta2 ** t)) + group["eps"]
        p.numpy()[...] -= lr * (1.0 - mu) / (1.0 - mu_product) * (g / denom)
        p.numpy()[...] -= lr * mu_next / (1.0 - mu_product * mu_next) * (m / denom)
