"""Is a deep network healthy? The diagnostics of makemore part 3, on a next-character task.

A five-layer Linear/Tanh network (hidden 100) reads the 3 previous characters (each embedded in 10
dimensions) and predicts the next one. The text ships with Python: the help topics in
``pydoc_data.topics``, lower-cased, runs of whitespace collapsed to one space, and every character
outside a 40-symbol vocabulary mapped to ``#``. Four runs, 1000 SGD steps of batch 32 each:

- naive init, weights and biases ~ N(0, 1): pre-activations have a std of about sqrt(fan_in) = 10, so
  almost every tanh unit sits at +-1 and passes back almost no gradient, and the output layer's logits
  (std about 10 too) make confidently wrong predictions: the held-out loss starts at 22. The early
  updates are about 10^-1.8 of the weights, over 10x the guide, and go into shrinking those logits rather
  than into using the context: after 1000 steps the loss is still around the uniform guess's 3.69 (3.9
  with this seed; 3.5 to 4.1 over seeds 0 to 3);
- scaled init (Kaiming for tanh: std = (5/3)/sqrt(fan_in), zero biases, the output layer 10x smaller):
  activations spread over (-1, 1), updates start near the customary 1e-3 of the weights;
- the same two with BatchNorm1d after each hidden Linear (which then needs no bias): normalization
  rescues even the naive init's saturation, though its large weights make later updates small.

For each run it writes four plots into ``--out``: activation histograms per Tanh layer (with mean, std
and % saturated), gradient histograms per Tanh layer, gradient histograms per weight matrix with its
grad:data ratio, and the log10 update:data ratio per weight matrix over the steps with the 1e-3 guide
line. Then it prints the figures that tell the runs apart: the loss on held-out text (a uniform guess
scores ln 40 = 3.69), the % of saturated tanh units (|t| > 0.97) per layer on the last batch, and the
median log10 update:data ratio of the weight matrices over the first 10% of steps (early) and the last
half (late). Takes 8 s on 2 idle cores, about twice that when they are shared.

Run:  python examples/deep_mlp_diagnostics.py [--out diagnostics] [--steps 1000]

Expected output (the last digits vary with the platform and with the Python version's help texts; the
naive run, whose loss swings with the seed, can differ by more):
    389925 training contexts, vocabulary of 40, uniform guess loss 3.69
    naive               loss 3.904  saturated %  97  91  92  97  update:data 10^-1.77 early, 10^-2.40 late
    scaled              loss 2.257  saturated %  18  15  14  14  update:data 10^-2.69 early, 10^-2.32 late
    naive + batchnorm   loss 2.733  saturated %   3   3   2   0  update:data 10^-2.78 early, 10^-3.38 late
    scaled + batchnorm  loss 2.298  saturated %   3   4   3   4  update:data 10^-2.72 early, 10^-2.31 late
    4 runs in 8 s; 16 plots in diagnostics/
"""

import argparse
import pydoc_data.topics
import re
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.optim import SGD
from tinygrad_edu.viz import (
    Monitor,
    plot_activations,
    plot_grad_data_ratio,
    plot_gradients,
    plot_update_ratio,
)

VOCAB = " abcdefghijklmnopqrstuvwxyz.,:;()'\"-_=*#"  # '#' stands for every other character
BLOCK = 3  # characters of context


def load_data(block=BLOCK):
    """Contexts of ``block`` character ids -> the next id, split 90/10 into train and held-out."""
    text = re.sub(r"\s+", " ", " ".join(pydoc_data.topics.topics.values()).lower())
    ids = np.array([VOCAB.find(c) for c in text], dtype=np.int64)
    ids[ids < 0] = VOCAB.index("#")
    windows = np.arange(block)[None, :] + np.arange(len(ids) - block)[:, None]
    X, Y = ids[windows], ids[block:]
    split = int(0.9 * len(X))
    return (X[:split], Y[:split]), (X[split:], Y[split:])


def build(batchnorm, init, vocab=len(VOCAB), embed=10, hidden=100):
    """Embedding -> flatten -> five Linear layers, Tanh (after an optional BatchNorm1d) between them."""
    sizes = [BLOCK * embed, hidden, hidden, hidden, hidden, vocab]
    layers = [nn.Embedding(vocab, embed), nn.Flatten()]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        linear = nn.Linear(n_in, n_out, bias=last or not batchnorm)  # BatchNorm's shift replaces the bias
        if init == "naive":
            nn.init.normal_(linear.weight)
            if linear.bias is not None:
                nn.init.normal_(linear.bias)
        else:
            nn.init.normal_(linear.weight, std=(0.1 if last else 5 / 3) / n_in ** 0.5)
            if linear.bias is not None:
                nn.init.zeros_(linear.bias)
        layers.append(linear)
        if not last:
            layers += [nn.BatchNorm1d(n_out)] if batchnorm else []
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def train(model, data, steps, lr=0.1, batch_size=32, seed=0):
    """Plain SGD on random minibatches, with a Monitor attached; returns the monitor."""
    (X, Y), rng = data, np.random.default_rng(seed)
    optimizer = SGD(model.parameters(), lr=lr)
    monitor = Monitor(model)
    monitor.track(optimizer)
    for _ in range(steps):
        batch = rng.integers(0, len(X), batch_size)
        loss = F.cross_entropy(model(tg.Tensor(X[batch])), tg.Tensor(Y[batch]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return monitor


def heldout_loss(model, data, n=20_000):
    X, Y = data
    model.eval()
    with tg.no_grad():
        loss = F.cross_entropy(model(tg.Tensor(X[:n])), tg.Tensor(Y[:n])).item()
    model.train()
    return loss


def main():
    tg.keep_freed_memory()  # a training script's choice: reuse freed arrays' memory (README: Performance)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="diagnostics", help="directory for the plots")
    parser.add_argument("--steps", type=int, default=1000, help="SGD steps per run")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    train_data, heldout = load_data()
    print(f"{len(train_data[0])} training contexts, vocabulary of {len(VOCAB)}, "
          f"uniform guess loss {np.log(len(VOCAB)):.2f}")
    for batchnorm in (False, True):
        for init in ("naive", "scaled"):
            name = f"{init}{'_batchnorm' if batchnorm else ''}"
            tg.manual_seed(0)
            model = build(batchnorm, init)
            monitor = train(model, train_data, args.steps)
            stats = monitor.stats()  # the last training batch's activations
            for kind, plot in [("activations", plot_activations), ("gradients", plot_gradients),
                               ("update_ratio", plot_update_ratio)]:
                plt.close(plot(monitor, out / f"{name}_{kind}.png"))
            plt.close(plot_grad_data_ratio(model, out / f"{name}_grad_data_ratio.png"))
            monitor.remove()
            saturated = " ".join(f"{layer['saturated']:3.0f}" for layer in stats.values())
            weights = np.array([r for p, r in monitor.update_ratios.items() if len(monitor.shapes[p]) == 2])
            early, late = np.nanmedian(weights[:, :args.steps // 10]), np.nanmedian(weights[:, args.steps // 2:])
            label = f"{init}{' + batchnorm' if batchnorm else ''}"
            print(f"{label:<19} loss {heldout_loss(model, heldout):.3f}  saturated % {saturated}  "
                  f"update:data 10^{early:.2f} early, 10^{late:.2f} late")
    print(f"4 runs in {time.perf_counter() - start:.0f} s; 16 plots in {out}/")


if __name__ == "__main__":
    main()
