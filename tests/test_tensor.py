"""Tensor creation and dtype rules, factories, the Tensor API, and the errors learners meet."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor


# ----------------------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([1, 2.5], np.float32), (3, np.int64), ([[1, 2]], np.int64),
    (True, np.bool_), (np.array([1.0, 2.0]), np.float64), (np.array([1, 2], dtype=np.int32), np.int32),
    (np.float64(2.0), np.float64), (np.zeros(2, dtype=np.float16), np.float16),
])
def test_creation_dtype_rules(data, dtype):
    t = Tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))


def test_creation_from_tensor_and_explicit_dtype():
    a = Tensor([1.0, 2.0])
    b = Tensor(a, dtype=tg.float64)
    assert b.dtype == np.float64 and a.dtype == np.float32
    np.testing.assert_array_equal(b.numpy(), [1.0, 2.0])


def test_creation_copies_numpy_data():
    arr = np.array([1.0, 2.0])
    t = Tensor(arr)
    arr[0] = 5.0
    assert t.numpy()[0] == 1.0


def test_python_scalars_keep_the_tensor_dtype():
    x32 = Tensor([1.0, 2.0])
    x64 = Tensor(np.array([1.0, 2.0]))
    for expr in (lambda x: x * 2.0, lambda x: 1 - x, lambda x: x / 3, lambda x: 2 ** x, lambda x: x + 1):
        assert expr(x32).dtype == np.float32
        assert expr(x64).dtype == np.float64


def test_requires_grad_only_for_floating_tensors():
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients, got dtype int64"):
        Tensor([1, 2], requires_grad=True)


def test_requires_grad_on_a_non_leaf_is_refused():
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for leaf tensors.*'mul'"):
        (x * 2).requires_grad_()


def test_astype_float_double_flow_gradients_back_in_the_original_dtype():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.float().dtype == np.float32
    assert x.to(tg.float64).dtype == np.float64 and x.astype(np.float64).dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


# -------------------------------------------------------------------------------------- factories
def test_factories_shapes_dtypes_and_values():
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros((2, 3)).dtype == np.float32
    np.testing.assert_array_equal(tg.ones([2]).numpy(), [1.0, 1.0])
    assert tg.full((2, 2), 7).dtype == np.int64 and tg.full((2,), 0.5).dtype == np.float32
    np.testing.assert_array_equal(tg.full((2,), 0.5).numpy(), [0.5, 0.5])
    np.testing.assert_array_equal(tg.arange(4).numpy(), [0, 1, 2, 3])
    assert tg.arange(4).dtype == np.int64 and tg.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_array_equal(tg.arange(1, 7, 2).numpy(), [1, 3, 5])
    np.testing.assert_array_equal(tg.eye(2, 3).numpy(), np.eye(2, 3))
    x = Tensor(np.ones((2, 3), dtype=np.float64))
    assert tg.zeros_like(x).dtype == np.float64 and tg.ones_like(x).shape == (2, 3)
    assert tg.randn(3, 4, dtype=tg.float64).dtype == np.float64
    assert tg.zeros(2, requires_grad=True).requires_grad


def test_manual_seed_makes_randomness_reproducible():
    tg.manual_seed(123)
    a, b = tg.randn(5), tg.rand(3)
    tg.manual_seed(123)
    np.testing.assert_array_equal(a.numpy(), tg.randn(5).numpy())
    np.testing.assert_array_equal(b.numpy(), tg.rand(3).numpy())
    assert np.all((b.numpy() >= 0) & (b.numpy() < 1))


def test_randn_statistics():
    tg.manual_seed(0)
    x = tg.randn(20000)
    assert abs(x.numpy().mean()) < 0.03 and abs(x.numpy().std() - 1) < 0.03


# ------------------------------------------------------------------------------------ Tensor API
def test_basic_properties():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.size() == (2, 3) and x.size(1) == 3 and x.numel() == 6
    assert len(x) == 2 and x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x.numpy() is x.numpy()
    np.testing.assert_array_equal(np.asarray(x), x.numpy())
    np.testing.assert_array_equal(x.T.numpy(), x.numpy().T)
    assert Tensor(2.5).item() == 2.5 and float(Tensor([3.0])) == 3.0


def test_item_and_bool_need_one_element():
    with pytest.raises(ValueError, match=r"one element, got shape \(2,\)"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    assert bool(Tensor([1.0]))


def test_detach_shares_data_and_cuts_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf
    z = x.detach()
    assert z.numpy() is x.numpy()


def test_repr():
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(Tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(Tensor(np.array([0.5])) * Tensor(np.array([2.0]), requires_grad=True)) == \
        "tensor([1.], dtype=tinygrad_edu.float64, grad_fn=<MulBackward0>)"


def test_comparisons_return_boolean_tensors_without_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [(x > 1.5, [False, True, True]), (x == 2.0, [False, True, False]),
                             (x <= 2, [True, True, False]), (x != 1.0, [False, True, True]),
                             (2.0 < x, [False, False, True]), (x >= x, [True, True, True])]:
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), expected)
    np.testing.assert_array_equal((~(x > 1.5)).numpy(), [True, False, False])
    np.testing.assert_array_equal(((x > 1.5) & (x < 2.5)).numpy(), [False, True, False])


def test_tensors_are_hashable_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a, b}) == 2 and {a: 1}[a] == 1


def test_numpy_array_on_the_left_of_an_operator():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_max_min_with_dim_return_values_and_indices():
    x = Tensor(np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 0.0]]), requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    assert indices.dtype == np.int64
    values.sum().backward()  # the gradient goes to the returned index only
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    low = x.min(0, keepdim=True)
    np.testing.assert_array_equal(low.values.numpy(), [[1.0, 2.0, 0.0]])
    np.testing.assert_array_equal(low.indices.numpy(), [[0, 1, 1]])


def test_max_without_dim_shares_the_gradient_between_ties():
    x = Tensor(np.array([1.0, 5.0, 5.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5])


def test_argmax_argmin():
    x = Tensor(np.array([[1.0, 9.0], [4.0, 3.0]]))
    assert x.argmax().item() == 1 and x.argmin().item() == 0
    np.testing.assert_array_equal(x.argmax(dim=0).numpy(), [1, 0])
    np.testing.assert_array_equal(x.argmin(dim=1, keepdim=True).numpy(), [[0], [1]])


def test_repeated_indices_accumulate_gradients():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x[Tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_boolean_mask_indexing_gradient():
    x = Tensor(np.array([[1.0, -2.0], [-3.0, 4.0]]), requires_grad=True)
    (x[x > 0] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0], [0.0, 2.0]])


def test_split_and_chunk_sizes_like_pytorch():
    x = Tensor(np.arange(10.0))
    assert [p.shape[0] for p in x.split(4)] == [4, 4, 2]
    assert [p.shape[0] for p in x.split([3, 7])] == [3, 7]
    assert [p.shape[0] for p in x.chunk(3)] == [4, 4, 2]
    assert [p.shape[0] for p in Tensor(np.arange(6.0)).chunk(4)] == [2, 2, 2]


def test_softmax_stable_for_huge_logits():
    x = Tensor(np.array([[1e4, 0.0, -1e4]]), requires_grad=True)
    np.testing.assert_allclose(x.softmax(-1).numpy(), [[1.0, 0.0, 0.0]])
    ls = x.log_softmax(-1)
    np.testing.assert_allclose(ls.numpy(), [[0.0, -1e4, -2e4]])
    ls[0, 1].backward()
    np.testing.assert_allclose(x.grad.numpy(), [[-1.0, 1.0, 0.0]])
    assert np.isfinite(x.logsumexp(-1).numpy()).all()


def test_gelu_exact_and_tanh_differ_and_erf_is_accurate():
    import math

    v = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(tg.erf(Tensor(v)).numpy(), [math.erf(a) for a in v], rtol=1e-14, atol=1e-16)
    exact = tg.gelu(Tensor(v)).numpy()
    np.testing.assert_allclose(exact, [a * 0.5 * (1 + math.erf(a / math.sqrt(2))) for a in v], rtol=1e-12, atol=1e-15)
    approx = tg.gelu(Tensor(v), approximate="tanh").numpy()
    assert 0 < np.max(np.abs(exact - approx)) < 1e-3
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        tg.gelu(Tensor(v), approximate="fast")


# ---------------------------------------------------------------------------------- bad input
def test_matmul_shape_mismatch():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied \(3 columns"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    with pytest.raises(RuntimeError, match=r"shapes \(3,\) and \(4,\) cannot be multiplied"):
        Tensor(np.ones(3)) @ Tensor(np.ones(4))
    with pytest.raises(RuntimeError, match="at least one dimension"):
        Tensor(2.0) @ Tensor(np.ones(2))


def test_matmul_batch_dimensions_not_broadcastable():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3, 4\) and \(5, 4, 2\) are not broadcastable"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2)))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
def test_non_broadcastable_operands(op):
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones(4))
    with pytest.raises(RuntimeError, match=rf"{op}: shapes \(2, 3\) and \(4,\) are not broadcastable"):
        getattr(tg, op)(a, b)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(2), lambda x: x.mean(-3), lambda x: x.max(5), lambda x: x.softmax(2),
    lambda x: x.var((0, 4)), lambda x: x.transpose(0, 2), lambda x: x.unsqueeze(4), lambda x: x.logsumexp(-3),
    lambda x: tg.cat([x, x], dim=2), lambda x: x.argmax(3),
])
def test_out_of_range_dim(call):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match=r"out of range for a tensor with \d dimensions \(expected a dim in \["):
        call(x)


def test_reshape_to_incompatible_size():
    with pytest.raises(RuntimeError, match=r"reshape: shape \(4, 2\) is invalid for a tensor of shape \(2, 3\) \(6"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


def test_other_clear_errors():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"permute: \(0, 0\) is not a permutation"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match=r"cannot broadcast shape \(2, 3\) to \(4, 3\)"):
        x.broadcast_to(4, 3)
    with pytest.raises(IndexError, match=r"shape \(2, 3\).*out of bounds"):
        x[5]
    with pytest.raises(RuntimeError, match="cat: shapes"):
        tg.cat([x, Tensor(np.ones((2, 4)))], dim=0)
    with pytest.raises(RuntimeError, match="stack: all tensors must have the same shape"):
        tg.stack([x, Tensor(np.ones((3, 2)))])
    with pytest.raises(TypeError, match="where: condition must be boolean"):
        tg.where(x, x, x)
    with pytest.raises(ValueError, match="split: sizes"):
        x.split([1, 1], dim=1)
    with pytest.raises(ValueError, match="pad: unknown mode 'mirror'"):
        tg.pad(x, (1, 1), mode="mirror")
    with pytest.raises(RuntimeError, match="clamp: at least one of 'min' or 'max'"):
        x.clamp()


def test_linear_shape_errors():
    x, w = Tensor(np.ones((5, 3))), Tensor(np.ones((4, 2)))
    with pytest.raises(RuntimeError, match=r"linear: input of shape \(5, 3\) does not fit a weight of shape \(4, 2\)"):
        tg.nn.functional.linear(x, w)
    with pytest.raises(RuntimeError, match=r"linear: bias of shape \(3,\) does not fit a weight of shape \(4, 3\)"):
        tg.nn.functional.linear(x, Tensor(np.ones((4, 3))), Tensor(np.ones(3)))
