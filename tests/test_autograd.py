"""The engine: backward, grad(), grad modes, retained gradients, higher orders, long graphs and memory."""

import gc
import math
import tracemalloc

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.demo import micrograd_expression


def f64(*values, requires_grad=True):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------------------------ the scalar path
def test_micrograd_expression_values_and_gradients():
    a = Tensor(np.float64(-4.0), requires_grad=True)
    b = Tensor(np.float64(2.0), requires_grad=True)
    g = micrograd_expression(a, b)
    g.backward()
    # the values micrograd's README prints (computed there with PyTorch)
    assert round(g.item(), 4) == 24.7041
    assert round(a.grad.item(), 4) == 138.8338
    assert round(b.grad.item(), 4) == 645.5773
    assert g.shape == () and a.grad.shape == ()


def test_micrograd_expression_in_float32_default():
    a, b = Tensor(-4.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    g = micrograd_expression(a, b)
    g.backward()
    assert g.dtype == np.float32 and a.grad.dtype == np.float32
    assert abs(g.item() - 24.7041) < 1e-3 and abs(b.grad.item() - 645.5773) < 1e-2


def test_demo_prints_values_and_passes_gradcheck(capsys, tmp_path):
    from tinygrad_edu.__main__ import main

    main(["demo", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "g = 24.7041" in out and "dg/da = 138.8338" in out and "dg/db = 645.5773" in out
    assert "gradcheck" in out
    assert "training accuracy 100%" in out  # the moons MLP


# ------------------------------------------------------------------------------------- backward
def test_shared_subexpression():
    a = f64(1.5, -2.0)
    b = a + a
    c = b * b  # c = 4a^2 -> dc/da = 8a
    c.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 8 * a.numpy())


def test_gradients_accumulate_across_calls():
    a = f64(3.0)
    y = (a * a).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(a.grad.numpy(), [12.0])  # 2 * (2a)
    z = (a * 5).sum()
    z.backward()
    np.testing.assert_allclose(a.grad.numpy(), [17.0])


def test_second_backward_without_retain_graph_is_a_clear_error_and_changes_nothing():
    a = f64(3.0)
    y = (a.exp() * a).sum()
    y.backward()
    before = a.grad.numpy().copy()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), before)


def test_backward_with_explicit_gradient():
    a = f64(1.0, 2.0, 3.0)
    y = a * a
    y.backward(gradient=np.array([1.0, 0.5, -1.0]))
    np.testing.assert_allclose(a.grad.numpy(), 2 * a.numpy() * [1.0, 0.5, -1.0])


def test_backward_on_non_scalar_without_gradient():
    a = f64(1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"one-element output, got shape \(2,\)"):
        (a * 2).backward()
    assert a.grad is None


def test_backward_gradient_of_wrong_shape():
    a = f64(1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but output 0 has shape \(2,\)"):
        (a * 2).backward(np.ones(3))


def test_backward_on_tensor_not_requiring_grad():
    x = f64(1.0, requires_grad=False)
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward()


def test_leaves_keep_grad_intermediates_only_when_retained():
    a = f64(2.0)
    h = a * 3
    k = (h * h).retain_grad()
    k.sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad.numpy(), [1.0])
    np.testing.assert_allclose(a.grad.numpy(), [2 * 9 * 2.0])


def test_retain_all_grads_keeps_every_gradient_like_micrograd():
    a, b = f64(2.0), f64(-3.0)
    c = a * b
    d = c + a
    e = d.tanh()
    e.sum().backward(retain_all_grads=True)
    de = 1 - math.tanh(-4.0) ** 2
    np.testing.assert_allclose(e.grad.numpy(), [1.0])
    np.testing.assert_allclose(d.grad.numpy(), [de])
    np.testing.assert_allclose(c.grad.numpy(), [de])
    np.testing.assert_allclose(a.grad.numpy(), [de * (-3.0 + 1)])


