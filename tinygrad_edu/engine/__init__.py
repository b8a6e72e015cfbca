"""The autograd engine: Tensor, its operations, reverse-mode differentiation and gradient checking."""

import numpy as np

from . import ops  # noqa: F401  (attaches the operations to Tensor)
from .factory import arange, eye, full, ones, ones_like, rand, randn, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .memory import collector_paused, keep_freed_memory
from .ops import (
                  abs,
                  add,
                  amax,
                  amin,
                  argmax,
                  argmin,
                  broadcast_to,
                  cat,
                  chunk,
                  clamp,
                  cos,
                  div,
                  erf,
                  exp,
                  flatten,
                  gather,
                  gelu,
                  leaky_relu,
                  log,
                  log_softmax,
                  logsumexp,
                  masked_fill,
                  matmul,
                  max,
                  maximum,
                  mean,
                  min,
                  minimum,
                  mul,
                  neg,
                  pad,
                  permute,
                  pow,
                  relu,
                  reshape,
                  sigmoid,
                  sin,
                  softmax,
                  softplus,
                  split,
                  sqrt,
                  squeeze,
                  stack,
                  std,
                  sub,
                  sum,
                  tanh,
                  transpose,
                  tril,
                  triu,
                  unbind,
                  unsqueeze,
                  var,
                  where,
)
from .random import manual_seed
from .tensor import Tensor, constant, enable_grad, grad, is_grad_enabled, make_op, no_grad, scope

float32, float64, int64, bool_ = np.float32, np.float64, np.int64, np.bool_

__all__ = [
    "Tensor", "make_op", "constant", "scope", "grad", "no_grad", "enable_grad", "is_grad_enabled", "manual_seed",
    "gradcheck", "gradgradcheck", "GradcheckError", "keep_freed_memory", "collector_paused",
    "float32", "float64", "int64", "bool_",
    "zeros", "ones", "full", "arange", "eye", "randn", "rand", "zeros_like", "ones_like",
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid",
    "relu", "leaky_relu", "gelu", "softplus", "erf", "maximum", "minimum", "clamp", "where",
    "sum", "mean", "amax", "amin", "max", "min", "var", "std", "logsumexp", "argmax", "argmin",
    "softmax", "log_softmax", "reshape", "permute", "transpose", "broadcast_to", "squeeze", "unsqueeze",
    "flatten", "cat", "stack", "split", "chunk", "unbind", "pad", "masked_fill", "tril", "triu", "matmul", "gather",
]
