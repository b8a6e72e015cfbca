"""A LeNet-style CNN on the 8x8 handwritten digits that ship with scikit-learn (or on MNIST).

Convolution here is im2col + one matrix product (see tinygrad_edu/engine/ops/window.py), so a real CNN trains on
a laptop in seconds. Prints the test accuracy, the time it took and the confusion matrix; with
matplotlib (``pip install tinygrad_edu[plots]``) it also saves a grid of misclassified digits and the
first layer's filters.

Run:  python examples/cnn_digits.py [--epochs 40] [--out cnn_results] [--mnist DIR]
      (needs scikit-learn for the digits: pip install tinygrad_edu[data])

``--mnist DIR`` trains on the four MNIST IDX files in DIR (raw or .gz) instead.

Expected output (2 cores; the time varies with the machine):
    1347 training and 450 test images of 8x8; CNN with 13706 parameters
    loss 2.222 -> 0.0166 in 40 epochs, 4.0 s
    test accuracy: 97.56%
    confusion matrix (rows: true digit, columns: predicted):
    [[42  0  0  0  2  0  0  0  0  0]
     [ 0 45  0  0  0  0  0  0  1  0]
     ...
     [ 0  0  0  1  0  0  0  1  0 43]]
    pictures: cnn_results/misclassified.png, cnn_results/filters.png
"""

import argparse
import time
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader, TensorDataset, load_digits, load_mnist
from tinygrad_edu.models import CNN
from tinygrad_edu.nn import CrossEntropyLoss
from tinygrad_edu.optim import Adam
from tinygrad_edu.optim.lr_scheduler import CosineAnnealingLR
from tinygrad_edu.train import evaluate, fit


def confusion_matrix(y_true, y_pred, classes=10):
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def save_pictures(model, X_test, y_test, predicted, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wrong = np.flatnonzero(predicted != y_test)[:32]
    cols = 8
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.2, rows * 1.4 + 0.6), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(X_test[i, 0], cmap="gray_r")
        ax.set_title(f"{y_test[i]} as {predicted[i]}", fontsize=8)
    fig.suptitle(f"misclassified test digits ({len(np.flatnonzero(predicted != y_test))} in all): true as predicted")
    fig.tight_layout()
    fig.savefig(out / "misclassified.png", dpi=90)
    plt.close(fig)

    filters = model.features[0].weight.numpy()[:, 0]
    fig, axes = plt.subplots(2, len(filters) // 2, figsize=(len(filters) * 0.6, 2.6))
    for ax, f in zip(axes.ravel(), filters):
        ax.imshow(f, cmap="RdBu_r", vmin=-np.abs(filters).max(), vmax=np.abs(filters).max())
        ax.axis("off")
    fig.suptitle("first-layer 3x3 filters (red positive, blue negative)")
    fig.tight_layout()
    fig.savefig(out / "filters.png", dpi=90)
    plt.close(fig)


def main(argv=None):
    tg.keep_freed_memory()  # a training script's choice: reuse freed arrays' memory (README: Performance)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--out", default="cnn_results", help="folder for the pictures")
    parser.add_argument("--mnist", help="a folder with the four MNIST IDX files")
    args = parser.parse_args(argv)
    tg.manual_seed(0)
    X_train, X_test, y_train, y_test = load_mnist(args.mnist) if args.mnist else load_digits()
    size = X_train.shape[-1]
    model = CNN(image_size=size, channels=(16, 32), hidden=64)
    train = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True, seed=0)
    test = DataLoader(TensorDataset(X_test, y_test), batch_size=512)
    print(f"{len(X_train)} training and {len(X_test)} test images of {size}x{size}; {model.__class__.__name__} with "
          f"{sum(p.numel() for p in model.parameters())} parameters")
    start = time.perf_counter()
    optimizer = Adam(model.parameters(), lr=3e-3)
    history = fit(model, CrossEntropyLoss(), optimizer, train, args.epochs,
                  scheduler=CosineAnnealingLR(optimizer, T_max=args.epochs), progress=False)
    seconds = time.perf_counter() - start
    accuracy = evaluate(model, CrossEntropyLoss(), test)["accuracy"]
    with tg.no_grad():
        predicted = np.concatenate([model.eval()(xb).argmax(-1).numpy() for xb, _ in test])
    print(f"loss {history['loss'][0]:.3f} -> {history['loss'][-1]:.4f} in {args.epochs} epochs, {seconds:.1f} s")
    print(f"test accuracy: {100 * accuracy:.2f}%")
    print("confusion matrix (rows: true digit, columns: predicted):")
    print(confusion_matrix(y_test, predicted))
    try:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        save_pictures(model, X_test, y_test, predicted, out)
        print(f"pictures: {out / 'misclassified.png'}, {out / 'filters.png'}")
    except ImportError:
        print("matplotlib is not installed: no pictures (pip install tinygrad_edu[plots])")


if __name__ == "__main__":
    main()