def test_leaf_gradients_are_writable_arrays_of_their_own():
    a, b = f64(1.0, 2.0), f64(3.0, 4.0)
    (a + b).sum().backward()  # add hands the same upstream gradient to both parents
    a.grad.data *= 10.0  # in-place edits (gradient clipping does them) must touch one tensor only
    np.testing.assert_allclose(a.grad.numpy(), [10.0, 10.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    w = f64(1.0, 2.0)
    upstream = np.array([0.5, 0.25])
    w.backward(upstream)
    w.grad.data[0] = 7.0
    assert upstream[0] == 0.5


def test_mixed_precision_gradient_takes_the_leaf_dtype():
    a = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    w = f64(0.5, 0.25)
    (a * w).sum().backward()
    assert a.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 0.25])


# ----------------------------------------------------------------------------------------- grad()
def test_grad_returns_without_touching_dot_grad():
    x = f64(1.0, 2.0)
    (gx,) = tg.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(gx.numpy(), 3 * x.numpy() ** 2)
    assert x.grad is None


def test_grad_with_respect_to_an_intermediate():
    x = f64(0.3)
    h = x.sin()
    y = (h * h).sum()
    gh, gx = tg.grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), 2 * np.sin(0.3))
    np.testing.assert_allclose(gx.numpy(), 2 * np.sin(0.3) * np.cos(0.3))


def test_grad_allow_unused():
    x, z = f64(1.0), f64(2.0)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="input 1 .* was not used"):
        tg.grad(y, [x, z])
    gx, gz = tg.grad(y, [x, z], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0])
    assert gz is None


def test_grad_of_several_outputs_with_grad_outputs():
    x = f64(1.0, 2.0)
    y1, y2 = x * 3, x * x
    (gx,) = tg.grad([y1, y2], x, grad_outputs=[Tensor(np.ones(2)), Tensor(np.array([1.0, -1.0]))])
    np.testing.assert_allclose(gx.numpy(), 3 + 2 * x.numpy() * [1.0, -1.0])


def test_grad_input_not_requiring_grad():
    x, c = f64(1.0), f64(1.0, requires_grad=False)
    with pytest.raises(RuntimeError, match="input 1 does not require grad"):
        tg.grad((x * c).sum(), [x, c])


# ---------------------------------------------------------------------------------- higher order
def test_third_derivative_of_tanh():
    x = Tensor(np.float64(0.7), requires_grad=True)
    (d1,) = tg.grad(x.tanh(), x, create_graph=True)
    (d2,) = tg.grad(d1, x, create_graph=True)
    (d3,) = tg.grad(d2, x)
    t = math.tanh(0.7)
    np.testing.assert_allclose([d1.item(), d2.item(), d3.item()],
                               [1 - t * t, -2 * t * (1 - t * t), (1 - t * t) * (6 * t * t - 2)], rtol=1e-12)


def test_backward_create_graph_gives_differentiable_grad():
    x = f64(0.5, 1.5)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = tg.grad(x.grad.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 6 * x.numpy())


def test_hessian_vector_product_of_quadratic_form():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    x = Tensor(rng.standard_normal(4), requires_grad=True)
    v = rng.standard_normal(4)
    f = x @ Tensor(A) @ x
    (g,) = tg.grad(f, x, create_graph=True)
    (hv,) = tg.grad((g * Tensor(v)).sum(), x)
    np.testing.assert_allclose(hv.numpy(), (A + A.T) @ v, rtol=1e-12)


