"""tinygrad_edu.autograd: custom Functions (torch.autograd.Function's API) and autograd.functional, checked
by finite differences and against the same code run in PyTorch."""

import doctest
import gc

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, autograd
from tinygrad_edu.autograd import Function
from tinygrad_edu.autograd import functional as F


def make_functions(base):
    """The tutorial Functions, defined on ``base`` (tinygrad_edu's Function or torch.autograd.Function):
    the same source runs in both libraries."""

    class LegendrePolynomial3(base):
        """P3(x) = (5x^3 - 3x) / 2, from PyTorch's "defining new autograd functions" tutorial."""

        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class MyReLU(base):
        """PyTorch's tutorial ReLU: the backward zeroes the gradient by item assignment."""

        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class ScaledMul(base):
        """x * y * k with a non-Tensor argument k kept on ctx, and needs_input_grad consulted."""

        @staticmethod
        def forward(ctx, x, k, y):
            ctx.save_for_backward(x, y)
            ctx.k = k
            return x * y * k

        @staticmethod
        def backward(ctx, grad_output):
            x, y = ctx.saved_tensors
            gx = grad_output * y * ctx.k if ctx.needs_input_grad[0] else None
            gy = grad_output * x * ctx.k if ctx.needs_input_grad[2] else None
            return gx, None, gy

    class SumAndProduct(base):
        """Two outputs: (x + y, x * y)."""

        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x + y, x * y

        @staticmethod
        def backward(ctx, g_sum, g_prod):
            x, y = ctx.saved_tensors
            return g_sum + g_prod * y, g_sum + g_prod * x

    class Exp(base):
        """Saves its output, as PyTorch's docs do: the second derivative must go through it."""

        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class Cube(base):
        """PyTorch 2 style: forward takes no ctx, setup_context saves."""

        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2

    return dict(LegendrePolynomial3=LegendrePolynomial3, MyReLU=MyReLU, ScaledMul=ScaledMul,
                SumAndProduct=SumAndProduct, Exp=Exp, Cube=Cube)


TG = make_functions(Function)
rng = np.random.default_rng(0)


def f64(*shape, requires_grad=True, low=-1.5, high=1.5):
    return Tensor(rng.uniform(low, high, shape), requires_grad=requires_grad)


def away_from_zero(*shape):
    values = rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    return Tensor(values, requires_grad=True)


# -------------------------------------------------------------------- the tutorial functions
def test_legendre_values_gradient_and_node_name():
    x = Tensor(np.array([-1.0, 0.3, 2.0]), requires_grad=True)
    y = TG["LegendrePolynomial3"].apply(x)
    assert y.op == "LegendrePolynomial3" and y.parents == (x,) and y.requires_grad
    np.testing.assert_allclose(y.numpy(), 0.5 * (5 * x.numpy() ** 3 - 3 * x.numpy()))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.5 * (5 * x.numpy() ** 2 - 1))


def test_legendre_passes_gradcheck_and_gradgradcheck():
    x = f64(4)
    assert tg.gradcheck(TG["LegendrePolynomial3"].apply, (x,))
    assert tg.gradgradcheck(TG["LegendrePolynomial3"].apply, (x,))


