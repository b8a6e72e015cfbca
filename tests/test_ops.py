"""Every op of the table: forward against NumPy, first and second derivatives against finite differences,
and proof that the gradient checker itself catches wrong gradients."""

import math
import re
import warnings

import numpy as np
import pytest
from op_table import CASES, COVERED_OPS, FUSED_CASES, cases_with_prefix, outputs_list

import tinygrad_edu as tg

MULTI_INPUT = [c for c in CASES if len(c.inputs) > 1]
TWICE = [c for c in CASES if c.twice_differentiable]


def params(cases):
    return [pytest.param(c, id=c.name) for c in cases]


def tensors(arrays, requires_grad=True, dtype=None):
    return tuple(tg.Tensor(a if dtype is None else a.astype(dtype), requires_grad=requires_grad) for a in arrays)


# ------------------------------------------------------------------------------------------ table
NOT_IN_TABLE = {"argmax", "argmin"}  # integer results, checked in test_reduce_vocab.py


# functions with state or randomness, gradchecked in their own files instead of the table
TESTED_ELSEWHERE = {
    "dropout", "batch_norm", "layer_norm", "embedding", "one_hot",  # tests/test_functional.py
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",  # tests/test_losses.py
    "binary_cross_entropy_with_logits",
    "conv1d", "conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "dropout2d",  # test_conv
    "scaled_dot_product_attention",  # tests/test_attention.py
    "conv_transpose1d", "conv_transpose2d", "interpolate",  # tests/test_conv_transpose_interp.py
    "celu", "cosine_embedding_loss", "cosine_similarity", "elu", "group_norm", "hardshrink", "hardsigmoid",
    "hardswish", "hardtanh", "huber_loss", "kl_div", "logsigmoid", "margin_ranking_loss", "mish", "normalize",
    "pairwise_distance", "prelu", "relu6", "selu", "smooth_l1_loss", "softmin", "softshrink", "softsign",
    "tanhshrink", "threshold",  # tests/test_nn_vocab.py
}


def test_table_covers_every_op():
    exported = (set(tg.engine.ops.EXPORTS) | set(tg.nn.functional.__all__)) - NOT_IN_TABLE - TESTED_ELSEWHERE
    assert exported <= COVERED_OPS, f"ops missing from COVERED_OPS: {sorted(exported - COVERED_OPS)}"
    missing = sorted(op for op in COVERED_OPS if not cases_with_prefix(op))
    assert not missing, f"no table entry for {missing}"


def test_table_has_broadcasting_case_for_every_binary_op():
    for op in ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "where"]:
        shapes = [[c.make_inputs()[i].shape for i in range(len(c.inputs))] for c in cases_with_prefix(op)]
        assert any(len(set(s)) > 1 for s in shapes if len(s) > 1), op
        assert any(() in s for s in shapes if len(s) > 1), op


# ---------------------------------------------------------------------------------------- forward
@pytest.mark.parametrize("case", params(CASES))
def test_forward_float64_matches_numpy(case):
    arrays = case.make_inputs()
    expected = outputs_list(case.ref(*[a.copy() for a in arrays]))
    got = outputs_list(case.fn(*tensors(arrays)))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert isinstance(g, tg.Tensor)
        e = np.asarray(e)
        assert g.shape == e.shape
        assert g.dtype == (case.out_dtype or np.float64)
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-12, atol=1e-13)
    for a, x in zip(arrays, case.make_inputs()):
        np.testing.assert_array_equal(a, x)  # the op did not write into its inputs