def test_hessian_vector_product_of_softmax_cross_entropy_matches_finite_differences():
    rng = np.random.default_rng(1)
    W = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    X = Tensor(rng.standard_normal((6, 3)))
    rows, y = np.arange(6), rng.integers(0, 5, 6)
    v = rng.standard_normal((3, 5))

    def gradient(w):
        loss = -(X @ w).log_softmax(-1)[rows, y].mean()
        return tg.grad(loss, w, create_graph=True)[0]

    (hv,) = tg.grad((gradient(W) * Tensor(v)).sum(), W)
    eps = 1e-6
    plus = gradient(Tensor(W.numpy() + eps * v, requires_grad=True)).numpy()
    minus = gradient(Tensor(W.numpy() - eps * v, requires_grad=True)).numpy()
    np.testing.assert_allclose(hv.numpy(), (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-8)


THIRD_ORDER = {
    "exp": lambda x: x.exp(), "log": lambda x: (x * x + 1).log(), "sqrt": lambda x: (x * x + 1).sqrt(),
    "sin": lambda x: x.sin(), "cos": lambda x: x.cos(), "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(), "erf": lambda x: x.erf(), "softplus": lambda x: x.softplus(),
    "pow": lambda x: (x * x + 1) ** x, "div": lambda x: 1 / (x * x + 2), "gelu": lambda x: x.gelu(),
    "matmul": lambda x: (x.reshape(2, 2) @ x.reshape(2, 2)).sin(), "sum": lambda x: x.sum().sin() * x,
    "mean": lambda x: (x * x.mean()).sin(), "logsumexp": lambda x: x.logsumexp(0) * x,
    "softmax": lambda x: x.softmax(0), "var": lambda x: x.var() * x,
}


@pytest.mark.parametrize("name", sorted(THIRD_ORDER))
def test_third_derivatives_match_finite_differences(name):
    """gradgradcheck of the gradient function checks third derivatives numerically."""
    fn = THIRD_ORDER[name]
    x = Tensor(np.array([0.3, -0.6, 0.9, 0.45]), requires_grad=True)

    def first_derivative(t):
        return tg.grad(fn(t).sum(), t, create_graph=True)[0]

    assert tg.gradgradcheck(first_derivative, (x,))


# ------------------------------------------------------------------------------------- grad modes
def test_no_grad_records_nothing():
    x = f64(1.0, 2.0)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = (x * 2).exp().sum()
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.op is None and y.parents == ()


def test_no_grad_and_enable_grad_as_decorators_and_nesting():
    x = f64(1.0)

    @tg.no_grad()
    def frozen(t):
        with tg.enable_grad():
            inner = t * 2
        return inner, t * 3

    inner, outer = frozen(x)
    assert inner.requires_grad and not outer.requires_grad
    assert tg.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ZeroDivisionError):
        with tg.no_grad():
            1 / 0
    assert tg.is_grad_enabled()


# ------------------------------------------------------------------------------ long graphs, memory
def test_backward_through_100000_op_chain():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0000001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0000001 ** 100_000], rtol=1e-9)
    del y  # freeing a deep graph must not overflow the stack either


def _training_step(w, x):
    loss = ((x @ w).tanh() - 0.5).pow(2).mean()
    loss.backward()
    w.data -= 0.01 * w.grad.data
    w.grad = None


def test_memory_flat_over_2000_iterations():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((8, 4)), requires_grad=True)
    x = Tensor(rng.standard_normal((16, 8)))
    for _ in range(50):
        _training_step(w, x)
    tracemalloc.start()
    _training_step(w, x)
    start, _ = tracemalloc.get_traced_memory()
    for _ in range(2000):
        _training_step(w, x)
    end, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert end - start < 50_000, f"memory grew by {end - start} bytes over 2000 steps"


def test_graphs_create_no_reference_cycles():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((8, 4)), requires_grad=True)
    x = Tensor(rng.standard_normal((16, 8)))
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            _training_step(w, x)
        assert gc.collect() == 0  # everything was freed by reference counting alone
    finally:
        gc.enable()


# --------------------------------------------------------------------------------------- custom op
def test_custom_op_returning_numpy_gradient_is_accepted():
    x = f64(0.5, -1.0)
    cube = tg.make_op("cube", x.numpy() ** 3, (x,), lambda g, out: (g.numpy() * 3 * x.numpy() ** 2,))
    cube.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.numpy() ** 2)


def test_custom_op_with_wrong_gradient_shape_names_the_op():
    x = f64(0.5, -1.0)
    bad = tg.make_op("bad", x.numpy() * 2, (x,), lambda g, out: (np.ones(3),))
    with pytest.raises(RuntimeError, match=r"backward of 'bad' returned a gradient of shape \(3,\)"):
        bad.sum().backward()


def test_gradients_sharing_memory_are_never_handed_to_two_tensors():
    x = Tensor(np.arange(6.0), requires_grad=True)
    h = x.reshape(2, 3).retain_grad()  # x.grad would be a view of h.grad
    y = Tensor(np.ones((2, 3)), requires_grad=True)
    (h + y).sum().backward()  # add gives h and y the very same upstream gradient
    for a, b in [(x.grad, h.grad), (x.grad, y.grad), (h.grad, y.grad)]:
        assert not np.shares_memory(a.numpy(), b.numpy())
    assert all(t.grad.numpy().flags.writeable for t in (x, h, y))


