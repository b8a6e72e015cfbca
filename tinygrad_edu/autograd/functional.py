"""Jacobians, Hessians and their products with vectors, as ``torch.autograd.functional``.

Everything here is built on reverse mode (:func:`~tinygrad_edu.grad`):

- ``vjp`` v^T J is one backward pass;
- ``jacobian`` J is one backward pass per output element, with a one-hot v each time;
- ``jvp`` J v comes from reverse mode alone by the *double-vjp trick*: g(u) = J^T u is linear in u, so
  differentiating u . ... once more, with v as the upstream gradient, gives (J^T)^T v = J v;
- ``hessian`` is the jacobian of the jacobian; ``vhp`` v^T H is the vjp of the gradient, ``hvp`` H v
  the double-vjp trick applied to the gradient.

As in PyTorch, ``inputs`` is a Tensor or a tuple of Tensors, and so is what ``func`` returns; the
results have the same structure (a Tensor for a single one, tuples otherwise; the jacobian of several
outputs by several inputs is a tuple per output of a tuple per input), and each jacobian block has
shape ``output.shape + input.shape``. Results are detached unless ``create_graph=True``, which makes
them differentiable; ``strict=True`` raises instead of returning zeros where an output does not depend
on an input.
"""

import numpy as np

from ..engine import Tensor, constant, enable_grad, grad, stack, zeros_like

__all__ = ["vjp", "jvp", "vhp", "hvp", "jacobian", "hessian"]


def _as_tuple(x, what, fn_name):
    """(whether ``x`` was a tuple, ``x`` as a tuple of Tensors)."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {what}"
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"{where} has type {type(item)}.")
    return is_tuple, items


def _unpack(result, is_tuple):
    return result if is_tuple else result[0]


def _preprocess(tensors, create_graph, need_graph):
    """New Tensor objects for ``func`` to see, so that tensors ``func`` captures by itself are told apart
    from the arguments: connected to the caller's graph (through an identity reshape) when the results
    must be differentiable, otherwise fresh leaves."""
    return tuple(t.reshape(t.shape) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
                 for t in tensors)


def _postprocess(tensors, create_graph):
    return tensors if create_graph else tuple(t.detach() for t in tensors)


def _check_requires_grad(outputs, fn_name, strict):
    if strict:
        for i, out in enumerate(outputs):
            if not out.requires_grad:
                raise RuntimeError(f"{fn_name}: output {i} of the user-provided function does not require "
                                   "gradients; in strict mode the outputs must be computed in a differentiable "
                                   "manner from the inputs")


def _validate_v(v, like, is_tuple, fn_name):
    if len(v) != len(like):
        raise RuntimeError(f"{fn_name}: v is a tuple of invalid length: should be {len(like)} but got {len(v)}"
                           if is_tuple else f"{fn_name}: the given v should contain a single Tensor")
    for i, (a, b) in enumerate(zip(v, like)):
        if a.shape != b.shape:
            entry = f"entry {i} of " if is_tuple else ""
            raise RuntimeError(f"{fn_name}: {entry}v has invalid size: should be {b.shape} but got {a.shape}")


def _v_or_scalar(v, like, is_tuple, create_graph, fn_name, of_what):
    """The vector ``v`` as a tuple shaped like ``like``; it may be omitted only where ``like`` is one
    single-element Tensor (v is then 1)."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"{fn_name}: the vector v can only be None if the {of_what} is a single Tensor "
                               "with a single element")
        return None
    v = _preprocess(_as_tuple(v, "v", fn_name)[1], create_graph, need_graph=False)
    _validate_v(v, like, is_tuple, fn_name)
    return v


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``grad`` that skips outputs needing no grad and gives None for inputs that nothing reaches."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs], retain_graph=retain_graph,
                create_graph=create_graph, allow_unused=True)


def _fill_in_zeros(grads, refs, strict, what):
    """Zeros (shaped like ``refs``) for the gradients that are None, or an error in strict mode."""
    if strict:
        for i, g in enumerate(grads):
            if g is None:
                raise RuntimeError(f"The {what} is independent of input {i}. This is not allowed in strict mode.")
    return tuple(zeros_like(r) if g is None else g for g, r in zip(grads, refs))


def _single_output(outputs, is_tuple, fn_name):
    if is_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single "
                           f"element, got shape {outputs[0].shape}")


