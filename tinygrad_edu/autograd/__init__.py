"""``tinygrad_edu.autograd``, as ``torch.autograd``: :func:`grad`, custom differentiable functions
(:class:`Function`), gradient checking, Jacobians / Hessians (:mod:`.functional`) and :func:`.graph.increment_version`.

Built on the engine (where :class:`Function` lives, beside ``make_op``); the engine never imports it.
"""

from ..engine import grad, gradcheck, gradgradcheck
from ..engine.function import Function, FunctionCtx
from . import functional, graph

__all__ = ["grad", "Function", "FunctionCtx", "functional", "graph", "gradcheck", "gradgradcheck"]
