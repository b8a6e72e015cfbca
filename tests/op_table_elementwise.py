"""Op-table entries for the elementwise ops added with PyTorch's vocabulary (registered into op_table.CASES)."""

import numpy as np
from op_table import COVERED_OPS, avoiding, case, normal, off_grid, on_grid, positive, torch, uniform

import tinygrad_edu as tg


def steps(*shape, step=1.0, offset=0.5, jitter=0.1):
    """Near offset + k * step: at least step/2 - jitter away from the jumps of floor (offset 0.5) or round (0)."""
    return lambda rng: step * (rng.integers(-3, 4, shape) + offset) + rng.uniform(-jitter, jitter, shape)


def near(value, *shape):
    """Within 0.001 of ``value``: a divisor that keeps every quotient of steps(step=0.5 * value) off its jumps."""
    return uniform(value - 0.001, value + 0.001, *shape)


# smooth unary functions: (name, tinygrad_edu, NumPy, torch, input)
_UNARY = [
    ("tan", tg.tan, np.tan, "tan", uniform(-1.2, 1.2, 3, 4)),
    ("asin", tg.asin, np.arcsin, "asin", uniform(-0.8, 0.8, 3, 4)),
    ("acos", tg.acos, np.arccos, "acos", uniform(-0.8, 0.8, 3, 4)),
    ("atan", tg.atan, np.arctan, "atan", normal(3, 4, scale=2.0)),
    ("sinh", tg.sinh, np.sinh, "sinh", (3, 4)),
    ("cosh", tg.cosh, np.cosh, "cosh", (3, 4)),
    ("asinh", tg.asinh, np.arcsinh, "asinh", normal(3, 4, scale=2.0)),
    ("acosh", tg.acosh, np.arccosh, "acosh", uniform(1.2, 3.0, 3, 4)),
    ("atanh", tg.atanh, np.arctanh, "atanh", uniform(-0.8, 0.8, 3, 4)),
    ("rsqrt", tg.rsqrt, lambda a: 1 / np.sqrt(a), "rsqrt", positive(3, 4)),
    ("square", tg.square, np.square, "square", (3, 4)),
    ("reciprocal", tg.reciprocal, np.reciprocal, "reciprocal", avoiding(3, 4, margin=0.4)),
    ("log2", tg.log2, np.log2, "log2", positive(3, 4)),
    ("log10", tg.log10, np.log10, "log10", positive(3, 4)),
    ("log1p", tg.log1p, np.log1p, "log1p", uniform(-0.5, 2.0, 3, 4)),
    ("exp2", tg.exp2, np.exp2, "exp2", (3, 4)),
    ("expm1", tg.expm1, np.expm1, "expm1", (3, 4)),
    ("frac", tg.frac, lambda a: a - np.trunc(a), "frac", steps(3, 4, step=1.0, offset=0.5, jitter=0.3)),
    ("floor", tg.floor, np.floor, "floor", steps(3, 4, offset=0.5)),
    ("ceil", tg.ceil, np.ceil, "ceil", steps(3, 4, offset=0.5)),
    ("trunc", tg.trunc, np.trunc, "trunc", steps(3, 4, offset=0.5)),
    ("round", tg.round, np.round, "round", steps(3, 4, offset=0.0)),
    ("sign", tg.sign, np.sign, "sign", avoiding(3, 4)),
    ("sgn", tg.sgn, np.sign, "sgn", avoiding(3, 4)),
]
for _name, _fn, _ref, _torch_name, _spec in _UNARY:
    case(f"{_name}_fn", _fn, _ref, [_spec], getattr(torch, _torch_name) if torch else None)
    case(f"{_name}_method", lambda a, n=_name: getattr(a, n)(), _ref, [_spec],
         lambda a, n=_torch_name: getattr(a, n)())

case("round_decimals", lambda a: tg.round(a, decimals=1), lambda a: np.round(a, 1), [steps(3, 4, step=0.1, offset=0.0,
     jitter=0.02)], lambda a: torch.round(a, decimals=1))
case("nan_to_num_log", lambda a: tg.nan_to_num(a.log(), nan=-1.5), lambda a: np.nan_to_num(np.log(a), nan=-1.5),
     [avoiding(3, 4, margin=0.3)], lambda a: torch.nan_to_num(a.log(), nan=-1.5))