# ----------------------------------------------------------------------------------- products
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass.

    ``v`` has the shape of the output(s); it may be omitted for a single one-element output.

    >>> from tinygrad_edu import Tensor
    >>> out, g = vjp(lambda x: (x * x).sum(), Tensor([1.0, 2.0]))
    >>> g.tolist()
    [2.0, 4.0]
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "vjp", strict)
        v = _v_or_scalar(v, outputs, is_outputs_tuple, create_graph, "vjp", "output of the user-provided function")
        result = _fill_in_zeros(_grad(outputs, inputs, v, create_graph), inputs, strict,
                                "output of the user-provided function")
    return (_unpack(_postprocess(outputs, create_graph), is_outputs_tuple),
            _unpack(_postprocess(result, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp trick (two backward passes).

    ``v`` has the shape of the input(s); it may be omitted for a single one-element input.

    >>> from tinygrad_edu import Tensor
    >>> out, jv = jvp(lambda x: x * x, Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))
    >>> jv.tolist()
    [2.0, 4.0]
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        v = _v_or_scalar(v, inputs, is_inputs_tuple, create_graph, "jvp", "input to the user-provided function")
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "jvp", strict)
        u = tuple(zeros_like(out, requires_grad=True) for out in outputs)  # J^T u is linear in u
        jt_u = _grad(outputs, inputs, u, create_graph=True)
        if strict and any(g is None for g in jt_u):
            raise RuntimeError("jvp: the output of the user-provided function is independent of input "
                               f"{[g is None for g in jt_u].index(True)}. This is not allowed in strict mode.")
        result = _fill_in_zeros(_grad(jt_u, u, v, create_graph), outputs, strict,
                                "gradient with respect to the input (double-vjp trick), for output")
    return (_unpack(_postprocess(outputs, create_graph), is_outputs_tuple),
            _unpack(_postprocess(result, create_graph), is_outputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)``: vector times the Hessian of a scalar function, the vjp of its gradient.

    >>> from tinygrad_edu import Tensor
    >>> out, vh = vhp(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))
    >>> vh.tolist()
    [6.0, 12.0]
    """
    with enable_grad():
        is_inputs_tuple, inputs, outputs, jac = _first_gradient(func, inputs, create_graph, strict, "vhp")
        v = _v_or_scalar(v, inputs, is_inputs_tuple, create_graph, "vhp", "input to the user-provided function")
        result = _fill_in_zeros(_grad(jac, inputs, v, create_graph), inputs, strict,
                                "jacobian of the user-provided function")
    return _postprocess(outputs, create_graph)[0], _unpack(_postprocess(result, create_graph), is_inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)``: the Hessian of a scalar function times a vector, by the double-vjp trick
    on its gradient (equal to :func:`vhp` for a twice continuously differentiable function, since H is
    symmetric).

    >>> from tinygrad_edu import Tensor
    >>> out, hv = hvp(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 0.0]))
    >>> hv.tolist()
    [6.0, 0.0]
    """
    with enable_grad():
        is_inputs_tuple, inputs, outputs, jac = _first_gradient(func, inputs, create_graph, strict, "hvp")
        v = _v_or_scalar(v, inputs, is_inputs_tuple, create_graph, "hvp", "input to the user-provided function")
        u = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        h_u = _grad(jac, inputs, u, create_graph=True)
        result = _fill_in_zeros(_grad(h_u, u, v, create_graph), inputs, strict,
                                "hessian of the user-provided function (double-vjp trick), for entry")
    return _postprocess(outputs, create_graph)[0], _unpack(_postprocess(result, create_graph), is_inputs_tuple)


def _first_gradient(func, inputs, create_graph, strict, fn_name):
    """The inputs, the scalar output and its gradient (recorded, to differentiate again) for vhp / hvp."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _preprocess(inputs, create_graph, need_graph=True)
    is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, fn_name, strict)
    _single_output(outputs, is_outputs_tuple, fn_name)
    jac = _grad(outputs, inputs, create_graph=True)
    if strict:
        for i, g in enumerate(jac):
            if g is None or not g.requires_grad:
                raise RuntimeError(f"{fn_name}: the gradient with respect to input {i} is independent of the "
                                   "inputs (the function is linear in it). This is not allowed in strict mode.")
    return is_inputs_tuple, inputs, outputs, jac


# ---------------------------------------------------------------------------- full matrices
def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: block ``[i][j]`` has shape ``outputs[i].shape + inputs[j].shape``
    and holds d outputs[i] / d inputs[j].

    Row by row: one backward pass per output element with a one-hot upstream gradient. ``vectorize`` and
    ``strategy`` ('reverse-mode' or 'forward-mode') are accepted for PyTorch's signature; they choose how
    PyTorch computes the same matrix, and here change nothing.

    >>> from tinygrad_edu import Tensor
    >>> jacobian(lambda x: x * x, Tensor([1.0, 2.0])).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'jacobian: strategy must be "forward-mode" or "reverse-mode", got {strategy!r}')
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "jacobian", strict)
        blocks = tuple(_jacobian_rows(i, out, inputs, create_graph, strict) for i, out in enumerate(outputs))
    blocks = tuple(_postprocess(row, create_graph) for row in blocks)
    return _unpack(tuple(_unpack(row, is_inputs_tuple) for row in blocks), is_outputs_tuple)


def _jacobian_rows(i, out, inputs, create_graph, strict):
    """d out / d inputs[j] for every j, one backward pass per element of ``out``."""
    rows = [[] for _ in inputs]
    for k in range(out.numel()):
        one_hot = np.zeros(out.numel(), out.numpy().dtype)
        one_hot[k] = 1
        grads = _grad((out,), inputs, (constant(one_hot.reshape(out.shape)),), create_graph, retain_graph=True)
        for j, (g, x) in enumerate(zip(grads, inputs)):
            if g is None and strict:
                raise RuntimeError(f"Output {i} of the user-provided function is independent of input {j}. "
                                   "This is not allowed in strict mode.")
            rows[j].append(zeros_like(x) if g is None else g)
    return tuple(stack(r).reshape(out.shape + x.shape) if r else zeros_like(x).reshape(out.shape + x.shape)
                 for r, x in zip(rows, inputs))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs``, the jacobian of its jacobian: block ``[i][j]`` has shape
    ``inputs[i].shape + inputs[j].shape`` (a single Tensor for a single input).

    >>> from tinygrad_edu import Tensor
    >>> hessian(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0])).tolist()
    [[6.0, 0.0], [0.0, 12.0]]
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar_func(*xs):
        is_tuple, out = _as_tuple(func(*xs), "outputs of the user-provided function", "hessian")
        _check_requires_grad(out, "hessian", strict)
        _single_output(out, is_tuple, "hessian")
        return out[0].reshape(())

    def jac_func(*xs):
        jac = jacobian(scalar_func, xs, create_graph=True)
        if strict:
            for j, block in enumerate(jac):
                if not block.requires_grad:
                    raise RuntimeError(f"hessian: the jacobian of the user-provided function with respect to input {j} "
                                       "is independent of the input (a linear function). This is not allowed in "
                                       "strict mode.")
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return res if is_inputs_tuple else res[0][0]
