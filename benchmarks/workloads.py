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
    target: float | None  # the largest acceptable tinygrad_edu / PyTorch time ratio (None: no target set)
    ours: Callable
    torch: Callable


def _both(build):
    """(ours, theirs) for a workload written once as ``build(lib, tensor)``: tinygrad_edu with its Tensor,
    and PyTorch (imported only when its side runs) with ``torch.from_numpy``."""
    def ours():
        return build(tg, tg.Tensor)

    def theirs():
        import torch

        return build(torch, torch.from_numpy)

    return ours, theirs


def _uniform_weights(module, tensor, rng, scale=0.1):
    """Load U(-scale, scale) float32 values, drawn from ``rng`` in state_dict order, into every entry:
    both libraries start from the same numbers."""
    module.load_state_dict({k: tensor(rng.uniform(-scale, scale, tuple(v.shape)).astype(np.float32))
                            for k, v in module.state_dict().items()})


def _classifier_step(nn, model, x, y, optimizer):
    """One cross-entropy training step of ``model`` on (x, y), as a benchmark step."""
    def step():
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    step.parameters = lambda: [p.detach().numpy() for p in model.parameters()]
    return step


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


def _mlp_step(lib, tensor):
    """One training step of the same model, written once for both libraries: they share these names."""
    arrays, x, y = _mlp_arrays()
    nn = lib.nn
    layers = []
    for n_in, n_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    model.load_state_dict({key: tensor(a) for key, a in zip(model.state_dict(), arrays)})
    optimizer = lib.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = tensor(x), tensor(y)
    return _classifier_step(nn, model, x, y, optimizer)


mlp_ours, mlp_torch = _both(_mlp_step)


# --------------------------------------------------------- (b2) a makemore-style step (issue 17)
MAKEMORE_BATCH, MAKEMORE_LR = 32, 0.1


def _makemore_step(lib, tensor):
    """makemore's MLP (part 3): a 3-character context embedded in 10 dimensions, Linear(30, 200) without
    bias, BatchNorm1d, Tanh, Linear(200, 27); batch 32, cross-entropy, and the lecture's manual SGD
    ``p.data += -lr * p.grad``. Small tensors: what it measures is the cost of each op and of autograd."""
    nn = lib.nn
    model = nn.Sequential(nn.Embedding(27, 10), nn.Flatten(), nn.Linear(30, 200, bias=False), nn.BatchNorm1d(200),
                          nn.Tanh(), nn.Linear(200, 27))
    rng = np.random.default_rng(0)
    params = list(model.parameters())
    with lib.no_grad():  # the same start on both libraries
        for p in params:
            p.copy_(tensor(rng.uniform(-0.1, 0.1, tuple(p.shape)).astype(np.float32)))
    x, y = tensor(rng.integers(0, 27, (MAKEMORE_BATCH, 3))), tensor(rng.integers(0, 27, MAKEMORE_BATCH))

    def step():
        loss = nn.functional.cross_entropy(model(x), y)
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data += -MAKEMORE_LR * p.grad

    step.parameters = lambda: [p.detach().numpy() for p in params]
    return step


makemore_ours, makemore_torch = _both(_makemore_step)


# ------------------------------------------------------------------------ (c) a moons epoch
MOONS = 1000


