"""The one table of operations that drives test_ops.py and test_parity_torch.py.

Each :class:`OpCase` pairs a tinygrad_edu function (taking Tensors) with an independent NumPy
reference (taking arrays) and, for the parity tests, the equivalent PyTorch function (taking torch
tensors). ``inputs`` lists one spec per input: a shape tuple (standard normal values) or an input
generator ``rng -> ndarray`` for ops with a restricted domain. Generators keep the values away from
kinks, ties and domain edges by much more than gradcheck's eps, so finite differences are valid.

Constants an op needs besides its differentiable inputs (masks, indices, padding widths) are
closed over, so every input is a float array that can require grad.
"""

import math
import zlib
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

import numpy as np

import tinygrad_edu as tg

try:  # only the torch lambdas use it, and only test_parity_torch.py (which skips without torch) calls them
    import torch
except ImportError:  # pragma: no cover
    torch = None

Spec = Any  # a shape tuple or a generator rng -> ndarray


# ------------------------------------------------------------------------------------ the entries
@dataclass(frozen=True)
class OpCase:
    name: str
    fn: Callable  # tinygrad_edu: Tensors -> Tensor (or a tuple of Tensors)
    ref: Callable  # NumPy: arrays -> array (or a list of arrays)
    inputs: tuple  # one Spec per input
    torch_fn: Callable | None = None  # torch: tensors -> tensor (or a tuple)
    twice_differentiable: bool = True
    out_dtype: Any = None  # None: the output keeps the inputs' dtype
    gradcheck_kwargs: dict = field(default_factory=dict)

    def make_inputs(self, seed=0):
        """Float64 arrays for this case, deterministic per (name, seed)."""
        return make_inputs(self.name, self.inputs, seed)


def make_inputs(name, specs, seed=0):
    """Float64 arrays for the input ``specs`` of the entry ``name``, deterministic per (name, seed)."""
    rng = np.random.default_rng([zlib.crc32(name.encode()), seed])
    return [_make(spec, rng) for spec in specs]


def _make(spec, rng):
    if callable(spec):
        return np.asarray(spec(rng), dtype=np.float64)
    return rng.standard_normal(spec)


def outputs_list(out):
    """An op's result(s) as a list (split/chunk return several)."""
    return list(out) if isinstance(out, (tuple, list)) else [out]


# ------------------------------------------------------------------------------ input generators
def normal(*shape, scale=1.0):
    return lambda rng: scale * rng.standard_normal(shape)


def uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, shape)


def positive(*shape):
    """In [0.5, 2]: log, sqrt and pow bases are smooth there."""
    return uniform(0.5, 2.0, *shape)


def avoiding(*shape, points=(0.0,), margin=0.15, lo=-2.0, hi=2.0):
    """Uniform in [lo, hi], but at least ``margin`` away from every kink in ``points``."""

    def gen(rng):
        x = np.asarray(rng.uniform(lo, hi, shape))
        while True:
            bad = np.zeros(x.shape, dtype=bool)
            for p in points:
                bad |= np.abs(x - p) < margin
            if not bad.any():
                return x
            x = np.where(bad, rng.uniform(lo, hi, x.shape), x)

    return gen


def distinct(*shape, gap=0.25):
    """All values distinct, at least ``gap`` apart: no ties for max/min/amax/amin."""

    def gen(rng):
        n = int(np.prod(shape))
        return ((rng.permutation(n) - n / 2) * gap + rng.uniform(-0.05, 0.05, n)).reshape(shape)

    return gen


def on_grid(*shape):
    """Near multiples of 0.5; with :func:`off_grid` values for the other operand, no tie is closer than 0.15."""
    return lambda rng: 0.5 * rng.integers(-4, 5, shape) + rng.uniform(-0.05, 0.05, shape)


def off_grid(*shape):
    return lambda rng: 0.5 * rng.integers(-4, 4, shape) + 0.25 + rng.uniform(-0.05, 0.05, shape)


def float32_exact(*shape):
    """Multiples of 1/16 in [-2, 2]: they and x +- 2**-10 are exact in float32."""
    return lambda rng: rng.integers(-32, 33, shape) / 16.0


# ------------------------------------------------------------------------------ reference helpers
_erf = np.vectorize(math.erf, otypes=[np.float64])


def np_erf(a):
    return _erf(a).astype(a.dtype) if a.ndim else np.asarray(math.erf(a), dtype=a.dtype)


def np_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def np_softplus(a, beta=1.0, threshold=20.0):
    return np.where(beta * a > threshold, a, np.log1p(np.exp(beta * a)) / beta)


def np_gelu(a):
    return 0.5 * a * (1.0 + np_erf(a / math.sqrt(2.0)))


def np_gelu_tanh(a):
    return 0.5 * a * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (a + 0.044715 * a ** 3)))


def np_logsumexp(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def np_softmax(a, axis=-1):
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_log_softmax(a, axis=-1):
    return a - np_logsumexp(a, axis=axis, keepdims=True)


def np_pad(a, pad, mode="constant", value=0.0):
    """torch.nn.functional.pad's widths (last dimension first) in np.pad's terms."""
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]
    widths = [(0, 0)] * (a.ndim - len(pairs)) + pairs[::-1]
    if mode == "constant":
        return np.pad(a, widths, mode="constant", constant_values=value)
    return np.pad(a, widths, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode])


def np_split(a, size_or_sections, axis=0):
    n = a.shape[axis]
    if isinstance(size_or_sections, int):
        edges = list(range(size_or_sections, n, size_or_sections))
    else:
        edges = list(np.cumsum(size_or_sections)[:-1])
    return np.split(a, edges, axis=axis)


