"""The movement ops of PyTorch's vocabulary beyond the op table: integer and boolean results, index errors
(type and message naming the index and the size), PyTorch's indexing order, padding errors and edge shapes."""

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg

X34 = np.arange(12.0).reshape(3, 4)


def x34(requires_grad=False):
    return tg.Tensor(X34.copy(), requires_grad=requires_grad)


# --------------------------------------------------------------------------------------- index errors
@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.gather(1, tg.Tensor(np.array([[5]]))), RuntimeError,
     "index 5 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.gather(1, np.array([[-1]])), RuntimeError, "index -1 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.scatter(0, np.array([[3]]), 1.0), RuntimeError,
     "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.scatter_add(1, np.array([[7]]), tg.Tensor(np.ones((1, 1)))), RuntimeError,
     "index 7 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.scatter_reduce(1, np.array([[4]]), tg.Tensor(np.ones((1, 1))), "amax"), RuntimeError,
     "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.index_select(0, np.array([0, 5])), IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.index_select(0, np.array([-1])), IndexError, "index -1 is out of bounds for dimension 0 with size 3"),
    (lambda x: tg.take_along_dim(x, np.array([[4]]), 1), RuntimeError,
     "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda x: tg.take(x, np.array([12])), IndexError, "index 12 is out of bounds for dimension 0 with size 12"),
    (lambda x: x.index_add(0, np.array([5]), tg.Tensor(np.ones((1, 4)))), RuntimeError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.index_copy(0, np.array([5]), tg.Tensor(np.ones((1, 4)))), IndexError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.index_fill(1, np.array([-5]), 0.0), IndexError,
     "index -5 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.select(0, 3), IndexError, r"index 3 out of range for tensor of size \[3, 4\] at dimension 0"),
    (lambda x: x[np.array([0, 3])], IndexError, r"shape \(3, 4\).*index 3 is out of bounds"),
])
def test_out_of_range_indices_raise_pytorchs_error_naming_index_and_size(call, error, message):
    x = x34()
    with pytest.raises(error, match=message):
        call(x)
    np.testing.assert_array_equal(x.numpy(), X34)  # nothing changed


def test_out_of_range_error_types_match_pytorch():
    torch = pytest.importorskip("torch")
    x, tx = x34(), torch.tensor(X34)
    checks = [
        (lambda: x.gather(1, np.array([[5]])), lambda: tx.gather(1, torch.tensor([[5]]))),
        (lambda: x.scatter_add(1, np.array([[5]]), tg.Tensor(np.ones((1, 1)))),
         lambda: tx.scatter_add(1, torch.tensor([[5]]), torch.ones(1, 1, dtype=torch.float64))),
        (lambda: x.index_select(0, np.array([5])), lambda: tx.index_select(0, torch.tensor([5]))),
        (lambda: x.index_add(0, np.array([5]), tg.Tensor(np.ones((1, 4)))),
         lambda: tx.index_add(0, torch.tensor([5]), torch.ones(1, 4, dtype=torch.float64))),
        (lambda: x.index_fill(0, np.array([5]), 1.0), lambda: tx.index_fill(0, torch.tensor([5]), 1.0)),
        (lambda: tg.take(x, np.array([15])), lambda: torch.take(tx, torch.tensor([15]))),
        (lambda: x.select(0, 5), lambda: tx.select(0, 5)),
        (lambda: x[5], lambda: tx[5]),
    ]
    for ours, theirs in checks:
        with pytest.raises(Exception) as expected:
            theirs()
        with pytest.raises(expected.type):
            ours()


def test_index_must_be_integer_and_shapes_must_fit():
    x = x34()
    with pytest.raises(RuntimeError, match="expected an integer"):
        x.gather(1, tg.Tensor(np.array([[1.0]])))
    with pytest.raises(RuntimeError, match=r"index \(1, 5\) must be no larger than the input \(3, 4\) apart from dim"):
        x.gather(0, np.zeros((1, 5), dtype=np.int64))
    with pytest.raises(RuntimeError, match="as many dimensions"):
        x.gather(1, np.array([1]))
    with pytest.raises(RuntimeError, match=r"nor than src \(1, 1\)"):
        x.scatter_add(1, np.array([[1, 2]]), tg.Tensor(np.ones((1, 1))))
    with pytest.raises(RuntimeError, match="expected self.dtype to be equal to src.dtype"):
        x.scatter(1, np.array([[1]]), tg.Tensor(np.ones((1, 1), dtype=np.float32)))
    with pytest.raises(IndexError, match="supposed to be a vector"):
        x.index_select(0, np.array([[0]]))
    with pytest.raises(RuntimeError, match="reduce must be one of"):
        x.scatter_reduce(1, np.array([[1]]), tg.Tensor(np.ones((1, 1))), "max")


