"""Define your own differentiable op, check it with gradcheck, and see what a wrong derivative looks like.

Run:  python examples/custom_op.py

Expected output (the failure table's entries are v^T J for gradcheck's random upstream gradient v, drawn with a
fixed seed: they repeat from run to run, and another v would give other numbers but the same verdict):
    swish at [-2, -1, 0, 1, 2]: [-0.2384 -0.2689  0.      0.7311  1.7616]
    gradcheck: passed
    gradgradcheck (second derivative): passed
    a swish whose backward forgot the x * s * (1 - s) term:
    GradcheckError: Jacobian mismatch for output 0 with respect to input 0 (entries are v^T J ...):
      element              numerical      analytical
      (0,)              -0.011414324      0.01498741
      (1,)             -0.0095550771     -0.03552847
      (3,)               0.097312745     0.076688131
      (4,)               -0.58429971     -0.47181602
      4 of 5 elements differ by more than atol + rtol * |numerical| (atol=1e-05, rtol=0.001); max difference 0.112

Element (2,) is missing from the table: at x = 0 the forgotten term x * s * (1 - s) is zero, so there the
wrong derivative happens to be right. A check at a single point could miss the mistake; checking every
element catches it.
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
