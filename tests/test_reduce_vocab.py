"""The reductions, scans, sorting and selection ops of PyTorch's vocabulary: dtypes of results, indices,
ties, NaN, empty and 0-d tensors, errors, and gradients where zeros or ties make them delicate, against
PyTorch where it is installed (the op table checks the smooth cases)."""

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="compares with PyTorch")


def grads_tg(fn, a, upstream=None):
    """fn(x) and d<upstream, fn(x)>/dx in tinygrad_edu (upstream of ones by default)."""
    x = tg.Tensor(a, requires_grad=True)
    out = fn(x)
    out.backward(tg.Tensor(np.ones(out.shape) if upstream is None else upstream))
    return out.numpy(), x.grad.numpy()


def grads_torch(fn, a, upstream=None):
    x = torch.tensor(a, requires_grad=True)
    out = fn(x)
    out.backward(torch.ones(out.shape, dtype=out.dtype) if upstream is None else torch.from_numpy(upstream))
    return out.detach().numpy(), np.zeros_like(a) if x.grad is None else x.grad.numpy()  # None: no dependence


def hvp(lib, fn, a, u):
    """d/dx <u, d sum(fn(x)) / dx>: a second derivative through the op's backward."""
    if lib is tg:
        x = tg.Tensor(a, requires_grad=True)
        (g,) = tg.grad(fn(x).sum(), x, create_graph=True)
        return tg.grad((g * tg.Tensor(u)).sum(), x)[0].numpy()
    x = torch.tensor(a, requires_grad=True)
    (g,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    return torch.autograd.grad((g * torch.from_numpy(u)).sum(), x)[0].numpy()


def same(got, expected):
    """A tinygrad_edu result and a torch one: equal values, shapes and dtypes (namedtuples field by field)."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            same(g, e)
        return
    e = expected.numpy()
    g = got.numpy()
    assert g.shape == e.shape and g.dtype == e.dtype, f"{g.shape} {g.dtype} vs torch {e.shape} {e.dtype}"
    np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-12, equal_nan=True)


A = np.array([[1.5, -2.0, 0.5, 3.0], [0.25, 4.0, -1.0, 2.0], [2.5, 0.5, 1.0, -3.5]])


# ------------------------------------------------------------------------------- axis= and dtype=
@needs_torch
@pytest.mark.parametrize("call", [
    lambda L, x: x.sum(axis=1), lambda L, x: x.mean(axis=0), lambda L, x: x.amax(axis=1),
    lambda L, x: x.amin(axis=0), lambda L, x: x.max(axis=1), lambda L, x: x.min(axis=0),
    lambda L, x: x.var(axis=1), lambda L, x: x.std(axis=0), lambda L, x: x.logsumexp(axis=1),
    lambda L, x: x.argmax(axis=1), lambda L, x: x.argmin(axis=0), lambda L, x: x.prod(axis=1),
    lambda L, x: (x > 1).any(axis=1), lambda L, x: (x > -3).all(axis=0), lambda L, x: x.median(axis=1),
    lambda L, x: x.norm(axis=1) if L is tg else x.norm(dim=1), lambda L, x: x.cumsum(axis=1),
    lambda L, x: x.cumprod(axis=0), lambda L, x: x.softmax(axis=1), lambda L, x: x.log_softmax(axis=0),
    lambda L, x: x.logcumsumexp(axis=1), lambda L, x: x.cummax(axis=1), lambda L, x: L.sum(x, axis=(0, 1)),
    lambda L, x: L.std_mean(x, axis=1) if L is tg else L.std_mean(x, dim=1),
])
def test_axis_is_another_name_for_dim(call):
    same(call(tg, tg.Tensor(A)), call(torch, torch.from_numpy(A)))


def test_dim_and_axis_together_is_an_error():
    with pytest.raises(TypeError, match="both dim and axis"):
        tg.Tensor(A).sum(dim=0, axis=1)


@needs_torch
@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int8, np.bool_, np.int64])
@pytest.mark.parametrize("op", ["sum", "prod", "cumsum", "cumprod"])
def test_integer_and_bool_reductions_give_int64_as_pytorch(op, dtype):
    a = np.array([[1, 0, 1], [1, 1, 1]] if dtype == np.bool_ else [[3, 100, 1], [7, 2, 5]], dtype)
    args = (1,) if op.startswith("cum") else ()
    got, expected = getattr(tg.Tensor(a), op)(*args), getattr(torch.from_numpy(a), op)(*args)
    assert got.dtype == np.int64
    same(got, expected)


@needs_torch
def test_dtype_argument_converts_before_reducing():
    a = np.array([[1, 2, 250], [3, 4, 5]], dtype=np.uint8)
    same(tg.Tensor(a).sum(1, dtype=tg.float64), torch.from_numpy(a).sum(1, dtype=torch.float64))
    same(tg.Tensor(a).mean(dtype=np.float32), torch.from_numpy(a).mean(dtype=torch.float32))
    same(tg.Tensor(a).cumsum(1, dtype="float32"), torch.from_numpy(a).cumsum(1, dtype=torch.float32))
    same(tg.Tensor(a).prod(0, dtype=tg.float64), torch.from_numpy(a).prod(0, dtype=torch.float64))
    same(tg.Tensor(a).sum(dtype=tg.int8), torch.from_numpy(a).sum(dtype=torch.int8))  # wraps around, as PyTorch
    x = tg.Tensor(A.astype(np.float32), requires_grad=True)
    out = x.sum(1, dtype=tg.float64)
    assert out.dtype == np.float64
    out.sum().backward()
    assert x.grad.dtype == np.float32 and np.array_equal(x.grad.numpy(), np.ones((3, 4), np.float32))


def test_mean_of_integers_needs_a_dtype():
    with pytest.raises(RuntimeError, match="mean.*int64.*dtype="):
        tg.Tensor([1, 2, 3]).mean()
    assert tg.Tensor([1, 2, 4]).mean(dtype=tg.float64).item() == pytest.approx(7 / 3)


# ------------------------------------------------------------------------------------ prod, any, all
@needs_torch
@pytest.mark.parametrize("zeros", [[], [(0, 1)], [(0, 1), (2, 3)], [(1, 0), (1, 2)], [(0, 0), (0, 1), (0, 3)]])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_gradients_with_zeros_match_torch(zeros, dim):
    a = A.copy()
    for i in zeros:
        a[i] = 0.0
    fn = lambda x: x.prod() if dim is None else x.prod(dim)  # noqa: E731
    got, expected = grads_tg(fn, a), grads_torch(fn, a)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-12, atol=1e-12)
    u = np.random.default_rng(0).standard_normal(a.shape)
    np.testing.assert_allclose(hvp(tg, fn, a, u), hvp(torch, fn, a, u), rtol=1e-10, atol=1e-12)


def test_prod_gradient_at_a_single_zero_is_the_product_of_the_others():
    _, g = grads_tg(lambda x: x.prod(), np.array([2.0, 0.0, -3.0]))
    np.testing.assert_array_equal(g, [0.0, -6.0, 0.0])


def test_prod_takes_one_dim_only():
    with pytest.raises(TypeError, match="prod: dim must be an int"):
        tg.Tensor(A).prod((0, 1))


@needs_torch
@pytest.mark.parametrize("op", ["any", "all"])
@pytest.mark.parametrize("args", [(), (1,), (0, True), ((0, 1),), (-1, True)])
def test_any_all_give_bools_as_torch(op, args):
    a = np.array([[0.0, 1.5, 0.0], [0.0, 0.0, 0.0], [2.0, -1.0, 3.0]])
    got, expected = getattr(tg.Tensor(a), op)(*args), getattr(torch.from_numpy(a), op)(*args)
    assert got.dtype == np.bool_
    same(got, expected)
    same(getattr(tg, op)(tg.Tensor(a.astype(np.int64))), getattr(torch, op)(torch.from_numpy(a.astype(np.int64))))


# ------------------------------------------------------------------------------ statistics
@needs_torch
@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": (0, 1), "keepdim": True}, {"dim": 0, "correction": 0},
                                    {"dim": 1, "unbiased": False}, {"dim": -1, "correction": 2}])
def test_var_mean_std_mean_match_torch(name, kwargs):
    got = getattr(tg, name)(tg.Tensor(A), **kwargs)
    assert type(got) is tuple
    same(got, getattr(torch, name)(torch.from_numpy(A), **kwargs))


@needs_torch
@pytest.mark.parametrize("a", [
    np.array([[1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 3.0, 1.0], [5.0, -1.0, 2.0, 0.0]]),
    np.array([[4.0, 1.0, 3.0], [2.0, 2.0, 9.0]]),
    np.array([[1.0, np.nan, 2.0, 0.5], [0.0, 1.0, 2.0, np.nan]]),
])
@pytest.mark.parametrize("keepdim", [False, True])
def test_median_with_dim_values_indices_and_gradient_match_torch(a, keepdim):
    for d in range(-a.ndim, a.ndim):
        same(tg.Tensor(a).median(d, keepdim), torch.from_numpy(a).median(d, keepdim))
    u = np.random.default_rng(1).standard_normal(torch.from_numpy(a).median(1, keepdim).values.shape)
    got = grads_tg(lambda x: x.median(1, keepdim).values, a, u)
    expected = grads_torch(lambda x: x.median(1, keepdim).values, a, u)
    np.testing.assert_array_equal(got[1], expected[1])


@needs_torch
@pytest.mark.parametrize("a", [np.array([3.0, 1.0, 2.0, 2.0, 5.0, 2.0]), np.array([[4.0, 1.0], [1.0, 7.0]]),
                               np.array([1.0, np.nan, 0.0]), np.array(2.5), np.array([7, 1, 4, 4])])
def test_median_of_all_elements_is_the_lower_median_with_shared_gradient(a):
    same(tg.Tensor(a).median(), torch.from_numpy(a).median())
    if a.dtype.kind == "f" and not np.isnan(a).any():
        np.testing.assert_allclose(grads_tg(lambda x: x.median(), a)[1], grads_torch(lambda x: x.median(), a)[1])


def test_median_shares_the_gradient_between_ties():
    _, g = grads_tg(lambda x: x.median(), np.array([3.0, 2.0, 1.0, 2.0]))  # lower median 2, twice
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.0, 0.5])


# ------------------------------------------------------------------------------------ norms
VN = tg.engine.ops.vector_norm


@needs_torch
@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, np.inf, -np.inf, 0, -1.5])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), (0, True), ((0, 1), False)])
def test_vector_norm_values_and_gradients_match_torch(ord, dim, keepdim):
    a = A * np.array([1.0, -1.0, 0.5, 1.5])
    fn = lambda L: lambda x: (VN if L is tg else torch.linalg.vector_norm)(x, ord, dim, keepdim)  # noqa: E731
    got, expected = grads_tg(fn(tg), a), grads_torch(fn(torch), a)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("ord", [2, 1, 3, np.inf])
def test_norm_gradient_at_zero_is_zero_as_torch(ord):
    a = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, -4.0]])
    fn = lambda L: lambda x: (VN if L is tg else torch.linalg.vector_norm)(x, ord, 1)  # noqa: E731
    got, expected = grads_tg(fn(tg), a), grads_torch(fn(torch), a)
    np.testing.assert_allclose(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1], atol=1e-15)
    assert np.isfinite(got[1]).all() and not got[1][0].any()


@needs_torch
def test_norm_and_vector_norm_dtypes_and_errors():
    same(tg.Tensor(A.astype(np.float32)).norm(), torch.from_numpy(A.astype(np.float32)).norm())
    same(tg.norm(tg.Tensor(A), p=1, dim=0, keepdim=True), torch.norm(torch.from_numpy(A), p=1, dim=0, keepdim=True))
    a32 = A.astype(np.float32)
    same(VN(tg.Tensor(a32), dtype=tg.float64), torch.linalg.vector_norm(torch.from_numpy(a32), dtype=torch.float64))
    for dtype in (None, tg.float64):
        with pytest.raises(RuntimeError, match="vector_norm.*floating point.*int64"):
            VN(tg.Tensor([3, 4]), dtype=dtype)
    with pytest.raises(NotImplementedError, match="matrix norm"):
        tg.Tensor(A).norm("nuc")
    with pytest.raises(RuntimeError, match="inf norm"):
        VN(tg.Tensor(np.zeros((2, 0))), np.inf, 1)


# ------------------------------------------------------------------------------------ scans
@needs_torch
@pytest.mark.parametrize("zeros", [[(0, 0)], [(1, 2)], [(1, 1), (1, 3)], [(0, 3), (2, 0), (2, 2)]])
@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_gradients_with_zeros_match_torch(zeros, dim):
    a = A.copy()
    for i in zeros:
        a[i] = 0.0
    u = np.random.default_rng(2).standard_normal(a.shape)
    fn = lambda x: x.cumprod(dim)  # noqa: E731
    got, expected = grads_tg(fn, a, u), grads_torch(fn, a, u)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hvp(tg, fn, a, u), hvp(torch, fn, a, u), rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("a", [np.array([3.0, 1.0, 3.0, 2.0, 1.0, 3.0]), np.array([1.0, np.nan, 2.0, np.nan, 0.0]),
                               np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]]), np.array([4, 4, 1, 9, 9])])
def test_cummax_cummin_values_and_tie_indices_match_torch(name, a):
    for d in range(a.ndim):
        same(getattr(tg.Tensor(a), name)(d), getattr(torch.from_numpy(a), name)(d))
    if a.dtype.kind == "f" and not np.isnan(a).any():
        u = np.random.default_rng(3).standard_normal(a.shape)
        fn = lambda x: getattr(x, name)(-1).values  # noqa: E731
        np.testing.assert_array_equal(grads_tg(fn, a, u)[1], grads_torch(fn, a, u)[1])


@needs_torch
@pytest.mark.parametrize("a", [np.array([-1000.0, 0.0, 1.0]), np.array([800.0, -800.0, 801.0, 0.0]),
                               np.array([[-1e5, 1e5], [3.0, -np.inf]]), np.array([2.0, -np.inf, -np.inf])])
def test_logcumsumexp_is_stable_and_matches_torch(a):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u = np.random.default_rng(4).standard_normal(a.shape)
        got, expected = grads_tg(lambda x: x.logcumsumexp(0), a, u), grads_torch(lambda x: x.logcumsumexp(0), a, u)
    assert np.isfinite(got[0][np.isfinite(a).cumsum(0) > 0]).all()
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-10, atol=1e-12)


@needs_torch
def test_logcumsumexp_gradient_after_only_minus_infinity_is_nan_as_torch():
    a, u = np.array([-np.inf, -np.inf, 2.0]), np.array([0.3, -0.2, 1.0])
    with np.errstate(invalid="ignore"):
        got = grads_tg(lambda x: x.logcumsumexp(0), a, u)
    expected = grads_torch(lambda x: x.logcumsumexp(0), a, u)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])  # NaN where it is NaN


def test_logcumsumexp_of_integers_is_refused_as_torch():
    with pytest.raises(NotImplementedError, match="logcumsumexp.*int64"):
        tg.Tensor([1, 2]).logcumsumexp(0)


# ---------------------------------------------------------------------------- sorting and selection
TIES = np.array([[3.0, 1.0, 3.0, 2.0, 1.0, 3.0], [np.nan, 0.5, -1.0, np.nan, 0.5, 2.0]])


@needs_torch
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("a", [TIES, TIES.T.copy(), np.array([[True, False, True]]), np.array([[5, 2, 5, -1, 2]])])
def test_sort_is_stable_with_torchs_order_of_ties_and_nan(a, descending):
    for d in range(-a.ndim, a.ndim):
        expected = torch.sort(torch.from_numpy(a), stable=True, dim=d, descending=descending)
        same(tg.sort(tg.Tensor(a), d, descending), expected)
        same(tg.Tensor(a).sort(dim=d, descending=descending, stable=True),
             torch.from_numpy(a).sort(dim=d, descending=descending, stable=True))
        same(tg.Tensor(a).argsort(d, descending), torch.from_numpy(a).argsort(dim=d, descending=descending,
                                                                              stable=True))


@needs_torch
def test_sort_gradient_goes_back_to_each_value():
    a = np.array([[0.3, -1.2, 2.5, 0.0], [1.0, 4.0, -2.0, 3.0]])
    u = np.random.default_rng(5).standard_normal(a.shape)
    for fn in (lambda x: x.sort(1, descending=True).values, lambda x: x.sort(0).values, lambda x: x.msort()):
        np.testing.assert_array_equal(grads_tg(fn, a, u)[1], grads_torch(fn, a, u)[1])


@needs_torch
def test_topk_and_kthvalue_match_torch():
    a = np.array([[0.3, -1.2, 2.5, 0.0, 1.1], [1.0, 4.0, -2.0, 3.0, 0.7]])
    for k in range(6):
        same(tg.Tensor(a).topk(k), torch.from_numpy(a).topk(k))
        same(tg.topk(tg.Tensor(a), k, largest=False), torch.topk(torch.from_numpy(a), k, largest=False))
    same(tg.Tensor(a).topk(2, dim=0), torch.from_numpy(a).topk(2, dim=0))
    for k in range(1, 6):
        same(tg.Tensor(a).kthvalue(k), torch.from_numpy(a).kthvalue(k))
    same(tg.kthvalue(tg.Tensor(a), 2, 0, True), torch.kthvalue(torch.from_numpy(a), 2, 0, True))
    u = np.random.default_rng(6).standard_normal((2, 3))
    fn = lambda x: x.topk(3).values  # noqa: E731
    np.testing.assert_array_equal(grads_tg(fn, a, u)[1], grads_torch(fn, a, u)[1])


def test_topk_keeps_the_earlier_of_equal_values_first():
    values, indices = tg.Tensor([3.0, 1.0, 3.0, 2.0, 3.0]).topk(2)
    assert values.tolist() == [3.0, 3.0] and indices.tolist() == [0, 2]


@pytest.mark.parametrize("call, message", [
    (lambda x: x.topk(6), "topk: k=6 is out of range for dimension 1 of size 5"),
    (lambda x: x.kthvalue(0), "kthvalue: k=0 is out of range"),
    (lambda x: x.kthvalue(6), "kthvalue: k=6 is out of range"),
])
def test_k_out_of_range_is_refused(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(tg.Tensor(np.zeros((2, 5))))


@needs_torch
@pytest.mark.parametrize("a", [np.array([[0, 1, 0], [2, 0, 3]]), np.array([0.0, -1.5, 0.0, 2.0]),
                               np.array(3), np.array(0), np.zeros((2, 0)),
                               np.array([[[True, False]], [[False, True]]])])
def test_nonzero_matches_torch(a):
    same(tg.nonzero(tg.Tensor(a)), torch.nonzero(torch.from_numpy(a)))
    same(tg.Tensor(a).nonzero(as_tuple=True), torch.from_numpy(a).nonzero(as_tuple=True))


@needs_torch
def test_masked_select_broadcasts_and_refuses_a_non_bool_mask():
    a, mask = np.arange(6.0).reshape(2, 3), np.array([True, False, True])
    same(tg.masked_select(tg.Tensor(a), tg.Tensor(mask)), torch.masked_select(torch.from_numpy(a),
                                                                              torch.from_numpy(mask)))
    same(tg.Tensor(a[:1]).masked_select(tg.Tensor(mask[:, None] & mask)),
         torch.from_numpy(a[:1]).masked_select(torch.from_numpy(mask[:, None] & mask)))
    with pytest.raises(RuntimeError, match="masked_select: expected a bool mask, got dtype int64"):
        tg.masked_select(tg.Tensor(a), tg.Tensor([1, 0, 1]))
    with pytest.raises(RuntimeError, match=r"masked_select: input \(2, 3\) and mask \(2,\) are not broadcastable"):
        tg.masked_select(tg.Tensor(a), tg.Tensor([True, False]))


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"return_inverse": True}, {"return_counts": True},
                                    {"return_inverse": True, "return_counts": True}, {"sorted": False}])
@pytest.mark.parametrize("a", [np.array([3, 1, 3, 2, 1, 3]), np.array([[2.5, -1.0], [2.5, 0.0]]),
                               np.array([[3, 1], [3, 1], [2, 2]])])
def test_unique_matches_torch(a, kwargs):
    same(tg.unique(tg.Tensor(a), **kwargs), torch.unique(torch.from_numpy(a), **kwargs))
    for d in range(a.ndim):
        same(tg.Tensor(a).unique(dim=d, **kwargs), torch.from_numpy(a).unique(dim=d, **kwargs))


def test_unique_keeps_nans_apart_as_torch():
    assert tg.unique(tg.Tensor([np.nan, 1.0, np.nan])).shape == (3,)


# ------------------------------------------------------------------------------ 0-d and empty tensors
@needs_torch
@pytest.mark.parametrize("call", [
    lambda x: x.softmax(0), lambda x: x.softmax(-1), lambda x: x.log_softmax(0), lambda x: x.max(0),
    lambda x: x.min(-1, keepdim=True), lambda x: x.argmax(0), lambda x: x.argmin(-1), lambda x: x.cumsum(0),
    lambda x: x.cumprod(-1), lambda x: x.logcumsumexp(0), lambda x: x.cummax(0), lambda x: x.median(0),
    lambda x: x.sort(), lambda x: x.topk(1), lambda x: x.kthvalue(1), lambda x: x.logsumexp(0),
    lambda x: x.sum(0), lambda x: x.prod(0), lambda x: x.any(0), lambda x: x.norm(dim=0),
])
def test_zero_d_tensors_take_dim_0_or_minus_1_as_torch(call):
    same(call(tg.Tensor(np.array(1.5))), call(torch.tensor(1.5, dtype=torch.float64)))


def test_zero_d_tensor_refuses_other_dims():
    for call in (lambda x: x.softmax(1), lambda x: x.max(2), lambda x: x.argmax(-2), lambda x: x.cumsum(1)):
        with pytest.raises(IndexError, match="out of range for a 0-d tensor"):
            call(tg.Tensor(1.5))


def test_zero_d_softmax_gradient():
    _, g = grads_tg(lambda x: x.log_softmax(0) + x.max(0).values, np.array(0.7))
    assert g == 1.0


@needs_torch
def test_empty_reductions_match_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warnings for 0 / 0 or log 0
        for call in (lambda x: x.sum(1), lambda x: x.prod(1), lambda x: x.mean(1), lambda x: x.mean(),
                     lambda x: x.sum(), lambda x: x.prod(), lambda x: x.logsumexp(1), lambda x: x.amax(0),
                     lambda x: x.cumsum(1), lambda x: x.norm(dim=1), lambda x: x.median()):
            same(call(tg.Tensor(np.zeros((2, 0)))), call(torch.zeros(2, 0, dtype=torch.float64)))


@pytest.mark.parametrize("call", [lambda x: x.amax(1), lambda x: x.amin((0, 1)), lambda x: x.max(1),
                                  lambda x: x.min(-1), lambda x: x.argmax(1), lambda x: x.median(1)])
def test_extremes_over_an_empty_dim_raise_index_error_as_torch(call):
    with pytest.raises(IndexError, match="has size 0"):
        call(tg.Tensor(np.zeros((2, 0))))


@pytest.mark.parametrize("call", [lambda x: x.amax(), lambda x: x.max(), lambda x: x.min(), lambda x: x.argmin()])
def test_extremes_of_all_of_an_empty_tensor_raise_runtime_error_as_torch(call):
    with pytest.raises(RuntimeError, match="cannot reduce the empty tensor"):
        call(tg.Tensor(np.zeros((2, 0))))


def test_keepdims_is_another_name_for_keepdim():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.sum(1, keepdims=True).numpy(), [[3.0], [12.0]])
    assert x.mean(0, keepdims=True).shape == (1, 3) and x.amax(axis=1, keepdims=False).shape == (2,)
    with pytest.raises(TypeError, match="both keepdim and keepdims"):
        x.sum(1, keepdim=True, keepdims=True)