def test_legendre_in_a_training_step_as_in_the_tutorial():
    """The tutorial fits y = a + b P3(c + d x) to sin(x): a few steps of that loop lower the loss."""
    x = Tensor(np.linspace(-np.pi, np.pi, 200))
    target = Tensor(np.sin(x.numpy()))
    params = [Tensor(np.array(v), requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
    losses = []
    for _ in range(30):
        a, b, c, d = params
        pred = a + b * TG["LegendrePolynomial3"].apply(c + d * x)
        loss = ((pred - target) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        for p in params:
            p.data = p.data - 5e-6 * p.grad
            p.grad = None
    assert all(b < a for a, b in zip(losses, losses[1:])) and losses[-1] < 0.75 * losses[0]


def test_my_relu_with_item_assignment():
    x = away_from_zero(3, 4)
    y = TG["MyReLU"].apply(x)
    np.testing.assert_array_equal(y.numpy(), np.maximum(x.numpy(), 0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (x.numpy() > 0).astype(np.float64))
    assert tg.gradcheck(TG["MyReLU"].apply, (away_from_zero(5),))


def test_non_tensor_argument_and_needs_input_grad():
    x, y = f64(3), f64(3, requires_grad=False)
    out = TG["ScaledMul"].apply(x, 2.5, y)
    assert out.parents == (x, y)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.5 * y.numpy())
    assert y.grad is None
    assert tg.gradcheck(lambda a, b: TG["ScaledMul"].apply(a, -1.5, b), (f64(2, 3), f64(2, 3)))
    assert tg.gradgradcheck(lambda a, b: TG["ScaledMul"].apply(a, -1.5, b), (f64(2, 3), f64(2, 3)))


def test_needs_input_grad_is_one_bool_per_argument():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, n, b):
            seen.append((ctx.needs_input_grad, tg.is_grad_enabled()))
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, None, g

    Probe.apply(f64(2), 3, f64(2, requires_grad=False))
    assert seen == [((True, False, False), False)]  # and forward ran with recording off


def test_multiple_outputs():
    x, y = f64(3), f64(3)
    s, p = TG["SumAndProduct"].apply(x, y)
    assert s.op == p.op == "SumAndProduct"
    np.testing.assert_allclose(s.numpy(), x.numpy() + y.numpy())
    np.testing.assert_allclose(p.numpy(), x.numpy() * y.numpy())
    (2 * s + 3 * p).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 + 3 * y.numpy())
    np.testing.assert_allclose(y.grad.numpy(), 2 + 3 * x.numpy())
    assert tg.gradcheck(TG["SumAndProduct"].apply, (f64(2, 2), f64(2, 2)))
    assert tg.gradgradcheck(TG["SumAndProduct"].apply, (f64(2, 2), f64(2, 2)))


def test_only_one_output_used_gets_zeros_for_the_other():
    received = []

    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g2, g3):
            received.append((g2, g3))
            return g2 * 2 + g3 * 3

    x = f64(3)
    _, b = Split.apply(x)
    b.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 3.0])
    ((g2, g3),) = received
    np.testing.assert_array_equal(g2.numpy(), np.zeros(3))


def test_set_materialize_grads_false_gives_none():
    received = []

    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g2, g3):
            received.append((g2, g3))
            return g3 * 3

    x = f64(3)
    Split.apply(x)[1].sum().backward()
    assert received[0][0] is None
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 3.0])


def test_non_differentiable_outputs():
    class MaxWithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            mask = x.eq(x.amax()).double()
            ctx.mark_non_differentiable(mask)
            ctx.save_for_backward(mask)
            return x.amax(), index, mask

        @staticmethod
        def backward(ctx, g, g_index, g_mask):
            (mask,) = ctx.saved_tensors
            return g * mask

    x = Tensor(np.array([0.5, 2.0, -1.0]), requires_grad=True)
    value, index, mask = MaxWithIndex.apply(x)
    assert value.requires_grad and value.op == "MaxWithIndex"
    assert not index.requires_grad and not mask.requires_grad and index.is_leaf and mask.is_leaf
    assert index.item() == 1
    value.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_saved_output_is_differentiated_through():
    x = f64(4)
    y = TG["Exp"].apply(x)
    (g,) = tg.grad(y.sum(), x, create_graph=True)
    (gg,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.exp(x.numpy()))
    assert tg.gradgradcheck(TG["Exp"].apply, (f64(3),))


def test_setup_context_style():
    x = f64(3)
    y = TG["Cube"].apply(x)
    assert y.op == "Cube"
    np.testing.assert_allclose(y.numpy(), x.numpy() ** 3)
    assert tg.gradcheck(TG["Cube"].apply, (f64(3),))
    assert tg.gradgradcheck(TG["Cube"].apply, (f64(3),))


def test_keyword_arguments_reach_forward():
    class Power(Function):
        @staticmethod
        def forward(ctx, x, *, exponent=2):
            ctx.save_for_backward(x)
            ctx.exponent = exponent
            return x ** exponent

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.exponent * x ** (ctx.exponent - 1)

    x = Tensor(np.array([2.0]), requires_grad=True)
    y = Power.apply(x, exponent=3)
    y.backward()
    assert y.item() == 8.0 and x.grad.item() == 12.0


def test_not_recorded_when_nothing_needs_grad_or_under_no_grad():
    x = f64(3, requires_grad=False)
    assert TG["LegendrePolynomial3"].apply(x).is_leaf
    with tg.no_grad():
        y = TG["LegendrePolynomial3"].apply(f64(3))
    assert y.is_leaf and not y.requires_grad


