"""Gradients of gradients: derivatives of tanh up to the third, and a Hessian-vector product.

Run:  python examples/higher_order.py

Expected output:
    x = 0.5
    d/dx    tanh x = 1 - t^2           =  0.786448   (autograd  0.786448)
    d2/dx2  tanh x = -2t (1 - t^2)     = -0.726862   (autograd -0.726862)
    d3/dx3  tanh x = (1 - t^2)(6t^2-2) = -0.565209   (autograd -0.565209)
    Hessian-vector product of f(w) = sum(exp(A w)):
      autograd                [-0.500831 -0.601351  0.007597  0.253847]
      A^T diag(exp(Aw)) A v   [-0.500831 -0.601351  0.007597  0.253847]   (equal)
"""

import numpy as np

import tinygrad_edu as tg

x = tg.Tensor(np.float64(0.5), requires_grad=True)
(d1,) = tg.grad(x.tanh(), x, create_graph=True)  # create_graph: d1 is itself differentiable
(d2,) = tg.grad(d1, x, create_graph=True)
(d3,) = tg.grad(d2, x)
t = np.tanh(0.5)
print("x = 0.5")
print(f"d/dx    tanh x = 1 - t^2           = {1 - t * t: .6f}   (autograd {d1.item(): .6f})")
print(f"d2/dx2  tanh x = -2t (1 - t^2)     = {-2 * t * (1 - t * t): .6f}   (autograd {d2.item(): .6f})")
print(f"d3/dx3  tanh x = (1 - t^2)(6t^2-2) = {(1 - t * t) * (6 * t * t - 2): .6f}   (autograd {d3.item(): .6f})")

# H v without forming H: differentiate (grad f . v) once more.
rng = np.random.default_rng(0)
A, w0, v = rng.standard_normal((3, 4)) * 0.5, rng.standard_normal(4), rng.standard_normal(4)
w = tg.Tensor(w0, requires_grad=True)
(g,) = tg.grad((tg.Tensor(A) @ w).exp().sum(), w, create_graph=True)
(hv,) = tg.grad((g * tg.Tensor(v)).sum(), w)
exact = A.T @ np.diag(np.exp(A @ w0)) @ A @ v
print("Hessian-vector product of f(w) = sum(exp(A w)):")
print("  autograd               ", np.round(hv.numpy(), 6))
verdict = "  (equal)" if np.allclose(hv.numpy(), exact) else "  (DIFFERENT)"
print("  A^T diag(exp(Aw)) A v  ", np.round(exact, 6), verdict)
