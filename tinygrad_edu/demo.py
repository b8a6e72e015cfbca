"""The demo behind ``python -m tinygrad_edu demo``: micrograd's expression, its gradients, and a gradient check."""

import numpy as np

from .engine import Tensor, gradcheck


def micrograd_expression(a, b):
    """The expression from micrograd's README, written with 0-d Tensors (g = 24.7041 at a=-4, b=2)."""
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    return g


def run_demo():
    a = Tensor(-4.0, requires_grad=True)
    b = Tensor(2.0, requires_grad=True)
    g = micrograd_expression(a, b)
    g.backward()
    print("micrograd's expression with 0-d tensors (float32):")
    print(f"  a = {a.item():.1f}, b = {b.item():.1f}")
    print(f"  g = {g.item():.4f}")
    print(f"  dg/da = {a.grad.item():.4f}, dg/db = {b.grad.item():.4f}")
    inputs = (Tensor(np.float64(-4.0), requires_grad=True), Tensor(np.float64(2.0), requires_grad=True))
    gradcheck(micrograd_expression, inputs)
    print("gradcheck (float64, central differences): backward agrees with finite differences")