def test_trailing_nones_and_broadcast_gradients_are_accepted():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return (g * 2).reshape(1, 3).broadcast_to((4, 3)) / 4, None, None  # summed back to (3,)

    x = f64(3)
    Twice.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("name", ["Exp", "SumAndProduct", "MyReLU"])
def test_no_reference_cycles(name):
    """DESIGN.md: a graph is freed when its output is dropped, without waiting for the cycle collector."""
    x = f64(3)
    args = (x, x) if name == "SumAndProduct" else (x,)

    def first_output():
        out = TG[name].apply(*args)
        return out[0] if isinstance(out, tuple) else out

    gc.collect()
    gc.disable()
    try:
        outs = TG[name].apply(*args)
        outs = outs if isinstance(outs, tuple) else (outs,)
        sum(o.sum() for o in outs).backward()
        (g,) = tg.grad(first_output().sum(), x, create_graph=True)
        del outs, g
        assert gc.collect() == 0
    finally:
        gc.enable()


# ---------------------------------------------------------------------------------- errors
class WrongCount(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, g):
        return g


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum()

    @staticmethod
    def backward(ctx, g):
        return g.reshape(1).broadcast_to((2,))


class GradForNumber(Function):
    @staticmethod
    def forward(ctx, x, k):
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g, g


def test_wrong_number_of_gradients_is_a_clear_error():
    out = WrongCount.apply(f64(2), f64(2))
    with pytest.raises(RuntimeError, match=r"WrongCount.backward returned 1 gradients, but forward took 2 arguments"):
        out.sum().backward()


def test_wrong_gradient_shape_is_a_clear_error():
    out = WrongShape.apply(f64(3))
    with pytest.raises(RuntimeError, match=r"WrongShape.backward returned a gradient of shape \(2,\) for argument 0, "
                                           r"which has shape \(3,\)"):
        out.backward()


def test_gradient_for_a_non_tensor_argument_is_a_clear_error():
    out = GradForNumber.apply(f64(2), 3.0)
    with pytest.raises(RuntimeError, match="gradient for argument 1, which is a float"):
        out.sum().backward()


def test_save_for_backward_refuses_non_tensors():
    class SavesNumber(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 2.0)
            return x

    with pytest.raises(TypeError, match="argument 1 is a float"):
        SavesNumber.apply(f64(2))


def test_missing_backward_is_a_clear_error():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(f64(2)).sum().backward()


# --------------------------------------------------------------------------- parity with PyTorch
PARITY = {
    "LegendrePolynomial3": lambda fns, x, y: fns["LegendrePolynomial3"].apply(x),
    "ScaledMul": lambda fns, x, y: fns["ScaledMul"].apply(x, 0.7, y),
    "SumAndProduct": lambda fns, x, y: fns["SumAndProduct"].apply(x, y),
    "Exp": lambda fns, x, y: fns["Exp"].apply(x) * y,
    "Cube": lambda fns, x, y: fns["Cube"].apply(x) + y,
    "MyReLU": lambda fns, x, y: fns["MyReLU"].apply(x) * y,
}


@pytest.mark.parametrize("name", PARITY)
def test_values_and_gradients_match_pytorch(name):
    torch = pytest.importorskip("torch")
    fns = make_functions(torch.autograd.Function)
    a, b = away_from_zero(2, 3).numpy(), away_from_zero(2, 3).numpy()
    upstream = rng.standard_normal((2, 3))

    def run(lib_fns, wrap, grad):
        """Outputs, first gradients (for a fixed upstream) and the gradients of their sum: as arrays."""
        x, y = wrap(a), wrap(b)
        outs = PARITY[name](lib_fns, x, y)
        outs = outs if isinstance(outs, tuple) else (outs,)
        first = grad(outs, (x, y), [wrap(upstream) for _ in outs], create_graph=True)
        total = sum(g.sum() for g in first if g is not None and g.requires_grad)
        second = grad(total, (x, y)) if not isinstance(total, int) else (None, None)
        return [[None if t is None else t.detach().numpy() for t in group] for group in (outs, first, second)]

    mine = run(TG, lambda v: Tensor(v, requires_grad=True),
               lambda o, i, g=None, **kw: tg.grad(o, i, g, allow_unused=True, **kw))
    theirs = run(fns, lambda v: torch.tensor(v, requires_grad=True),
                 lambda o, i, g=None, **kw: torch.autograd.grad(o, i, g, allow_unused=True, **kw))
    for group_mine, group_theirs in zip(mine, theirs):
        for m, t in zip(group_mine, group_theirs):
            if t is None:  # an input the result does not depend on: None in PyTorch, None or zeros here
                assert m is None or not np.any(m), name
            else:
                np.testing.assert_allclose(m, t, rtol=1e-12, atol=1e-12, err_msg=name)


