"""Training diagnostics: the plots a from-scratch course uses to judge a deep network's health.

A :class:`Monitor` attaches to a model through forward hooks (no layer is edited) and keeps the latest
output of every activation layer, with its gradient after ``backward()``; ``monitor.track(optimizer)``
also records, at every ``step()``, each parameter's update-to-data ratio
``log10(std(update) / std(data))``. The plot functions turn that into the four pictures of makemore
part 3 (activations, their gradients, weight grad:data ratios, update:data ratios over time), plus loss
curves and the decision boundary of a 2-D classifier.

>>> monitor = Monitor(model)               # watches Tanh, Sigmoid, ReLU, GELU, SiLU, LeakyReLU layers
>>> monitor.track(optimizer)
>>> ...train a few steps...
>>> monitor.stats()["2"]["saturated"]      # percent of |t| > 0.97 in the Tanh layer named "2"
3.1
>>> plot_activations(monitor, path="activations.png")

Every plot function returns its matplotlib Figure, already closed in pyplot (a loop of plots keeps no
figures open, and ``plt.show()`` does not show it): save it with ``fig.savefig`` or ``path=``; in
Jupyter it shows once, as the cell's value (end the line with ``;`` to hide it).

matplotlib is an optional extra: ``pip install tinygrad_edu[plots]``.
"""

import os
import sys

import numpy as np

from ..engine.tensor import Tensor, no_grad
from ..nn.layers import GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Tanh

__all__ = ["Monitor", "percent_saturated", "plot_activations", "plot_gradients", "plot_grad_data_ratio",
           "plot_update_ratio", "plot_history", "plot_decision_boundary"]

ACTIVATIONS = (Tanh, Sigmoid, ReLU, GELU, SiLU, LeakyReLU)
UPDATE_RATIO_GUIDE = -3.0  # log10 of the customary 1e-3 update:data ratio


def percent_saturated(values, activation):
    """Percent of ``values`` in the flat tails of ``activation`` ("Tanh": ``|t| > 0.97``; "Sigmoid":
    ``t < 0.03`` or ``t > 0.97``), where the local gradient nearly vanishes; None for any other
    activation, which has no saturating tail.

    >>> percent_saturated(np.array([0.99, -0.98, 0.5, 0.0]), "Tanh")
    50.0
    """
    t = np.asarray(values.numpy() if isinstance(values, Tensor) else values)
    if activation == "Tanh":
        return float(np.mean(np.abs(t) > 0.97) * 100)
    if activation == "Sigmoid":
        return float(np.mean((t < 0.03) | (t > 0.97)) * 100)
    return None


def _log10_ratio(numerator, denominator):
    """log10(numerator / denominator), -inf for a zero numerator and nan for a zero denominator."""
    if denominator == 0:
        return float("nan")
    if numerator == 0:
        return float("-inf")
    return float(np.log10(numerator / denominator))