case("nan_to_num_method", lambda a: a.log().nan_to_num(posinf=1.0), lambda a: np.nan_to_num(np.log(a), posinf=1.0),
     [avoiding(3, 4, margin=0.3)], lambda a: a.log().nan_to_num(posinf=1.0))

# smooth binary functions, with broadcasting and numbers
case("atan2_bcast", tg.atan2, np.arctan2, [avoiding(3, 4, margin=0.3), (4,)], lambda a, b: torch.atan2(a, b))
case("atan2_method", lambda a, b: a.atan2(b), np.arctan2, [avoiding(3, 1, margin=0.3), (1, 4)],
     lambda a, b: a.atan2(b))
case("arctan2_alias", tg.arctan2, np.arctan2, [avoiding(3, 4, margin=0.3), ()], lambda a, b: torch.arctan2(a, b))
case("logaddexp_bcast", tg.logaddexp, np.logaddexp, [(3, 4), (4,)], lambda a, b: torch.logaddexp(a, b))
case("logaddexp_method_far", lambda a, b: a.logaddexp(b), np.logaddexp, [normal(3, 4, scale=30.0), ()],
     lambda a, b: a.logaddexp(b))
case("hypot_bcast", tg.hypot, np.hypot, [(3, 4), avoiding(3, 1)], lambda a, b: torch.hypot(a, b))
case("hypot_method", lambda a, b: a.hypot(b), np.hypot, [avoiding(3, 4), ()], lambda a, b: a.hypot(b))
case("xlogy_bcast", tg.xlogy, lambda x, y: x * np.log(y), [(3, 4), positive(4)], lambda x, y: torch.xlogy(x, y))
case("xlogy_method", lambda x, y: x.xlogy(y), lambda x, y: x * np.log(y), [(), positive(2, 3)],
     lambda x, y: x.xlogy(y))
case("lerp_tensor_weight", tg.lerp, lambda a, b, w: a + w * (b - a), [(3, 4), (4,), (3, 1)],
     lambda a, b, w: torch.lerp(a, b, w))
case("lerp_number_weight", lambda a, b: a.lerp(b, 0.3), lambda a, b: a + 0.3 * (b - a), [(3, 4), (3, 4)],
     lambda a, b: a.lerp(b, 0.3))
case("copysign_bcast", tg.copysign, np.copysign, [avoiding(3, 4), avoiding(4)], lambda a, b: torch.copysign(a, b))
case("copysign_number", lambda a: a.copysign(-1.0), lambda a: np.copysign(a, -1.0), [avoiding(3, 4)],
     lambda a: a.copysign(-1.0))

# division rounded, remainders: quotients stay 0.4 away from the jumps
case("div_floor", lambda a, b: tg.div(a, b, rounding_mode="floor"), np.floor_divide,
     [steps(3, 4, step=0.5), near(0.5, 4)], lambda a, b: torch.div(a, b, rounding_mode="floor"))
case("div_trunc", lambda a, b: a.div(b, rounding_mode="trunc"), lambda a, b: np.trunc(a / b),
     [steps(3, 4, step=-1.0), near(-2.0, 3, 1)], lambda a, b: a.div(b, rounding_mode="trunc"))
case("floor_divide_operator", lambda a, b: a // b, np.floor_divide, [steps(3, 4, step=0.5), near(-0.5)],
     lambda a, b: torch.div(a, b, rounding_mode="floor"))  # torch's // has no derivative; this is the same op
case("floor_divide_fn_number", lambda a: tg.floor_divide(a, 0.5), lambda a: np.floor_divide(a, 0.5),
     [steps(3, 4, step=0.5)], lambda a: torch.div(a, 0.5, rounding_mode="floor"))
case("floor_divide_reflected", lambda a: 1.75 // a, lambda a: 1.75 // a, [uniform(0.6, 0.65, 3, 4)],
     lambda a: torch.div(1.75, a, rounding_mode="floor"))
case("remainder_operator", lambda a, b: a % b, np.remainder, [steps(3, 4, step=0.5), near(0.5, 4)],
     lambda a, b: a % b)