def np_chunk(a, chunks, axis=0):
    return np_split(a, -(-a.shape[axis] // chunks), axis)


def np_where_const(cond, a, b):
    return np.where(cond, a, b)


def t(x):
    """A NumPy constant as a torch tensor (for the torch lambdas)."""
    return torch.from_numpy(np.asarray(x))


# ------------------------------------------------------------------------------------- constants
MASK34 = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, True]])
MASK4 = np.array([False, True, True, False])
MASK31 = np.array([[True], [False], [True]])
IDX_REPEAT = np.array([2, 0, 2, 1, 2])  # repeated indices: their gradients add up
GATHER_IDX1 = np.array([[3, 0, 3, 1, 3], [2, 2, 2, 0, 1], [0, 1, 0, 1, 3]])  # (3, 5) into dim 1 of (3, 4)
GATHER_IDX0 = np.array([[2, 0, 2, 2], [1, 1, 0, 2]])  # (2, 4) into dim 0 of (3, 4)
F32, F64 = np.float32, np.float64


def _F():
    return torch.nn.functional


# ------------------------------------------------------------------------------------- the table
CASES = []


def case(name, fn, ref, inputs, torch_fn, **kwargs):
    CASES.append(OpCase(name, fn, ref, tuple(inputs), torch_fn, **kwargs))


# binary arithmetic, each with broadcasting and 0-d operands
_BINARY_SHAPES = [("same", (3, 4), (3, 4)), ("row", (3, 4), (4,)), ("outer", (2, 1, 3), (1, 4, 1)),
                  ("scalar_rhs", (3, 4), ()), ("scalar_lhs", (), (3, 4))]
for _tag, _sa, _sb in _BINARY_SHAPES:
    case(f"add_{_tag}", lambda a, b: a + b, np.add, [_sa, _sb], lambda a, b: a + b)
    case(f"sub_{_tag}", lambda a, b: a - b, np.subtract, [_sa, _sb], lambda a, b: a - b)
    case(f"mul_{_tag}", lambda a, b: a * b, np.multiply, [_sa, _sb], lambda a, b: a * b)
    case(f"div_{_tag}", lambda a, b: a / b, np.divide, [_sa, avoiding(*_sb, margin=0.4)], lambda a, b: a / b)
    case(f"pow_{_tag}", lambda a, b: a ** b, np.power, [positive(*_sa), _sb], lambda a, b: a ** b)
    case(f"maximum_{_tag}", tg.maximum, np.maximum, [on_grid(*_sa), off_grid(*_sb)], lambda a, b: torch.maximum(a, b))
    case(f"minimum_{_tag}", tg.minimum, np.minimum, [on_grid(*_sa), off_grid(*_sb)], lambda a, b: torch.minimum(a, b))

case("add_fn", tg.add, np.add, [(3, 4), (4,)], lambda a, b: torch.add(a, b))
case("sub_fn", tg.sub, np.subtract, [(2, 1, 3), (1, 4, 1)], lambda a, b: torch.sub(a, b))
case("mul_fn", tg.mul, np.multiply, [(3, 4), ()], lambda a, b: torch.mul(a, b))
case("div_fn", tg.div, np.divide, [(4,), avoiding(3, 4, margin=0.4)], lambda a, b: torch.div(a, b))
case("pow_fn", tg.pow, np.power, [positive(3, 1), (1, 4)], lambda a, b: torch.pow(a, b))
case("add_number", lambda a: a + 2.5, lambda a: a + 2.5, [(3, 4)], lambda a: a + 2.5)
case("radd_number", lambda a: 2.5 + a, lambda a: 2.5 + a, [(3, 4)], lambda a: 2.5 + a)
case("rsub_number", lambda a: 1.5 - a, lambda a: 1.5 - a, [(3, 4)], lambda a: 1.5 - a)
case("rmul_number", lambda a: 3 * a, lambda a: 3 * a, [(3, 4)], lambda a: 3 * a)
case("rdiv_number", lambda a: 2.0 / a, lambda a: 2.0 / a, [avoiding(3, 4, margin=0.4)], lambda a: 2.0 / a)
case("div_number", lambda a: a / 4, lambda a: a / 4, [(3, 4)], lambda a: a / 4)
case("pow_int_exponent", lambda a: a ** 3, lambda a: a ** 3, [(3, 4)], lambda a: a ** 3)
case("pow_float_exponent", lambda a: a ** 2.5, lambda a: a ** 2.5, [positive(3, 4)], lambda a: a ** 2.5)
case("pow_negative_exponent", lambda a: a ** -1.5, lambda a: a ** -1.5, [positive(3, 4)], lambda a: a ** -1.5)
case("rpow_number", lambda a: 2.0 ** a, lambda a: 2.0 ** a, [(3, 4)], lambda a: 2.0 ** a)
case("rpow_number_e", lambda a: 0.7 ** a, lambda a: 0.7 ** a, [(2, 3)], lambda a: 0.7 ** a)

# where and its relatives
case("where_same", lambda a, b: tg.where(MASK34, a, b), lambda a, b: np.where(MASK34, a, b), [(3, 4), (3, 4)],
     lambda a, b: torch.where(t(MASK34), a, b))
case("where_bcast", lambda a, b: tg.where(MASK34, a, b), lambda a, b: np.where(MASK34, a, b), [(3, 4), (4,)],
     lambda a, b: torch.where(t(MASK34), a, b))
case("where_bcast_all", lambda a, b: tg.where(tg.Tensor(MASK31), a, b), lambda a, b: np.where(MASK31, a, b),
     [(1, 4), ()], lambda a, b: torch.where(t(MASK31), a, b))
case("where_number", lambda a: tg.where(MASK34, a, 0.5), lambda a: np.where(MASK34, a, 0.5), [(3, 4)],
     lambda a: torch.where(t(MASK34), a, 0.5))