@pytest.mark.parametrize("case", params(CASES))
def test_forward_float32_stays_float32(case):
    arrays = [a.astype(np.float32) for a in case.make_inputs()]
    expected = outputs_list(case.ref(*[a.astype(np.float64) for a in arrays]))
    got = outputs_list(case.fn(*tensors(arrays)))
    for g, e in zip(got, expected):
        assert g.dtype == (case.out_dtype or np.float32)
        np.testing.assert_allclose(g.numpy(), np.asarray(e), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_neither_overflows_nor_rounds_tiny_values_to_zero(dtype):
    x = np.array([-1e4, -745.0, -100.0, -88.0, -20.0, 0.0, 20.0, 100.0, 1e4, np.inf, -np.inf], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        got = tg.Tensor(x).sigmoid().numpy()
    exact = [math.exp(v) / (1 + math.exp(v)) if v < 0 else 1 / (1 + math.exp(-v)) for v in x[:-2].tolist()]
    assert got.dtype == dtype
    np.testing.assert_allclose(got, np.array(exact + [1.0, 0.0]).astype(dtype), rtol=1e-6,
                               atol=np.finfo(dtype).smallest_subnormal)  # a subnormal result holds few digits
    assert got[2] > 0 and np.isnan(tg.Tensor(np.array([np.nan], dtype)).sigmoid().item())


# -------------------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    assert tg.gradcheck(case.fn, tensors(case.make_inputs()), **case.gradcheck_kwargs) is True


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("case", params(MULTI_INPUT))
def test_gradcheck_one_input_requires_grad(case, which):
    arrays = case.make_inputs(seed=1)
    inputs = tuple(tg.Tensor(a, requires_grad=(i == which)) for i, a in enumerate(arrays))
    assert tg.gradcheck(case.fn, inputs, **case.gradcheck_kwargs) is True


@pytest.mark.parametrize("case", params(TWICE))
def test_gradgradcheck(case):
    assert tg.gradgradcheck(case.fn, tensors(case.make_inputs()), **case.gradcheck_kwargs) is True


# ------------------------------------------------------ fused primitives against their references
def test_fused_table_covers_every_reference():
    references = [name for name in tg.engine.ops.__all__ if name.endswith("_reference")]
    missing = [r for r in references if not any(c.name.startswith(r[:-len("reference")]) for c in FUSED_CASES)]
    assert not missing, f"no FUSED_CASES entry for {missing}"


@pytest.mark.parametrize("case", params(FUSED_CASES))
def test_fused_forward_equals_reference(case):
    fused, reference = case.fused(*tensors(case.make_inputs())), case.reference(*tensors(case.make_inputs()))
    assert fused.shape == reference.shape and fused.dtype == reference.dtype == np.float64
    np.testing.assert_allclose(fused.numpy(), reference.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", params(FUSED_CASES))
def test_fused_gradients_equal_reference(case):
    """The gradient of <G, f(inputs)> for a random upstream G, with respect to every input."""
    arrays = case.make_inputs()
    grads = []
    for fn in (case.fused, case.reference):
        inputs = tensors(arrays)
        out = fn(*inputs)
        upstream = tg.Tensor(np.random.default_rng(1).standard_normal(out.shape))
        grads.append(tg.grad(out, inputs, upstream))
    for i, (fused, reference) in enumerate(zip(*grads)):
        np.testing.assert_allclose(fused.numpy(), reference.numpy(), rtol=1e-12, atol=1e-12, err_msg=f"input {i}")


@pytest.mark.parametrize("case", params(FUSED_CASES))
def test_fused_gradcheck(case):
    assert tg.gradcheck(case.fused, tensors(case.make_inputs())) is True


@pytest.mark.parametrize("case", params(FUSED_CASES))
def test_fused_gradgradcheck(case):
    """Second derivatives of the fused op, or of its reference where the fused op is first-order only."""
    fn = case.fused if case.twice_differentiable else case.reference
    assert tg.gradgradcheck(fn, tensors(case.make_inputs())) is True


@pytest.mark.parametrize("case", params([c for c in FUSED_CASES if not c.twice_differentiable]))
def test_fused_first_order_only_refuses_a_differentiable_gradient(case):
    inputs = tensors(case.make_inputs())
    with pytest.raises(RuntimeError, match="the fused layer has no second derivative"):
        tg.grad(case.fused(*inputs).sum(), inputs, create_graph=True)


def test_astype_gradient_dtypes():
    x32 = tg.Tensor(np.array([0.5, -1.25, 2.0], dtype=np.float32), requires_grad=True)
    w = np.array([1.5, -2.0, 0.25])
    (x32.astype(np.float64) * tg.Tensor(w)).sum().backward()
    assert x32.grad.dtype == np.float32
    np.testing.assert_array_equal(x32.grad.numpy(), w.astype(np.float32))

    x64 = tg.Tensor(np.array([0.5, -1.25, 2.0]), requires_grad=True)
    (x64.float() * tg.Tensor(w.astype(np.float32))).sum().backward()
    assert x64.grad.dtype == np.float64
    np.testing.assert_array_equal(x64.grad.numpy(), w)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_indices_and_gradient(name):
    a = np.random.default_rng(3).permutation(24).reshape(2, 3, 4) * 0.5 - 5.0  # distinct values: no ties
    x = tg.Tensor(a, requires_grad=True)
    values, indices = getattr(x, name)(1)
    np_arg = np.argmax if name == "max" else np.argmin
    np.testing.assert_array_equal(indices.numpy(), np_arg(a, axis=1))
    np.testing.assert_array_equal(values.numpy(), (np.max if name == "max" else np.min)(a, axis=1))
    values.sum().backward()
    expected = np.zeros_like(a)
    np.put_along_axis(expected, np_arg(a, axis=1)[:, None, :], 1.0, axis=1)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


# ------------------------------------------------------------------ the checker is not vacuous
def wrong_square(x):
    """x^2 with the derivative 3x instead of 2x."""
    return tg.make_op("wrong_square", x.numpy() ** 2, (x,), lambda g, out: (g * x * 3,))


def wrong_mul(a, b):
    """a * b whose gradient for b is g * b instead of g * a (right for a)."""
    return tg.make_op("wrong_mul", a.numpy() * b.numpy(), (a, b), lambda g, out: (g * b, g * b))


def constant_backward_square(x):
    """x^2 with a right first derivative built from a NumPy constant, so its second derivative is lost."""
    return tg.make_op("const_square", x.numpy() ** 2, (x,), lambda g, out: (g * (2 * x.numpy()),))


ROW = re.compile(r"^\s*\((\d+(?:, \d+)*),?\)\s+(\S+)\s+(\S+)\s*$")


def mismatch_rows(message):
    """{element: (numerical, analytical)} from a GradcheckError message."""
    rows = {}
    for line in message.splitlines():
        m = ROW.match(line)
        if m:
            rows[tuple(int(n) for n in m.group(1).split(", "))] = (float(m.group(2)), float(m.group(3)))
    return rows


def test_gradcheck_catches_wrong_gradient_and_reports_values():
    a = np.array([[0.5, -1.0, 2.0], [1.5, -0.7, 0.9]])
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(wrong_square, (tg.Tensor(a, requires_grad=True),))
    message = str(info.value)
    assert "output 0" in message and "input 0" in message
    assert "numerical" in message and "analytical" in message
    rows = mismatch_rows(message)
    assert set(rows) == set(np.ndindex(a.shape))  # every element is wrong
    for numerical, analytical in rows.values():  # numerical = v * 2x, analytical = v * 3x for the same v
        assert analytical == pytest.approx(1.5 * numerical, rel=1e-4)


def test_gradcheck_names_the_wrong_input():
    a, b = np.array([1.0, 2.0, -3.0]), np.array([0.5, -4.0, 2.5])
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(wrong_mul, tensors([a, b]))
    message = str(info.value)
    assert "output 0 with respect to input 1" in message
    rows = mismatch_rows(message)
    assert set(rows) == {(0,), (1,), (2,)}
    for (j,), (numerical, analytical) in rows.items():  # numerical = v_j a_j, analytical = v_j b_j
        assert analytical / numerical == pytest.approx(b[j] / a[j], rel=1e-4)
    # input 0 alone is right, so checking only it passes
    assert tg.gradcheck(wrong_mul, (tg.Tensor(a, requires_grad=True), tg.Tensor(b)))


def test_gradcheck_names_the_wrong_output():
    x = tg.Tensor(np.array([0.3, -1.2]), requires_grad=True)
    with pytest.raises(tg.GradcheckError, match="output 1 with respect to input 0"):
        tg.gradcheck(lambda t: (t.sin(), wrong_square(t)), (x,))


def test_gradcheck_without_raising_returns_false():
    x = tg.Tensor(np.array([0.5, 1.0, -2.0]), requires_grad=True)
    assert tg.gradcheck(wrong_square, (x,), raise_exception=False) is False
    assert tg.gradgradcheck(constant_backward_square, (x,), raise_exception=False) is False
    assert tg.gradcheck(lambda t: t * t, (x,), raise_exception=False) is True


def test_gradgradcheck_catches_lost_second_derivative():
    x = tg.Tensor(np.array([0.5, 1.0, -2.0]), requires_grad=True)
    assert tg.gradcheck(constant_backward_square, (x,))  # the first derivative is right
    with pytest.raises(tg.GradcheckError):
        tg.gradgradcheck(constant_backward_square, (x,))


def test_gradcheck_warns_on_float32_input():
    x = tg.Tensor(np.array([0.5, 1.0], dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        tg.gradcheck(lambda t: t * 2.0, (x,), atol=1e-2, rtol=1e-2, eps=1e-2)


def test_gradcheck_float64_does_not_warn():
    x = tg.Tensor(np.array([0.5, 1.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tg.gradcheck(lambda t: t * 2.0, (x,))


def test_gradcheck_needs_an_input_requiring_grad():
    x = tg.Tensor(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="requires_grad"):
        tg.gradcheck(lambda t: t * 2.0, (x,))


def test_gradcheck_reports_wrong_gradient_of_0d_input():
    x = tg.Tensor(np.array(0.7), requires_grad=True)
    with pytest.raises(tg.GradcheckError, match="output 0 with respect to input 0"):
        tg.gradcheck(wrong_square, (x,))


def test_scaled_softmax_keeps_the_scores_dtype_whatever_the_mask():
    scores = tg.Tensor(np.zeros((2, 3), np.float32))
    for mask in (np.zeros((2, 3)), np.array([[0.0, -np.inf, 0.0], [-np.inf] * 3])):  # float64 masks
        assert tg.engine.ops.scaled_softmax(scores, 1.0, mask).dtype == np.float32
