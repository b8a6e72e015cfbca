"""The demo behind ``python -m tinygrad_edu demo``: micrograd's expression, its gradients and a gradient
check, then micrograd's moons classifier trained with the nn, optim, data and train packages."""

from pathlib import Path

import numpy as np

from .data import DataLoader, TensorDataset, make_moons
from .engine import Tensor, gradcheck, manual_seed
from .models import MLP
from .nn import CrossEntropyLoss
from .optim import Adam
from .train import evaluate, fit
from .viz import GraphvizNotFound, plot_decision_boundary, save_graph


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


def train_moons(epochs=100, seed=0, progress=False):
    """micrograd's moons demo: an MLP with two hidden layers of 16 separates two interleaving half-moons
    (100 points, noise 0.1). Returns the model, its training history and its final training accuracy."""
    manual_seed(seed)
    X, y = make_moons(100, noise=0.1, seed=seed)
    model = MLP([2, 16, 16, 2])
    loader = DataLoader(TensorDataset(X, y), batch_size=20, shuffle=True, seed=seed)
    history = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), loader, epochs, progress=progress)
    accuracy = evaluate(model, CrossEntropyLoss(), DataLoader(TensorDataset(X, y), batch_size=100))["accuracy"]
    return model, history, accuracy


def run_demo(out="."):
    """Print micrograd's expression, its gradients and a gradient check, train the moons MLP, and write
    its graph (``moons_graph.svg``) and decision boundary (``moons_boundary.png``) into ``out``."""
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
    model, history, accuracy = train_moons()
    print(f"\nmoons MLP 2-16-16-2 (Adam, 100 epochs): loss {history['loss'][0]:.3f} -> {history['loss'][-1]:.4f}, "
          f"training accuracy {100 * accuracy:.0f}%")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    X, y = make_moons(100, noise=0.1, seed=0)  # train_moons' data
    model.zero_grad()  # the drawing shows no stale gradient from the last training step
    loss = CrossEntropyLoss()(model(Tensor(X)), Tensor(y))
    try:
        save_graph(loss, out / "moons_graph.svg", params=model, group_modules=True)
        print(f"computation graph (grouped by module): {out / 'moons_graph.svg'}")
    except GraphvizNotFound:
        print("no graph drawn: Graphviz's `dot` is missing (apt-get install graphviz, brew install graphviz)")
    try:
        plot_decision_boundary(model, X, y, out / "moons_boundary.png")
        print(f"decision boundary: {out / 'moons_boundary.png'}")
    except ImportError:
        print("no decision boundary drawn (install matplotlib: pip install tinygrad_edu[plots])")