case("where_number_lhs", lambda b: tg.where(MASK4, -1.0, b), lambda b: np.where(MASK4, -1.0, b), [(3, 4)],
     lambda b: torch.where(t(MASK4), -1.0, b))
case("masked_fill", lambda a: a.masked_fill(tg.Tensor(MASK34), 2.5), lambda a: np.where(MASK34, 2.5, a), [(3, 4)],
     lambda a: a.masked_fill(t(MASK34), 2.5))
case("masked_fill_bcast", lambda a: tg.masked_fill(a, MASK4, -3.0), lambda a: np.where(MASK4, -3.0, a), [(3, 4)],
     lambda a: a.masked_fill(t(MASK4), -3.0))

# unary elementwise
case("neg", lambda a: -a, np.negative, [(3, 4)], lambda a: -a)
case("neg_fn", tg.neg, np.negative, [(2, 3)], torch.neg if torch else None)
case("exp", lambda a: a.exp(), np.exp, [(3, 4)], torch.exp if torch else None)
case("log", lambda a: a.log(), np.log, [positive(3, 4)], torch.log if torch else None)
case("sqrt", lambda a: a.sqrt(), np.sqrt, [positive(3, 4)], torch.sqrt if torch else None)
case("abs", lambda a: a.abs(), np.abs, [avoiding(3, 4)], torch.abs if torch else None)
case("abs_builtin", lambda a: abs(a), np.abs, [avoiding(2, 3)], lambda a: abs(a))
case("sin", lambda a: a.sin(), np.sin, [normal(3, 4, scale=2.0)], torch.sin if torch else None)
case("cos", lambda a: a.cos(), np.cos, [normal(3, 4, scale=2.0)], torch.cos if torch else None)
case("tanh", lambda a: a.tanh(), np.tanh, [normal(3, 4, scale=1.5)], torch.tanh if torch else None)
case("sigmoid", lambda a: a.sigmoid(), np_sigmoid, [uniform(-8, 8, 3, 4)], torch.sigmoid if torch else None)
case("tanh_backward", lambda g, y: tg.engine.ops.elementwise.tanh_backward(g, y), lambda g, y: g * (1 - y * y),
     [(3, 4), uniform(-0.9, 0.9, 3, 4)], (lambda g, y: torch.ops.aten.tanh_backward(g, y)) if torch else None)
case("sigmoid_backward", lambda g, y: tg.engine.ops.elementwise.sigmoid_backward(g, y),
     lambda g, y: g * y * (1 - y), [(3, 4), uniform(0.1, 0.9, 3, 4)],
     (lambda g, y: torch.ops.aten.sigmoid_backward(g, y)) if torch else None)