def _moons_epoch(lib, tensor, loader):
    """An epoch of micrograd's moons MLP (2-16-16-2, batch 32, Adam) through each library's own DataLoader."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    rng = np.random.default_rng(0)
    _uniform_weights(model, tensor, rng, 0.5)
    optimizer = lib.optim.Adam(model.parameters(), lr=0.01)

    def step():
        for inputs, targets in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(inputs), targets).backward()
            optimizer.step()

    step.parameters = lambda: [p.detach().numpy() for p in model.parameters()]
    return step


def moons_ours():
    X, y = tg.data.make_moons(MOONS, noise=0.1, seed=0)
    return _moons_epoch(tg, tg.Tensor, tg.data.DataLoader(tg.data.TensorDataset(X, y), batch_size=32, shuffle=True))


def moons_torch():
    import torch

    X, y = tg.data.make_moons(MOONS, noise=0.1, seed=0)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    return _moons_epoch(torch, torch.from_numpy, torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True))


# ------------------------------------------------------------------- (d) CNN step, (e) conv alone
def _cnn_step(lib, tensor):
    """Conv(1->16)-ReLU-MaxPool-Conv(16->32)-ReLU-MaxPool-Flatten-Linear(1568->10), batch 64 of 1x28x28,
    cross-entropy and SGD with momentum: the same code for both libraries."""
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1568, 10))
    rng = np.random.default_rng(0)
    _uniform_weights(model, tensor, rng)
    x = tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = tensor(rng.integers(0, 10, 64))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _classifier_step(nn, model, x, y, optimizer)


def _conv_step(lib, tensor):
    """Conv2d(16 -> 32, 3x3, padding 1) forward and backward on (64, 16, 32, 32) float32."""
    rng = np.random.default_rng(0)
    conv = lib.nn.Conv2d(16, 32, 3, padding=1)
    _uniform_weights(conv, tensor, rng)
    x = tensor(rng.standard_normal((64, 16, 32, 32)).astype(np.float32)).requires_grad_()

    def step():
        x.grad = None
        conv.zero_grad()
        conv(x).sum().backward()

    step.parameters = lambda: [p.detach().numpy() for p in conv.parameters()]
    return step


cnn_ours, cnn_torch = _both(_cnn_step)


conv_ours, conv_torch = _both(_conv_step)


# ---------------------------------------------------------------------------------- (f) LSTM step
LSTM_SIZES, LSTM_BATCH, LSTM_STEPS = (64, 256, 96), 32, 64


def _lstm_step(lib, tensor):
    """LSTM(64, 256, batch_first=True) over batch 32 x 64 steps, a Linear(256->96) head on every step,
    cross-entropy and Adam: the same code for both libraries."""
    nn = lib.nn
    n_in, hidden, n_out = LSTM_SIZES
    lstm, head = nn.LSTM(n_in, hidden, batch_first=True), nn.Linear(hidden, n_out)
    rng = np.random.default_rng(0)
    for module in (lstm, head):
        _uniform_weights(module, tensor, rng)
    x = tensor(rng.standard_normal((LSTM_BATCH, LSTM_STEPS, n_in)).astype(np.float32))
    y = tensor(rng.integers(0, n_out, LSTM_BATCH * LSTM_STEPS))
    parameters = [*lstm.parameters(), *head.parameters()]
    optimizer = lib.optim.Adam(parameters, lr=1e-3)

    def step():
        optimizer.zero_grad()
        output, _ = lstm(x)
        nn.functional.cross_entropy(head(output).reshape(-1, n_out), y).backward()
        optimizer.step()

    step.parameters = lambda: [p.detach().numpy() for p in parameters]
    return step


lstm_ours, lstm_torch = _both(_lstm_step)


# ---------------------------------------------------------------------------- (g) Transformer step
TRANSFORMER_SIZES, TRANSFORMER_BATCH, TRANSFORMER_TOKENS = (128, 4, 512), 32, 32


def _transformer_step(lib, tensor):
    """Two TransformerEncoderLayer(128, 4, 512, dropout=0, batch_first=True) on batch 32 x 32 tokens, the
    mean of squares of the output as loss and Adam: the same code for both libraries."""
    nn = lib.nn
    d_model, nhead, dim_feedforward = TRANSFORMER_SIZES
    model = nn.Sequential(*(nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True)
                            for _ in range(2)))
    rng = np.random.default_rng(0)
    model.load_state_dict({k: tensor((rng.uniform(-0.1, 0.1, tuple(v.shape)) + ("norm" in k and k.endswith("weight")))
                                     .astype(np.float32)) for k, v in model.state_dict().items()})
    x = tensor(rng.standard_normal((TRANSFORMER_BATCH, TRANSFORMER_TOKENS, d_model)).astype(np.float32))
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        (model(x) ** 2).mean().backward()
        optimizer.step()

    step.parameters = lambda: [p.detach().numpy() for p in model.parameters()]
    return step


transformer_ours, transformer_torch = _both(_transformer_step)


WORKLOADS = [
    Workload("op overhead: 1,000 chained ops on (16,), fwd+bwd", 1.0, chain_ours, chain_torch),
    Workload("MLP 784-512-256-10, batch 256, SGD-momentum step", 1.1, mlp_ours, mlp_torch),
    Workload("makemore step: Embedding-Linear-BatchNorm1d-Tanh-Linear, batch 32, p.data SGD", 1.0, makemore_ours,
             makemore_torch),
    Workload("moons epoch: MLP 2-16-16-2, 1,000 points, batch 32, Adam", None, moons_ours, moons_torch),
    Workload("CNN step: 2 conv + pool + linear, batch 64 of 1x28x28, SGD-momentum", 2.0, cnn_ours, cnn_torch),
    Workload("Conv2d 16->32 3x3 pad 1 on (64, 16, 32, 32), fwd+bwd", 2.0, conv_ours, conv_torch),
    Workload("LSTM step: LSTM(64, 256) batch 32 x 64 steps, Linear(256->96), Adam", 1.5, lstm_ours, lstm_torch),
    Workload("Transformer step: 2 encoder layers d128 h4 ff512, batch 32 x 32, Adam", 1.5, transformer_ours,
             transformer_torch),
]
