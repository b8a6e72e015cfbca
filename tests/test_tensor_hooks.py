"""Tensor.register_hook, as PyTorch's: a hook sees the gradient with respect to its tensor (every use
summed) and may replace it, for what flows on and for what a leaf's ``.grad`` receives."""

import numpy as np
import pytest

import tinygrad_edu as tg


def scenario(lib):
    """x -> z = 3x (hooked: +1, retained) -> loss = sum(z^2); x hooked: *2. Returns grads and what the
    hooks saw, as lists (the same code runs on tinygrad_edu and on torch)."""
    seen = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 2)
    z = x * 3
    z.register_hook(lambda g: seen.append(g.tolist()))  # observes, returns None: keeps the gradient
    z.register_hook(lambda g: g + 1)
    z.retain_grad()
    (z * z).sum().backward()
    return x.grad.tolist(), z.grad.tolist(), seen


def test_hooks_replace_and_observe_gradients():
    x_grad, z_grad, seen = scenario(tg)
    assert seen == [[6.0, 12.0]]  # dL/dz = 2z, before the +1 hook
    assert z_grad == [7.0, 13.0]  # .grad of a retained tensor is after its hooks
    assert x_grad == [42.0, 78.0]  # (2z + 1) * 3, then doubled by x's hook


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert scenario(tg) == scenario(torch)


def test_grad_returns_the_hooked_gradient_and_remove_takes_the_hook_off():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 2)
    assert tg.grad((x * 3).sum(), x)[0].tolist() == [6.0, 6.0]
    handle.remove()
    handle.remove()  # a second time does nothing
    assert tg.grad((x * 3).sum(), x)[0].tolist() == [3.0, 3.0]


def test_a_hook_sees_every_use_summed_once():
    calls = []
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: calls.append(g.tolist()))
    (y * y + y).sum().backward()  # y used three times
    assert calls == [[5.0, 9.0]]  # 2y + 1, in one call
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 18.0])


def test_hook_with_create_graph_is_differentiated_through():
    x = tg.tensor(3.0, dtype=tg.float64, requires_grad=True)
    y = x ** 2
    y.register_hook(lambda g: g * x)  # dL/dy becomes x, so dy/dx is reported as x * 2x
    (gx,) = tg.grad(y, x, create_graph=True)
    assert gx.item() == pytest.approx(18.0)  # 2x * x
    (ggx,) = tg.grad(gx, x)
    assert ggx.item() == pytest.approx(12.0)  # the hook's x is part of the graph: d(2x^2)/dx = 4x (PyTorch: 12)


def test_bad_hooks_are_refused_with_the_problem_named():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        tg.tensor([1.0]).register_hook(lambda g: g)
    w = tg.tensor([1.0, 2.0], requires_grad=True)

    def shrink(g):
        return g[:1]

    w.register_hook(shrink)
    with pytest.raises(RuntimeError, match=r"hook 'shrink' has changed the size of value: \(2,\) -> \(1,\)"):
        (w * 1).sum().backward()
    assert w.grad is None  # nothing was accumulated
    v = tg.tensor([1.0], requires_grad=True)
    v.register_hook(lambda g: g.numpy())
    with pytest.raises(TypeError, match="returned ndarray; a hook returns a Tensor or None"):
        (v * 1).sum().backward()