case("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0.0), [avoiding(3, 4)], torch.relu if torch else None)
case("leaky_relu", lambda a: a.leaky_relu(), lambda a: np.where(a > 0, a, 0.01 * a), [avoiding(3, 4)],
     lambda a: _F().leaky_relu(a))
case("leaky_relu_slope", lambda a: tg.leaky_relu(a, 0.2), lambda a: np.where(a > 0, a, 0.2 * a), [avoiding(3, 4)],
     lambda a: _F().leaky_relu(a, 0.2))
case("gelu", lambda a: a.gelu(), np_gelu, [uniform(-3, 3, 3, 4)], lambda a: _F().gelu(a))
case("gelu_tanh", lambda a: tg.gelu(a, approximate="tanh"), np_gelu_tanh, [uniform(-3, 3, 3, 4)],
     lambda a: _F().gelu(a, approximate="tanh"))
case("softplus", lambda a: a.softplus(), np_softplus, [uniform(-5, 5, 3, 4)], lambda a: _F().softplus(a))
case("softplus_beta_threshold", lambda a: tg.softplus(a, beta=2.0, threshold=1.0),
     lambda a: np_softplus(a, 2.0, 1.0), [avoiding(3, 4, points=(0.5,), margin=0.2)],
     lambda a: _F().softplus(a, beta=2.0, threshold=1.0))
case("softplus_linear_region", lambda a: tg.softplus(a, beta=0.5, threshold=3.0),
     lambda a: np_softplus(a, 0.5, 3.0), [avoiding(3, 4, points=(6.0,), margin=0.5, lo=-10, hi=10)],
     lambda a: _F().softplus(a, beta=0.5, threshold=3.0))
case("erf", lambda a: a.erf(), np_erf, [uniform(-3, 3, 3, 4)], torch.erf if torch else None)
case("erf_small", tg.erf, np_erf, [uniform(-0.5, 0.5, 2, 3)], torch.erf if torch else None)
case("clamp_min", lambda a: a.clamp(min=-0.3), lambda a: np.maximum(a, -0.3), [avoiding(3, 4, points=(-0.3,))],
     lambda a: a.clamp(min=-0.3))
case("clamp_max", lambda a: a.clamp(max=0.4), lambda a: np.minimum(a, 0.4), [avoiding(3, 4, points=(0.4,))],
     lambda a: a.clamp(max=0.4))
case("clamp_both", lambda a: tg.clamp(a, -0.3, 0.4), lambda a: np.clip(a, -0.3, 0.4),
     [avoiding(3, 4, points=(-0.3, 0.4), lo=-1, hi=1)], lambda a: torch.clamp(a, -0.3, 0.4))
case("clip_alias", lambda a: a.clip(-1.0, 1.0), lambda a: np.clip(a, -1.0, 1.0),
     [avoiding(3, 4, points=(-1.0, 1.0))], lambda a: a.clip(-1.0, 1.0))
# astype: float64 -> float32 -> float64 (the gradient is converted back at each step); values and
# eps chosen so float32 rounds nothing and the finite differences are exact.
case("astype_roundtrip", lambda a: (a.astype(F32) * 3).astype(F64), lambda a: (a.astype(F32) * 3).astype(F64),
     [float32_exact(3, 4)], lambda a: (a.float() * 3).double(), out_dtype=F64,
     gradcheck_kwargs={"eps": 2.0 ** -10})
case("astype_to_float32", lambda a: a.astype(F32) * 2, lambda a: a.astype(F32) * 2, [float32_exact(3, 4)],
     lambda a: a.float() * 2, out_dtype=F32, gradcheck_kwargs={"eps": 2.0 ** -10})
case("astype_to_float64", lambda a: a.double() * a.double(), lambda a: a.astype(F64) ** 2,
     [float32_exact(2, 3)], lambda a: a.double() * a.double(), out_dtype=F64, gradcheck_kwargs={"eps": 2.0 ** -10})

# reductions
_RED = [("all", None, False), ("dim1", 1, False), ("tuple", (0, 2), False), ("keepdim", 1, True),
        ("negdim", -1, False), ("negtuple_keepdim", (-1, 0), True)]
for _tag, _dim, _keep in _RED:
    case(f"sum_{_tag}", lambda a, d=_dim, k=_keep: a.sum(d, keepdim=k),
         lambda a, d=_dim, k=_keep: np.sum(a, axis=d, keepdims=k), [(2, 3, 4)],
         lambda a, d=_dim, k=_keep: a.sum() if d is None else a.sum(d, keepdim=k))
    case(f"mean_{_tag}", lambda a, d=_dim, k=_keep: a.mean(d, keepdim=k),
         lambda a, d=_dim, k=_keep: np.mean(a, axis=d, keepdims=k), [(2, 3, 4)],
         lambda a, d=_dim, k=_keep: a.mean() if d is None else a.mean(d, keepdim=k))
    case(f"amax_{_tag}", lambda a, d=_dim, k=_keep: a.amax(d, keepdim=k),
         lambda a, d=_dim, k=_keep: np.max(a, axis=d, keepdims=k), [distinct(2, 3, 4)],
         lambda a, d=_dim, k=_keep: a.amax(tuple(range(a.ndim)) if d is None else d, keepdim=k))
    case(f"amin_{_tag}", lambda a, d=_dim, k=_keep: tg.amin(a, d, keepdim=k),
         lambda a, d=_dim, k=_keep: np.min(a, axis=d, keepdims=k), [distinct(2, 3, 4)],
         lambda a, d=_dim, k=_keep: a.amin(tuple(range(a.ndim)) if d is None else d, keepdim=k))
    case(f"logsumexp_{_tag}", lambda a, d=_dim, k=_keep: a.logsumexp(d, keepdim=k),
         lambda a, d=_dim, k=_keep: np_logsumexp(a, axis=d, keepdims=k), [(2, 3, 4)],
         lambda a, d=_dim, k=_keep: a.logsumexp(tuple(range(a.ndim)) if d is None else d, keepdim=k))
case("sum_fn_0d", lambda a: tg.sum(a), np.sum, [()], lambda a: a.sum())
case("mean_fn", lambda a: tg.mean(a, 0), lambda a: np.mean(a, axis=0), [(3, 4)], lambda a: a.mean(0))
case("max_all", lambda a: a.max(), np.max, [distinct(3, 4)], lambda a: a.max())
case("min_all", lambda a: tg.min(a), np.min, [distinct(3, 4)], lambda a: a.min())
case("max_dim", lambda a: a.max(1).values, lambda a: np.max(a, axis=1), [distinct(2, 3, 4)],
     lambda a: a.max(1).values)
case("max_negdim_keepdim", lambda a: a.max(-1, keepdim=True).values, lambda a: np.max(a, axis=-1, keepdims=True),
     [distinct(2, 3, 4)], lambda a: a.max(-1, keepdim=True).values)
case("min_dim", lambda a: tg.min(a, 0).values, lambda a: np.min(a, axis=0), [distinct(3, 4)],
     lambda a: a.min(0).values)
case("min_negdim_keepdim", lambda a: a.min(-2, keepdim=True)[0], lambda a: np.min(a, axis=-2, keepdims=True),
     [distinct(2, 3, 4)], lambda a: a.min(-2, keepdim=True)[0])
_VAR = [("default", {}, {"ddof": 1}, {}), ("dim", {"dim": 1}, {"axis": 1, "ddof": 1}, {"dim": 1}),
        ("unbiased_false", {"unbiased": False}, {"ddof": 0}, {"correction": 0}),
        ("unbiased_true_dim", {"dim": -1, "unbiased": True}, {"axis": -1, "ddof": 1}, {"dim": -1, "correction": 1}),
        ("correction0_keepdim", {"dim": 0, "correction": 0, "keepdim": True}, {"axis": 0, "ddof": 0, "keepdims": True},
         {"dim": 0, "correction": 0, "keepdim": True}),
        ("correction2_tuple", {"dim": (0, 2), "correction": 2}, {"axis": (0, 2), "ddof": 2},
         {"dim": (0, 2), "correction": 2})]
for _tag, _kw, _npkw, _tkw in _VAR:
    case(f"var_{_tag}", lambda a, kw=_kw: a.var(**kw), lambda a, kw=_npkw: np.var(a, **kw), [(2, 3, 4)],
         lambda a, kw=_tkw: torch.var(a, **kw))
    case(f"std_{_tag}", lambda a, kw=_kw: tg.std(a, **kw), lambda a, kw=_npkw: np.std(a, **kw), [(2, 3, 4)],
         lambda a, kw=_tkw: torch.std(a, **kw))
case("softmax_last", lambda a: a.softmax(), lambda a: np_softmax(a, -1), [(3, 4)], lambda a: a.softmax(-1))
case("softmax_dim0", lambda a: tg.softmax(a, 0), lambda a: np_softmax(a, 0), [(2, 3, 4)], lambda a: a.softmax(0))
case("softmax_dim1", lambda a: a.softmax(1), lambda a: np_softmax(a, 1), [(2, 3, 4)], lambda a: a.softmax(1))
case("log_softmax_last", lambda a: a.log_softmax(), lambda a: np_log_softmax(a, -1), [(3, 4)],
     lambda a: a.log_softmax(-1))
case("log_softmax_dim0", lambda a: tg.log_softmax(a, 0), lambda a: np_log_softmax(a, 0), [(2, 3, 4)],
     lambda a: a.log_softmax(0))
case("log_softmax_1d", lambda a: a.log_softmax(0), lambda a: np_log_softmax(a, 0), [(5,)],
     lambda a: a.log_softmax(0))

# movement
case("reshape", lambda a: a.reshape(4, 6), lambda a: a.reshape(4, 6), [(2, 3, 4)], lambda a: a.reshape(4, 6))
case("reshape_tuple_minus1", lambda a: tg.reshape(a, (-1, 2)), lambda a: a.reshape(-1, 2), [(2, 3, 4)],
     lambda a: a.reshape(-1, 2))
case("reshape_to_0d", lambda a: a.reshape(()), lambda a: a.reshape(()), [(1, 1)], lambda a: a.reshape(()))
case("view", lambda a: a.view(6, 4), lambda a: a.reshape(6, 4), [(2, 3, 4)], lambda a: a.view(6, 4))
case("permute", lambda a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), [(2, 3, 4)],
     lambda a: a.permute(2, 0, 1))
