"""Draw computation graphs with Graphviz, from one scalar expression to a deep network.

1. micrograd's expression: every node shows its value and, after ``backward(retain_all_grads=True)``,
   its gradient, as micrograd draws them.
2. micrograd's moons MLP 2-16-16-2, forward pass and cross-entropy loss on 20 points: the ops of each
   layer sit in a cluster named by the layer's dotted path (``layers.0``, ``layers.1``...), parameters
   carry their names and shapes, and the loss sits in a ``cross_entropy()`` cluster with its shapes.
3. A deep network of 12 blocks (Linear -> BatchNorm1d -> Tanh; 38 layers with the stem and head) drawn
   with ``collapse_depth=2`` (0 would be the whole network as one box, 1 its stem, blocks and head): each
   block is one box with its class, parameter count, input/output shapes and children, so the whole
   network fits on one screen.
4. A scalar recurrence h = tanh(1.01 h + 0.1) unrolled 12 steps, 36 ops in a row: drawn as one column it
   would be 301×4127 px; it wraps into two columns side by side, a pair of numbered connectors marking
   where the chain continues.

The layout is chosen to fit a notebook (about 1,000 px wide): top to bottom unless left to right is
narrower, and a long chain wrapped into columns. Writes SVGs into ``--out`` (needs Graphviz's ``dot``:
``apt-get install graphviz``, ``brew install graphviz`` or ``conda install graphviz``), and three pages
of the interactive explorer (``tg.viz.explore``, self-contained HTML): the MLP; the deep network after a
few steps of training, opened coloured by gradient magnitude (the first blocks' gradients are the
smallest); and a Transformer encoder layer.

Run:  python examples/visualize_graph.py [--out graphs]

Expected output:
    graphs/micrograd_expression.svg: 36 nodes (g = 24.7041, dg/da = 138.8338; 831×1709 px)
    graphs/mlp_modules.svg: 14 nodes (loss 0.6897, grouped by module; 709×964 px)
    graphs/deep_collapsed.svg: 20 nodes (38 layers, collapse_depth=2; 587×1737 px)
    graphs/long_chain.svg: 64 nodes (36 ops in 2 columns; 695×2207 px)
    graphs/mlp_explorer.html: 13 tensors
    graphs/deep_trained_explorer.html: 92 tensors, coloured by gradient magnitude
    graphs/transformer_explorer.html: 63 tensors
(node counts include the colour legend's node; sizes at 96 dpi).
"""

import argparse
import re
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.data import make_moons
from tinygrad_edu.demo import micrograd_expression
from tinygrad_edu.models import MLP
from tinygrad_edu.viz import save_graph


class DeepNet(nn.Module):
    """stem -> ``depth`` blocks of Linear -> BatchNorm1d -> Tanh -> head."""

    def __init__(self, n_in=2, width=32, depth=12, n_out=2):
        super().__init__()
        self.stem = nn.Linear(n_in, width)
        self.blocks = nn.Sequential(*[nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width), nn.Tanh())
                                      for _ in range(depth)])
        self.head = nn.Linear(width, n_out)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


def node_count(svg_path):
    """Graphviz writes one ``<g class="node">`` per drawn node."""
    return len(re.findall(r'class="node"', svg_path.read_text()))


def columns(svg_path):
    """How many columns a wrapped drawing has: one more than its jumps, each a numbered pair of connectors."""
    return 1 + len(re.findall(r"<title>wrap\d+_to</title>", svg_path.read_text()))


def size_px(svg_path):
    """The rendered width × height in pixels at 96 dpi (the SVG gives them in points, 72 to the inch)."""
    width, height = re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg_path.read_text()).groups()
    return f"{round(int(width) * 4 / 3)}×{round(int(height) * 4 / 3)} px"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="graphs", help="directory for the SVG files")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    tg.manual_seed(0)

    a = tg.Tensor(-4.0, requires_grad=True)
    b = tg.Tensor(2.0, requires_grad=True)
    g = micrograd_expression(a, b)
    g.backward(retain_all_grads=True)
    save_graph(g, out / "micrograd_expression.svg", params={"a": a, "b": b})

    X, y = make_moons(20, noise=0.1, seed=0)
    mlp = MLP([2, 16, 16, 2])
    loss = nn.CrossEntropyLoss()(mlp(tg.Tensor(X)), tg.Tensor(y))
    loss.backward()
    save_graph(loss, out / "mlp_modules.svg", params=mlp, group_modules=True)

    deep = DeepNet()
    logits = deep(tg.Tensor(np.zeros((20, 2), dtype=np.float32)))
    save_graph(logits, out / "deep_collapsed.svg", params=deep, collapse_depth=2)

    h = x0 = tg.Tensor(0.5, requires_grad=True)
    for _ in range(12):  # a scalar recurrence unrolled 12 steps: a chain of 36 ops
        h = (h * 1.01 + 0.1).tanh()
    h.backward()
    save_graph(h, out / "long_chain.svg", params={"h0": x0})

    pages = [("mlp_explorer.html", tg.viz.explore(loss, mlp, path=out / "mlp_explorer.html"), "")]
    X_train, y_train = make_moons(64, noise=0.1, seed=1)
    optimizer = tg.optim.SGD(deep.parameters(), lr=0.1)
    for _ in range(3):  # a few steps, so that the gradients are those of a network in training
        optimizer.zero_grad()
        trained = nn.functional.cross_entropy(deep(tg.Tensor(X_train)), tg.Tensor(y_train))
        trained.backward()
        optimizer.step()
    pages.append(("deep_trained_explorer.html", tg.viz.explore(trained, deep, path=out / "deep_trained_explorer.html",
                                                               color="grad"), ", coloured by gradient magnitude"))
    layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0)
    encoded = layer(tg.Tensor(np.random.default_rng(0).standard_normal((5, 2, 16)).astype(np.float32)))
    encoded.sum().backward()
    pages.append(("transformer_explorer.html", tg.viz.explore(encoded, layer, path=out / "transformer_explorer.html"),
                  ""))

    n_layers = sum(1 for m in deep.modules() if not isinstance(m, (nn.Sequential, DeepNet)))
    for name, what in [("micrograd_expression.svg", f"g = {g.item():.4f}, dg/da = {a.grad.item():.4f}"),
                       ("mlp_modules.svg", f"loss {loss.item():.4f}, grouped by module"),
                       ("deep_collapsed.svg", f"{n_layers} layers, collapse_depth=2"),
                       ("long_chain.svg", f"36 ops in {columns(out / 'long_chain.svg')} columns")]:
        print(f"{out / name}: {node_count(out / name)} nodes ({what}; {size_px(out / name)})")
    for name, page, what in pages:
        print(f"{out / name}: {len(page.data['nodes'])} tensors{what}")


if __name__ == "__main__":
    main()
