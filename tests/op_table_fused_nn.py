"""Fused-case entries for batch norm (training) and cross-entropy with class indices, each fused primitive
against the composition it replaces (registered into op_table.FUSED_CASES)."""

import numpy as np
from op_table import fused

from tinygrad_edu.engine.ops.fused import (
    batch_norm_train,
    batch_norm_train_reference,
    softmax_cross_entropy,
    softmax_cross_entropy_reference,
)


def _output(fn):
    """batch_norm_train returns (y, batch mean, batch var): the table compares y (the stats are arrays)."""
    return lambda *inputs, **constants: fn(*inputs, **constants)[0]


_bn = (_output(batch_norm_train), _output(batch_norm_train_reference))
fused("batch_norm_train_2d", *_bn, [(6, 4), (4,), (4,)], eps=1e-5)
fused("batch_norm_train_3d", *_bn, [(3, 4, 2), (4,), (4,)], eps=1e-3)
fused("batch_norm_train_4d", *_bn, [(3, 2, 2, 3), (2,), (2,)], eps=1e-5)
fused("batch_norm_train_no_affine", *_bn, [(5, 3)], weight=None, bias=None, eps=1e-5)
fused("batch_norm_train_bias_only", _output(lambda x, b: batch_norm_train(x, None, b, 1e-5)),
      _output(lambda x, b: batch_norm_train_reference(x, None, b, 1e-5)), [(5, 3), (3,)])

_ce = (softmax_cross_entropy, softmax_cross_entropy_reference)
_WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])
fused("softmax_cross_entropy_mean", *_ce, [(5, 4)], target=np.array([0, 3, 1, 1, 2]))
fused("softmax_cross_entropy_sum_ignore", *_ce, [(5, 4)], target=np.array([0, -100, 3, 2, -100]), reduction="sum")
fused("softmax_cross_entropy_none_weight", *_ce, [(5, 4)], target=np.array([2, 0, 3, 3, 1]), weight=_WEIGHT,
      reduction="none")
fused("softmax_cross_entropy_mean_weight_ignore_index", *_ce, [(5, 4)], target=np.array([2, 1, 3, 1, 0]),
      weight=_WEIGHT, ignore_index=1)
fused("softmax_cross_entropy_spatial", *_ce, [(3, 4, 2)], target=np.array([[0, 3], [-100, 1], [2, 2]]),
      weight=_WEIGHT)
fused("softmax_cross_entropy_spatial_none", *_ce, [(2, 4, 2, 3)], target=np.arange(12).reshape(2, 2, 3) % 4,
      reduction="none")
fused("softmax_cross_entropy_one_sample", *_ce, [(4,)], target=np.array(2))