case("permute_negative", lambda a: tg.permute(a, (-1, 0, -2)), lambda a: a.transpose(2, 0, 1), [(2, 3, 4)],
     lambda a: a.permute(-1, 0, -2))
case("transpose", lambda a: a.transpose(0, 2), lambda a: np.swapaxes(a, 0, 2), [(2, 3, 4)],
     lambda a: a.transpose(0, 2))
case("transpose_negative", lambda a: tg.transpose(a, -1, -2), lambda a: np.swapaxes(a, -1, -2), [(2, 3, 4)],
     lambda a: a.transpose(-1, -2))
case("T", lambda a: a.T, lambda a: a.T, [(3, 4)], lambda a: a.T)
case("mT", lambda a: a.mT, lambda a: np.swapaxes(a, -1, -2), [(2, 3, 4)], lambda a: a.mT)
case("broadcast_to", lambda a: a.broadcast_to(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4)), [(3, 1)],
     lambda a: a.broadcast_to((2, 3, 4)))
case("broadcast_to_fn_0d", lambda a: tg.broadcast_to(a, (2, 3)), lambda a: np.broadcast_to(a, (2, 3)), [()],
     lambda a: torch.broadcast_to(a, (2, 3)))
case("expand", lambda a: a.expand(4, -1, -1), lambda a: np.broadcast_to(a, (4, 1, 3)), [(1, 3)],
     lambda a: a.expand(4, -1, -1))
case("expand_size1", lambda a: a.expand(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4)), [(1, 1, 4)],
     lambda a: a.expand(2, 3, 4))
case("squeeze_all", lambda a: a.squeeze(), np.squeeze, [(1, 3, 1, 2)], lambda a: a.squeeze())
case("squeeze_dim", lambda a: tg.squeeze(a, 2), lambda a: np.squeeze(a, 2), [(1, 3, 1, 2)],
     lambda a: a.squeeze(2))
case("squeeze_non1_dim", lambda a: a.squeeze(1), lambda a: a, [(1, 3, 1, 2)], lambda a: a.squeeze(1))
case("unsqueeze0", lambda a: a.unsqueeze(0), lambda a: a[None], [(3, 4)], lambda a: a.unsqueeze(0))
case("unsqueeze_negative", lambda a: tg.unsqueeze(a, -1), lambda a: a[..., None], [(3, 4)],
     lambda a: a.unsqueeze(-1))
case("unsqueeze_middle_negative", lambda a: a.unsqueeze(-2), lambda a: a[:, None, :], [(3, 4)],
     lambda a: a.unsqueeze(-2))
case("flatten", lambda a: a.flatten(), lambda a: a.reshape(-1), [(2, 3, 4)], lambda a: a.flatten())
case("flatten_start", lambda a: tg.flatten(a, 1), lambda a: a.reshape(2, 12), [(2, 3, 4)],
     lambda a: a.flatten(1))
case("flatten_range", lambda a: a.flatten(0, 1), lambda a: a.reshape(6, 4), [(2, 3, 4)],
     lambda a: a.flatten(0, 1))

# indexing
case("getitem_int", lambda a: a[1], lambda a: a[1], [(3, 4)], lambda a: a[1])
case("getitem_negative_int", lambda a: a[-1], lambda a: a[-1], [(3, 4)], lambda a: a[-1])
case("getitem_negative_pair", lambda a: a[-2, -1], lambda a: a[-2, -1], [(3, 4)], lambda a: a[-2, -1])
case("getitem_slice_step", lambda a: a[:, ::2], lambda a: a[:, ::2], [(3, 5)], lambda a: a[:, ::2])
case("getitem_slice_negative", lambda a: a[-2:, 1:-1:2], lambda a: a[-2:, 1:-1:2], [(3, 5)],
     lambda a: a[-2:, 1:-1:2])
case("getitem_none", lambda a: a[None, 1:, None], lambda a: a[None, 1:, None], [(3, 4)],
     lambda a: a[None, 1:, None])
