"""The autograd engine: Tensor, its operations, reverse-mode differentiation and gradient checking."""

import numpy as np

from . import ops  # noqa: F401  (attaches the operations to Tensor)
from .factory import arange, eye, full, ones, ones_like, rand, randn, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .memory import collector_paused, keep_freed_memory
from .ops import *  # noqa: F403  (every family's EXPORTS)
from .ops import EXPORTS as _op_exports
from .random import manual_seed
from .tensor import Tensor, constant, enable_grad, grad, is_grad_enabled, make_op, no_grad, scope

float32, float64, int64, bool_ = np.float32, np.float64, np.int64, np.bool_

__all__ = [
    "Tensor", "make_op", "constant", "scope", "grad", "no_grad", "enable_grad", "is_grad_enabled", "manual_seed",
    "gradcheck", "gradgradcheck", "GradcheckError", "keep_freed_memory", "collector_paused",
    "float32", "float64", "int64", "bool_",
    "zeros", "ones", "full", "arange", "eye", "randn", "rand", "zeros_like", "ones_like",
] + _op_exports
