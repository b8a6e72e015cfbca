"""Functions that create tensors: from data, constants, ranges and random samples.

Shapes are given as separate ints or one tuple (``zeros(2, 3)`` or ``zeros((2, 3))``). ``dtype=None``
means what PyTorch gives: the default float dtype (float32) for floating results, int64 for integers.
Every random function takes ``generator=`` (a :class:`~tinygrad_edu.engine.random.Generator`) and
otherwise draws from the default generator that ``manual_seed`` seeds. Creation is not an operation of
the graph: the results are leaves.
"""

import math

import numpy as np

from .device import check_cpu
from .ops.base import _np_dtype, _shape_arg, default_float
from .random import _numpy_rng
from .tensor import Tensor, _wrap


def _make(data, requires_grad):
    t = _wrap(data)
    return t.requires_grad_() if requires_grad else t


def _float(dtype):
    """A dtype argument for a floating result: None is the default float dtype."""
    return default_float() if dtype is None else _np_dtype(dtype)


def _or(dtype, default):
    """A dtype argument as a NumPy dtype, ``default`` for None (not ``dtype or default``: a NumPy dtype is falsy)."""
    return _np_dtype(default if dtype is None else dtype)


def _floating(dtype, name):
    if dtype.kind != "f":
        raise NotImplementedError(f"{name}: samples a continuous distribution, so it needs a floating dtype, "
                                  f"got {dtype}")
    return dtype


def _scalar(value):
    return value.item() if isinstance(value, Tensor) else value


# ---------------------------------------------------------------------------------- from data
def tensor(data, *, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (a number, a nested list, an array or a Tensor), as
    ``torch.tensor``: Python floats become the default float dtype, ints int64, bools bool, and an
    array keeps its dtype.

    >>> tensor([[1, 2], [3, 4]]).dtype
    tinygrad_edu.int64
    """
    check_cpu(device, "tensor")
    return _make(Tensor(data, dtype=_np_dtype(dtype))._data, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, copying only when it must: a Tensor of the right dtype is returned as is, and
    a NumPy array of the right dtype is shared (writes to either show in the other), as ``torch.as_tensor``."""
    check_cpu(device, "as_tensor")
    dtype = _np_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dtype is None or dtype == data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtype == data.dtype):  # not `in (None, ...)`: NumPy
        # reads None as float64, so np.dtype("float64") == None
        return from_numpy(data)
    return Tensor(data, dtype=dtype)