def test_negative_indices_wrap_where_pytorch_allows_them():
    x = x34()
    np.testing.assert_array_equal(tg.take(x, np.array([-1, -12])).numpy(), [11.0, 0.0])
    np.testing.assert_array_equal(tg.take_along_dim(x, np.array([[-1], [-4], [1]]), 1).numpy(), [[3.0], [4.0], [9.0]])
    np.testing.assert_array_equal(x.index_fill(0, np.array([-1]), 0.0).numpy()[2], [0.0] * 4)
    np.testing.assert_array_equal(x.select(1, -1).numpy(), [3.0, 7.0, 11.0])


# ------------------------------------------------------------------------ PyTorch's indexing order
INDEXES = [
    lambda i: (0, slice(None), slice(None), i),
    lambda i: (slice(None), i, slice(None), 1),
    lambda i: (slice(None), 0, slice(None), i),
    lambda i: (i, slice(None), 0),
    lambda i: (i, 0, i),
    lambda i: (1, Ellipsis, i),
    lambda i: (None, 0, slice(1, None), i, 2),
    lambda i: (i, slice(None), i),
    lambda i: (slice(None), np.array([True, False, True]), slice(None), 0),
]


@pytest.mark.parametrize("make", INDEXES)
def test_ints_and_index_arrays_give_pytorchs_shape_values_and_gradient(make):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    i = np.array([1, 0, 1])
    x = tg.Tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    out = x[make(i)]
    tout = tx[tuple(torch.from_numpy(p) if isinstance(p, np.ndarray) else p for p in make(i))]
    assert out.shape == tuple(tout.shape)
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(tg.Tensor(g))
    tout.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_int_and_array_separated_by_slice_differs_from_numpy():
    a = np.arange(120.0).reshape(2, 3, 4, 5)
    got = tg.Tensor(a)[0, :, :, [1, 0]]
    assert got.shape == (3, 4, 2)  # NumPy's a[0, :, :, [1, 0]] is (2, 3, 4)
    np.testing.assert_array_equal(got.numpy(), a[0][:, :, [1, 0]])
    assert tg.Tensor(a)[tg.Tensor(np.array(1)), :, :, tg.Tensor(np.array([2]))].shape == (3, 4, 1)


def test_mixed_index_second_derivative():
    x = tg.Tensor(np.random.default_rng(2).standard_normal((2, 3, 4)), requires_grad=True)
    assert tg.gradgradcheck(lambda t: t[1, :, [0, 0, 3]] ** 2, (x,))


def test_boolean_masks_and_tensor_indices_still_work():
    x = x34(requires_grad=True)
    mask = X34 > 6
    x[tg.Tensor(mask)].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), mask.astype(float))
    np.testing.assert_array_equal(x34()[tg.Tensor(np.array([2, 2]))].numpy(), X34[[2, 2]])


# ---------------------------------------------------------------------------------- integer tensors
def test_integer_tensors_keep_their_dtype():
    a = tg.Tensor(np.arange(12).reshape(3, 4))
    assert a.repeat(2, 1).dtype == np.int64 and a.flip(0).dtype == np.int64
    np.testing.assert_array_equal(a.roll(1, 0).numpy(), np.roll(np.arange(12).reshape(3, 4), 1, 0))
    np.testing.assert_array_equal(tg.diag(tg.Tensor([1, 2])).numpy(), [[1, 0], [0, 2]])
    assert tg.diag(tg.Tensor([1, 2])).dtype == np.int64
    got = a.scatter_reduce(1, np.array([[0, 0], [1, 1], [2, 3]]), tg.Tensor(np.full((3, 2), -3)), "mean")
    np.testing.assert_array_equal(got.numpy(), [[-2, 1, 2, 3], [4, -1, 6, 7], [8, 9, 3, 4]])  # floor, as PyTorch
    assert got.dtype == np.int64
    amax = a.scatter_reduce(1, np.array([[1]]), tg.Tensor(np.array([[-5]])), "amax", include_self=False)
    np.testing.assert_array_equal(amax.numpy()[0], [0, -5, 2, 3])
    np.testing.assert_array_equal(a.scatter(1, np.array([[0]]), 7).numpy()[0], [7, 1, 2, 3])