class Monitor:
    """Watches a model's activation layers (and, with :meth:`track`, an optimizer) for the diagnostic plots.

    ``layers``: None for every activation layer (Tanh, Sigmoid, ReLU, GELU, SiLU, LeakyReLU), or an
    iterable of dotted module names and/or Module classes to watch instead.

    After a forward pass, ``outputs[name]`` is the latest output Tensor of each watched layer (its
    ``retain_grad()`` is set, so after ``backward()`` its ``.grad`` is the loss gradient with respect
    to that activation). ``update_ratios[param_name]`` is a list, one entry per tracked optimizer step,
    of ``log10(std(p_after - p_before) / std(p_after))`` (nan when the parameter got no update or its
    data has zero spread). :meth:`remove` detaches everything; recorded values stay for plotting.
    """

    def __init__(self, model, layers=None):
        self.model = model
        self.outputs, self.kinds, self.update_ratios, self.shapes = {}, {}, {}, {}
        self.steps = 0
        self._handles, self._tracked = [], []
        names = {name for name in layers if isinstance(name, str)} if layers is not None else set()
        classes = ACTIVATIONS if layers is None else tuple(c for c in layers if isinstance(c, type))
        modules = dict(model.named_modules())
        unknown = sorted(names - set(modules))
        if unknown:
            raise ValueError(f"Monitor: no module named {unknown} in {type(model).__name__}; "
                             f"its modules are {sorted(n for n in modules if n)}")
        for name, module in modules.items():
            if name in names or isinstance(module, classes):
                key = name or type(module).__name__
                self.kinds[key] = type(module).__name__
                self._handles.append(module.register_forward_hook(self._recorder(key)))
        if not self._handles:
            raise ValueError(f"Monitor: nothing to watch in {type(model).__name__} (no activation layer of types "
                             f"{[c.__name__ for c in ACTIVATIONS]}); pass layers=[names or classes]")

    def _recorder(self, name):
        def hook(module, inputs, output):
            if isinstance(output, Tensor):
                if output.requires_grad:
                    output.retain_grad()
                self.outputs[name] = output
        return hook

    def track(self, optimizer):
        """Record every parameter's update-to-data ratio at each ``optimizer.step()``.

        The bound ``step`` of this one optimizer instance is wrapped (its class is untouched): parameter
        data is copied before the step and compared with the data after it. Returns ``self``.
        """
        names = {id(p): name for name, p in self.model.named_parameters()}
        params = [p for group in optimizer.param_groups for p in group["params"]]
        labels = [names.get(id(p), f"param{i}") for i, p in enumerate(params)]
        original, shadowed = optimizer.step, "step" in vars(optimizer)

        def step(*args, **kwargs):
            before = [None if p.grad is None else np.array(p.numpy(), dtype=np.float64) for p in params]
            result = original(*args, **kwargs)
            for label, p, old in zip(labels, params, before):
                ratios = self.update_ratios.setdefault(label, [float("nan")] * self.steps)
                self.shapes[label] = tuple(p.shape)
                new = np.asarray(p.numpy(), dtype=np.float64)
                ratios.append(float("nan") if old is None else _log10_ratio(np.std(new - old), np.std(new)))
            self.steps += 1
            return result

        optimizer.step = step
        self._tracked.append((optimizer, original if shadowed else None))
        return self

    def remove(self):
        """Detach the forward hooks and restore each tracked optimizer's own ``step``."""
        for handle in self._handles:
            handle.remove()
        for optimizer, shadowed in self._tracked:
            if shadowed is None:
                del optimizer.step
            else:
                optimizer.step = shadowed
        self._handles, self._tracked = [], []

    def stats(self):
        """Per watched layer (in forward order): ``{"type", "mean", "std", "saturated", "grad_mean",
        "grad_std"}``. ``saturated`` is a percent (see :func:`percent_saturated`; None for non-saturating
        activations); the ``grad_*`` entries are None until a backward pass has reached the layer."""
        result = {}
        for name, out in self.outputs.items():
            t, kind = np.asarray(out.numpy(), dtype=np.float64), self.kinds[name]
            g = None if out.grad is None else np.asarray(out.grad.numpy(), dtype=np.float64)
            result[name] = {"type": kind, "mean": float(t.mean()), "std": float(t.std()),
                            "saturated": percent_saturated(t, kind),
                            "grad_mean": None if g is None else float(g.mean()),
                            "grad_std": None if g is None else float(g.std())}
        return result


# ------------------------------------------------------------------------------------------ plotting
def _pyplot():
    """matplotlib.pyplot, imported on first use; Agg (files only) on a Linux machine with no display."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("the diagnostic plots need matplotlib: pip install tinygrad_edu[plots]") from None
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _finish(fig, path):
    """Lay out ``fig``, save it to ``path`` if given, and return it closed: pyplot forgets it (so a loop of
    plots does not pile up open figures, and Jupyter's inline backend does not draw it a second time at the
    end of the cell), while the returned Figure still saves (``fig.savefig``) and displays once in Jupyter
    as the cell's value."""
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    _pyplot().close(fig)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)  # closing left a bare canvas; Agg keeps fig.canvas.draw() and buffer_rgba() working
    return fig


