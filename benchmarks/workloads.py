"""The benchmark workloads: the same computation written for tinygrad_edu and for PyTorch.

Each workload's ``ours()`` and ``torch()`` build their inputs once and return a zero-argument
``step`` that runs one measured iteration. Both sides start from the same NumPy arrays, so they do
the same arithmetic in the same dtype; ``step.parameters()`` returns the trained weights as NumPy
arrays, which the tests use to check that both sides really compute the same thing.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

import tinygrad_edu as tg


@dataclass
class Workload:
    name: str
    target: float  # the largest acceptable tinygrad_edu / PyTorch time ratio
    ours: Callable
    torch: Callable


# ---------------------------------------------------------------------------- (a) op overhead
CHAIN_LINKS = 250  # each link is 4 ops: mul, add, tanh, sub -> 1,000 ops


def _chain_arrays():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(16).astype(np.float32) for _ in range(3)]


def _chain_step(x, a, b):
    """One step, the same code for both libraries: they share these operators and methods."""

    def step():
        y = x
        for _ in range(CHAIN_LINKS):
            y = (y * a + b).tanh() - x
        y.sum().backward()
        x.grad = a.grad = b.grad = None

    return step


def chain_ours():
    return _chain_step(*(tg.Tensor(v, requires_grad=True) for v in _chain_arrays()))


def chain_torch():
    import torch

    return _chain_step(*(torch.tensor(v, requires_grad=True) for v in _chain_arrays()))


# ------------------------------------------------------------------------- (b) MLP train step
MLP_SIZES, MLP_BATCH, LR, MOMENTUM = (784, 512, 256, 10), 256, 0.01, 0.9


def _mlp_arrays():
    """Weights in PyTorch's Linear layout (out, in) with its U(-1/sqrt(in), 1/sqrt(in)) init, and a batch."""
    rng = np.random.default_rng(0)
    params = []
    for n_in, n_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        bound = 1 / np.sqrt(n_in)
        params += [rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32),
                   rng.uniform(-bound, bound, n_out).astype(np.float32)]
    x = rng.standard_normal((MLP_BATCH, MLP_SIZES[0])).astype(np.float32)
    y = rng.integers(0, MLP_SIZES[-1], MLP_BATCH)
    return params, x, y


def mlp_ours():
    arrays, x, y = _mlp_arrays()
    params = [tg.Tensor(p, requires_grad=True) for p in arrays]
    x, y = tg.Tensor(x), tg.Tensor(y)
    rows = tg.arange(MLP_BATCH)
    buffers = [None] * len(params)

    def step():
        h = x
        for i in range(0, len(params), 2):
            h = tg.nn.functional.linear(h, params[i], params[i + 1])
            if i + 2 < len(params):
                h = h.relu()
        loss = -h.log_softmax(-1)[rows, y].mean()
        loss.backward()
        for i, p in enumerate(params):  # SGD with momentum, PyTorch's rule: the first buffer is the gradient
            if buffers[i] is None:
                buffers[i] = p.grad.data.copy()
            else:
                buffers[i] *= MOMENTUM
                buffers[i] += p.grad.data
            p.data -= LR * buffers[i]
            p.grad = None

    step.parameters = lambda: [p.data for p in params]
    return step


def mlp_torch():
    import torch

    arrays, x, y = _mlp_arrays()
    layers = []
    for i in range(0, len(arrays), 2):
        linear = torch.nn.Linear(arrays[i].shape[1], arrays[i].shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(arrays[i]))
            linear.bias.copy_(torch.from_numpy(arrays[i + 1]))
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    step.parameters = lambda: [p.detach().numpy() for p in model.parameters()]
    return step


WORKLOADS = [
    Workload("op overhead: 1,000 chained ops on (16,), fwd+bwd", 1.0, chain_ours, chain_torch),
    Workload("MLP 784-512-256-10, batch 256, SGD-momentum step", 1.1, mlp_ours, mlp_torch),
]