def test_repeat_interleave_of_counts_alone_gives_indices():
    got = tg.repeat_interleave(tg.Tensor([2, 0, 3]))
    np.testing.assert_array_equal(got.numpy(), [0, 0, 2, 2, 2])
    assert got.dtype == np.int64
    with pytest.raises(RuntimeError, match="one count or one per element"):
        tg.repeat_interleave(x34(), tg.Tensor([1, 2]), dim=0)
    with pytest.raises(RuntimeError, match="can not be negative"):
        tg.repeat_interleave(x34(), -1)


# ------------------------------------------------------------------------------ scatter gradients
def test_scatter_src_larger_than_index_gets_zero_gradient_where_unread():
    x = x34(requires_grad=True)
    src = tg.Tensor(np.arange(10.0).reshape(2, 5) + 100, requires_grad=True)
    out = x.scatter(1, np.array([[0, 1], [2, 3]]), src)
    np.testing.assert_array_equal(out.numpy()[:2], [[100, 101, 2, 3], [4, 5, 105, 106]])
    out.sum().backward()  # PyTorch raises here (a gradient of the index's shape for src); we pad it with zeros
    np.testing.assert_array_equal(src.grad.numpy(), [[1, 1, 0, 0, 0], [1, 1, 0, 0, 0]])
    np.testing.assert_array_equal(x.grad.numpy()[:2], [[0, 0, 1, 1], [1, 1, 0, 0]])


def test_scatter_reduce_amax_shares_gradient_between_ties_like_pytorch():
    torch = pytest.importorskip("torch")
    a, b = np.array([[1.0, 5.0, 2.0]]), np.array([[5.0, 5.0, 2.0]])
    index = np.array([[1, 1, 0]])
    x, s = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    tx, ts = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    x.scatter_reduce(1, index, s, "amax").sum().backward()
    tx.scatter_reduce(1, torch.tensor(index), ts, "amax").sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy())
    np.testing.assert_allclose(s.grad.numpy(), [[1 / 3, 1 / 3, 1.0]])  # 5 three times; 2 beats 1


def test_scatter_reduce_prod_with_two_zeros_in_one_product():
    torch = pytest.importorskip("torch")
    a, b = np.array([[2.0, 3.0]]), np.array([[0.0, 0.0, 4.0]])
    index = np.array([[0, 0, 1]])
    x, s = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    tx, ts = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    x.scatter_reduce(1, index, s, "prod").sum().backward()
    tx.scatter_reduce(1, torch.tensor(index), ts, "prod").sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy())


def test_scatter_reduce_options_add_and_multiply():
    x = x34()
    ones = tg.Tensor(np.full((1, 2), 2.0))
    np.testing.assert_array_equal(x.scatter(1, np.array([[1, 1]]), ones, reduce="add").numpy()[0], [0, 5, 2, 3])
    np.testing.assert_array_equal(x.scatter(1, np.array([[2, 2]]), ones, reduce="multiply").numpy()[0], [0, 1, 8, 3])


