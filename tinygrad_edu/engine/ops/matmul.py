"""Matrix products: ``matmul`` with NumPy's rules and PyTorch's ``linear`` (x W^T + b) as one op.
"""

import numpy as np

from ..tensor import make_op
from .base import reflected, _broadcasting, _pair, _same_dtype, primitive


@primitive
def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D operands are promoted and the added dimension removed,
    leading (batch) dimensions broadcast.   For C = A B:  dL/dA = G B^T,  dL/dB = A^T G
    (the engine sums over broadcast batch dimensions). When B is a transposed view (``x @ W.T``)
    dL/dB is computed as (G^T A)^T: the same numbers, laid out like B, so W's gradient is contiguous."""
    a, b = _pair(a, b, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
    rows = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != rows:
        raise RuntimeError(f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
                           f"({a.shape[-1]} columns vs {rows} rows)")
    if a.ndim == 1 or b.ndim == 1:
        out = matmul(a.unsqueeze(0) if a.ndim == 1 else a, b.unsqueeze(-1) if b.ndim == 1 else b)
        return out.squeeze(((-2,) if a.ndim == 1 else ()) + ((-1,) if b.ndim == 1 else ()))

    def backward(g, out):
        a, b = out.parents
        transposed = b.ndim == 2 and b._data.flags.f_contiguous and not b._data.flags.c_contiguous
        gb = None if not b.requires_grad else (g.mT @ a).mT if transposed else a.mT @ g
        return (g @ b.mT if a.requires_grad else None), gb

    return make_op("matmul", _broadcasting("matmul", np.matmul, a, b, core=2), (a, b), backward)


@primitive
def linear(x, weight, bias=None):
    """y = x W^T + b, PyTorch's layout: x (..., in), W (out, in), b (out,).
    dL/dx = G W,  dL/dW = G^T x and dL/db = sum of G, both summed over all leading dimensions.

    One op for what x @ W.T + b computes in three (and fewer in backward): in a small model's step the
    per-op overhead weighs as much as the arithmetic (see benchmarks/README.md)."""
    if x.ndim == 0 or x.shape[-1] != weight.shape[-1] or weight.ndim != 2:
        raise RuntimeError(f"linear: input of shape {x.shape} does not fit a weight of shape {weight.shape} "
                           "(expected input (..., in) and weight (out, in))")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise RuntimeError(f"linear: bias of shape {bias.shape} does not fit a weight of shape {weight.shape}")
    _same_dtype("linear", x, weight, bias)
    # leading dimensions flattened into rows: NumPy runs a 3-D @ 2-D product as a loop of small ones
    data = (x._data.reshape(-1, x.shape[-1]) @ weight._data.T).reshape(*x.shape[:-1], weight.shape[0])
    if bias is not None:
        data += bias._data  # in place: the product is a fresh array

    def backward(g, out):
        x, weight, *bias = out.parents
        g2, x2 = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
        return ((g2 @ weight).reshape(x.shape) if x.requires_grad else None,
                g2.mT @ x2 if weight.requires_grad else None,
                g2.sum(0) if bias and bias[0].requires_grad else None)

    return make_op("linear", data, (x, weight) if bias is None else (x, weight, bias), backward)


# ------------------------------------------------------------------ the public names of this family
__all__ = ["matmul"]  # what `from .matmul import *` brings into ops
EXPORTS = ["matmul"]  # tinygrad_edu.<name>, as torch.<name>
METHODS = {  # Tensor.<name>
    "matmul": matmul, "__matmul__": matmul, "__rmatmul__": reflected(matmul),
}