# --------------------------------------------------------------------------- the namespace
def test_autograd_namespace():
    assert autograd.grad is tg.grad
    assert autograd.gradcheck is tg.gradcheck and autograd.gradgradcheck is tg.gradgradcheck
    assert autograd.functional is F and autograd.Function is Function


@pytest.mark.parametrize("module", ["tinygrad_edu.engine.function", "tinygrad_edu.autograd.functional"])
def test_docstring_examples_run(module):
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# -------------------------------------------------------------------------- autograd.functional
def exp_reducer(x):
    return (x.exp() * x).sum(1)


def two_in_two_out(x, y):
    return (x * y).sum(), x.exp() + y.sum()


def scalar_of_two(x, y):
    return (x * x * y.sin()).sum() + (x ** 3).sum()


def to_torch(t, torch):
    return torch.tensor(t.numpy())


def compare(mine, theirs):
    """Same nesting (Tensor, tuple, tuple of tuples), shapes and values."""
    if isinstance(theirs, tuple):
        assert isinstance(mine, tuple) and len(mine) == len(theirs)
        for m, t in zip(mine, theirs):
            compare(m, t)
    else:
        assert isinstance(mine, Tensor), type(mine)
        assert mine.shape == tuple(theirs.shape)
        np.testing.assert_allclose(mine.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


def functional_cases(torch):
    """(name, tinygrad_edu call, PyTorch call): each runs one autograd.functional function."""
    x, y, v2, v1 = f64(2, 3), f64(3), f64(2), f64(2, 3)
    tx, ty, tv2, tv1 = (to_torch(t, torch) for t in (x, y, v2, v1))
    A = torch.autograd.functional
    return [
        ("jacobian one in one out", lambda: F.jacobian(exp_reducer, x), lambda: A.jacobian(exp_reducer, tx)),
        ("jacobian tuple in tuple out", lambda: F.jacobian(two_in_two_out, (x, x * 0.5)),
         lambda: A.jacobian(two_in_two_out, (tx, tx * 0.5))),
        ("jacobian tuple in one out", lambda: F.jacobian(lambda a, b: a * b, (y, y + 1)),
         lambda: A.jacobian(lambda a, b: a * b, (ty, ty + 1))),
        ("jacobian one in tuple out", lambda: F.jacobian(lambda a: (a.sin(), a.sum()), y),
         lambda: A.jacobian(lambda a: (a.sin(), a.sum()), ty)),
        ("jacobian of an unused input is zeros", lambda: F.jacobian(lambda a, b: a * 2, (y, y)),
         lambda: A.jacobian(lambda a, b: a * 2, (ty, ty))),
        ("jacobian of a 0-d output", lambda: F.jacobian(lambda a: (a * a).sum(), x),
         lambda: A.jacobian(lambda a: (a * a).sum(), tx)),
        ("hessian one input", lambda: F.hessian(lambda a: (a.exp() * a).sum(), y),
         lambda: A.hessian(lambda a: (a.exp() * a).sum(), ty)),
        ("hessian two inputs", lambda: F.hessian(scalar_of_two, (y, y * 2)),
         lambda: A.hessian(scalar_of_two, (ty, ty * 2))),
        ("vjp", lambda: F.vjp(exp_reducer, x, v2), lambda: A.vjp(exp_reducer, tx, tv2)),
        ("vjp tuple", lambda: F.vjp(two_in_two_out, (x, x), (Tensor(np.array(1.5)), v1)),
         lambda: A.vjp(two_in_two_out, (tx, tx), (torch.tensor(1.5, dtype=torch.float64), tv1))),
        ("vjp scalar without v", lambda: F.vjp(lambda a: (a * a).sum(), x), lambda: A.vjp(lambda a: (a * a).sum(), tx)),
        ("jvp", lambda: F.jvp(exp_reducer, x, v1), lambda: A.jvp(exp_reducer, tx, tv1)),
        ("jvp tuple", lambda: F.jvp(two_in_two_out, (x, x), (v1, v1)),
         lambda: A.jvp(two_in_two_out, (tx, tx), (tv1, tv1))),
        ("vhp", lambda: F.vhp(scalar_of_two, (y, y), (y, y)), lambda: A.vhp(scalar_of_two, (ty, ty), (ty, ty))),
        ("hvp", lambda: F.hvp(scalar_of_two, (y, y), (y, y)), lambda: A.hvp(scalar_of_two, (ty, ty), (ty, ty))),
        ("hvp one input", lambda: F.hvp(lambda a: (a ** 4).sum(), x, v1),
         lambda: A.hvp(lambda a: (a ** 4).sum(), tx, tv1)),
    ]


@pytest.mark.parametrize("index", range(16))
def test_functional_matches_pytorch(index):
    torch = pytest.importorskip("torch")
    cases = functional_cases(torch)
    assert len(cases) == 16
    name, mine, theirs = cases[index]
    result = mine()
    compare(result, theirs())
    for t in result if isinstance(result, tuple) else (result,):
        for u in t if isinstance(t, tuple) else (t,):
            assert not u.requires_grad, name  # detached without create_graph


def test_jacobian_values_without_pytorch():
    x = Tensor(np.array([1.0, 2.0]))
    jac = F.jacobian(lambda a: a * a * a, x)
    np.testing.assert_allclose(jac.numpy(), np.diag([3.0, 12.0]))
    jx, jy = F.jacobian(lambda a, b: (a * b).sum(), (x, Tensor(np.array([3.0, 5.0]))))
    np.testing.assert_allclose(jx.numpy(), [3.0, 5.0])
    np.testing.assert_allclose(jy.numpy(), [1.0, 2.0])
    h = F.hessian(lambda a: (a ** 3).sum(), x)
    np.testing.assert_allclose(h.numpy(), np.diag([6.0, 12.0]))


def test_create_graph_makes_the_jacobian_differentiable():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    jac = F.jacobian(lambda a: a.sin() * a, x, create_graph=True)
    assert jac.requires_grad
    (g,) = tg.grad(jac.sum(), x)
    # d/dx of diag(cos(x) x + sin(x)) summed: -sin(x) x + 2 cos(x)
    np.testing.assert_allclose(g.numpy(), -np.sin(x.numpy()) * x.numpy() + 2 * np.cos(x.numpy()))
    assert tg.gradcheck(lambda a: F.jacobian(lambda b: b.sin() * b, a, create_graph=True), (f64(3),))


def test_jacobian_of_a_function_built_from_a_custom_function():
    x = f64(3)
    jac = F.jacobian(TG["LegendrePolynomial3"].apply, x)
    np.testing.assert_allclose(jac.numpy(), np.diag(1.5 * (5 * x.numpy() ** 2 - 1)))
    hess = F.hessian(lambda a: TG["Exp"].apply(a).sum(), x)
    np.testing.assert_allclose(hess.numpy(), np.diag(np.exp(x.numpy())))


def test_strict_mode_rejects_independent_inputs():
    x = f64(2)
    np.testing.assert_array_equal(F.jacobian(lambda a, b: a * 2, (x, x))[1].numpy(), np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        F.jacobian(lambda a, b: a * 2, (x, x), strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        F.vjp(lambda a: Tensor(np.ones(2)), x, Tensor(np.ones(2)), strict=True)
    with pytest.raises(RuntimeError, match="independent of the input"):
        F.hessian(lambda a: (a * 3).sum(), x, strict=True)


def test_functional_argument_errors():
    x = f64(2)
    with pytest.raises(TypeError, match="inputs given to jacobian must be either a Tensor or a tuple of Tensors"):
        F.jacobian(lambda a: a, [x])
    with pytest.raises(TypeError, match="outputs of the user-provided function given to vjp"):
        F.vjp(lambda a: 3.0, x, x)
    with pytest.raises(RuntimeError, match="v can only be None"):
        F.vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be \(2,\) but got \(3,\)"):
        F.jvp(lambda a: a * 2, x, f64(3))
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        F.hessian(lambda a: (a.sum(), a.sum()), x)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        F.hvp(lambda a: a * a, x, x)
    with pytest.raises(ValueError, match="strategy"):
        F.jacobian(lambda a: a, x, strategy="sideways")
