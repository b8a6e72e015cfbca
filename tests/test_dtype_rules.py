"""PyTorch's dtype rules: type promotion over a grid of operands, the default dtype, dtype objects and
aliases, conversions. The grid is compared with PyTorch; the named rules are checked without it."""

import numpy as np
import pytest

import tinygrad_edu as tg

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def dname(d):
    """'float32' for tinygrad_edu.float32 and torch.float32 alike."""
    return str(d).split(".")[-1]


def T(m, data, **kw):
    return tg.Tensor(data, **kw) if m is tg else m.tensor(data, **kw)


# ------------------------------------------------------------------------------- the promotion grid
# an operand: ("tensor", dtype) with 3 elements, ("0-d", dtype), or ("number", python value)
DIM_VALUES = {"bool": [True, False, True], "float": [1.5, 2.0, 3.25], "int": [1, 2, 3]}
ZERO_D_VALUES = {"bool": True, "float": 2.5, "int": 2}
NUMBERS = [True, 3, 2.5]


def _kind(dtype):
    return "bool" if dtype == "bool" else "float" if dtype.startswith("float") else "int"


def make(m, operand):
    kind, what = operand
    if kind == "number":
        return what
    values = DIM_VALUES[_kind(what)] if kind == "tensor" else ZERO_D_VALUES[_kind(what)]
    return T(m, values, dtype=getattr(m, what))


OPERANDS = ([("tensor", d) for d in DTYPES] + [("0-d", d) for d in DTYPES] + [("number", v) for v in NUMBERS])


def _label(operand):
    kind, what = operand
    return f"{kind}:{what}" if kind != "number" else f"number:{what!r}"


BINARY = {  # name -> the expression
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "truediv": lambda m, a, b: a / b,
    "floordiv": lambda m, a, b: a // b,
    "pow": lambda m, a, b: a ** b,
    "eq": lambda m, a, b: a == b,
    "lt": lambda m, a, b: a < b,
    "ge": lambda m, a, b: a >= b,
    "maximum": lambda m, a, b: m.maximum(a, b),
    "where": lambda m, a, b: m.where(T(m, [True, False, False]), a, b),
}


def _run(m, op, left, right):
    try:
        out = BINARY[op](m, make(m, left), make(m, right))
    except Exception as e:  # noqa: BLE001  compared with PyTorch's outcome
        return ("raised", type(e).__name__, str(e))
    if not hasattr(out, "dtype"):
        return ("not a tensor", type(out).__name__)
    return (dname(out.dtype), np.array(out.numpy(), dtype=np.float64))


KIND_PAIRS = [(a, b) for a in ("tensor", "0-d", "number") for b in ("tensor", "0-d", "number")
              if (a, b) != ("number", "number")]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("kinds", KIND_PAIRS, ids=lambda k: f"{k[0]}-{k[1]}")
