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
from . import elementwise, movement, reduce
from . import matmul as _matmul_family  # the module: `matmul` is also the name of its op
from .base import PRIMITIVES, primitive
from .elementwise import *  # noqa: F403
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
from .matmul import *  # noqa: F403
from .matmul import linear
from .movement import *  # noqa: F403
from .reduce import *  # noqa: F403
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

FAMILIES = (elementwise, reduce, movement, _matmul_family)  # each lists its EXPORTS (torch.<name>) and METHODS (Tensor.<name>)
EXPORTS = [name for family in FAMILIES for name in family.EXPORTS]

__all__ = EXPORTS + [
    "PRIMITIVES", "primitive", "astype", "linear",
    "conv2d", "conv1d", "unfold", "fold", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
    "conv2d_reference", "max_pool2d_reference",
    "scaled_softmax", "scaled_softmax_reference", "rnn_tanh_step", "rnn_relu_step", "lstm_step", "gru_step",
    "lstm_layer", "lstm_layer_reference", "gru_layer", "gru_layer_reference",
]


# ----------------------------------------------------------------------------- Tensor integration
for _family in FAMILIES:
    for _name, _fn in _family.METHODS.items():
        setattr(Tensor, _name, _fn)

Tensor.__invert__ = lambda self: _wrap(np.logical_not(self._data))
Tensor.T = property(lambda self: self.permute(tuple(reversed(range(self.ndim)))))
Tensor.mT = property(lambda self: self.transpose(-2, -1))
Tensor.float = lambda self: self.astype(np.float32)
Tensor.double = lambda self: self.astype(np.float64)
Tensor.to = astype
