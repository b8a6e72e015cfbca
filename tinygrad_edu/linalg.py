"""``tinygrad_edu.linalg``, as ``torch.linalg``: vector norms, the Frobenius norm and matmul.

>>> import tinygrad_edu as tg
>>> tg.linalg.vector_norm(tg.tensor([3.0, 4.0]))
tensor(5.)
"""

from .engine import matmul
from .engine.ops.reduce import vector_norm

__all__ = ["vector_norm", "norm", "matmul"]


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.norm`` for vectors and the Frobenius norm: without ``ord`` the 2-norm of all the
    elements of ``dim`` (a vector's length, a matrix's Frobenius norm); with a number ``ord`` and a 1-d
    ``A`` or an int ``dim``, :func:`vector_norm`. Matrix norms other than 'fro' are not provided."""
    if ord is None or ord == "fro":
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str) or (dim is None and A.ndim != 1) or (dim is not None and not isinstance(dim, int)):
        raise NotImplementedError(f"linalg.norm: matrix norm ord={ord!r} is not provided; vector norms (a 1-d "
                                  "input or an int dim) and the Frobenius norm are")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)
