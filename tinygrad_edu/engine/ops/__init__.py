"""Every differentiable operation on Tensors, by family.

=============== ===========================================================================
``elementwise`` arithmetic with broadcasting, math functions, integer and bitwise ops, comparisons
``reduce``      sums, products and extremes, scans; mean, var, std, norms, softmax composed from them
``sorting``     sort, top-k, selection by a mask, unique
``movement``    reshape, permute, broadcast, indexing, scatter / gather, cat, pad, flips and rolls
``matmul``      matrix products: matmul, linear, einsum and their relatives
``window``      im2col / col2im, convolution and its two gradients, pooling
``fused``       fused primitives beside their references: attention's softmax, recurrent layers
``conversion``  dtype conversion, clone, look-alike constructors, Python protocols
``inplace``     item assignment, ``+=`` and the ``_`` methods, on the engine's one in-place rule
=============== ===========================================================================

Each primitive is one function: its NumPy forward, a backward closure written with Tensor ops and its
derivative in the docstring; ``base.PRIMITIVES`` lists them all (``DERIVATIVES.md`` is generated from
it). Each family lists its ``EXPORTS`` (``tinygrad_edu.<name>``, as ``torch.<name>``) and its
``METHODS`` (``Tensor.<name>``); the end of this file attaches the methods to Tensor.
"""

from ..tensor import Tensor
from . import conversion, elementwise, inplace, movement, reduce, sorting
from . import matmul as _matmul_family  # the module: `matmul` is also the name of its op
from .base import PRIMITIVES, primitive
from .conversion import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .elementwise import astype
from .fused import (
    batch_norm_train,
    batch_norm_train_reference,
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
    softmax_cross_entropy,
    softmax_cross_entropy_reference,
)
from .inplace import index_put
from .matmul import *  # noqa: F403
from .matmul import linear
from .movement import *  # noqa: F403
from .reduce import *  # noqa: F403
from .sorting import *  # noqa: F403
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

# each family lists its EXPORTS (torch.<name>) and METHODS (Tensor.<name>)
FAMILIES = (elementwise, reduce, sorting, movement, _matmul_family, conversion)
EXPORTS = [name for family in FAMILIES for name in family.EXPORTS]

__all__ = EXPORTS + [
    "PRIMITIVES", "primitive", "astype", "linear", "index_put",
    "conv2d", "conv1d", "unfold", "fold", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
    "conv2d_reference", "max_pool2d_reference",
    "scaled_softmax", "scaled_softmax_reference", "rnn_tanh_step", "rnn_relu_step", "lstm_step", "gru_step",
    "lstm_layer", "lstm_layer_reference", "gru_layer", "gru_layer_reference",
    "batch_norm_train", "batch_norm_train_reference", "softmax_cross_entropy", "softmax_cross_entropy_reference",
]


# ----------------------------------------------------------------------------- Tensor integration
for _family in FAMILIES:
    for _name, _fn in _family.METHODS.items():
        setattr(Tensor, _name, _fn)

inplace.attach()  # after the families: the in-place twins wrap their ops
Tensor.T = property(lambda self: self.permute(tuple(reversed(range(self.ndim)))))
Tensor.mT = property(lambda self: self.transpose(-2, -1))
