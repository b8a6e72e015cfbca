"""Creating tensors (from data, constants, ranges), random sampling with Generators, and the errors of
the strict matrix products. Dtypes and errors are compared with PyTorch where it is installed."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.engine import factory as F
from tinygrad_edu.engine import random as R
from tinygrad_edu.engine.random import Generator


def np_of(t):
    return np.dtype(t.numpy().dtype)


def torch_dtype_name(t):
    return str(t.dtype).removeprefix("torch.")


# --------------------------------------------------------------------------------- dtypes of creation
CREATIONS = [  # (id, the call, written for a module `m`: tinygrad_edu's names or torch)
    ("zeros", lambda m: m.zeros(2, 3)),
    ("zeros_tuple", lambda m: m.zeros((2, 3))),
    ("ones_int", lambda m: m.ones(2, dtype=m.int64)),
    ("empty", lambda m: m.empty(2, 3)),
    ("full_bool", lambda m: m.full((2,), True)),
    ("full_int", lambda m: m.full((2,), 3)),
    ("full_float", lambda m: m.full((2,), 3.5)),
    ("full_dtype", lambda m: m.full((2,), 3, dtype=m.float64)),
    ("eye", lambda m: m.eye(2, 3)),
    ("eye_int", lambda m: m.eye(2, dtype=m.int64)),
    ("arange_int", lambda m: m.arange(5)),
    ("arange_float_end", lambda m: m.arange(5.0)),
    ("arange_float_step", lambda m: m.arange(0, 1, 0.1)),
    ("arange_negative_step", lambda m: m.arange(10, 0, -3)),
    ("arange_float_args_int_dtype", lambda m: m.arange(-1.5, 3, 1, dtype=m.int64)),
    ("arange_int_args_float_dtype", lambda m: m.arange(1, 4, dtype=m.float64)),
    ("linspace", lambda m: m.linspace(0, 10, 5)),
    ("linspace_int", lambda m: m.linspace(0, 10, 4, dtype=m.int64)),
    ("linspace_one", lambda m: m.linspace(-1, 10, 1)),
    ("linspace_zero", lambda m: m.linspace(-1, 10, 0)),
    ("logspace", lambda m: m.logspace(0, 2, 3)),
    ("logspace_base", lambda m: m.logspace(-1, 3, 5, 2)),
    ("tensor_ints", lambda m: m.tensor([[1, 2], [3, 4]])),
    ("tensor_floats", lambda m: m.tensor([1.5, 2])),
    ("tensor_dtype", lambda m: m.tensor([1, 2], dtype=m.float64)),
    ("full_like_int_truncates", lambda m: m.full_like(m.tensor([1, 2]), 2.7)),
    ("zeros_like_dtype", lambda m: m.zeros_like(m.tensor([1, 2]), dtype=m.float32)),
    ("ones_like", lambda m: m.ones_like(m.tensor([1.0, 2.0], dtype=m.float64))),
]


def _tg_namespace():
    """tinygrad_edu's names for the calls above (the factory module plus the dtypes)."""
    ns = type("ns", (), {})()
    for name in F.__all__:
        setattr(ns, name, getattr(F, name))
    ns.int64, ns.float32, ns.float64, ns.tensor = tg.int64, tg.float32, tg.float64, tg.tensor
    return ns


@pytest.mark.parametrize("name, make", CREATIONS, ids=[c[0] for c in CREATIONS])
def test_creation_dtype_shape_and_values_match_torch(name, make):
    torch = pytest.importorskip("torch")
    got, expected = make(_tg_namespace()), make(torch)
    assert got.shape == tuple(expected.shape)
    assert np_of(got).name == torch_dtype_name(expected)
    if name != "empty":  # its values are whatever the memory held
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


def test_default_float_dtype_without_torch():
    assert np_of(F.zeros(2)) == np_of(F.ones(1)) == np_of(F.empty(3)) == np_of(F.eye(2)) == np.float32
    assert np_of(F.full((1,), 2.0)) == np_of(F.linspace(0, 1, 3)) == np_of(F.arange(1.5)) == np.float32
    assert np_of(F.full((1,), 2)) == np_of(F.arange(3)) == np.int64
    assert np_of(F.full((1,), False)) == np.bool_
    np.testing.assert_array_equal(F.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])


def test_default_dtype_follows_set_default_dtype():
    before = tg.get_default_dtype()
    tg.set_default_dtype(tg.float64)
    try:
        assert np_of(F.zeros(2)) == np_of(F.randn(2)) == np_of(F.full((1,), 1.5)) == np_of(F.arange(2.0)) == np.float64
        assert np_of(F.linspace(0, 1, 2)) == np_of(F.normal(0.0, 1.0, (2,))) == np.float64
        assert np_of(F.arange(2)) == np.int64
    finally:
        tg.set_default_dtype(before)