def _legend_outside(ax):
    """Legend to the right of the axes, so that it never hides a curve however many layers there are."""
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))


def _histogram_figure(entries, xlabel, title, path, bins=50):
    """One line per (values, label): the density histogram drawn as a curve, as in makemore part 3."""
    fig, ax = _pyplot().subplots(figsize=(13, 4))
    for values, label in entries:
        density, edges = np.histogram(np.asarray(values, dtype=np.float64).ravel(), bins=bins, density=True)
        ax.plot((edges[:-1] + edges[1:]) / 2, density, label=label)
    ax.set_ylabel("density")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    _legend_outside(ax)
    return _finish(fig, path)


def _need(monitor, what):
    if not monitor.outputs:
        raise ValueError(f"{what}: the monitor has recorded nothing yet; run a forward pass of the model "
                         "with the Monitor attached")


def plot_activations(monitor, path=None):
    """Histogram of each watched layer's latest output, overlaid; the legend gives mean, std and, for
    tanh/sigmoid, the percent saturated. Healthy tanh layers have a few percent saturated at most."""
    _need(monitor, "plot_activations")
    stats = monitor.stats()
    entries = []
    for name, out in monitor.outputs.items():
        s = stats[name]
        saturated = "" if s["saturated"] is None else f", saturated {s['saturated']:.1f}%"
        label = f"layer {name} ({s['type']}): mean {s['mean']:+.2f}, std {s['std']:.2f}{saturated}"
        entries.append((out.numpy(), label))
    return _histogram_figure(entries, "activation value", "activation distribution", path)


def plot_gradients(monitor, path=None):
    """Histogram of the loss gradient with respect to each watched layer's output (after ``backward()``);
    in a healthy deep network the layers' histograms roughly coincide."""
    _need(monitor, "plot_gradients")
    stats = monitor.stats()
    entries = [(out.grad.numpy(), f"layer {name} ({stats[name]['type']}): mean {stats[name]['grad_mean']:+.2e}, "
                               f"std {stats[name]['grad_std']:.2e}")
               for name, out in monitor.outputs.items() if out.grad is not None]
    if not entries:
        raise ValueError("plot_gradients: no watched layer has a gradient; call loss.backward() after the "
                         "forward pass (the gradient of an output recorded under no_grad is never kept)")
    return _histogram_figure(entries, "gradient value", "gradient distribution (d loss / d activation)", path)


def plot_grad_data_ratio(model, path=None):
    """Histogram of each 2-D parameter's gradient; the legend gives its shape and grad:data ratio
    ``std(grad) / std(data)``. Ratios far apart mean some layers learn much faster than others."""
    entries = []
    for name, p in model.named_parameters():
        if p.ndim == 2 and p.grad is not None:
            g, d = np.asarray(p.grad.numpy(), dtype=np.float64), np.asarray(p.numpy(), dtype=np.float64)
            ratio = g.std() / d.std() if d.std() > 0 else float("nan")
            entries.append((g, f"{name} {tuple(p.shape)}: grad:data ratio {ratio:.3e}"))
    if not entries:
        raise ValueError(f"plot_grad_data_ratio: {type(model).__name__} has no 2-D parameter with a gradient; "
                         "call loss.backward() first")
    return _histogram_figure(entries, "gradient value", "weight gradient distribution", path)


