"""Finite-difference gradient checking, with PyTorch's names and defaults.

For each output y_k a random upstream gradient v_k is drawn. The analytical side is what backward
computes, v_k^T J_k (one number per input element); the numerical side is the same product from
central differences, sum(v_k * (y_k(x + eps e_j) - y_k(x - eps e_j))) / (2 eps) for every element j
of every input that requires grad. A random v makes a wrong Jacobian show up with probability one,
at the cost of one backward pass per output instead of one per output element.
"""

import warnings

import numpy as np

from .tensor import Tensor, _wrap, enable_grad, grad, no_grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when an analytical gradient is wrong."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _float_outputs(outputs):
    return [k for k, o in enumerate(outputs) if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _analytical(outputs, keys, wrt, vs):
    """v_k^T J_k for each output k and input: a list (per output) of lists (per input) of arrays."""
    result = []
    for k, v in zip(keys, vs):
        if not outputs[k].requires_grad:
            result.append([np.zeros(x.shape) for x in wrt])
            continue
        gs = grad(outputs[k], wrt, _wrap(v), retain_graph=True, allow_unused=True)
        result.append([np.zeros(x.shape) if g is None else np.array(g._data, dtype=np.float64)
                       for g, x in zip(gs, wrt)])
    return result


def _float64_copies(outputs, keys):
    outputs = _as_tuple(outputs)
    return [np.array(outputs[k]._data, dtype=np.float64) for k in keys]


def _numerical(fn, inputs, keys, wrt, vs, eps):
    """The same products by central differences, perturbing one element in place at a time."""
    result = [[np.zeros(x.shape) for x in wrt] for _ in keys]
    with no_grad():
        for i, x in enumerate(wrt):
            for j in np.ndindex(x.shape):
                original = x._data[j]
                x._data[j] = original + eps
                plus = _float64_copies(fn(*inputs), keys)  # copies: a view of x would change with x
                x._data[j] = original - eps
                minus = _float64_copies(fn(*inputs), keys)
                x._data[j] = original
                for n, v in enumerate(vs):
                    result[n][i][j] = np.sum(v * (plus[n] - minus[n])) / (2 * eps)
    return result


def _mismatch_message(k, i, numerical, analytical, atol, rtol):
    bad = np.abs(analytical - numerical) > atol + rtol * np.abs(numerical)
    lines = [f"Jacobian mismatch for output {k} with respect to input {i} "
             "(entries are v^T J for a random upstream gradient v, one per input element):",
             f"  {'element':<14}{'numerical':>16}{'analytical':>16}"]
    for idx in [j for j in np.ndindex(bad.shape) if bad[j]][:10]:
        lines.append(f"  {str(idx):<14}{numerical[idx]:>16.8g}{analytical[idx]:>16.8g}")
    lines.append(f"  {int(bad.sum())} of {bad.size} elements differ by more than atol + rtol * |numerical| "
                 f"(atol={atol}, rtol={rtol}); max difference {np.max(np.abs(analytical - numerical)):.3g}")
    return "\n".join(lines)


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0):
    """Check the gradients of ``fn(*inputs)`` against central finite differences.

    ``inputs`` is a Tensor or a tuple; the Tensors with ``requires_grad=True`` are checked (use
    float64: float32 rounding swamps eps=1e-6). Passes when |analytical - numerical| <= atol +
    rtol * |numerical| everywhere, and backward gives the same result twice (within ``nondet_tol``).
    Returns True, or raises GradcheckError naming the output and input (or returns False when
    ``raise_exception=False``).

    >>> x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    >>> gradcheck(lambda t: (t * t).sin(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    positions = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not positions:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True")
    for i in positions:
        if inputs[i].dtype != np.float64:
            warnings.warn(f"input {i} requires gradient and is not float64 ({inputs[i].dtype}): "
                          "this check will likely fail", stacklevel=2)
    wrt = [inputs[i] for i in positions]
    outputs = _as_tuple(fn(*inputs))
    keys = _float_outputs(outputs)
    rng = np.random.default_rng(0)
    vs = [rng.standard_normal(outputs[k].shape) for k in keys]

    analytical = _analytical(outputs, keys, wrt, vs)
    again = _analytical(outputs, keys, wrt, vs)
    numerical = _numerical(fn, inputs, keys, wrt, vs, eps)
    for n, k in enumerate(keys):
        for i, pos in enumerate(positions):
            a, num = analytical[n][i], numerical[n][i]
            if not np.allclose(a, num, rtol=rtol, atol=atol):
                return _fail(_mismatch_message(k, pos, num, a, atol, rtol), raise_exception)
            if np.max(np.abs(a - again[n][i]), initial=0.0) > nondet_tol:
                return _fail(f"backward is not reentrant for output {k} with respect to input {pos}: two runs with the "
                             f"same upstream gradient differ by more than nondet_tol={nondet_tol}", raise_exception)
    return True


def _fail(message, raise_exception):
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradgradcheck(fn, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  nondet_tol=0.0):
    """Check second derivatives: gradcheck of (inputs, v) -> grad(fn(inputs), inputs, v, create_graph=True).

    ``grad_outputs`` (the v) default to random float64 tensors that themselves require grad, so the
    check covers the derivative with respect to them too.
    """
    inputs = _as_tuple(inputs)
    positions = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    outputs = _as_tuple(fn(*inputs))
    keys = [k for k in _float_outputs(outputs) if outputs[k].requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(1)
        grad_outputs = [Tensor(rng.standard_normal(outputs[k].shape), requires_grad=True) for k in keys]
    grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:count], args[count:]
        wrt = [xs[i] for i in positions]
        with enable_grad():  # the numerical side calls this under no_grad(); the inner gradient needs a graph
            ys = _as_tuple(fn(*xs))
            gs = grad([ys[k] for k in keys], wrt, list(vs), create_graph=True, allow_unused=True)
        return tuple(_wrap(np.zeros_like(x._data)) if g is None else g for g, x in zip(gs, wrt))

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)
