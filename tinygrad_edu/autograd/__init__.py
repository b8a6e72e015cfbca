"""``tinygrad_edu.autograd``, as ``torch.autograd``: :func:`grad`, custom differentiable functions
(:class:`Function`), gradient checking, and Jacobians / Hessians (:mod:`.functional`).

Built on the engine (where :class:`Function` lives, beside ``make_op``); the engine never imports it.
"""

from ..engine import grad, gradcheck, gradgradcheck
from . import functional
from ..engine.function import Function, FunctionCtx

__all__ = ["grad", "Function", "FunctionCtx", "functional", "gradcheck", "gradgradcheck"]