def plot_update_ratio(monitor, path=None):
    """log10 of each 2-D parameter's update:data ratio over the tracked optimizer steps, with a dashed
    guide at -3 (updates about 1/1000 of the data): far below learns too slowly, far above too fast."""
    names = [n for n, shape in monitor.shapes.items() if len(shape) == 2]
    if not names:
        raise ValueError("plot_update_ratio: no update of a 2-D parameter recorded; call monitor.track(optimizer) "
                         "and then optimizer.step()")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(13, 4))
    for name in names:
        ratios = monitor.update_ratios[name]
        ax.plot(np.arange(len(ratios)), ratios, label=f"{name} {monitor.shapes[name]}")
    ax.axhline(UPDATE_RATIO_GUIDE, color="k", linestyle="--", label="guide: update = 1e-3 x data")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("log10(std(update) / std(data))")
    ax.set_title("update-to-data ratio")
    _legend_outside(ax)
    return _finish(fig, path)


def plot_history(history, path=None):
    """One panel per quantity (loss, then each metric) against the epoch: training solid, validation
    (``val_<name>``) dashed. ``history`` is :func:`tinygrad_edu.train.fit`'s History or any such dict."""
    names = list(dict.fromkeys(key[4:] if key.startswith("val_") else key for key in history))
    if not names or not any(len(v) for v in history.values()):
        raise ValueError("plot_history: the history is empty (train for at least one epoch)")
    names.sort(key=lambda n: n != "loss")  # loss first, metrics in their order
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.5), squeeze=False)
    for ax, name in zip(axes[0], names):
        for key, style, label in ((name, "-", "train"), (f"val_{name}", "--", "validation")):
            if history.get(key):
                ax.plot(np.arange(1, len(history[key]) + 1), history[key], style, marker="o", label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name)
        ax.legend()
    return _finish(fig, path)


def _class_colors(plt, classes):
    return plt.get_cmap("tab10").colors[:classes] if classes <= 10 else plt.get_cmap("viridis")(
        np.linspace(0, 1, classes))


def plot_decision_boundary(model, X, y, path=None, resolution=200):
    """The class a 2-D classifier predicts at every point of a ``resolution`` x ``resolution`` grid
    around ``X`` (shape (N, 2)), as filled regions, with the points coloured by their label ``y``.

    The prediction is the argmax of the model's output, or ``output > 0`` for one logit per sample
    (shape (M,) or (M, 1)). The model runs in eval mode without recording a graph; each module's
    train/eval flag is restored afterwards. Class k has the same colour in regions and points.
    """
    X = np.asarray(X.numpy() if isinstance(X, Tensor) else X)
    y = np.asarray(y.numpy() if isinstance(y, Tensor) else y).ravel().astype(np.int64)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) != len(y):
        raise ValueError(f"plot_decision_boundary: X must have shape (N, 2) and y shape (N,), "
                         f"got X {X.shape} and y {y.shape}")
    margin = 0.1 * np.maximum(X.max(axis=0) - X.min(axis=0), 1e-3)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(X.dtype if X.dtype.kind == "f" else np.float32)
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with no_grad():
            out = np.asarray(model(Tensor(grid)).numpy())
    finally:
        for module, training in modes:
            module.training = training
    if out.ndim == 2 and out.shape[1] > 1:
        pred, classes = out.argmax(axis=1), out.shape[1]
    else:
        pred, classes = (out.reshape(len(grid)) > 0).astype(np.int64), 2
    classes = max(classes, int(y.max()) + 1 if len(y) else 0)
    plt = _pyplot()
    from matplotlib.colors import ListedColormap
    cmap = ListedColormap(_class_colors(plt, classes))
    norm = dict(vmin=-0.5, vmax=classes - 0.5)  # class k sits in the middle of colour band k
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(xx, yy, pred.reshape(xx.shape), levels=np.arange(classes + 1) - 0.5, cmap=cmap, alpha=0.35, **norm)
    points = ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, edgecolors="k", linewidths=0.5, s=20, **norm)
    ax.legend(*points.legend_elements(), title="class", loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x[0]")
    ax.set_ylabel("x[1]")
    ax.set_title(f"decision boundary ({classes} classes)")
    return _finish(fig, path)