case("getitem_ellipsis", lambda a: a[..., 1], lambda a: a[..., 1], [(2, 3, 4)], lambda a: a[..., 1])
case("getitem_ellipsis_none", lambda a: a[0, ..., None], lambda a: a[0, ..., None], [(2, 3, 4)],
     lambda a: a[0, ..., None])
case("getitem_int_array_repeat", lambda a: a[IDX_REPEAT], lambda a: a[IDX_REPEAT], [(3, 4)],
     lambda a: a[t(IDX_REPEAT)])
case("getitem_tensor_index", lambda a: a[tg.Tensor(IDX_REPEAT)], lambda a: a[IDX_REPEAT], [(3,)],
     lambda a: a[t(IDX_REPEAT)])
case("getitem_list_index", lambda a: a[[0, 0, 1]], lambda a: a[[0, 0, 1]], [(2, 3)], lambda a: a[[0, 0, 1]])
case("getitem_array_second_dim", lambda a: a[:, IDX_REPEAT], lambda a: a[:, IDX_REPEAT], [(2, 3)],
     lambda a: a[:, t(IDX_REPEAT)])
case("getitem_two_arrays", lambda a: a[IDX_REPEAT, [0, 3, 0, 1, 3]], lambda a: a[IDX_REPEAT, [0, 3, 0, 1, 3]],
     [(3, 4)], lambda a: a[t(IDX_REPEAT), [0, 3, 0, 1, 3]])
case("getitem_negative_array", lambda a: a[np.array([-1, 0, -1])], lambda a: a[np.array([-1, 0, -1])], [(3, 2)],
     lambda a: a[t(np.array([-1, 0, -1]))])
case("getitem_bool_mask", lambda a: a[MASK34], lambda a: a[MASK34], [(3, 4)], lambda a: a[t(MASK34)])
case("getitem_bool_rows", lambda a: a[np.array([True, False, True])], lambda a: a[np.array([True, False, True])],
     [(3, 4)], lambda a: a[t(np.array([True, False, True]))])
case("gather_dim1", lambda a: a.gather(1, GATHER_IDX1), lambda a: np.take_along_axis(a, GATHER_IDX1, 1), [(3, 4)],
     lambda a: a.gather(1, t(GATHER_IDX1)))
case("gather_dim0", lambda a: tg.gather(a, 0, tg.Tensor(GATHER_IDX0)),
     lambda a: np.take_along_axis(a, GATHER_IDX0, 0), [(3, 4)], lambda a: torch.gather(a, 0, t(GATHER_IDX0)))
case("gather_negdim", lambda a: a.gather(-1, GATHER_IDX1[:2, :3]),
     lambda a: np.take_along_axis(a, GATHER_IDX1[:2, :3], -1), [(2, 4)],
     lambda a: a.gather(-1, t(GATHER_IDX1[:2, :3])))

# joining and splitting
case("cat_dim1", lambda a, b: tg.cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1), [(2, 3), (2, 1)],
     lambda a, b: torch.cat([a, b], 1))
case("cat_three_dim0", lambda a, b, c: tg.cat([a, b, c]), lambda a, b, c: np.concatenate([a, b, c]),
     [(1, 3), (2, 3), (1, 3)], lambda a, b, c: torch.cat([a, b, c]))
case("cat_negdim_same_tensor", lambda a, b: tg.cat([a, b, a], dim=-1), lambda a, b: np.concatenate([a, b, a], -1),
     [(2, 2), (2, 1)], lambda a, b: torch.cat([a, b, a], -1))
case("stack_dim0", lambda a, b: tg.stack([a, b]), lambda a, b: np.stack([a, b]), [(2, 3), (2, 3)],
     lambda a, b: torch.stack([a, b]))
case("stack_negdim", lambda a, b, c: tg.stack([a, b, c], dim=-1), lambda a, b, c: np.stack([a, b, c], -1),
     [(2, 3), (2, 3), (2, 3)], lambda a, b, c: torch.stack([a, b, c], -1))
case("stack_middle", lambda a, b: tg.stack([a, b], 1), lambda a, b: np.stack([a, b], 1), [(2, 3), (2, 3)],
     lambda a, b: torch.stack([a, b], 1))
case("split_size", lambda a: a.split(2, dim=1), lambda a: np_split(a, 2, 1), [(2, 5)], lambda a: a.split(2, dim=1))
case("split_sections", lambda a: tg.split(a, [1, 3]), lambda a: np_split(a, [1, 3], 0), [(4, 2)],
     lambda a: a.split([1, 3]))
case("split_negdim", lambda a: a.split(3, -1), lambda a: np_split(a, 3, -1), [(2, 7)], lambda a: a.split(3, -1))
case("chunk", lambda a: a.chunk(3, 1), lambda a: np_chunk(a, 3, 1), [(2, 5)], lambda a: a.chunk(3, 1))
case("chunk_dim0", lambda a: tg.chunk(a, 2), lambda a: np_chunk(a, 2, 0), [(3, 2)], lambda a: a.chunk(2))
case("unbind", lambda a: a.unbind(1), lambda a: [a[:, i] for i in range(a.shape[1])], [(2, 3, 2)],
     lambda a: a.unbind(1))
case("unbind_dim0", lambda a: tg.unbind(a), lambda a: list(a), [(3, 2)], lambda a: torch.unbind(a))

# padding
_PADS = [("constant_value", (2, 5), (1, 2), "constant", 1.5), ("constant_2d", (2, 3), (1, 0, 2, 1), "constant", 0.0),
         ("constant_zero_width", (2, 3), (0, 2), "constant", -1.0), ("reflect", (2, 5), (2, 1), "reflect", 0.0),
         ("reflect_2d", (1, 3, 4), (1, 2, 2, 1), "reflect", 0.0), ("replicate", (2, 4), (2, 3), "replicate", 0.0),
         ("replicate_2d", (1, 3, 4), (2, 1, 1, 3), "replicate", 0.0), ("circular", (2, 4), (1, 3), "circular", 0.0),
         ("circular_2d", (1, 3, 4), (1, 2, 2, 1), "circular", 0.0)]
