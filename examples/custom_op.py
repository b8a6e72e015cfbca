"""Define your own differentiable op, check it with gradcheck, and see what a wrong derivative looks like.

Run:  python examples/custom_op.py

Expected output (the numbers in the failure table depend on the random upstream gradient):
    swish at [-2, -1, 0, 1, 2]: [-0.2384 -0.2689  0.      0.7311  1.7616]
    gradcheck: passed
    gradgradcheck (second derivative): passed
    a swish whose backward forgot the x * s * (1 - s) term:
    GradcheckError: Jacobian mismatch for output 0 with respect to input 0 (entries are v^T J ...):
      element              numerical      analytical
      (0,)               ...
"""

import numpy as np

import tinygrad_edu as tg


def swish(x):
    """swish(x) = x * s with s = sigmoid(x).   d/dx = s + x * s * (1 - s)."""
    s = 1 / (1 + np.exp(-x.numpy()))

    def backward(g, out):
        sig = x.sigmoid()  # written with Tensor ops, so the derivative can be differentiated again
        return (g * (sig + x * sig * (1 - sig)),)

    return tg.make_op("swish", x.numpy() * s, (x,), backward)


def wrong_swish(x):
    """The same forward with a derivative that misses a term: gradcheck must catch it."""
    s = 1 / (1 + np.exp(-x.numpy()))
    return tg.make_op("wrong_swish", x.numpy() * s, (x,), lambda g, out: (g * x.sigmoid(),))


x = tg.Tensor(np.linspace(-2, 2, 5), requires_grad=True)  # float64: finite differences need the precision
print("swish at [-2, -1, 0, 1, 2]:", np.round(swish(x).numpy(), 4))
tg.gradcheck(swish, (x,))
print("gradcheck: passed")
tg.gradgradcheck(swish, (x,))
print("gradgradcheck (second derivative): passed")
print("a swish whose backward forgot the x * s * (1 - s) term:")
try:
    tg.gradcheck(wrong_swish, (x,))
except tg.GradcheckError as error:
    print(f"GradcheckError: {error}")