# ------------------------------------------------------------------------------------- shape errors
def test_shape_op_errors():
    x = x34()
    with pytest.raises(RuntimeError, match="at least one per dimension"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"):
        x.narrow(0, 2, 2)
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 1 is 4 but size is 5"):
        x.unfold(1, 5, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(1, 2, 0)
    with pytest.raises(RuntimeError, match=r"don't multiply up to the size of dim 1 \(4\)"):
        x.unflatten(1, (3, 2))
    with pytest.raises(RuntimeError, match="dim1 and dim2 must differ"):
        x.diagonal(0, 1, -1)
    with pytest.raises(RuntimeError, match="1-d or 2-d"):
        tg.diag(tg.Tensor(np.ones((2, 2, 2))))
    with pytest.raises(RuntimeError, match="at least 2-d"):
        tg.fliplr(tg.Tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="same length"):
        x.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match="none repeated"):
        x.movedim((0, 0), (0, 1))


def test_tensor_unfold_is_a_method_not_the_im2col_function():
    assert tg.nn.functional.unfold is tg.engine.ops.unfold is tg.engine.ops.window.unfold
    windows = tg.Tensor(np.arange(7.0)).unfold(0, 3, 2)
    np.testing.assert_array_equal(windows.numpy(), [[0, 1, 2], [2, 3, 4], [4, 5, 6]])


def test_meshgrid_warns_without_indexing_and_defaults_to_ij():
    a, b = tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0, 5.0])
    with pytest.warns(UserWarning, match="indexing argument"):
        grid = tg.meshgrid(a, b)
    assert grid[0].shape == (2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xs, ys = tg.meshgrid(a, b, indexing="xy")
    np.testing.assert_array_equal(xs.numpy(), [[1, 2]] * 3)
    np.testing.assert_array_equal(ys.numpy(), [[3, 3], [4, 4], [5, 5]])


def test_atleast_returns_a_tensor_for_one_argument_and_a_tuple_otherwise():
    assert tg.atleast_2d(tg.Tensor(1.0)).shape == (1, 1)
    assert [t.shape for t in tg.atleast_3d(tg.Tensor(1.0), tg.Tensor([1.0, 2.0]))] == [(1, 1, 1), (1, 2, 1)]
    assert isinstance(tg.atleast_1d([tg.Tensor(1.0)]), tuple)


# ------------------------------------------------------------------------------------------ padding
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_negative_padding_crops_as_pytorch(mode):
    torch = pytest.importorskip("torch")
    a = np.arange(20.0).reshape(1, 4, 5)
    for p in [(-1, 2), (2, -1), (-1, -1), (-2, 2, 1, -1), (-3, 1)]:
        got = tg.nn.functional.pad(tg.Tensor(a), p, mode=mode)
        expected = torch.nn.functional.pad(torch.tensor(a), p, mode=mode)
        np.testing.assert_array_equal(got.numpy(), expected.numpy(), err_msg=f"{mode} {p}")


def test_impossible_padding_raises_pytorchs_errors():
    x = tg.Tensor(np.ones((1, 3, 4)))
    pad = tg.nn.functional.pad
    with pytest.raises(RuntimeError, match=r"Padding size should be less than the corresponding input dimension.*"
                                           r"\(4, 0\) at dimension 2 of input \[1, 3, 4\]"):
        pad(x, (4, 0), mode="reflect")
    with pytest.raises(RuntimeError, match=r"Padding size should be less.*\(0, 3\) at dimension 1"):
        pad(x, (0, 0, 0, 3), mode="reflect")
    assert pad(x, (4, 4), mode="circular").shape == (1, 3, 12)  # once around is allowed
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than once"):
        pad(x, (5, 0), mode="circular")
    with pytest.raises(RuntimeError, match=r"crops more than the 4 elements of dimension 2"):
        pad(x, (-5, 1))
    assert pad(x, (-4, 0)).shape == (1, 3, 0)


def test_constant_crop_gradient_is_zero_where_cropped():
    x = x34(requires_grad=True)
    tg.nn.functional.pad(x, (-1, 1, 0, -2), value=3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]])


# ------------------------------------------------------------------------------ flatten edge shapes
@pytest.mark.parametrize("shape, args, expected", [
    ((0, 3), (), (0,)), ((0, 3), (1,), (0, 3)), ((2, 0, 3), (1,), (2, 0)), ((3, 0), (0, 1), (0,)),
    ((), (), (1,)), ((), (0, 0), (1,)), ((), (-1, -1), (1,)),
])
def test_flatten_of_empty_and_0d_tensors(shape, args, expected):
    assert tg.Tensor(np.zeros(shape)).flatten(*args).shape == expected


def test_flatten_start_after_end_is_an_error():
    with pytest.raises(RuntimeError, match="start_dim 1 comes after end_dim 0"):
        x34().flatten(1, 0)


def test_squeeze_with_a_tuple_of_dims():
    x = tg.Tensor(np.zeros((1, 2, 1, 3)))
    assert x.squeeze((0, 2)).shape == (2, 3)
    assert tg.squeeze(x, (0, 1)).shape == (2, 1, 3)  # a dim of size other than 1 stays