for _tag, _shape, _p, _mode, _val in _PADS:
    case(f"pad_{_tag}", lambda a, p=_p, m=_mode, v=_val: tg.nn.functional.pad(a, p, mode=m, value=v),
         lambda a, p=_p, m=_mode, v=_val: np_pad(a, p, m, v), [_shape],
         lambda a, p=_p, m=_mode, v=_val: _F().pad(a, p, mode=m, value=v) if m == "constant" else _F().pad(a, p, m))

# triangles
case("tril", lambda a: a.tril(), np.tril, [(4, 4)], torch.tril if torch else None)
case("tril_diag1", lambda a: tg.tril(a, 1), lambda a: np.tril(a, 1), [(3, 4)], lambda a: torch.tril(a, 1))
case("tril_batched_negdiag", lambda a: a.tril(-1), lambda a: np.tril(a, -1), [(2, 3, 4)],
     lambda a: torch.tril(a, -1))
case("triu", lambda a: a.triu(), np.triu, [(4, 4)], torch.triu if torch else None)
case("triu_diag_neg", lambda a: tg.triu(a, diagonal=-1), lambda a: np.triu(a, -1), [(4, 3)],
     lambda a: torch.triu(a, -1))
case("triu_batched_diag2", lambda a: a.triu(2), lambda a: np.triu(a, 2), [(2, 3, 4)], lambda a: torch.triu(a, 2))

# matmul
_MATMUL = [("1d_1d", (4,), (4,)), ("1d_2d", (4,), (4, 3)), ("2d_1d", (3, 4), (4,)), ("2d_2d", (3, 4), (4, 2)),
           ("batched_3d", (2, 3, 4), (2, 4, 2)), ("broadcast_batch", (2, 1, 3, 4), (5, 4, 2)),
           ("3d_1d", (2, 3, 4), (4,)), ("1d_3d", (3,), (2, 3, 2)), ("3d_2d", (2, 3, 4), (4, 2))]
for _tag, _sa, _sb in _MATMUL:
    case(f"matmul_{_tag}", lambda a, b: a @ b, np.matmul, [_sa, _sb], lambda a, b: a @ b)
case("matmul_fn", tg.matmul, np.matmul, [(3, 4), (4, 2)], torch.matmul if torch else None)
case("matmul_same_operand", lambda a: a @ a.T, lambda a: a @ a.T, [(3, 4)], lambda a: a @ a.T)

case("silu", tg.nn.functional.silu, lambda a: a / (1 + np.exp(-a)), [(3, 4)], lambda a: _F().silu(a))

# linear (fused x @ W.T + b)
case("linear_bias", tg.nn.functional.linear, lambda x, w, b: x @ w.T + b, [(5, 3), (4, 3), (4,)],
     lambda x, w, b: _F().linear(x, w, b))
case("linear_no_bias", tg.nn.functional.linear, lambda x, w: x @ w.T, [(5, 3), (4, 3)],
     lambda x, w: _F().linear(x, w))
case("linear_3d_input", tg.nn.functional.linear, lambda x, w, b: x @ w.T + b, [(2, 5, 3), (4, 3), (4,)],
     lambda x, w, b: _F().linear(x, w, b))
case("linear_1d_input", tg.nn.functional.linear, lambda x, w, b: x @ w.T + b, [(3,), (4, 3), (4,)],
     lambda x, w, b: _F().linear(x, w, b))

# copies and in-place writes: the gradient flows through clone, item assignment and rebased histories
def _assigned(index):
    def fn(a, v):
        b = a.clone()
        b[index] = v
        return b

    return fn


def _np_assigned(index):
    def fn(a, v):
        b = a.copy()
        b[index] = v
        return b

    return fn


def _written_in_place(a, v):
    b = a * 2
    b += v  # the whole tensor
    b[1:] *= v  # through a view: the base is rebased too
    b[:, 0] = v[0]
    return b


def _np_written_in_place(a, v):
    b = a * 2 + v
    b[1:] *= v
    b[:, 0] = v[0]
    return b


case("clone", lambda a: a.clone(), np.copy, [(3, 4)], lambda a: a.clone())
case("clone_fn", tg.clone, np.copy, [(2, 3)], lambda a: torch.clone(a))
case("index_put_slice", _assigned((slice(None), 1)), _np_assigned((slice(None), 1)), [(3, 4), (3,)],
     _assigned((slice(None), 1)))
case("index_put_mask_broadcast", _assigned(MASK34), _np_assigned(MASK34), [(3, 4), ()], _assigned(MASK34))
case("index_put_int_array", _assigned(np.array([0, 3])), _np_assigned(np.array([0, 3])), [(5, 3), (2, 3)],
     lambda a, v: _assigned(t(np.array([0, 3])))(a, v))
case("index_put_in_place_ops", _written_in_place, _np_written_in_place, [(3, 4), (4,)], _written_in_place)

CASE_NAMES = [c.name for c in CASES]
assert len(set(CASE_NAMES)) == len(CASE_NAMES), "duplicate case names"

# every op of the public API must be exercised by some entry (checked by test_ops.test_table_covers_every_op)
COVERED_OPS = {
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid",
    "tanh_backward", "sigmoid_backward",
    "relu", "leaky_relu", "gelu", "softplus", "erf", "maximum", "minimum", "clamp", "where", "astype", "sum",
    "mean", "amax", "amin", "max", "min", "var", "std", "logsumexp", "softmax", "log_softmax", "reshape", "view",
    "permute", "transpose", "broadcast_to", "expand", "squeeze", "unsqueeze", "flatten", "getitem", "gather", "cat",
    "stack", "split", "chunk", "unbind", "pad", "masked_fill", "tril", "triu", "matmul", "linear", "silu",
    "clone", "index_put",
}


