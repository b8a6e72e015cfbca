"""Training diagnostics: the Monitor's recorded statistics checked against NumPy, and every plot drawn."""

import numpy as np
import pytest

import tinygrad_edu
from tinygrad_edu import Tensor
from tinygrad_edu.data.datasets import make_spiral
from tinygrad_edu.nn import Linear, ReLU, Sequential, Sigmoid, Tanh
from tinygrad_edu.nn import functional as F
from tinygrad_edu.optim import SGD
from tinygrad_edu.train import History
from tinygrad_edu.viz.diagnostics import (
    Monitor,
    percent_saturated,
    plot_activations,
    plot_decision_boundary,
    plot_grad_data_ratio,
    plot_gradients,
    plot_history,
    plot_update_ratio,
)

pytest.importorskip("matplotlib").use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

LR = 0.5


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _batch():
    X, y = make_spiral(90, arms=3, noise=0.05, seed=0)
    return X.astype(np.float32), y


def _step(model, opt, X, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(Tensor(X)), Tensor(y))
    loss.backward()
    opt.step()
    return loss


@pytest.fixture
def trained():
    """A Linear/Tanh network trained 5 SGD steps on a 3-class spiral with a Monitor attached."""
    tinygrad_edu.manual_seed(0)
    model = Sequential(Linear(2, 16), Tanh(), Linear(16, 16), Tanh(), Linear(16, 3))
    opt = SGD(model.parameters(), lr=LR)
    monitor = Monitor(model).track(opt)
    X, y = _batch()
    for _ in range(5):
        _step(model, opt, X, y)
    return model, monitor, opt, X, y


def _png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    return data


# ------------------------------------------------------------------------------------ monitor
def test_monitor_watches_activation_layers_by_name():
    model = Sequential(Linear(2, 4), Tanh(), Linear(4, 4), ReLU(), Linear(4, 4), Sigmoid(), Linear(4, 1))
    monitor = Monitor(model)
    model(Tensor(np.ones((3, 2), dtype=np.float32)))
    assert monitor.kinds == {"1": "Tanh", "3": "ReLU", "5": "Sigmoid"}
    assert list(monitor.outputs) == ["1", "3", "5"]
    only = Monitor(model, layers=["3", Sigmoid])
    model(Tensor(np.ones((3, 2), dtype=np.float32)))
    assert list(only.outputs) == ["3", "5"]
    with pytest.raises(ValueError, match="no module named"):
        Monitor(model, layers=["7"])
    with pytest.raises(ValueError, match="nothing to watch"):
        Monitor(Linear(2, 2))


def test_recorded_activations_and_gradients_match_numpy(trained):
    model, monitor, opt, X, y = trained
    opt.zero_grad()
    F.cross_entropy(model(Tensor(X)), Tensor(y)).backward()  # no step: weights stay as recorded
    W = [np.asarray(model[i].weight.numpy(), np.float64) for i in (0, 2, 4)]
    b = [np.asarray(model[i].bias.numpy(), np.float64) for i in (0, 2, 4)]
    h1 = np.tanh(X @ W[0].T + b[0])
    h2 = np.tanh(h1 @ W[1].T + b[1])
    logits = h2 @ W[2].T + b[2]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d_logits = (p - np.eye(3)[y]) / len(y)
    d_h2 = d_logits @ W[2]
    d_h1 = ((1 - h2**2) * d_h2) @ W[1]
    np.testing.assert_allclose(monitor.outputs["1"].numpy(), h1, atol=1e-5)
    np.testing.assert_allclose(monitor.outputs["3"].numpy(), h2, atol=1e-5)
    np.testing.assert_allclose(monitor.outputs["3"].grad.numpy(), d_h2, atol=1e-6)
    np.testing.assert_allclose(monitor.outputs["1"].grad.numpy(), d_h1, atol=1e-6)

    stats = monitor.stats()
    assert list(stats) == ["1", "3"]
    for name, t, g in (("1", h1, d_h1), ("3", h2, d_h2)):
        s = stats[name]
        assert s["type"] == "Tanh"
        np.testing.assert_allclose([s["mean"], s["std"], s["grad_mean"], s["grad_std"]],
                                   [t.mean(), t.std(), g.mean(), g.std()], rtol=1e-4, atol=1e-7)
        assert s["saturated"] == pytest.approx(100 * np.mean(np.abs(t) > 0.97), abs=1e-9)


def test_stats_without_backward_have_no_gradient():
    model = Sequential(Linear(2, 3), ReLU())
    monitor = Monitor(model)
    model(Tensor(np.array([[1.0, -2.0]], dtype=np.float32)))
    s = monitor.stats()["1"]
    assert s["saturated"] is None and s["grad_mean"] is None and s["grad_std"] is None
    assert s["mean"] == pytest.approx(float(np.mean(monitor.outputs["1"].numpy())))
    with pytest.raises(ValueError, match="backward"):
        plot_gradients(monitor)


