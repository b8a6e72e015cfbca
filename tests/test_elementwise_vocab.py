"""Integer, bitwise, logical, rounding and comparison ops, and the edge cases of the elementwise family:
values, dtypes and errors (the op table in op_table_elementwise.py checks the float ops' gradients)."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg

INTS = np.array([[7, -7, 0, 5], [-3, 12, 1, -1]])
DIVISORS = np.array([2, -3, 5, -2])


def torch_or_skip():
    return pytest.importorskip("torch")


def assert_same(got, expected):
    """A tinygrad_edu tensor against a torch tensor: dtype names, shape and values (NaN equal to NaN)."""
    assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    assert got.shape == tuple(expected.shape)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


# ------------------------------------------------------------------------------ bitwise and logical
def test_and_on_an_int_tensor_is_bitwise_and_keeps_int64():
    x = tg.Tensor([0x1234, 0xFFFF, 7])
    got = x & 0x1337
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), [0x1234 & 0x1337, 0x1337, 7 & 0x1337])
    np.testing.assert_array_equal((0x1337 & x).numpy(), got.numpy())
    np.testing.assert_array_equal((x | 8).numpy(), [0x1234 | 8, 0xFFFF, 15])
    np.testing.assert_array_equal((x ^ x).numpy(), [0, 0, 0])


@pytest.mark.parametrize("op", ["&", "|", "^", "<<", ">>"])
def test_bitwise_operators_match_torch(op):
    torch = torch_or_skip()
    a, b = INTS, np.abs(DIVISORS)
    for x, y in [(a, b), (a, 3), (5, b)]:
        tx, ty = (tg.Tensor(v) if isinstance(v, np.ndarray) else v for v in (x, y))
        px, py = (torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in (x, y))
        assert_same(eval(f"tx {op} ty"), eval(f"px {op} py"))


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
                                  "bitwise_right_shift"])
def test_bitwise_functions_and_methods_match_torch(name):
    torch = torch_or_skip()
    got = getattr(tg, name)(tg.Tensor(INTS), tg.Tensor(np.abs(DIVISORS)))
    assert_same(got, getattr(torch, name)(torch.from_numpy(INTS), torch.from_numpy(np.abs(DIVISORS))))
    assert_same(getattr(tg.Tensor(INTS), name)(2), getattr(torch.from_numpy(INTS), name)(2))


def test_shifts_past_the_width_or_negative_match_torch():
    torch = torch_or_skip()
    x, s = np.array([5, -5, 5, -5, 1, -1]), np.array([64, 70, -1, -2, 63, 63])
    assert_same(tg.Tensor(x) << tg.Tensor(s), torch.from_numpy(x) << torch.from_numpy(s))
    assert_same(tg.Tensor(x) >> tg.Tensor(s), torch.from_numpy(x) >> torch.from_numpy(s))


def test_bitwise_on_bool_tensors_is_logical_and_stays_bool():
    torch = torch_or_skip()
    p, q = np.array([True, True, False, False]), np.array([True, False, True, False])
    for op in ["&", "|", "^"]:
        names = {"tg": tg, "torch": torch, "p": p, "q": q}
        assert_same(eval(f"tg.Tensor(p) {op} tg.Tensor(q)", names),
                    eval(f"torch.from_numpy(p) {op} torch.from_numpy(q)", names))
    assert_same(tg.Tensor(p) & True, torch.from_numpy(p) & True)
    assert_same(tg.Tensor(p) | 2, torch.from_numpy(p) | 2)  # bool with an int number: int64
    assert_same(tg.bitwise_not(tg.Tensor(p)), torch.bitwise_not(torch.from_numpy(p)))


def test_bitwise_not_and_invert_operator():
    np.testing.assert_array_equal(tg.bitwise_not(tg.Tensor([5, -1, 0])).numpy(), [-6, 0, -1])
    np.testing.assert_array_equal((~tg.Tensor([5, -1, 0])).numpy(), [-6, 0, -1])  # bitwise on ints, not logical
    np.testing.assert_array_equal((~tg.Tensor([True, False])).numpy(), [False, True])
    with pytest.raises(TypeError, match="float32"):
        ~tg.Tensor([1.0])


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
                                  "bitwise_right_shift"])
def test_bitwise_of_floats_is_refused_naming_op_and_dtype(name):
    with pytest.raises(NotImplementedError, match=f"{name}.*float32"):  # PyTorch's type, a RuntimeError
        getattr(tg, name)(tg.Tensor([1.0, 2.0]), 1)
    with pytest.raises(RuntimeError, match="float64"):
        getattr(tg, name)(tg.Tensor(np.array([3])), tg.Tensor(np.array([1.0])))
    with pytest.raises(NotImplementedError, match="bitwise_not.*float32"):
        tg.bitwise_not(tg.Tensor([1.0]))


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_ops_take_any_dtype_and_give_bool(name):
    torch = torch_or_skip()
    a, b = np.array([0.0, 2.5, -1.0, 0.0]), np.array([3, 0, 1, 0])
    assert_same(getattr(tg, name)(tg.Tensor(a), tg.Tensor(b)), getattr(torch, name)(torch.from_numpy(a),
                                                                                     torch.from_numpy(b)))
    assert_same(getattr(tg.Tensor(a), name)(tg.Tensor(b[:, None])), getattr(torch.from_numpy(a), name)(
        torch.from_numpy(b[:, None])))
    assert_same(tg.logical_not(tg.Tensor(a)), torch.logical_not(torch.from_numpy(a)))
    assert_same(tg.Tensor(b).logical_not(), torch.from_numpy(b).logical_not())


# ------------------------------------------------------------------ integer division and remainder
@pytest.mark.parametrize("expr", ["a // b", "a % b", "{m}.fmod(a, b)", "{m}.remainder(a, b)",
                                  "{m}.floor_divide(a, b)", "{m}.div(a, b, rounding_mode='floor')",
                                  "{m}.div(a, b, rounding_mode='trunc')", "a / b", "7 // b", "7 % b", "a // 2",
                                  "a % -3"])
@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_division_and_remainder_signs_and_dtypes_match_torch(expr, dtype):
    torch = torch_or_skip()
    a, b = INTS.astype(dtype), DIVISORS.astype(dtype)
    got = eval(expr.format(m="tg"), {"tg": tg, "a": tg.Tensor(a), "b": tg.Tensor(b)})
    expected = eval(expr.format(m="torch"), {"torch": torch, "a": torch.from_numpy(a), "b": torch.from_numpy(b)})
    assert_same(got, expected)


@pytest.mark.parametrize("expr", ["a // b", "a % b", "tg.fmod(a, b)", "tg.div(a, b, rounding_mode='trunc')",
                                  "tg.div(a, 0, rounding_mode='floor')", "5 % b"])
def test_integer_division_by_zero_raises_as_torch(expr):
    names = {"tg": tg, "a": tg.Tensor([4, 5]), "b": tg.Tensor([1, 0])}
    with pytest.raises(RuntimeError, match="ZeroDivisionError.*integer.*1 zero divisor"):
        eval(expr, names)


def test_float_division_by_zero_gives_inf_and_nan_as_torch():
    torch = torch_or_skip()
    a, b = np.array([5.0, -5.0, 0.0]), np.zeros(3)
    for expr in ["a // b", "a % b", "{m}.fmod(a, b)", "a / b"]:
        got = eval(expr.format(m="tg"), {"tg": tg, "a": tg.Tensor(a), "b": tg.Tensor(b)})
        expected = eval(expr.format(m="torch"), {"torch": torch, "a": torch.from_numpy(a), "b": torch.from_numpy(b)})
        assert_same(got, expected)


def test_int_true_division_gives_the_default_float():
    got = tg.Tensor([1, 2]) / tg.Tensor([2, 4])
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.numpy(), [0.5, 0.5])


def test_div_refuses_an_unknown_rounding_mode():
    with pytest.raises(RuntimeError, match="rounding_mode.*'round'"):
        tg.div(tg.Tensor([1.0]), 2.0, rounding_mode="round")


def test_rounded_division_has_zero_gradient_as_torch():
    x = tg.Tensor(np.array([1.3, -2.7]), requires_grad=True)
    (tg.div(x, 0.5, rounding_mode="floor") + x // 2.0 + tg.div(x, 3.0, rounding_mode="trunc")).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_remainder_gradients_match_torch():
    torch = torch_or_skip()
    a, b = np.array([5.3, -5.3, 2.2]), np.array([2.0, 2.0, -0.7])
    for name in ["remainder", "fmod"]:
        x, y = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
        getattr(tg, name)(x, y).sum().backward()
        px, py = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        getattr(torch, name)(px, py).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), px.grad.numpy())
        np.testing.assert_array_equal(y.grad.numpy(), py.grad.numpy())  # -floor / -trunc of the quotient


# ------------------------------------------------------------------------------------- rounding
@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_an_int_tensor_returns_it_unchanged(name):
    x = tg.Tensor([3, -4])
    got = getattr(tg, name)(x)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), [3, -4])
    with pytest.raises(NotImplementedError, match=f"{name}.*bool"):
        getattr(tg, name)(tg.Tensor([True]))


def test_round_halves_to_even_and_decimals_match_torch():
    torch = torch_or_skip()
    a = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 1.2345, 1234.5678])
    assert_same(tg.round(tg.Tensor(a)), torch.round(torch.from_numpy(a)))
    for d in [1, 2, 3, -1, -2]:
        np.testing.assert_allclose(tg.Tensor(a).round(decimals=d).numpy(), torch.from_numpy(a).round(decimals=d),
                                   rtol=1e-15)
    with pytest.raises(NotImplementedError, match="round.*int64"):
        tg.round(tg.Tensor([15]), decimals=-1)


def test_sign_frac_and_copysign_match_torch():
    torch = torch_or_skip()
    a = np.array([-2.5, -0.0, 0.0, 0.75, np.inf, -np.inf, np.nan])
    for name in ["sign", "sgn", "frac"]:
        assert_same(getattr(tg, name)(tg.Tensor(a)), getattr(torch, name)(torch.from_numpy(a)))
    np.testing.assert_array_equal(tg.sign(tg.Tensor([3, 0, -2])).numpy(), [1, 0, -1])
    assert_same(tg.sign(tg.Tensor([True, False])), torch.sign(torch.tensor([True, False])))
    assert_same(tg.copysign(tg.Tensor(a), -0.0), torch.copysign(torch.from_numpy(a), -0.0))
    assert_same(tg.copysign(tg.Tensor([1, 2]), -1), torch.copysign(torch.tensor([1, 2]), -1))  # ints: float32
    with pytest.raises(NotImplementedError, match="frac.*int64"):
        tg.frac(tg.Tensor([1]))


def test_step_functions_give_zero_gradients_not_none():
    x = tg.Tensor(np.array([1.5, -0.3, 0.0]), requires_grad=True)
    (x.floor() + x.ceil() + x.round() + x.trunc() + x.sign() + x.frac()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])  # frac's 1 only


def test_copysign_gradient_matches_torch_including_zero():
    torch = torch_or_skip()
    a, b = np.array([0.0, -1.0, 2.0, 3.0]), np.array([-1.0, 1.0, -0.0, 2.0])
    x, y = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    grads = tg.grad(tg.copysign(x, y).sum(), [x, y], allow_unused=True)
    px, py = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    expected = torch.autograd.grad(torch.copysign(px, py).sum(), [px, py])
    np.testing.assert_array_equal(grads[0].numpy(), expected[0].numpy())
    assert grads[1] is None or not grads[1].numpy().any()
    assert not expected[1].numpy().any()


# ------------------------------------------------------------------------- float functions of ints
@pytest.mark.parametrize("name", ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh", "rsqrt",
                                  "reciprocal", "log2", "log10", "log1p", "exp2", "expm1", "exp", "log", "sqrt",
                                  "sin", "cos", "tanh", "sigmoid", "erf"])
def test_float_function_of_an_int_tensor_gives_float32_as_torch(name):
    torch = torch_or_skip()
    x = np.array([0, 1, -1])
    got = getattr(tg, name)(tg.Tensor(x))
    expected = getattr(torch, name)(torch.from_numpy(x))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["atan2", "xlogy", "copysign"])
def test_float_binary_function_of_int_tensors_gives_float32_as_torch(name):
    torch = torch_or_skip()
    a, b = np.array([3, 0, -2]), np.array([4, 2, 1])
    got = getattr(tg, name)(tg.Tensor(a), tg.Tensor(b))
    expected = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


def test_square_keeps_ints():
    got = tg.square(tg.Tensor([3, -4]))
    assert got.dtype == np.int64 and got.tolist() == [9, 16]


# ----------------------------------------------------------------------------- special values
def test_xlogy_is_zero_where_x_is_zero_and_its_gradients_match_torch():
    torch = torch_or_skip()
    a, b = np.array([0.0, 0.0, 0.0, 2.0, 1.5]), np.array([0.0, np.nan, 3.0, 0.5, 2.0])
    x, y = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    out = tg.xlogy(x, y)
    px, py = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    expected = torch.xlogy(px, py)
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())  # 0, nan, 0, ...
    got = tg.grad(out.sum(), [x, y])
    want = torch.autograd.grad(expected.sum(), [px, py])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-15)


def test_nan_to_num_defaults_values_and_gradient_match_torch():
    torch = torch_or_skip()
    a = np.array([1.5, np.nan, np.inf, -np.inf], dtype=np.float32)
    for kwargs in [{}, {"nan": 2.0}, {"posinf": 1e3, "neginf": -7.0}]:
        assert_same(tg.nan_to_num(tg.Tensor(a), **kwargs), torch.nan_to_num(torch.from_numpy(a), **kwargs))
    x = tg.Tensor(a.astype(np.float64), requires_grad=True)
    x.nan_to_num().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 0.0, 0.0])


def test_logaddexp_and_hypot_do_not_overflow():
    np.testing.assert_allclose(tg.logaddexp(tg.Tensor([1000.0]), tg.Tensor([1000.0])).numpy(), [1000 + math.log(2)])
    np.testing.assert_allclose(tg.hypot(tg.Tensor([3e30]), tg.Tensor([4e30])).numpy(), [5e30], rtol=1e-6)


# ---------------------------------------------------------------------------------------- pow edges
def pow_grads(lib, a, b):
    if lib == "torch":
        import torch
        x, y = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        return [g.numpy() for g in torch.autograd.grad((x ** y).sum(), [x, y])]
    x, y = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    with np.errstate(divide="ignore"):
        out = (x ** y).sum()  # 0 ** -1 = inf
    with np.errstate(all="raise"):  # the backward's masked 0 * inf leaks no NumPy warning
        return [g.numpy() for g in tg.grad(out, [x, y])]


def test_pow_gradients_at_a_zero_base_or_exponent_match_torch():
    torch_or_skip()
    a, b = np.array([0.0, 0.0, 2.0, 0.0, 0.0, -1.5]), np.array([0.0, 2.0, 0.0, -1.0, 0.5, 0.0])
    got = pow_grads("tg", a, b)
    for g, e in zip(got, pow_grads("torch", a, b)):
        np.testing.assert_array_equal(g, e)
    assert got[1][1] == 0.0 and got[0][0] == 0.0  # d/db 0^2 = 0, not 0 * ln 0 = nan; d/da 0^0 = 0


def test_pow_of_a_number_base_at_zero_matches_torch():
    torch = torch_or_skip()
    b = np.array([0.0, 2.0, -1.0])
    for base in [0.0, 2.0]:
        y, py = tg.Tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
        np.testing.assert_array_equal(tg.grad((base ** y).sum(), y)[0].numpy(),
                                      torch.autograd.grad((base ** py).sum(), py)[0].numpy())


def test_pow_second_derivative_at_zero_exponent_is_finite():
    x = tg.Tensor(np.array([0.0, 1.5]), requires_grad=True)
    (g,) = tg.grad((x ** 0.0).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


# -------------------------------------------------------------------------------------- clamp
def test_clamp_with_tensor_bounds_matches_torch_at_ties_and_crossed_bounds():
    torch = torch_or_skip()
    a = np.array([0.0, 1.0, 2.0, 3.0, 1.5, 0.7])
    lo = np.array([0.5, 1.0, 0.5, 2.5, 2.0, 0.0])
    hi = np.array([1.0, 2.0, 2.0, 2.0, 1.0, 1.0])
    xs = [tg.Tensor(v, requires_grad=True) for v in (a, lo, hi)]
    ps = [torch.tensor(v, requires_grad=True) for v in (a, lo, hi)]
    out, expected = tg.clamp(*xs), torch.clamp(*ps)
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    for g, e in zip(tg.grad(out.sum(), xs), torch.autograd.grad(expected.sum(), ps)):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


def test_clamp_needs_a_bound_and_keeps_ints():
    with pytest.raises(RuntimeError, match="clamp: at least one of 'min' or 'max'"):
        tg.clamp(tg.Tensor([1.0]))
    got = tg.Tensor([-5, 0, 5]).clip(-1, 1)
    assert got.dtype == np.int64 and got.tolist() == [-1, 0, 1]


# -------------------------------------------------------------------------------- comparisons
def test_comparisons_with_numbers_and_broadcasting_match_torch():
    torch = torch_or_skip()
    a, b = np.array([[1.0, 2.0, 3.0]]), np.array([[2.0], [1.0]])
    for name in ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal"]:
        assert_same(getattr(tg, name)(tg.Tensor(a), tg.Tensor(b)), getattr(torch, name)(torch.from_numpy(a),
                                                                                          torch.from_numpy(b)))
        assert_same(getattr(tg.Tensor(a), name)(2), getattr(torch.from_numpy(a), name)(2))
    assert_same(2 < tg.Tensor(a), 2 < torch.from_numpy(a))
    assert_same(tg.Tensor([1, 2]) == 2.0, torch.tensor([1, 2]) == 2.0)


def test_isclose_allclose_equal_match_torch():
    torch = torch_or_skip()
    a = np.array([1.0, np.nan, np.inf, -np.inf, 1.0, 0.0])
    b = np.array([1.0 + 1e-6, np.nan, np.inf, np.inf, 1.1, 1e-9])
    for kwargs in [{}, {"equal_nan": True}, {"rtol": 0.2}, {"atol": 0.0}]:
        assert_same(tg.isclose(tg.Tensor(a), tg.Tensor(b), **kwargs),
                    torch.isclose(torch.from_numpy(a), torch.from_numpy(b), **kwargs))
    assert tg.allclose(tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, 2.0 + 1e-7])) is True
    assert tg.Tensor([1.0, 2.0]).allclose(tg.Tensor([1.0, 2.1])) is False
    assert tg.equal(tg.Tensor([1, 2]), tg.Tensor([1, 2])) is True
    assert tg.equal(tg.Tensor([1, 2]), tg.Tensor([[1, 2]])) is False  # same values, other shape
    assert tg.Tensor([1.0, np.nan]).equal(tg.Tensor([1.0, np.nan])) is False  # NaN equals nothing


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf"])
def test_special_value_tests_match_torch(name):
    torch = torch_or_skip()
    a = np.array([0.0, -1.5, np.nan, np.inf, -np.inf], dtype=np.float32)
    assert_same(getattr(tg, name)(tg.Tensor(a)), getattr(torch, name)(torch.from_numpy(a)))
    assert_same(getattr(tg.Tensor([1, 2]), name)(), getattr(torch.tensor([1, 2]), name)())


# -------------------------------------------------------------------------------------- where
def test_where_method_and_keyword_names():
    x = tg.Tensor([1.0, 2.0, 3.0])
    cond = tg.Tensor([True, False, True])
    np.testing.assert_array_equal(x.where(cond, 0.0).numpy(), [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(tg.where(cond, input=x, other=-x).numpy(), [1.0, -2.0, 3.0])
    with pytest.raises(TypeError, match="both input and other"):
        tg.where(cond, x)


@pytest.mark.skipif(not hasattr(tg.Tensor, "nonzero"), reason="Tensor.nonzero is not there yet")
def test_where_with_only_a_condition_lists_the_true_positions():
    mask = np.array([[True, False, True], [False, False, True]])
    rows, cols = tg.where(tg.Tensor(mask))
    np.testing.assert_array_equal(rows.numpy(), [0, 0, 1])
    np.testing.assert_array_equal(cols.numpy(), [0, 2, 2])