@pytest.mark.parametrize("op", list(BINARY))
def test_promotion_grid(op, kinds, torch):
    """``left <op> right`` for every dtype of either operand of these kinds: the result dtype is PyTorch's,
    the values agree, and where PyTorch refuses the operands we refuse them too."""
    problems = []
    for left in (o for o in OPERANDS if o[0] == kinds[0]):
        for right in (o for o in OPERANDS if o[0] == kinds[1]):
            ref = _run(torch, op, left, right)
            ours = _run(tg, op, left, right)
            where = f"{_label(left)} {op} {_label(right)}"
            if ref[0] == "raised":
                if op == "maximum" and "number" in kinds:  # we take numbers there (README: differences)
                    continue
                if ours[0] != "raised":
                    problems.append(f"{where}: torch raises {ref[1]} ({ref[2][:70]}), we give {ours[0]}")
                continue
            if ours[0] == "raised":
                problems.append(f"{where}: we raise {ours[1]} ({ours[2][:80]}), torch gives {ref[0]}")
            elif ours[0] != ref[0]:
                problems.append(f"{where}: we give {ours[0]}, torch {ref[0]}")
            elif ours[1].shape != ref[1].shape:
                problems.append(f"{where}: shape {ours[1].shape}, torch {ref[1].shape}")
            elif not np.allclose(ours[1], ref[1], rtol=2e-3, equal_nan=True):
                problems.append(f"{where}: values {ours[1]}, torch {ref[1]}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------- named rules
def test_int_tensor_times_float_is_float32():
    x = tg.Tensor([1, 2, 3])
    assert (x * 2.5).dtype == tg.float32 and (2.5 * x).dtype == tg.float32
    np.testing.assert_allclose((x * 2.5).numpy(), [2.5, 5.0, 7.5])
    assert (tg.Tensor([1, 2], dtype=tg.int32) * 2.5).dtype == tg.float32
    assert (tg.Tensor([1.0], dtype=tg.float16) * 2.5).dtype == tg.float16  # a number never widens a float
    assert (tg.Tensor([1.0], dtype=tg.float64) * 2.5).dtype == tg.float64
    assert (tg.Tensor([1, 2], dtype=tg.int32) + 5).dtype == tg.int32  # nor an int
    assert (tg.Tensor([1, 2], dtype=tg.uint8) + 300).dtype == tg.uint8


def test_int_division_is_true_division():
    a, b = tg.Tensor([7, -7, 9]), tg.Tensor([2, 2, 3])
    q = a / b
    assert q.dtype == tg.float32
    np.testing.assert_allclose(q.numpy(), [3.5, -3.5, 3.0])
    assert (a / 2).dtype == tg.float32 and (tg.Tensor([1, 2], dtype=tg.int16) / tg.Tensor(4)).dtype == tg.float32
    assert (tg.Tensor([True, False]) / tg.Tensor([True, True])).dtype == tg.float32
    f = a // b
    assert f.dtype == tg.int64
    np.testing.assert_array_equal(f.numpy(), [3, -4, 3])  # floor, as Python
    assert (tg.Tensor([7], dtype=tg.int32) // 2).dtype == tg.int32
    r = a % b
    assert r.dtype == tg.int64
    np.testing.assert_array_equal(r.numpy(), [1, 1, 0])


def test_int_power_stays_int():
    x = tg.Tensor([1, 2, 3], dtype=tg.int32)
    assert (x ** 2).dtype == tg.int32
    np.testing.assert_array_equal((x ** 2).numpy(), [1, 4, 9])
    assert (x ** 0.5).dtype == tg.float32
    assert (2 ** x).dtype == tg.int32
    np.testing.assert_array_equal((2 ** x).numpy(), [2, 4, 8])
    assert (tg.Tensor([2, 3]) ** tg.Tensor([3, 2])).dtype == tg.int64


def test_bool_tril_and_triu_stay_bool():
    m = tg.ones(3, 3, dtype=tg.bool)
    lower = m.tril()
    assert lower.dtype == tg.bool
    np.testing.assert_array_equal(lower.numpy(), np.tril(np.ones((3, 3), bool)))
    assert tg.tril(m, diagonal=-1).dtype == tg.bool and m.triu().dtype == tg.bool
    assert tg.Tensor([[1, 2], [3, 4]], dtype=tg.int32).tril().dtype == tg.int32


def test_comparisons_give_bool():
    x = tg.Tensor([1, 2, 3], dtype=tg.uint8)
    for r in (x < 2, x == 2.0, x >= tg.Tensor([3.0, 0.0, 3.0]), x != True, tg.Tensor([1.5]) > 1):  # noqa: E712
        assert r.dtype == tg.bool
    np.testing.assert_array_equal((x >= tg.Tensor([3.0, 0.0, 3.0])).numpy(), [False, True, True])


def test_default_dtype():
    assert tg.get_default_dtype() is tg.float32
    try:
        tg.set_default_dtype(tg.float64)
        assert tg.get_default_dtype() is tg.float64
        assert tg.Tensor([1.5, 2.0]).dtype == tg.float64 and tg.Tensor(1.5).dtype == tg.float64
        assert (tg.Tensor([1, 2]) / tg.Tensor([3, 4])).dtype == tg.float64
        assert (tg.Tensor([1, 2]) * 2.5).dtype == tg.float64
        assert (tg.Tensor([1.0], dtype=tg.float32) * 2.5).dtype == tg.float32  # a float tensor keeps its own
        assert tg.zeros(2).dtype == tg.float64 and tg.randn(2).dtype == tg.float64
        assert tg.Tensor([1, 2]).dtype == tg.int64  # ints are unaffected
        assert tg.Tensor([1, 2]).exp().dtype == tg.float64
    finally:
        tg.set_default_dtype(tg.float32)
    assert tg.get_default_dtype() is tg.float32 and tg.Tensor([1.5]).dtype == tg.float32
    with pytest.raises(TypeError):
        tg.set_default_dtype(tg.int64)
    assert tg.get_default_dtype() is tg.float32


def test_default_dtype_matches_torch(torch):
    def prog(m):
        return [dname(t.dtype) for t in (T(m, [1.5]), T(m, [1, 2]) / T(m, [3, 4]), T(m, [1, 2]) * 2.5,
                                         m.zeros(2), T(m, [1, 2]).exp(), T(m, [1.0], dtype=m.float32) * 2.5,
                                         T(m, [1, 2]).float() * T(m, 2.0, dtype=m.float64))]
    for default in ("float64", "float32"):
        got = []
        for m in (tg, torch):
            old = m.get_default_dtype()
            try:
                m.set_default_dtype(getattr(m, default))
                got.append(prog(m))
            finally:
                m.set_default_dtype(old)
        assert got[0] == got[1], f"default {default}: ours {got[0]}, torch {got[1]}"
    assert tg.get_default_dtype() is tg.float32


def test_dtype_objects_and_aliases():
    assert tg.float32 is tg.float and tg.float64 is tg.double and tg.float16 is tg.half
    assert tg.int64 is tg.long and tg.int32 is tg.int and tg.int16 is tg.short
    assert tg.bool.name == "bool" and tg.Tensor([True]).dtype is tg.bool
    for d, np_d in [(tg.uint8, np.uint8), (tg.int8, np.int8), (tg.int16, np.int16), (tg.float32, np.float32),
                    (tg.bool, np.bool_), (tg.float64, np.float64)]:
        assert d == np_d and d == np.dtype(np_d)
        assert np.zeros(1, dtype=d).dtype == np_d
    assert repr(tg.float32) == "tinygrad_edu.float32" and str(tg.int64) == "tinygrad_edu.int64"
    assert tg.float32 != tg.float64 and tg.int32 != tg.float32
    assert tg.float16.is_floating_point and tg.float64.is_floating_point
    assert not tg.int64.is_floating_point and not tg.bool.is_floating_point and not tg.uint8.is_floating_point
    assert [getattr(tg, d).itemsize for d in DTYPES] == [1, 1, 1, 2, 4, 8, 2, 4, 8]
    assert tg.int8.is_signed and not tg.uint8.is_signed and not tg.bool.is_signed
    assert {tg.float32: 1}[tg.float] == 1  # hashable, one object per type
    assert tg.Tensor([1.0]).dtype is tg.float32 and tg.Tensor([1.0]).dtype is tg.Tensor([2.0]).dtype


def test_dtype_properties_match_torch(torch):
    for name in DTYPES:
        ours, ref = getattr(tg, name), getattr(torch, name)
        assert ours.is_floating_point == ref.is_floating_point, name
        assert ours.itemsize == ref.itemsize, name
        assert ours.is_signed == ref.is_signed, name
    for alias in ("float", "double", "half", "long", "int", "short", "bool"):
        assert dname(getattr(tg, alias)) == dname(getattr(torch, alias)), alias


def test_tensor_is_floating_point():
    assert tg.Tensor([1.0]).is_floating_point() and tg.Tensor([1.0], dtype=tg.float16).is_floating_point()
    assert not tg.Tensor([1]).is_floating_point() and not tg.Tensor([True]).is_floating_point()


# ---------------------------------------------------------------------------------------- conversions
def test_type_and_conversion_methods():
    x = tg.Tensor([1.7, -2.2, 0.0])
    assert x.type() == "tinygrad_edu.FloatTensor"
    assert tg.Tensor([1]).type() == "tinygrad_edu.LongTensor" and tg.Tensor([True]).type() == "tinygrad_edu.BoolTensor"
    d = x.type(tg.float64)
    assert d.dtype == tg.float64
    np.testing.assert_allclose(d.numpy(), [1.7, -2.2, 0.0], rtol=1e-6)
    conversions = {"int": (tg.int32, [1, -2, 0]), "long": (tg.int64, [1, -2, 0]),
                   "bool": (tg.bool, [True, True, False]), "half": (tg.float16, [1.7, -2.2, 0.0]),
                   "float": (tg.float32, [1.7, -2.2, 0.0]), "double": (tg.float64, [1.7, -2.2, 0.0]),
                   "short": (tg.int16, [1, -2, 0]), "char": (tg.int8, [1, -2, 0])}
    for method, (dtype, values) in conversions.items():
        out = getattr(x, method)()
        assert out.dtype == dtype, method
        np.testing.assert_allclose(out.numpy().astype(np.float64), values, rtol=1e-3, err_msg=method)
    assert x.float() is x and x.to(tg.float32) is x  # nothing to convert: the same tensor
    assert x.to(tg.float64).dtype == tg.float64 and x.to(tg.Tensor([1])).dtype == tg.int64
    assert x.to("cpu") is x
    y = x.to("cpu", tg.float64)
    assert y.dtype == tg.float64 and y.shape == (3,)
    assert x.to(dtype=tg.int16).dtype == tg.int16 and x.to("cpu", dtype=tg.float16).dtype == tg.float16
    c = x.to(tg.float32, copy=True)
    assert c is not x
    np.testing.assert_array_equal(c.numpy(), x.numpy())


def test_type_with_a_type_name():
    """``x.type('torch.DoubleTensor')`` in PyTorch; here the prefix is the package's name."""
    x = tg.Tensor([1.5, -2.0])
    assert x.type("tinygrad_edu.DoubleTensor").dtype == tg.float64
    assert x.type("tinygrad_edu.IntTensor").tolist() == [1, -2]


def test_conversions_match_torch(torch):
    def prog(m):
        x = T(m, [1.7, -2.2, 0.0, 300.0])
        outs = [x.int(), x.long(), x.bool(), x.half(), x.float(), x.double(), x.short(), x.byte()[:3],
                x.to(m.float64), x.to(T(m, [1])), x.to("cpu"), x.to("cpu", m.float64), x.type(m.float64),
                T(m, [True, False]).float(), T(m, [3, 0]).bool(), T(m, [-1, 2]).double()]
        return [(dname(o.dtype), np.array(o.numpy(), dtype=np.float64).round(2).tolist()) for o in outs]
    assert prog(tg) == prog(torch)


def test_type_names_match_torch(torch):
    for name in DTYPES:
        ours = tg.zeros(1, dtype=getattr(tg, name)).type()
        ref = torch.zeros(1, dtype=getattr(torch, name)).type()
        assert ours.split(".")[-1] == ref.split(".")[-1], name


def test_conversion_gradient_comes_back_in_source_dtype():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (x.double() * tg.Tensor(np.array([3.0, 4.0]))).sum().backward()
    assert x.grad.dtype == tg.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_view_as_another_dtype_reinterprets_bits():
    x = tg.Tensor([1.0, -2.0], dtype=tg.float32)
    bits = x.view(tg.int32)
    assert bits.dtype == tg.int32 and bits.shape == (2,)
    assert bits.tolist() == [0x3F800000, np.array(-2.0, np.float32).view(np.int32).item()]
    back = bits.view(tg.float32)
    np.testing.assert_array_equal(back.numpy(), [1.0, -2.0])
    h = tg.Tensor([1.0], dtype=tg.float16).view(tg.int16)
    assert h.dtype == tg.int16 and h.item() == 0x3C00
    u = tg.Tensor([-1], dtype=tg.int8).view(tg.uint8)
    assert u.item() == 255
    with pytest.raises(RuntimeError):
        x.view(tg.float64)


def test_view_dtype_shares_memory_like_torch(torch):
    def prog(m):
        x = T(m, [1.0, -2.0])
        bits = x.view(m.int32)
        bits[0] = 0
        return x.tolist(), dname(bits.dtype)
    assert prog(tg) == prog(torch)


def test_promote_types_and_result_type():
    assert tg.promote_types(tg.int32, tg.float16) is tg.float16
    assert tg.promote_types(tg.uint8, tg.int8) is tg.int16
    assert tg.promote_types(tg.bool, tg.uint8) is tg.uint8
    assert tg.promote_types(tg.int64, tg.float32) is tg.float32
    assert tg.promote_types(tg.float16, tg.float64) is tg.float64
    x = tg.Tensor([1, 2], dtype=tg.int32)
    assert tg.result_type(x, 2) is tg.int32 and tg.result_type(x, 2.0) is tg.float32
    assert tg.result_type(x, tg.Tensor(5)) is tg.int32  # a 0-d tensor of the same category does not widen
    assert tg.result_type(x, tg.Tensor(1.5, dtype=tg.float64)) is tg.float64  # a higher category wins
    assert tg.result_type(tg.Tensor([1.0], dtype=tg.float16), tg.Tensor(1.0, dtype=tg.float64)) is tg.float16
    assert tg.result_type(tg.Tensor([True]), True) is tg.bool and tg.result_type(tg.Tensor([True]), 1) is tg.int64


def test_promote_types_match_torch(torch):
    for a in DTYPES:
        for b in DTYPES:
            ours = tg.promote_types(getattr(tg, a), getattr(tg, b))
            assert dname(ours) == dname(torch.promote_types(getattr(torch, a), getattr(torch, b))), (a, b)


def test_result_type_matches_torch(torch):
    for left in OPERANDS:
        for right in OPERANDS:
            if left[0] == "number" and right[0] == "number" or left[0] == "number":
                continue
            ours = tg.result_type(make(tg, left), make(tg, right))
            ref = torch.result_type(make(torch, left), make(torch, right))
            assert dname(ours) == dname(ref), (left, right)


def test_finfo_iinfo():
    assert tg.finfo(tg.float32).eps == np.finfo(np.float32).eps
    assert float(tg.finfo(tg.float32).eps) == 2.0 ** -23
    assert float(tg.finfo(tg.float64).eps) == 2.0 ** -52 and float(tg.finfo(tg.float16).eps) == 2.0 ** -10
    assert float(tg.finfo().eps) == 2.0 ** -23  # the default dtype's
    assert float(tg.finfo(tg.float32).max) == float(np.finfo(np.float32).max)
    assert tg.iinfo(tg.int8).max == 127 and tg.iinfo(tg.uint8).min == 0 and tg.iinfo(tg.int64).bits == 64


def test_finfo_matches_torch(torch):
    for name in ("float16", "float32", "float64"):
        ours, ref = tg.finfo(getattr(tg, name)), torch.finfo(getattr(torch, name))
        for field in ("eps", "max", "min", "tiny", "bits"):
            assert float(getattr(ours, field)) == float(getattr(ref, field)), (name, field)


# ------------------------------------------------------------------------------------ tensor creation
def test_tensor_function_infers_dtypes():
    assert tg.tensor([1, 2]).dtype == tg.int64
    assert tg.tensor([1.0, 2.0]).dtype == tg.float32
    assert tg.tensor([True]).dtype == tg.bool and tg.tensor([1, 2.5]).dtype == tg.float32


def test_constructor_dtypes():
    assert tg.Tensor([1, 2]).dtype == tg.int64
    assert tg.Tensor([1.0, 2.0]).dtype == tg.float32 and tg.Tensor([1, 2.5]).dtype == tg.float32
    assert tg.Tensor([True, False]).dtype == tg.bool and tg.Tensor(3).dtype == tg.int64
    assert tg.Tensor(np.array([1.0, 2.0])).dtype == tg.float64  # a NumPy array keeps its dtype
    assert tg.Tensor(np.array([1, 2], dtype=np.int32)).dtype == tg.int32
    assert tg.Tensor(np.float64(1.5)).dtype == tg.float64
    assert tg.Tensor([1, 2], dtype=tg.float16).dtype == tg.float16
    assert tg.Tensor([1.9, -1.9], dtype=tg.int64).tolist() == [1, -1]


def test_factory_dtypes_match_torch(torch):
    def prog(m):
        return [dname(t.dtype) for t in (
            T(m, [1, 2]), T(m, [1.0, 2.0]), T(m, [1, 2.5]), T(m, [True]), T(m, 3), T(m, 3.0),
            m.zeros(2), m.ones(2, dtype=m.int32), m.arange(3), m.arange(3.0), m.arange(0, 1, 0.5),
            m.full((2,), 7), m.full((2,), 7.0), m.full((2,), True), m.zeros_like(T(m, [1, 2])), m.eye(2),
            m.randn(2), m.rand(2), m.ones_like(T(m, [1.0]), dtype=m.float64))]
    assert prog(tg) == prog(torch)


# ------------------------------------------------------------------------------ ops on integer inputs
UNARY_FLOAT = ["exp", "sqrt", "sin", "cos", "log", "sigmoid", "tanh", "reciprocal", "rsqrt", "log1p", "expm1",
               "erf", "atan", "log2"]


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.parametrize("op", UNARY_FLOAT)
def test_float_ops_on_int_tensors_give_float32(op):
    for dtype in (tg.int64, tg.int32, tg.uint8, tg.bool):
        x = tg.Tensor([1, 2, 3], dtype=dtype) if dtype is not tg.bool else tg.Tensor([True, False, True])
        out = getattr(x, op)()
        assert out.dtype == tg.float32, (op, dtype)
        expected = getattr(tg.Tensor(x.numpy().astype(np.float32)), op)()
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


def _outcome(fn, x):
    try:
        out = fn(x)
    except Exception as e:  # noqa: BLE001  compared with PyTorch's outcome
        return ("raised", type(e).__name__)
    return (dname(out.dtype), np.array(out.numpy(), np.float64))


def _compare(what, ours, ref, problems):
    """Both raise, or both give the same dtype and values (to float16's precision)."""
    if ref[0] == "raised" or ours[0] == "raised":
        if ours[0] != ref[0]:
            problems.append(f"{what}: ours {ours}, torch {ref}")
    elif ours[0] != ref[0] or ours[1].shape != ref[1].shape or not np.allclose(ours[1], ref[1], rtol=2e-3):
        problems.append(f"{what}: ours {ours}, torch {ref}")


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.parametrize("op", UNARY_FLOAT + ["neg", "abs", "floor", "round", "square", "relu", "sign"])
def test_unary_dtypes_match_torch(op, torch):
    """Result dtype and values for each input dtype; where PyTorch refuses a dtype, we refuse it too."""
    problems = []
    for name in DTYPES:
        ours, ref = (_outcome(lambda x: getattr(x, op)(), T(m, DIM_VALUES[_kind(name)], dtype=getattr(m, name)))
                     for m in (tg, torch))
        _compare(f"{op} on {name}", ours, ref, problems)
    assert not problems, "\n".join(problems)


def test_sum_of_bool_and_small_ints_is_int64():
    assert tg.Tensor([True, True, False]).sum().dtype == tg.int64
    assert tg.Tensor([True, True, False]).sum().item() == 2
    for d in (tg.int32, tg.int16, tg.int8, tg.uint8):
        s = tg.Tensor([100, 100, 100], dtype=d).sum()
        assert s.dtype == tg.int64 and s.item() == 300, d
    assert tg.Tensor([1.0], dtype=tg.float16).sum().dtype == tg.float16
    assert tg.Tensor([[1, 2], [3, 4]], dtype=tg.int32).sum(0).dtype == tg.int64
    assert tg.Tensor([1, 2], dtype=tg.int32).cumsum(0).dtype == tg.int64
    assert tg.Tensor([2, 3], dtype=tg.int32).prod().dtype == tg.int64


def test_reduction_dtypes_match_torch(torch):
    problems = []
    ops = {"sum": lambda x: x.sum(), "sum dim": lambda x: x.sum(0), "prod": lambda x: x.prod(),
           "cumsum": lambda x: x.cumsum(0), "max": lambda x: x.max(), "amax": lambda x: x.amax(0),
           "argmax": lambda x: x.argmax(), "mean": lambda x: x.mean(), "any": lambda x: x.any(),
           "all": lambda x: x.all()}
    for name in DTYPES:
        for op, fn in ops.items():
            ours, ref = (_outcome(fn, T(m, DIM_VALUES[_kind(name)], dtype=getattr(m, name))) for m in (tg, torch))
            _compare(f"{op} on {name}", ours, ref, problems)
    assert not problems, "\n".join(problems)


def test_mean_of_an_int_tensor_raises():
    with pytest.raises(RuntimeError, match="dtype"):
        tg.Tensor([1, 2, 3]).mean()
    with pytest.raises(RuntimeError, match="dtype"):
        tg.Tensor([True, False]).mean()
    assert tg.Tensor([1, 2, 3]).float().mean().item() == 2.0
    assert tg.Tensor([1, 2, 3]).mean(dtype=tg.float64).item() == 2.0