def test_percent_saturated_on_hand_made_values():
    assert percent_saturated(np.array([0.99, -0.98, 0.97, 0.5, -0.2]), "Tanh") == pytest.approx(40.0)
    assert percent_saturated(np.array([0.01, 0.02, 0.03, 0.5, 0.98]), "Sigmoid") == pytest.approx(60.0)
    assert percent_saturated(np.array([5.0, 0.0]), "ReLU") is None
    # through a Monitor: tanh outputs 0.995, -0.99, 0.9, 0.1 -> half saturated
    layer = Tanh()
    monitor = Monitor(layer)
    layer(Tensor(np.arctanh(np.array([[0.995, -0.99], [0.9, 0.1]]))))
    assert monitor.stats()["Tanh"]["saturated"] == pytest.approx(50.0)
    sig = Sigmoid()
    monitor = Monitor(sig)
    sig(Tensor(np.array([-5.0, 5.0, 0.0, 1.0])))  # sigmoid: 0.0067, 0.9933, 0.5, 0.73
    assert monitor.stats()["Sigmoid"]["saturated"] == pytest.approx(50.0)


def test_update_ratios_equal_independent_computation(trained):
    model, monitor, opt, X, y = trained
    assert monitor.steps == 5
    assert set(monitor.update_ratios) == {name for name, _ in model.named_parameters()}
    assert all(len(r) == 5 for r in monitor.update_ratios.values())
    opt.zero_grad()
    F.cross_entropy(model(Tensor(X)), Tensor(y)).backward()
    grads = {name: np.asarray(p.grad.numpy(), np.float64) for name, p in model.named_parameters()}
    opt.step()
    for name, p in model.named_parameters():
        expected = np.log10(np.std(LR * grads[name]) / np.std(np.asarray(p.numpy(), np.float64)))
        assert monitor.update_ratios[name][-1] == pytest.approx(expected, abs=1e-4), name
    assert monitor.shapes["0.weight"] == (16, 2) and monitor.shapes["4.bias"] == (3,)


def test_parameter_without_gradient_records_nan():
    model = Sequential(Linear(2, 3), Tanh(), Linear(3, 1))
    opt = SGD(model.parameters(), lr=0.1)
    monitor = Monitor(model).track(opt)
    model(Tensor(np.ones((4, 2), dtype=np.float32))).sum().backward()
    model[2].weight.grad = None
    opt.step()
    assert np.isnan(monitor.update_ratios["2.weight"][0])
    assert np.isfinite(monitor.update_ratios["0.weight"][0])


def test_remove_stops_recording(trained):
    model, monitor, opt, X, y = trained
    recorded = dict(monitor.outputs)
    ratios = {name: list(r) for name, r in monitor.update_ratios.items()}
    monitor.remove()
    assert "step" not in vars(opt)  # the class's own step is back
    before = model[0].weight.numpy().copy()
    _step(model, opt, X[:10], y[:10])
    assert not np.array_equal(before, model[0].weight.numpy())  # the optimizer still works
    assert all(monitor.outputs[name] is t for name, t in recorded.items())
    assert monitor.update_ratios == ratios and monitor.steps == 5


# ------------------------------------------------------------------------------------- plots
def test_plot_activations_and_gradients(trained, tmp_path):
    model, monitor, opt, X, y = trained
    stats = monitor.stats()
    fig = plot_activations(monitor, path=tmp_path / "act.png")
    _png(tmp_path / "act.png")
    ax = fig.axes[0]
    assert len(ax.lines) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == (f"layer 1 (Tanh): mean {stats['1']['mean']:+.2f}, std {stats['1']['std']:.2f}, "
                         f"saturated {stats['1']['saturated']:.1f}%")
    # each line is the density histogram of that layer's output
    density, edges = np.histogram(np.asarray(monitor.outputs["3"].numpy(), np.float64).ravel(), bins=50, density=True)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), density)
    np.testing.assert_allclose(ax.lines[1].get_xdata(), (edges[:-1] + edges[1:]) / 2)

    fig = plot_gradients(monitor, path=tmp_path / "grad.png")
    _png(tmp_path / "grad.png")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(fig.axes[0].lines) == 2
    assert labels[1] == f"layer 3 (Tanh): mean {stats['3']['grad_mean']:+.2e}, std {stats['3']['grad_std']:.2e}"