def test_arange_matches_torch_bit_for_bit():
    torch = pytest.importorskip("torch")
    for args in [(0, 1, 0.1), (-1.3, 2.9, 0.35), (1, 0, -0.07)]:
        np.testing.assert_array_equal(F.arange(*args).numpy(), torch.arange(*args).numpy())


@pytest.mark.parametrize("call, match", [
    (lambda: F.arange(0, 5, 0), "step must be nonzero"),
    (lambda: F.arange(5, 0, 1), "inconsistent with step sign"),
    (lambda: F.linspace(0, 1, -1), "steps must be non-negative"),
    (lambda: F.logspace(0, 1, -2), "steps must be non-negative"),
])
def test_range_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_zeros_requires_grad_and_like_functions():
    x = F.zeros(2, 3, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    base = F.tensor([[1, 2, 3]])
    for like in (F.empty_like, F.zeros_like, F.ones_like):
        out = like(base)
        assert out.shape == (1, 3) and np_of(out) == np.int64
    assert np_of(F.empty_like(base, dtype=tg.float64)) == np.float64
    np.testing.assert_array_equal(F.full_like(base, 7).numpy(), [[7, 7, 7]])
    with pytest.raises(TypeError):
        F.zeros_like(base, tg.float32)  # dtype is keyword-only, as in PyTorch


def test_device_cpu_only():
    assert F.zeros(2, device="cpu").shape == (2,)
    with pytest.raises(RuntimeError, match="no GPU backend"):
        F.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="no GPU backend"):
        Generator(device="cuda")


# ----------------------------------------------------------------------------- tensor, as_tensor, from_numpy
def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = F.tensor(a, requires_grad=True)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and t.requires_grad and np_of(t) == np.float64
    u = F.tensor(t)
    assert u is not t and not u.requires_grad and u.numpy() is not t.numpy()


def test_from_numpy_shares_memory_both_ways_and_keeps_dtype():
    for dtype in (np.float64, np.float32, np.int32, np.uint8, np.bool_, np.int16):
        a = np.zeros(3, dtype=dtype)
        t = F.from_numpy(a)
        assert np_of(t) == dtype
        a[1] = 1
        assert t.tolist()[1] == 1
        t.numpy()[2] = 1
        assert a[2] == 1
    view = np.arange(12.0).reshape(3, 4)[:, ::2]
    t = F.from_numpy(view)
    view[0, 0] = -1.0
    assert t.numpy()[0, 0] == -1.0 and t.shape == (3, 2)


def test_from_numpy_refuses_other_types():
    with pytest.raises(TypeError, match=r"expected np.ndarray \(got list\)"):
        F.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError, match="dtype <U1"):
        F.from_numpy(np.array(["a"]))


def test_as_tensor_shares_only_without_conversion():
    a = np.ones(3, dtype=np.float64)
    shared = F.as_tensor(a)
    a[0] = 5.0
    assert shared.tolist()[0] == 5.0 and np_of(shared) == np.float64
    assert F.as_tensor(a, dtype=tg.float64).numpy() is a
    converted = F.as_tensor(a, dtype=tg.float32)
    a[1] = 7.0
    assert np_of(converted) == np.float32 and converted.tolist()[1] == 1.0
    t = F.tensor([1.0, 2.0])
    assert F.as_tensor(t) is t
    assert np_of(F.as_tensor(t, dtype=tg.float64)) == np.float64
    assert np_of(F.as_tensor([1, 2])) == np.int64 and np_of(F.as_tensor([1.0])) == np.float32


# ---------------------------------------------------------------------------------------- Generators
def test_generator_same_seed_same_values():
    a = F.randn(4, 5, generator=Generator().manual_seed(2147483647))
    b = F.randn(4, 5, generator=Generator().manual_seed(2147483647))
    c = F.randn(4, 5, generator=Generator().manual_seed(2147483646))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())


