"""Matrix products: ``matmul`` with NumPy's rules, PyTorch's ``linear`` (x W^T + b) as one op, ``einsum``
(one primitive whose gradient is an einsum again), and PyTorch's strict products (``mm``, ``bmm``, ``mv``,
``dot``, ``outer``, the ``add*`` forms, ``tensordot``, ``inner``) composed from them.
"""

import string

import numpy as np

from ..tensor import Tensor, _wrap, is_grad_enabled, make_op
from .base import _broadcasting, _pair, _same_dtype, primitive, reflected


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

    return make_op("matmul", _broadcasting("matmul", np.matmul, a, b, core=2), (a, b), backward,
                   saved=(b if a.requires_grad else None, a if b.requires_grad else None))


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
        need = x.requires_grad, weight.requires_grad, bool(bias) and bias[0].requires_grad
        if not is_grad_enabled():  # a plain backward: the same formula on the arrays, without per-op cost
            g, x, weight = g._data, x._data, weight._data
        g2, x2 = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
        return ((g2 @ weight).reshape(x.shape) if need[0] else None,
                g2.mT @ x2 if need[1] else None,
                g2.sum(0) if need[2] else None)

    return make_op("linear", data, (x, weight) if bias is None else (x, weight, bias), backward,
                   saved=(weight if x.requires_grad else None, x if weight.requires_grad else None))


# ------------------------------------------------------------------------------------------ einsum
_LETTERS = string.ascii_letters


@primitive
def _einsum(equation, *operands):
    """out = einsum(equation, *operands) for an explicit equation of letters ("ij,jk->ik"): the product of
    the operands summed over every letter missing from the output.   dL/d(operand k) = the einsum of G
    with the other operands whose output is operand k's letters (for "ij,jk->ik": G B^T and A^T G)."""
    data = np.einsum(equation, *(x._data for x in operands), optimize=len(operands) > 1)
    if len(operands) == 1 and np.may_share_memory(data, operands[0]._data):
        data = data.copy()  # a transpose or a diagonal comes back as a view: a result owns its memory

    def backward(g, out):
        inputs, output = equation.split("->")
        inputs = inputs.split(",")
        return tuple(_einsum_gradient(inputs, output, k, g, out.parents) if x.requires_grad else None
                     for k, x in enumerate(out.parents))

    return make_op("einsum", data, operands, backward)


def _einsum_gradient(inputs, output, k, g, operands):
    """dL/d(operand k) = einsum(G, the other operands -> operand k's letters). A letter of operand k that
    appears nowhere else (or only with size 1) was summed in it alone, so each of its elements gets the
    same gradient: a vector of ones supplies that letter. A repeated letter (``ii``, a diagonal) gets a
    fresh name, and an identity matrix linking the two names puts the gradient on the diagonal."""
    dtype = g._data.dtype
    others = [j for j in range(len(inputs)) if j != k]
    terms, tensors = [output] + [inputs[j] for j in others], [g] + [operands[j] for j in others]
    size_elsewhere = {}
    for term, x in zip(terms, tensors):
        for c, n in zip(term, x.shape):
            size_elsewhere[c] = max(n, size_elsewhere.get(c, 0))
    fresh = iter(c for c in _LETTERS if c not in size_elsewhere and c not in inputs[k])
    target = ""
    for letter, n in zip(inputs[k], operands[k].shape):
        if letter in target:
            target += (new := next(fresh))
            terms.append(letter + new)
            tensors.append(_wrap(np.eye(n, dtype=dtype)))
            continue
        target += letter
        if size_elsewhere.get(letter, 0) < n and inputs[k].count(letter) == 1:
            terms.append(letter)
            tensors.append(_wrap(np.ones(n, dtype=dtype)))
    return _einsum(",".join(terms) + "->" + target, *tensors)