def cases_with_prefix(prefix):
    return [c for c in CASES if c.name == prefix or c.name.startswith(prefix + "_")]


# ---------------------------------------------------- fused primitives against their references
@dataclass(frozen=True)
class FusedCase:
    """A fused primitive and the plain composition of ops beside it (``engine/ops/``): the same function of
    the same inputs, so values, gradients and (where the fused op has them) second derivatives must agree.
    The fused recurrent layers are first-order only: ``twice_differentiable=False`` sends gradgradcheck to
    the reference."""
    name: str
    fused: Callable  # Tensors -> Tensor
    reference: Callable  # Tensors -> Tensor
    inputs: tuple  # one Spec per input, as OpCase's
    twice_differentiable: bool = True

    def make_inputs(self, seed=0):
        return make_inputs(self.name, self.inputs, seed)


FUSED_CASES = []


def fused(name, fn, reference, inputs, twice_differentiable=True, **constants):
    """An entry whose two functions are called as f(*inputs, **constants)."""
    FUSED_CASES.append(FusedCase(name, partial(fn, **constants), partial(reference, **constants), tuple(inputs),
                                 twice_differentiable))


_ops = tg.engine.ops
_conv = (_ops.conv2d, _ops.conv2d_reference)
fused("conv2d_plain", *_conv, [(2, 2, 5, 5), (3, 2, 3, 3)])
fused("conv2d_stride2_pad1", *_conv, [(2, 2, 6, 5), (3, 2, 3, 2), (3,)], stride=2, padding=1)
fused("conv2d_dilation2", *_conv, [(1, 2, 7, 6), (3, 2, 3, 2)], dilation=2)
fused("conv2d_groups2_bias", *_conv, [(2, 4, 5, 5), (4, 2, 3, 3), (4,)], groups=2)
fused("conv2d_same", *_conv, [(1, 2, 5, 6), (3, 2, 2, 3), (3,)], padding="same", dilation=(1, 2))  # pads (0, 1, 2, 2)

# distinct values: no ties, so the first maximum is the only one and finite differences see no kink
_pool = (_ops.max_pool2d, _ops.max_pool2d_reference)
fused("max_pool2d_2x2", *_pool, [distinct(2, 2, 5, 6)], kernel_size=2)  # windows tile it: the reshape path
fused("max_pool2d_3x3_stride2_pad1", *_pool, [distinct(2, 2, 5, 6)], kernel_size=3, stride=2, padding=1)
fused("max_pool2d_ceil_mode", *_pool, [distinct(2, 2, 6, 5)], kernel_size=3, stride=2, ceil_mode=True)

_ATTN_BIAS = np.random.default_rng(15).standard_normal((2, 1, 4, 5))  # a finite additive mask (a bias)
_KEY_MASK = np.triu(np.full((4, 5), -np.inf), 1)  # row i sees keys 0..i: row 0 only one, none empty
_softmax = (_ops.scaled_softmax, _ops.scaled_softmax_reference)
fused("scaled_softmax_no_mask", *_softmax, [(2, 3, 4, 5)], scale=0.5, mask=None)
fused("scaled_softmax_float_mask", *_softmax, [(2, 3, 4, 5)], scale=0.5, mask=_ATTN_BIAS)
fused("scaled_softmax_mask_broadcasts_scores", *_softmax, [(3, 4, 5)], scale=0.7, mask=_ATTN_BIAS)  # -> (2, 3, 4, 5)
fused("scaled_softmax_neg_inf_mask", *_softmax, [(2, 3, 4, 5)], scale=0.5, mask=_KEY_MASK)
fused("scaled_softmax_tensor_mask", lambda s, m: _ops.scaled_softmax(s, 0.5, m),  # a learned bias: it gets a gradient
      lambda s, m: _ops.scaled_softmax_reference(s, 0.5, m), [(2, 3, 4, 5), (4, 5)])

# T = 3 steps, batch 2, hidden 3: xw (T, N, gates * H), h0 and c0 (N, H), w_hh (gates * H, H), b_hh (gates * H,)
_lstm = (_ops.lstm_layer, _ops.lstm_layer_reference)
_LSTM_IN = [(3, 2, 12), normal(2, 3), normal(2, 3), normal(12, 3, scale=0.5)]
fused("lstm_layer_forward", *_lstm, _LSTM_IN, twice_differentiable=False, reverse=False)
fused("lstm_layer_reverse", *_lstm, _LSTM_IN, twice_differentiable=False, reverse=True)
_gru = (_ops.gru_layer, _ops.gru_layer_reference)
_GRU_IN = [(3, 2, 9), normal(2, 3), normal(9, 3, scale=0.5)]
fused("gru_layer_bias", *_gru, _GRU_IN + [(9,)], twice_differentiable=False, reverse=False)
fused("gru_layer_no_bias", *_gru, _GRU_IN, twice_differentiable=False, b_hh=None, reverse=False)
fused("gru_layer_reverse", *_gru, _GRU_IN + [(9,)], twice_differentiable=False, reverse=True)

assert len({c.name for c in FUSED_CASES}) == len(FUSED_CASES), "duplicate fused case names"

# the entries of the later op families, each file registering its cases with case() and naming its ops
import op_table_elementwise  # noqa: E402,F401
import op_table_fused_nn  # noqa: E402,F401
import op_table_linalg  # noqa: E402,F401
import op_table_movement  # noqa: E402,F401
import op_table_reduce  # noqa: E402,F401
