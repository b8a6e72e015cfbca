"""micrograd's two classic examples, written with 0-d tinygrad_edu tensors.

1. The expression from micrograd's README: its value and gradients, and a gradient check.
2. One tanh neuron, o = tanh(x1 w1 + x2 w2 + b), with the gradient of every node kept
   (``retain_all_grads=True``), as micrograd draws them.

Run:  python examples/micrograd.py

Expected output:
    g = 24.7041
    dg/da = 138.8338
    dg/db = 645.5773
    gradcheck in float64: passed

    neuron: o = 0.7071
      node        value      grad
      x1         2.0000   -1.5000
      w1        -3.0000    1.0000
      x2         0.0000    0.5000
      w2         1.0000    0.0000
      b          6.8814    0.5000
      x1*w1     -6.0000    0.5000
      x2*w2      0.0000    0.5000
      n          0.8814    0.5000
      o          0.7071    1.0000
"""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.demo import micrograd_expression

a = tg.Tensor(np.float64(-4.0), requires_grad=True)
b = tg.Tensor(np.float64(2.0), requires_grad=True)
g = micrograd_expression(a, b)
g.backward()
print(f"g = {g.item():.4f}")
print(f"dg/da = {a.grad.item():.4f}")
print(f"dg/db = {b.grad.item():.4f}")
tg.gradcheck(micrograd_expression, (a.detach().requires_grad_(), b.detach().requires_grad_()))
print("gradcheck in float64: passed")

leaf = {name: tg.Tensor(np.float64(v), requires_grad=True)
        for name, v in [("x1", 2.0), ("w1", -3.0), ("x2", 0.0), ("w2", 1.0), ("b", 6.8813735870195432)]}
x1w1 = leaf["x1"] * leaf["w1"]
x2w2 = leaf["x2"] * leaf["w2"]
n = x1w1 + x2w2 + leaf["b"]
o = n.tanh()
o.backward(retain_all_grads=True)
print(f"\nneuron: o = {o.item():.4f}")
print(f"  {'node':<8}{'value':>9}{'grad':>10}")
for name, t in [*leaf.items(), ("x1*w1", x1w1), ("x2*w2", x2w2), ("n", n), ("o", o)]:
    print(f"  {name:<8}{t.item():>9.4f}{t.grad.item():>10.4f}")