case("remainder_negative_divisor", tg.remainder, np.remainder, [steps(3, 4, step=0.5), near(-0.5, 3, 1)],
     lambda a, b: torch.remainder(a, b))
case("remainder_reflected", lambda a: 1.75 % a, lambda a: np.remainder(1.75, a), [uniform(0.6, 0.65, 3, 4)],
     lambda a: torch.remainder(torch.tensor(1.75, dtype=a.dtype), a))  # torch: no derivative of number % tensor
case("fmod_bcast", tg.fmod, np.fmod, [steps(3, 4, step=0.5), near(-0.5, 4)], lambda a, b: torch.fmod(a, b))
case("fmod_method_number", lambda a: a.fmod(0.5), lambda a: np.fmod(a, 0.5), [steps(3, 4, step=0.5)],
     lambda a: a.fmod(0.5))

# clamp with tensor bounds: no ties between input, min and max (min > max in some places)
_lo_grid = off_grid
_hi_grid = lambda *shape: lambda rng: 0.5 * rng.integers(-4, 4, shape) + 0.375 + rng.uniform(-0.02, 0.02, shape)  # noqa: E731
case("clamp_tensor_bounds", tg.clamp, lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
     [on_grid(3, 4), _lo_grid(4), _hi_grid(3, 1)], lambda x, lo, hi: torch.clamp(x, lo, hi))
case("clamp_tensor_min", lambda x, lo: x.clamp(min=lo), np.maximum, [on_grid(3, 4), _lo_grid(3, 4)],
     lambda x, lo: x.clamp(min=lo))
case("clip_tensor_max", lambda x, hi: tg.clip(x, max=hi), np.minimum, [on_grid(3, 4), _hi_grid()],
     lambda x, hi: torch.clip(x, max=hi))


# ops without a gradient, covered here through the float ops they steer (their values are checked exactly
# in test_elementwise_vocab.py): mask(a, b) with the same methods in tinygrad_edu and torch
def _ints(t):
    """Whole numbers from a float tensor, in both libraries."""
    t = (t.detach() * 4).floor()
    return t.astype(np.int64) if isinstance(t, tg.Tensor) else t.long()


def _np_ints(a):
    return np.floor(a * 4).astype(np.int64)


_MASKS = {  # name: (mask of tensors, mask of arrays)
    "eq": (lambda a, b: a.floor().eq(b.floor()), lambda a, b: np.floor(a) == np.floor(b)),
    "ne": (lambda a, b: a.floor().ne(b.floor()), lambda a, b: np.floor(a) != np.floor(b)),
    "lt": (lambda a, b: a.lt(b), np.less),
    "le": (lambda a, b: a.le(b), np.less_equal),
    "gt": (lambda a, b: a.gt(b), np.greater),
    "ge": (lambda a, b: a.ge(b), np.greater_equal),
    "greater": (lambda a, b: a.greater(b), np.greater),
    "greater_equal": (lambda a, b: a.greater_equal(b), np.greater_equal),
    "less": (lambda a, b: a.less(b), np.less),
    "less_equal": (lambda a, b: a.less_equal(b), np.less_equal),
    "not_equal": (lambda a, b: a.floor().not_equal(b.floor()), lambda a, b: np.floor(a) != np.floor(b)),
    "isclose": (lambda a, b: a.isclose(b, rtol=0.0, atol=0.5), lambda a, b: np.abs(a - b) <= 0.5),
    "isnan": (lambda a, b: (a.log() + b).isnan(), lambda a, b: a < 0),
    "isinf": (lambda a, b: (a / (a > 0)).isinf(), lambda a, b: a <= 0),
    "isfinite": (lambda a, b: (a / (a > 0)).isfinite(), lambda a, b: a > 0),
    "isposinf": (lambda a, b: (b.sign() / (a > 0)).isposinf(), lambda a, b: (a <= 0) & (b > 0)),
    "isneginf": (lambda a, b: (b.sign() / (a > 0)).isneginf(), lambda a, b: (a <= 0) & (b < 0)),
    "bitwise_and": (lambda a, b: _ints(a).bitwise_and(_ints(b)) > 2, lambda a, b: (_np_ints(a) & _np_ints(b)) > 2),
    "bitwise_or": (lambda a, b: (_ints(a) | _ints(b)) > 0, lambda a, b: (_np_ints(a) | _np_ints(b)) > 0),
    "bitwise_xor": (lambda a, b: (_ints(a) ^ _ints(b)) > 0, lambda a, b: (_np_ints(a) ^ _np_ints(b)) > 0),
    "bitwise_not": (lambda a, b: _ints(a).bitwise_not() > _ints(b), lambda a, b: ~_np_ints(a) > _np_ints(b)),
    "bitwise_left_shift": (lambda a, b: (_ints(a) << 2) > _ints(b), lambda a, b: (_np_ints(a) << 2) > _np_ints(b)),
    "bitwise_right_shift": (lambda a, b: (_ints(a) >> 1) > _ints(b), lambda a, b: (_np_ints(a) >> 1) > _np_ints(b)),
    "logical_and": (lambda a, b: a.gt(0).logical_and(b), lambda a, b: (a > 0) & (b != 0)),
    "logical_or": (lambda a, b: a.gt(0).logical_or(b.floor()), lambda a, b: (a > 0) | (np.floor(b) != 0)),
    "logical_xor": (lambda a, b: a.floor().logical_xor(b.gt(0)), lambda a, b: (np.floor(a) != 0) ^ (b > 0)),
    "logical_not": (lambda a, b: a.floor().logical_not(), lambda a, b: np.floor(a) == 0),
}
for _name, (_mask, _np_mask) in _MASKS.items():
    case(f"{_name}_mask", lambda a, b, m=_mask: tg.where(m(a, b), a, b * 2),
         lambda a, b, m=_np_mask: np.where(m(a, b), a, b * 2), [on_grid(3, 4), off_grid(4)],
         lambda a, b, m=_mask: torch.where(m(a, b), a, b * 2))
