"""Every differentiable operation on Tensors, by family.

=============== ===========================================================================
``elementwise`` arithmetic with broadcasting, unary functions, comparisons
``reduce``      sum and the extremes; mean, var, std, logsumexp, softmax composed from them
``movement``    reshape, permute, broadcast, indexing, cat, pad and the ops composed of them
``matmul``      matrix products: matmul and linear
``window``      im2col / col2im, convolution and its two gradients, pooling
``fused``       fused primitives beside their references: attention's softmax, recurrent layers
=============== ===========================================================================

Each primitive is one function: its NumPy forward, a backward closure written with Tensor ops and its
derivative in the docstring; ``base.PRIMITIVES`` lists them all (``DERIVATIVES.md`` is generated from
it). The end of this file attaches the ops to Tensor as methods and operators.
"""

import numpy as np

from ..tensor import Tensor, _wrap
from .base import PRIMITIVES, primitive
from .elementwise import (
    abs,
    add,
    astype,
    clamp,
    cos,
    div,
    eq,
    erf,
    exp,
    ge,
    gelu,
    gt,
    le,
    leaky_relu,
    log,
    logical_and,
    logical_or,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    sub,
    tanh,
    where,
)
from .fused import (
    gru_layer,
    gru_layer_reference,
    gru_step,
    lstm_layer,
    lstm_layer_reference,
    lstm_step,
    rnn_relu_step,
    rnn_tanh_step,
    scaled_softmax,
    scaled_softmax_reference,
)
from .matmul import linear, matmul
from .movement import (
    broadcast_to,
    cat,
    chunk,
    expand,
    flatten,
    gather,
    getitem,
    masked_fill,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    tril,
    triu,
    unbind,
    unsqueeze,
)
from .reduce import amax, amin, argmax, argmin, log_softmax, logsumexp, max, mean, min, softmax, std, sum, var
from .window import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv2d_reference,
    fold,
    max_pool2d,
    max_pool2d_reference,
    unfold,
)

__all__ = [
    "PRIMITIVES", "primitive",
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid",
    "relu", "leaky_relu", "gelu", "softplus", "erf", "maximum", "minimum", "clamp", "where", "astype",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
    "sum", "mean", "amax", "amin", "max", "min", "var", "std", "logsumexp", "argmax", "argmin",
    "softmax", "log_softmax",
    "reshape", "permute", "transpose", "broadcast_to", "expand", "squeeze", "unsqueeze", "flatten", "getitem",
    "cat", "stack", "split", "chunk", "unbind", "pad", "masked_fill", "tril", "triu", "gather",
    "matmul", "linear",
    "conv2d", "conv1d", "unfold", "fold", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
    "conv2d_reference", "max_pool2d_reference",
    "scaled_softmax", "scaled_softmax_reference", "rnn_tanh_step", "rnn_relu_step", "lstm_step", "gru_step",
    "lstm_layer", "lstm_layer_reference", "gru_layer", "gru_layer_reference",
]


# ----------------------------------------------------------------------------- Tensor integration
def _reflected(fn):
    return lambda self, other: fn(other, self)


for _name, _fn in {
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg, "exp": exp, "log": log,
    "sqrt": sqrt, "abs": abs, "sin": sin, "cos": cos, "tanh": tanh, "sigmoid": sigmoid, "relu": relu,
    "leaky_relu": leaky_relu, "gelu": gelu, "softplus": softplus, "erf": erf, "maximum": maximum,
    "minimum": minimum, "clamp": clamp, "clip": clamp, "astype": astype, "sum": sum, "mean": mean,
    "amax": amax, "amin": amin, "max": max, "min": min, "var": var, "std": std, "logsumexp": logsumexp,
    "argmax": argmax, "argmin": argmin, "softmax": softmax, "log_softmax": log_softmax, "reshape": reshape,
    "view": reshape, "permute": permute, "broadcast_to": broadcast_to, "expand": expand, "transpose": transpose,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "flatten": flatten, "matmul": matmul, "gather": gather,
    "split": split, "chunk": chunk, "unbind": unbind, "masked_fill": masked_fill, "tril": tril, "triu": triu,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "__add__": add, "__sub__": sub, "__mul__": mul, "__truediv__": div, "__pow__": pow,
    "__matmul__": matmul, "__neg__": neg, "__getitem__": getitem, "__abs__": abs,
    "__radd__": _reflected(add), "__rsub__": _reflected(sub), "__rmul__": _reflected(mul),
    "__rtruediv__": _reflected(div), "__rpow__": _reflected(pow), "__rmatmul__": _reflected(matmul),
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": logical_and, "__or__": logical_or,
}.items():
    setattr(Tensor, _name, _fn)

Tensor.__invert__ = lambda self: _wrap(np.logical_not(self.data))
Tensor.T = property(lambda self: self.permute(tuple(reversed(range(self.ndim)))))
Tensor.mT = property(lambda self: self.transpose(-2, -1))
Tensor.float = lambda self: self.astype(np.float32)
Tensor.double = lambda self: self.astype(np.float64)
Tensor.to = astype