def from_numpy(ndarray):
    """A tensor sharing the memory of ``ndarray`` and keeping its dtype: a write to the array shows in the
    tensor and vice versa, as ``torch.from_numpy``.

    >>> a = np.zeros(2)
    >>> t = from_numpy(a)
    >>> a[0] = 5.0
    >>> t.tolist()
    [5.0, 0.0]
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: can't convert an array of dtype {ndarray.dtype}; the supported types are "
                        "floating, complex, signed and unsigned integer, and bool")
    return _wrap(ndarray)


# ------------------------------------------------------------------------------------ constants
def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of shape ``size`` whose values are whatever the memory held: write them before reading."""
    check_cpu(device, "empty")
    return _make(np.empty(_shape_arg(size), dtype=_float(dtype)), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    check_cpu(device, "zeros")
    return _make(np.zeros(_shape_arg(size), dtype=_float(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    check_cpu(device, "ones")
    return _make(np.ones(_shape_arg(size), dtype=_float(dtype)), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of shape ``size`` filled with ``fill_value``; without ``dtype``, bool for a bool, int64 for an
    int and the default float dtype for a float, as in PyTorch."""
    check_cpu(device, "full")
    fill_value = _scalar(fill_value)
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, (bool, np.bool_)) else
                 np.int64 if isinstance(fill_value, (int, np.integer)) else
                 np.complex64 if isinstance(fill_value, complex) else default_float())
    return _make(np.full(_shape_arg((size,)), fill_value, dtype=_np_dtype(dtype)), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    check_cpu(device, "empty_like")
    return _make(np.empty(input.shape, dtype=_or(dtype, input.dtype)), requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    check_cpu(device, "zeros_like")
    return _make(np.zeros(input.shape, dtype=_or(dtype, input.dtype)), requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    check_cpu(device, "ones_like")
    return _make(np.ones(input.shape, dtype=_or(dtype, input.dtype)), requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of ``input``'s shape and (without ``dtype``) dtype filled with ``fill_value``: full_like of
    an int64 tensor with 2.7 holds 2."""
    check_cpu(device, "full_like")
    return _make(np.full(input.shape, _scalar(fill_value), dtype=_or(dtype, input.dtype)), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The n x m identity matrix (n x n without ``m``)."""
    check_cpu(device, "eye")
    return _make(np.eye(n, m, dtype=_float(dtype)), requires_grad)


# --------------------------------------------------------------------------------------- ranges
def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """[start, end) by step: ``arange(5)`` or ``arange(start, end, step)``. int64 when all of them are
    ints, else the default float dtype. Value i is start + i * step computed in float64 (then converted),
    as PyTorch does, so arange(0, 1, 0.1) has 10 elements and no accumulated rounding."""
    check_cpu(device, "arange")
    if end is None:
        start, end = 0, start
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if dtype is not None and _np_dtype(dtype).kind in "iu":  # PyTorch converts the bounds first: 0.5 counts as 0
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dtype = _or(dtype, np.int64 if integral else default_float())
    n = -((start - end) // step) if integral else math.ceil((end - start) / step)
    return _make((start + step * np.arange(n, dtype=np.int64 if integral else np.float64)).astype(dtype),
                 requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values evenly spaced from ``start`` to ``end``, both included (default float dtype).

    >>> linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    check_cpu(device, "linspace")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got steps={steps}")
    return _make(np.linspace(_scalar(start), _scalar(end), steps).astype(_float(dtype)), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``base ** linspace(start, end, steps)``: ``steps`` values evenly spaced on a log scale."""
    check_cpu(device, "logspace")
    if steps < 0:
        raise RuntimeError(f"logspace: number of steps must be non-negative, got steps={steps}")
    exponents = np.linspace(_scalar(start), _scalar(end), steps)
    return _make(np.power(float(base), exponents).astype(_float(dtype)), requires_grad)


# ------------------------------------------------------------------------------- random samples
def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Samples of the standard normal distribution N(0, 1).

    >>> import tinygrad_edu as tg
    >>> g = tg.Generator().manual_seed(0)
    >>> randn(3, generator=g).tolist() == randn(3, generator=g.manual_seed(0)).tolist()
    True
    """
    check_cpu(device, "randn")
    dtype = _floating(_float(dtype), "randn")
    return _make(_numpy_rng(generator, "randn").standard_normal(_shape_arg(size)).astype(dtype), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Samples of the uniform distribution on [0, 1)."""
    check_cpu(device, "rand")
    dtype = _floating(_float(dtype), "rand")
    return _make(_numpy_rng(generator, "rand").random(_shape_arg(size)).astype(dtype), requires_grad)


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False):
    """N(0, 1) samples of ``input``'s shape and (without ``dtype``) dtype."""
    return randn(input.shape, generator=generator, dtype=_or(dtype, input.dtype), device=device,
                 requires_grad=requires_grad)


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform [0, 1) samples of ``input``'s shape and (without ``dtype``) dtype."""
    return rand(input.shape, generator=generator, dtype=_or(dtype, input.dtype), device=device,
                requires_grad=requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers drawn uniformly from [low, high), of shape ``size`` (a tuple): ``randint(high, size)`` or
    ``randint(low, high, size)``, int64 unless ``dtype`` says otherwise.

    >>> randint(3, 5, (4,)).tolist() in ([a, b, c, d] for a in (3, 4) for b in (3, 4) for c in (3, 4) for d in (3, 4))
    True
    """
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    return _randint("randint", low, high, size, generator, _or(dtype, np.int64), device, requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers from [low, high) of ``input``'s shape and (without ``dtype``) dtype: ``randint_like(x, high)``
    or ``randint_like(x, low, high)``."""
    if high is None:
        low, high = 0, low
    return _randint("randint_like", low, high, input.shape, generator, _or(dtype, input.dtype), device, requires_grad)


def _randint(name, low, high, size, generator, dtype, device, requires_grad):
    check_cpu(device, name)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{name}: size must be a tuple of ints, got {type(size).__name__} "
                        "(write (n,) for one dimension)")
    low, high = _scalar(low), _scalar(high)
    if low >= high:
        raise RuntimeError(f"{name}: expects low to be less than high, but got low={low} >= high={high}")
    values = _numpy_rng(generator, name).integers(low, high, tuple(size), dtype=np.int64)
    return _make(values.astype(_np_dtype(dtype)), requires_grad)


def randperm(n, *, generator=None, dtype=np.int64, device=None, requires_grad=False):
    """A random permutation of 0, ..., n - 1.

    >>> sorted(randperm(4).tolist())
    [0, 1, 2, 3]
    """
    check_cpu(device, "randperm")
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got n={n}")
    return _make(_numpy_rng(generator, "randperm").permutation(n).astype(_np_dtype(dtype)), requires_grad)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices of categories drawn with probabilities proportional to the weights in the last dimension of
    ``input`` (1-d: one distribution; 2-d: one per row), int64 of shape (..., num_samples).

    With replacement every draw uses the same weights (inverse of the cumulative distribution). Without,
    each drawn category is removed before the next draw: the ``num_samples`` largest keys w / E with E
    an Exp(1) sample per category are a draw in that sequential order (the exponential race), so no
    loop is needed.

    >>> multinomial(tensor([0.0, 1.0, 0.0]), 2, replacement=True).tolist()
    [1, 1]
    """
    w = input._data if isinstance(input, Tensor) else np.asarray(input)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {w.shape}")
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got {w.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples, got num_samples={num_samples}")
    k = w.shape[-1]
    if not replacement and num_samples > k:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                           f"(num_samples={num_samples}, {k} categories)")
    if not np.isfinite(w).all() or (w < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    rows = w.reshape(-1, k).astype(np.float64)
    empty_rows = np.flatnonzero(rows.sum(-1) <= 0)
    if empty_rows.size:
        raise RuntimeError(f"multinomial: invalid multinomial distribution (sum of probabilities <= 0) in row "
                           f"{empty_rows[0]}")
    rng = _numpy_rng(generator, "multinomial")
    if replacement:
        cdf = np.cumsum(rows, axis=-1)
        cdf /= cdf[:, -1:]
        # one search for all rows: row i's distribution is shifted to [i, i + 1]
        shift = np.arange(len(rows))[:, None]
        u = rng.random((len(rows), num_samples)) + shift
        found = np.searchsorted((cdf + shift).ravel(), u.ravel(), side="right").reshape(u.shape) - shift * k
        # u + i can round up to i + 1 for a u just below 1: that draw belongs to the last nonzero category
        last = k - 1 - np.argmax(rows[:, ::-1] > 0, axis=-1)
        samples = np.minimum(found, last[:, None])
    else:
        keys = rows / rng.exponential(size=rows.shape)
        samples = np.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    return _wrap(samples.reshape(w.shape[:-1] + (num_samples,)).astype(np.int64))


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (elementwise, in [0, 1]) and 0 otherwise, in ``input``'s dtype; with
    ``p`` every element has probability ``p`` and ``input`` gives only the shape and dtype.

    >>> bernoulli(tensor([0.0, 1.0, 1.0])).tolist()
    [0.0, 1.0, 1.0]
    """
    if p is None:
        _floating(input.dtype, "bernoulli")
        probs = input._data
        if not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("bernoulli: expects every probability of input to be in [0, 1]")
    else:
        probs = _scalar(p)
        if not 0 <= probs <= 1:
            raise RuntimeError(f"bernoulli: expects p to be in [0, 1], but got p={probs}")
    return _wrap((_numpy_rng(generator, "bernoulli").random(input.shape) < probs).astype(input.dtype))


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Samples of N(mean, std^2), as PyTorch's overloads: a Tensor ``mean`` and/or ``std`` give one sample per
    element of their broadcast shape (in the Tensor's dtype); two numbers need ``size`` (default float dtype).
    The result is a leaf: no gradient flows to ``mean`` or ``std`` (see ``randn`` for reparameterizing).

    >>> normal(tensor([0.0, 10.0]), 0.0).tolist()
    [0.0, 10.0]
    """
    check_cpu(device, "normal")
    given = [x for x in (mean, std) if isinstance(x, Tensor)]
    if given:
        if size is not None:
            raise TypeError("normal: size is only for a number mean and std; a Tensor mean or std gives the shape")
        dtype = _floating(_np_dtype(given[0].dtype), "normal")
        shape = np.broadcast_shapes(*(x.shape for x in given))
    elif size is None:
        raise TypeError("normal: with a number mean and std, give the shape: normal(mean, std, size)")
    else:
        dtype, shape = _floating(_float(dtype), "normal"), _shape_arg((size,))
    m, s = (x._data if isinstance(x, Tensor) else x for x in (mean, std))
    if (np.asarray(s) < 0).any():
        found = s if np.ndim(s) == 0 else "with negative elements"
        raise RuntimeError(f"normal: expects std >= 0.0, but found std {found}")
    data = m + s * _numpy_rng(generator, "normal").standard_normal(shape)
    return _make(np.asarray(data).astype(dtype), requires_grad)


# without `tensor`: in tinygrad_edu.engine that name is the module tensor.py; the package exports the function
__all__ = [
    "as_tensor", "from_numpy", "empty", "zeros", "ones", "full", "empty_like", "zeros_like", "ones_like",
    "full_like", "eye", "arange", "linspace", "logspace", "randn", "rand", "randn_like", "rand_like", "randint",
    "randint_like", "randperm", "multinomial", "bernoulli", "normal",
]