case("allclose_scale", lambda a, b: a * (2.0 if tg.allclose(a, a + b * 1e-9) else 3.0), lambda a, b: a * 2.0,
     [(3, 4), (4,)], lambda a, b: a * (2.0 if torch.allclose(a, a + b * 1e-9) else 3.0))
case("equal_scale", lambda a, b: a * (2.0 if tg.equal(a, a * 1.0) else 3.0) + b, lambda a, b: a * 2.0 + b,
     [(3, 4), (4,)], lambda a, b: a * (2.0 if torch.equal(a, a * 1.0) else 3.0) + b)

COVERED_OPS.update(name for name, *_ in _UNARY)
COVERED_OPS.update(_MASKS)
COVERED_OPS.update({"atan2", "arctan2", "logaddexp", "hypot", "xlogy", "lerp", "copysign", "nan_to_num", "floor_divide",
                    "remainder", "fmod", "clip", "allclose", "equal"})

# fused-multiply helpers, one-sided clamps and add/sub with alpha (compositions)
case("addcmul", lambda a, b, c: tg.addcmul(a, b, c, value=0.5), lambda a, b, c: a + 0.5 * b * c, [(3, 4), (4,), (3, 1)],
     lambda a, b, c: torch.addcmul(a, b, c, value=0.5))
case("addcdiv", lambda a, b, c: a.addcdiv(b, c, value=-2), lambda a, b, c: a - 2 * b / c,
     [(3, 4), (3, 4), avoiding(3, 4, margin=0.4)], lambda a, b, c: torch.addcdiv(a, b, c, value=-2))
case("clamp_min", lambda a: a.clamp_min(0.25), lambda a: np.maximum(a, 0.25), [avoiding(3, 4, points=(0.25,))],
     lambda a: a.clamp_min(0.25))
case("clamp_max", lambda a: tg.clamp_max(a, -0.5), lambda a: np.minimum(a, -0.5), [avoiding(3, 4, points=(-0.5,))],
     lambda a: torch.clamp_max(a, -0.5))
case("add_alpha", lambda a, b: tg.add(a, b, alpha=3), lambda a, b: a + 3 * b, [(3, 4), (4,)],
     lambda a, b: torch.add(a, b, alpha=3))
case("sub_alpha", lambda a, b: a.sub(b, alpha=0.5), lambda a, b: a - 0.5 * b, [(3, 4), ()],
     lambda a, b: torch.sub(a, b, alpha=0.5))
COVERED_OPS.update({"addcmul", "addcdiv", "clamp_min", "clamp_max"})