def test_generator_is_independent_of_the_global_seed():
    R.manual_seed(0)
    a = F.rand(5, generator=Generator().manual_seed(3))
    R.manual_seed(1)
    b = F.rand(5, generator=Generator().manual_seed(3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    # and drawing from a Generator leaves the global stream where it was
    R.manual_seed(5)
    expected = F.rand(3).numpy()
    R.manual_seed(5)
    F.randn(100, generator=Generator())
    np.testing.assert_array_equal(F.rand(3).numpy(), expected)


def test_manual_seed_seeds_the_library_generator_in_place():
    library_rng = R.generator()
    assert R.manual_seed(7) is R.default_generator
    assert R.generator() is library_rng  # code holding it keeps drawing from the seeded stream
    first = library_rng.random(3)
    R.manual_seed(7)
    np.testing.assert_array_equal(R.generator().random(3), first)
    np.testing.assert_array_equal(first, np.random.default_rng(7).random(3))  # the stream of earlier versions
    R.manual_seed(11)
    w1 = tg.nn.Linear(3, 2).weight.numpy().copy()
    R.manual_seed(11)
    np.testing.assert_array_equal(tg.nn.Linear(3, 2).weight.numpy(), w1)


def test_makemore_pattern():
    g = Generator().manual_seed(2147483647)
    W = F.randn((27, 27), generator=g)
    p = W[0].exp()
    p = p / p.sum()
    ix = F.multinomial(p, num_samples=1, replacement=True, generator=g)
    assert W.shape == (27, 27) and ix.shape == (1,) and np_of(ix) == np.int64 and 0 <= ix.item() < 27
    g2 = Generator().manual_seed(2147483647)
    F.randn((27, 27), generator=g2)
    assert F.multinomial(p, num_samples=1, replacement=True, generator=g2).item() == ix.item()


def test_generator_seeds_and_state():
    g = Generator()
    assert g.initial_seed() == 67280421310721  # PyTorch's default seed
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    assert g.manual_seed(-1).initial_seed() == 2 ** 64 - 1  # wraps around, as torch.manual_seed(-1)
    with pytest.raises(ValueError, match="out of range"):
        g.manual_seed(2 ** 64)
    new = g.seed()
    assert g.initial_seed() == new and 0 <= new < 2 ** 64
    state = g.get_state()
    assert np_of(state) == np.uint8 and state.ndim == 1
    a = F.randn(6, generator=g)
    F.rand(3, generator=g)
    np.testing.assert_array_equal(F.randn(6, generator=g.set_state(state)).numpy(), a.numpy())
    with pytest.raises(RuntimeError, match="uint8"):
        g.set_state(F.zeros(3))


def test_global_rng_state_functions():
    R.manual_seed(3)
    assert R.initial_seed() == 3
    state = R.get_rng_state()
    a = F.randn(4).numpy()
    R.set_rng_state(state)
    np.testing.assert_array_equal(F.randn(4).numpy(), a)
    assert R.seed() == R.initial_seed()


def test_generator_argument_must_be_a_generator():
    with pytest.raises(TypeError, match="tinygrad_edu.Generator"):
        F.randn(2, generator=np.random.default_rng(0))


def test_public_names():
    """The creation and random functions are exported as tinygrad_edu.<name>, like torch.<name>."""
    for name in F.__all__ + R.__all__:
        assert getattr(tg, name) is getattr(F if name in F.__all__ else R, name), name


# ------------------------------------------------------------------------------ continuous samples
def test_rand_randn_dtypes_ranges_and_moments():
    g = Generator().manual_seed(0)
    u = F.rand(100_000, generator=g, dtype=tg.float64)
    assert np_of(u) == np.float64 and 0 <= u.numpy().min() and u.numpy().max() < 1
    assert abs(u.numpy().mean() - 0.5) < 0.01
    z = F.randn(100_000, generator=g)
    assert np_of(z) == np.float32 and abs(z.numpy().mean()) < 0.02 and abs(z.numpy().std() - 1) < 0.02
    x = F.tensor([[1.0, 2.0]], dtype=tg.float64)
    assert F.rand_like(x).shape == (1, 2) and np_of(F.randn_like(x)) == np.float64
    assert np_of(F.rand_like(x, dtype=tg.float32)) == np.float32
    with pytest.raises(NotImplementedError, match="floating dtype"):
        F.randn(2, dtype=tg.int64)
    with pytest.raises(NotImplementedError, match="floating dtype"):
        F.rand_like(F.tensor([1, 2]))


def test_normal_overloads():
    g = Generator().manual_seed(1)
    mean = F.tensor([0.0, 100.0], dtype=tg.float64)
    assert F.normal(mean, 0.0).tolist() == [0.0, 100.0]
    both = F.normal(F.zeros(3), F.ones(2, 1), generator=g)
    assert both.shape == (2, 3) and np_of(both) == np.float32
    assert F.normal(mean, 1.0).shape == (2,) and np_of(F.normal(mean, 1.0)) == np.float64
    assert F.normal(1.0, F.ones(4)).shape == (4,)
    s = F.normal(3.0, 2.0, (100_000,), generator=g).numpy()
    assert abs(s.mean() - 3.0) < 0.03 and abs(s.std() - 2.0) < 0.03
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        F.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        F.normal(F.zeros(2), F.tensor([1.0, -1.0]))
    with pytest.raises(TypeError, match="size"):
        F.normal(0.0, 1.0)


def test_bernoulli():
    g = Generator().manual_seed(2)
    p = F.tensor([0.0, 1.0, 1.0, 0.0], dtype=tg.float64)
    out = F.bernoulli(p, generator=g)
    assert out.tolist() == [0.0, 1.0, 1.0, 0.0] and np_of(out) == np.float64
    many = F.bernoulli(F.full((100_000,), 0.3), generator=g)
    assert set(np.unique(many.numpy())) <= {0.0, 1.0} and abs(many.numpy().mean() - 0.3) < 0.01
    fixed = F.bernoulli(F.zeros(100_000), 0.8, generator=g)
    assert abs(fixed.numpy().mean() - 0.8) < 0.01
    assert np_of(F.bernoulli(F.tensor([1, 2]), p=0.5)) == np.int64
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        F.bernoulli(F.tensor([0.5, 1.5]))
    with pytest.raises(RuntimeError, match="p=1.5"):
        F.bernoulli(F.zeros(2), p=1.5)


# -------------------------------------------------------------------------------- integer samples
def test_randint_bounds_and_forms():
    g = Generator().manual_seed(3)
    x = F.randint(-2, 3, (10_000,), generator=g)
    assert np_of(x) == np.int64 and set(np.unique(x.numpy())) == {-2, -1, 0, 1, 2}
    y = F.randint(4, (3, 5), generator=g)
    assert y.shape == (3, 5) and y.numpy().min() >= 0 and y.numpy().max() < 4
    assert np_of(F.randint(0, 5, (3,), dtype=tg.float32)) == np.float32
    assert F.randint(high=2, size=(4,)).numpy().max() < 2
    like = F.randint_like(F.zeros(100), 10, 12, generator=g)
    assert np_of(like) == np.float32 and set(np.unique(like.numpy())) == {10.0, 11.0}
    assert F.randint_like(F.tensor([1, 2]), 3).numpy().max() < 3
    with pytest.raises(RuntimeError, match="low=5 >= high=5"):
        F.randint(5, 5, (3,))
    with pytest.raises(TypeError, match="tuple"):
        F.randint(5, 3)


def test_randperm_is_a_permutation():
    g = Generator().manual_seed(4)
    p = F.randperm(50, generator=g)
    assert np_of(p) == np.int64 and sorted(p.tolist()) == list(range(50)) and p.tolist() != list(range(50))
    assert np_of(F.randperm(3, dtype=tg.float32)) == np.float32 and F.randperm(0).shape == (0,)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.randperm(-1)


# -------------------------------------------------------------------------------------- multinomial
def test_multinomial_with_replacement_frequencies():
    g = Generator().manual_seed(5)
    w = F.tensor([[1.0, 0.0, 3.0, 6.0], [0.0, 5.0, 5.0, 0.0]])
    s = F.multinomial(w, 50_000, replacement=True, generator=g)
    assert s.shape == (2, 50_000) and np_of(s) == np.int64
    for row, weights in zip(s.numpy(), w.numpy()):
        freq = np.bincount(row, minlength=4) / row.size
        np.testing.assert_allclose(freq, weights / weights.sum(), atol=0.01)
        assert freq[weights == 0].sum() == 0  # a zero weight is never drawn


def test_multinomial_without_replacement():
    g = Generator().manual_seed(6)
    p = np.array([0.5, 0.3, 0.2, 0.0])
    rows = F.multinomial(F.tensor(np.tile(p, (20_000, 1))), 2, generator=g).numpy()
    assert rows.shape == (20_000, 2) and (rows[:, 0] != rows[:, 1]).all() and (rows != 3).all()
    np.testing.assert_allclose(np.bincount(rows[:, 0], minlength=4) / len(rows), p, atol=0.015)
    # the second draw comes from what is left: P(second = j) = sum_i p_i p_j / (1 - p_i)
    second = [sum(p[i] * p[j] / (1 - p[i]) for i in range(4) if i != j) for j in range(4)]
    np.testing.assert_allclose(np.bincount(rows[:, 1], minlength=4) / len(rows), second, atol=0.015)
    full = F.multinomial(F.tensor([0.0, 1.0, 0.0]), 3, generator=g).tolist()
    assert full[0] == 1 and sorted(full) == [0, 1, 2]  # zero weights only once the rest are drawn


@pytest.mark.parametrize("weights, n, replacement, match", [
    ([1.0, -1.0], 1, True, "element < 0"),
    ([1.0, float("inf")], 1, True, "`inf`, `nan`"),
    ([1.0, float("nan")], 1, False, "`inf`, `nan`"),
    ([[1.0, 0.0], [0.0, 0.0]], 1, True, "sum of probabilities <= 0"),
    ([1.0, 2.0], 3, False, "without replacement"),
    ([1.0, 2.0], 0, True, "n_sample <= 0"),
    ([[[1.0]]], 1, True, "1 or 2 dim"),
    ([1, 2], 1, True, "floating-point"),
])
def test_multinomial_errors_as_torch(weights, n, replacement, match):
    with pytest.raises(RuntimeError, match=match):
        F.multinomial(F.tensor(weights), n, replacement)
    try:
        import torch
    except ImportError:
        return
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(weights), n, replacement)


# ----------------------------------------------------------------------- strict matrix products
def ones(*shape, dtype=np.float64):
    return tg.Tensor(np.ones(shape, dtype=dtype))


@pytest.mark.parametrize("call, match", [
    (lambda: tg.mm(ones(2, 3), ones(4, 5)), r"cannot be multiplied \(2x3 and 4x5\)"),
    (lambda: tg.mm(ones(3), ones(3, 5)), "2-D"),
    (lambda: tg.mm(ones(2, 3), ones(3, 2, dtype=np.float32)), "same dtype"),
    (lambda: tg.bmm(ones(2, 3, 4), ones(3, 4, 5)), r"\[2, 4\]"),
    (lambda: tg.bmm(ones(3, 4), ones(2, 4, 5)), "3-D"),
    (lambda: tg.mv(ones(2, 3), ones(4)), "size mismatch"),
    (lambda: tg.mv(ones(2, 3), ones(3, 1)), "a matrix and a vector"),
    (lambda: tg.dot(ones(3), ones(4)), "inconsistent tensor size"),
    (lambda: tg.dot(ones(2, 2), ones(2, 2)), "1D tensors expected, but got 2D and 2D"),
    (lambda: tg.outer(ones(2, 2), ones(2)), "1-D"),
    (lambda: tg.addmm(ones(3, 1, 1), ones(2, 3), ones(3, 2)), "does not broadcast"),
    (lambda: tg.tensordot(ones(2, 3), ones(4, 5), 1), "contracted dimensions need to match"),
    (lambda: tg.tensordot(ones(2, 3), ones(3, 5), -1), "dims >= 0"),
    (lambda: tg.tensordot(ones(2, 3), ones(3, 2), ([0], [1, 0])), "same length"),
    (lambda: tg.inner(ones(2, 3), ones(4, 2)), "last dimension must match"),
    (lambda: tg.einsum("ij,jk", ones(2, 3), ones(4, 4)), "subscript j has size 4"),
    (lambda: tg.einsum("ij,jk->ik", ones(2, 3)), "2 operand"),
    (lambda: tg.einsum("ijk,jk->ik", ones(2, 3), ones(3, 4)), "operand 0 has shape"),
    (lambda: tg.einsum("ii->i", ones(2, 3)), "repeated for operand 0"),
    (lambda: tg.einsum("ij->ii", ones(2, 2)), "more than once in the output"),
    (lambda: tg.einsum("ij->k", ones(2, 2)), "does not appear"),
    (lambda: tg.einsum("i1->i", ones(2, 2)), "invalid subscript"),
    (lambda: tg.einsum("i.j", ones(2, 3)), "not part of '...'"),
    (lambda: tg.einsum("ij,jk", ones(2, 3), ones(3, 2, dtype=np.float32)), "one dtype"),
])
def test_product_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_einsum_and_products_keep_integer_dtypes():
    a = tg.Tensor(np.arange(6).reshape(2, 3))
    assert tg.einsum("ij,kj->ik", a, a).tolist() == (np.arange(6).reshape(2, 3) @ np.arange(6).reshape(2, 3).T).tolist()
    assert np_of(tg.mm(a, a.T)) == np.int64 and tg.dot(a[0], a[1]).item() == 14


def test_einsum_gradient_is_differentiable_again():
    x = tg.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    (gx,) = tg.grad(tg.einsum("ij,ij->", x, x), x, create_graph=True)  # d/dx sum x^2 = 2x
    np.testing.assert_array_equal(gx.numpy(), 2 * x.numpy())
    (ggx,) = tg.grad(tg.einsum("ii", gx), x)  # d/dx trace(2x) = 2 I
    np.testing.assert_array_equal(ggx.numpy(), 2 * np.eye(2))