def einsum(equation, *operands):
    """Einstein summation, as ``torch.einsum(equation, *operands)`` (operands also as one list): each operand's
    dimensions are named by letters, letters shared by operands are multiplied together, and letters
    missing from the output (after ``->``; without it, the letters used once, in alphabetical order)
    are summed. ``...`` stands for the remaining dimensions, broadcast across operands; a letter repeated
    in one operand takes its diagonal. Dimensions of size 1 broadcast.

    >>> a, b = Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> einsum("ij,jk->ik", a, b).tolist()       # a @ b
    [[1.0, 2.0], [3.0, 4.0]]
    >>> einsum("ii", a).item()                   # the trace
    5.0
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, x in enumerate(operands):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum(): operand {i} is a {type(x).__name__}, expected a Tensor")
    if len({x._data.dtype for x in operands}) > 1:
        raise RuntimeError(f"einsum(): expected the operands to have one dtype, got "
                           f"{', '.join(str(x.dtype) for x in operands)}")
    return _einsum(_explicit_equation(equation, [x.shape for x in operands]), *operands)


def _explicit_equation(equation, shapes):
    """``equation`` with the ellipses written out as letters and the output given: "...ij,jk" for shapes
    (5, 2, 3) and (3, 4) is "Aij,jk->Aik". Checks it against the operands' shapes as PyTorch does."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    for i, c in enumerate(equation):
        if c not in _LETTERS and c not in ".,-" and not (c == ">" and equation[i - 1] == "-"):
            raise RuntimeError(f"einsum(): invalid subscript {c!r} at index {i} of {equation!r}; subscripts must "
                               "be letters in [a-zA-Z]")
    if "->" in rhs or "," in rhs or len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): the equation {equation!r} has {len(terms)} operand(s) and {len(shapes)} "
                           "were given" if len(terms) != len(shapes) else f"einsum(): invalid output in {equation!r}")
    for term in terms + ([rhs] if arrow else []):
        if term.replace("...", "", 1).count(".") or "-" in term:
            raise RuntimeError(f"einsum(): {term!r} in {equation!r} has a '.' or '-' that is not part of "
                               "'...' or '->'")
    extra = [ndim - len(t) + 3 if "..." in t else 0 for t, ndim in zip(terms, map(len, shapes))]
    unused = [c for c in _LETTERS if c not in equation]
    ellipsis = "".join(unused[:max(extra, default=0)])
    named = []
    for i, (term, n, shape) in enumerate(zip(terms, extra, shapes)):
        if n < 0 or ("..." not in term and len(term) != len(shape)):
            raise RuntimeError(f"einsum(): the subscripts {term!r} name {len(term.replace('...', ''))} dimensions "
                               f"but operand {i} has shape {tuple(shape)}")
        named.append(term.replace("...", ellipsis[len(ellipsis) - n:] if n else ""))
    letters = "".join(named)
    if arrow:
        output = rhs.replace("...", ellipsis)
        for c in output:
            if output.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if c not in letters:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input")
    else:
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis))
    _check_sizes(named, shapes)
    return ",".join(named) + "->" + output


def _check_sizes(named, shapes):
    sizes = {}
    for i, (term, shape) in enumerate(zip(named, shapes)):
        own = {}
        for c, n in zip(term, shape):
            if own.setdefault(c, n) != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't "
                                   f"match, {own[c]} != {n} (operand shape {tuple(shape)})")
        for c, n in own.items():
            seen = sizes.setdefault(c, n)
            if seen != n and 1 not in (seen, n):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} (shape {tuple(shape)}) "
                                   f"which does not broadcast with previously seen size {seen}")
            sizes[c] = max(seen, n)


# -------------------------------------------------------------- PyTorch's strict matrix products
def _operands(name, *tensors):
    """PyTorch's products refuse what matmul would quietly promote: non-Tensors and mixed dtypes."""
    for x in tensors:
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): expected Tensors, got {type(x).__name__}")
    if len({x._data.dtype for x in tensors}) > 1:
        raise RuntimeError(f"{name}(): expected the operands to have the same dtype, got "
                           f"{' and '.join(str(x.dtype) for x in tensors)}")