def test_plot_grad_data_ratio(trained, tmp_path):
    model = trained[0]
    fig = plot_grad_data_ratio(model, path=tmp_path / "ratio.png")
    _png(tmp_path / "ratio.png")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(fig.axes[0].lines) == 3  # the three weight matrices, not the biases
    w = model[2].weight
    ratio = np.std(np.asarray(w.grad.numpy(), np.float64)) / np.std(np.asarray(w.numpy(), np.float64))
    assert labels[1] == f"2.weight (16, 16): grad:data ratio {ratio:.3e}"
    assert [label.split()[0] for label in labels] == ["0.weight", "2.weight", "4.weight"]


def test_plot_update_ratio(trained, tmp_path):
    monitor = trained[1]
    fig = plot_update_ratio(monitor, path=tmp_path / "update.png")
    _png(tmp_path / "update.png")
    ax = fig.axes[0]
    assert len(ax.lines) == 4 and len(ax.get_legend().get_texts()) == 4  # three weights + the guide
    np.testing.assert_allclose(ax.lines[0].get_ydata(), monitor.update_ratios["0.weight"])
    guide = ax.lines[-1]
    assert guide.get_linestyle() == "--" and list(guide.get_ydata()) == [-3.0, -3.0]


def test_plot_history(tmp_path):
    history = History(loss=[1.0, 0.6, 0.4], accuracy=[0.5, 0.7, 0.8], val_loss=[1.1, 0.7, 0.5],
                      val_accuracy=[0.4, 0.6, 0.75])
    fig = plot_history(history, path=tmp_path / "history.png")
    _png(tmp_path / "history.png")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    loss_ax = fig.axes[0]
    assert len(loss_ax.lines) == 2
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), [1.1, 0.7, 0.5])
    np.testing.assert_allclose(loss_ax.lines[0].get_xdata(), [1, 2, 3])
    assert len(plot_history({"loss": [1.0, 0.5]}).axes[0].lines) == 1
    with pytest.raises(ValueError, match="empty"):
        plot_history({})


def _pixel_class(fig, ax, point, classes):
    """Which class colour (as drawn, 35% over white) is nearest the rendered pixel at ``point``."""
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    x, y = ax.transData.transform(point)
    pixel = image[int(round(image.shape[0] - y)), int(round(x))]
    drawn = 0.35 * np.asarray(plt.get_cmap("tab10").colors[:classes]) + 0.65
    distances = np.abs(drawn - pixel).sum(axis=1)
    assert distances.min() < 0.05, pixel
    return int(distances.argmin())


def test_plot_decision_boundary_regions_match_predictions(tmp_path):
    model = Linear(2, 3)  # logits (5x, 5y, -5x - 5y): three sectors
    model.weight.data[...] = 5 * np.array([[1, 0], [0, 1], [-1, -1]])
    model.bias.data[...] = 0
    X = np.array([[-2, -2], [2, 2], [-2, 2], [2, -2]], dtype=np.float32)
    y = np.array([2, 1, 1, 2])  # class 0 has no point: colours must still follow the class index
    fig = plot_decision_boundary(model, X, y, path=tmp_path / "boundary.png", resolution=100)
    _png(tmp_path / "boundary.png")
    ax = fig.axes[0]
    probes = np.array([[1.5, -0.5], [-0.5, 1.5], [-1.2, -1.0], [0.3, 0.1], [-1.0, 0.2]], dtype=np.float32)
    expected = (probes @ model.weight.numpy().T).argmax(axis=1)
    assert sorted(set(expected)) == [0, 1, 2]
    assert [_pixel_class(fig, ax, p, 3) for p in probes] == list(expected)
    # the points use the same colours as the regions
    faces = ax.collections[-1].get_facecolors()[:, :3]
    np.testing.assert_allclose(faces, np.asarray(plt.get_cmap("tab10").colors)[y])


def test_plot_decision_boundary_single_logit():
    model = Linear(2, 1)  # logit 3x - 1: class 1 right of x = 1/3
    model.weight.data[...] = [[3.0, 0.0]]
    model.bias.data[...] = -1.0
    X = np.array([[-1, -1], [1, 1], [-1, 1], [1, -1]], dtype=np.float32)
    fig = plot_decision_boundary(model, X, np.array([0, 1, 0, 1]), resolution=80)
    ax = fig.axes[0]
    assert [_pixel_class(fig, ax, p, 2) for p in [(0.0, 0.0), (0.7, 0.2), (-0.8, -0.3), (0.9, 0.0)]] == [0, 1, 0, 1]
    assert model.training  # eval mode was only for drawing


def test_missing_matplotlib_names_the_extra(monkeypatch, trained):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install tinygrad_edu\[plots\]"):
        plot_activations(trained[1])