def test_linear_weight_gradient_is_contiguous_and_correct():
    """x @ W.T (a Linear layer) gives W a C-contiguous gradient, computed without an extra copy."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    W = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    g = rng.standard_normal((5, 4))
    (x @ W.T).backward(g)
    assert W.grad.numpy().flags.c_contiguous and W.grad.numpy().base is not None  # a view, not a copy
    np.testing.assert_allclose(W.grad.numpy(), g.T @ x.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g @ W.numpy(), rtol=1e-12)
    xb = Tensor(rng.standard_normal((2, 5, 3)))
    W.grad = None
    (xb @ W.T).backward(np.ones((2, 5, 4)))  # batched input: the gradient also sums over the batch
    np.testing.assert_allclose(W.grad.numpy(), np.ones((4, 10)) @ xb.numpy().reshape(10, 3), rtol=1e-12)
    assert tg.gradcheck(lambda x, w: (x @ w.T).tanh(), (x, W))


@pytest.mark.parametrize("fn", [lambda a, b: tg.maximum(a, b), lambda a, b: tg.minimum(a, b),
                                lambda a, b: a.amax(0) * b, lambda a, b: a.max() * b, lambda a, b: a.relu() * b])
def test_float32_graphs_backpropagate_in_float32(fn, monkeypatch):
    """No float64 constant sneaks into a float32 backward (the engine would have to cast it back)."""
    seen = []
    original = tg.engine.tensor._sum_to
    monkeypatch.setattr(tg.engine.tensor, "_sum_to", lambda g, p, op: seen.append(g.dtype) or original(g, p, op))
    a = Tensor(np.array([[1.0, 3.0], [3.0, 2.0]], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array([2.0, 2.0], dtype=np.float32), requires_grad=True)
    fn(a, b).sum().backward()
    assert a.grad.dtype == np.float32 and np.float64 not in seen


# ------------------------------------------------------------------------- slices of one tensor
def test_slicing_a_sequence_into_steps_sums_the_gradients_in_one_buffer(monkeypatch):
    """An RNN reads x[t] at every step: backward must add the T slices' gradients into one x-sized buffer
    (O(T) in all), not build a zero x-sized array per slice (O(T^2))."""
    steps = 40
    x = Tensor(np.random.default_rng(0).standard_normal((steps, 3, 4)), requires_grad=True)
    weights = np.arange(1, steps + 1, dtype=np.float64)
    loss = tg.stack([s * w for s, w in zip(x.unbind(0), weights)]).sum()
    full_size, real_zeros = [], np.zeros

    def counting_zeros(shape, *args, **kwargs):
        if tuple(np.atleast_1d(shape)) == x.shape:
            full_size.append(shape)
        return real_zeros(shape, *args, **kwargs)

    monkeypatch.setattr(np, "zeros", counting_zeros)
    loss.backward()
    monkeypatch.undo()
    assert len(full_size) <= 1
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(weights[:, None, None], x.shape))


def test_slices_with_repeated_and_overlapping_reads_add_up():
    x = Tensor(np.arange(6.0), requires_grad=True)
    (x[1:4].sum() + x[[0, 0, 5]].sum() * 2 + x[2] * 3 + x[x.numpy() > 3].sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 1.0, 4.0, 1.0, 1.0, 3.0])


def test_slice_gradients_stay_differentiable_with_create_graph():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    (gx,) = tg.grad(x[0] * x[1] * x[2] + (x[1:] ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(gx.numpy(), [-2.0, 1.0 + 3.0, -0.5 + 12.0])
    (ggx,) = tg.grad(gx.sum(), x)
    np.testing.assert_allclose(ggx.numpy(), [-1.0 + 2.0, 2.0 + 6 * -1.0 + 0.5, -1.0 + 0.5 + 6 * 2.0])
    assert tg.gradgradcheck(lambda t: t[1:] * t[0] + t[[2, 2]] ** 2, (Tensor(np.array([0.3, 0.7, -1.1]),
                                                                            requires_grad=True),))


def test_grad_with_the_same_input_twice_returns_it_twice():
    x = Tensor(np.array(2.0), requires_grad=True)
    assert [g.item() for g in tg.grad(x * x, [x, x])] == [4.0, 4.0]