def mm(input, mat2):
    """Matrix product of an (n, m) and an (m, p) matrix, as ``torch.mm``: unlike ``matmul``, no
    broadcasting and no vectors."""
    _operands("mm", input, mat2)
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm(): expected two matrices (2-D tensors), got shapes {input.shape} and {mat2.shape}")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mm(): mat1 and mat2 shapes cannot be multiplied "
                           f"({input.shape[0]}x{input.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors with the same b, as ``torch.bmm`` (no
    broadcasting: ``matmul`` broadcasts)."""
    _operands("bmm", input, mat2)
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm(): expected two 3-D tensors (batch, rows, columns), got shapes {input.shape} "
                           f"and {mat2.shape}")
    if mat2.shape[:2] != (input.shape[0], input.shape[2]):
        raise RuntimeError(f"bmm(): shapes {input.shape} and {mat2.shape} do not fit: expected the second to "
                           f"start with [{input.shape[0]}, {input.shape[2]}] (same batch, inner sizes equal)")
    return matmul(input, mat2)


def mv(input, vec):
    """Matrix-vector product of an (n, m) matrix and an (m,) vector, as ``torch.mv``."""
    _operands("mv", input, vec)
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv(): expected a matrix and a vector, got shapes {input.shape} and {vec.shape}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"mv(): size mismatch, matrix {input.shape[0]}x{input.shape[1]} and vector "
                           f"({vec.shape[0]})")
    return matmul(input, vec)


def dot(input, tensor):
    """Dot product sum_i a_i b_i of two 1-D tensors of the same size, as ``torch.dot``."""
    _operands("dot", input, tensor)
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"dot(): 1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors "
                           f"(shapes {input.shape} and {tensor.shape})")
    if input.shape != tensor.shape:
        raise RuntimeError(f"dot(): inconsistent tensor size, {input.shape[0]} and {tensor.shape[0]} elements")
    return matmul(input, tensor)


def outer(input, vec2):
    """Outer product out[i, j] = a_i b_j of two 1-D tensors, as ``torch.outer`` (alias ``ger``)."""
    for name, x in (("input", input), ("vec2", vec2)):
        if not isinstance(x, Tensor) or x.ndim != 1:
            raise RuntimeError(f"outer(): expected a 1-D tensor as {name}, got "
                               f"{f'shape {x.shape}' if isinstance(x, Tensor) else type(x).__name__}")
    return input.unsqueeze(-1) * vec2


ger = outer


def _scaled_sum(name, input, product, beta, alpha):
    """beta * input + alpha * product, ``input`` broadcast to the product's shape; beta = 0 ignores
    ``input`` (its nan and inf do not spread), as PyTorch."""
    _operands(name, input, product)
    try:
        fits = np.broadcast_shapes(input.shape, product.shape) == product.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{name}(): input of shape {input.shape} does not broadcast to the product's shape "
                           f"{product.shape}")
    product = product if alpha == 1 else product * alpha
    if beta == 0:
        return product
    return (input if beta == 1 else input * beta) + product


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), as ``torch.addmm`` (input broadcasts to (n, p))."""
    return _scaled_sum("addmm", input, mm(mat1, mat2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2), as ``torch.baddbmm``."""
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b batch1[b] @ batch2[b], as ``torch.addbmm``."""
    return _scaled_sum("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec), as ``torch.addmv``."""
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2), as ``torch.addr``."""
    return _scaled_sum("addr", input, outer(vec1, vec2), beta, alpha)


def tensordot(a, b, dims=2):
    """Sum of products over the dimensions ``dims`` pairs up, as ``torch.tensordot``: an int n pairs a's last
    n dimensions with b's first n; a pair of lists ([dims of a], [dims of b]) names them. The result has
    a's remaining dimensions, then b's.

    >>> tensordot(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]), dims=1).tolist()   # a matrix product
    [[11.0]]
    """
    _operands("tensordot", a, b)
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot(): expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot(): dims={dims} is more than the dimensions of a {a.shape} or b {b.shape}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims)
        if len(dims_a) != len(dims_b):
            raise RuntimeError(f"tensordot(): both dimension lists should have same length, got {dims_a} and {dims_b}")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot(): contracted dimensions need to match, but a has size {a.shape[da]} in "
                               f"dim {da} and b has size {b.shape[db]} in dim {db}")
    letters_a = _LETTERS[:a.ndim]
    letters_b = list(_LETTERS[a.ndim:a.ndim + b.ndim])
    for da, db in zip(dims_a, dims_b):
        letters_b[db] = letters_a[da]
    contracted = {letters_a[d] for d in dims_a}
    output = "".join(c for c in letters_a if c not in contracted) + "".join(c for c in letters_b if c not in contracted)
    return _einsum(f"{letters_a},{''.join(letters_b)}->{output}", a, b)


def inner(input, other):
    """Sum of products over the last dimension, out[i.., j..] = sum_k a[i.., k] b[j.., k], as ``torch.inner``
    (a 0-D operand multiplies)."""
    _operands("inner", input, other)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner(): the last dimension must match on both input tensors but got shapes "
                           f"{input.shape} and {other.shape}")
    return tensordot(input, other, ([input.ndim - 1], [other.ndim - 1]))


# ------------------------------------------------------------------ the public names of this family
_PRODUCTS = ["einsum", "mm", "bmm", "mv", "dot", "outer", "ger", "addmm", "baddbmm", "addbmm", "addmv", "addr",
             "tensordot", "inner"]
__all__ = ["matmul"] + _PRODUCTS  # what `from .matmul import *` brings into ops
EXPORTS = ["matmul"] + _PRODUCTS  # tinygrad_edu.<name>, as torch.<name>
METHODS = {  # Tensor.<name>
    "matmul": matmul, "__matmul__": matmul, "__rmatmul__": reflected(matmul),
    **{name: globals()[name] for name in _PRODUCTS if name not in ("einsum", "tensordot")},
}
