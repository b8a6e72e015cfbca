"""fit / evaluate and checkpoints (tinygrad_edu.train)."""

import os
import sys

import numpy as np
import pytest

import tinygrad_edu.train as train
from tinygrad_edu import Tensor, manual_seed
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.engine.random import generator
from tinygrad_edu.nn import Module, Parameter
from tinygrad_edu.nn import functional as F
from tinygrad_edu.optim import SGD, Adam
from tinygrad_edu.optim.lr_scheduler import MultiStepLR, ReduceLROnPlateau, StepLR
from tinygrad_edu.train import evaluate, fit, load_checkpoint, save_checkpoint


class MLP(Module):
    """2 -> hidden -> classes, with optional dropout; weights drawn from the library's generator."""

    def __init__(self, n_in=2, hidden=16, n_out=2, p=0.0):
        super().__init__()
        rng = generator()
        self.w1 = Parameter((rng.standard_normal((hidden, n_in)) * 0.5).astype(np.float32))
        self.b1 = Parameter(np.zeros(hidden, np.float32))
        self.w2 = Parameter((rng.standard_normal((n_out, hidden)) * 0.5).astype(np.float32))
        self.b2 = Parameter(np.zeros(n_out, np.float32))
        self.p = p

    def forward(self, x):
        h = F.dropout(F.linear(x, self.w1, self.b1).relu(), self.p, self.training)
        return F.linear(h, self.w2, self.b2)


class Wrapper(Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


def cross_entropy(output, target):
    index = target.numpy()
    return -(output.log_softmax(-1)[np.arange(len(index)), index]).mean()


def blobs(n=96, seed=0):
    """Two well-separated Gaussian blobs: class 0 around (-2, -2), class 1 around (2, 2)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = (rng.standard_normal((n, 2)) * 0.7 + np.where(y[:, None] == 1, 2.0, -2.0)).astype(np.float32)
    return X, y.astype(np.int64)


def loaders(batch_size=16, shuffle=True, seed=None):
    X, y = blobs()
    Xv, yv = blobs(40, seed=1)
    return (DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle, seed=seed),
            DataLoader(TensorDataset(Xv, yv), batch_size=batch_size))


def weights(model):
    return {name: t.numpy().copy() for name, t in model.state_dict().items()}


def assert_same_state(a, b):
    """Nested optimizer/scheduler state dicts: same keys, types and exactly equal values."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same_state(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_state(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    else:
        assert a == b


# ------------------------------------------------------------------------------------------------ fit
def test_fit_lowers_loss_and_fills_history():
    manual_seed(0)
    model = MLP()
    train_loader, val_loader = loaders()
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.05), train_loader, epochs=5,
                  val_loader=val_loader, progress=False)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 5 for values in history.values())
    assert history.loss is history["loss"]
    assert history["loss"][-1] < 0.3 * history["loss"][0]
    assert history["accuracy"][-1] >= 0.95 and history["val_accuracy"][-1] >= 0.95
    assert model.training
    # the reported val_loss is what evaluate computes with the final weights
    assert history["val_loss"][-1] == pytest.approx(evaluate(model, cross_entropy, val_loader)["loss"], rel=1e-6)


def test_fit_without_validation_has_only_training_entries():
    manual_seed(0)
    model = MLP()
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), loaders()[0], epochs=2, metrics=(),
                  progress=False)
    assert list(history) == ["loss"] and len(history["loss"]) == 2


def test_callable_metric_and_plateau_scheduler_gets_validation_loss():
    seen = []

    class Recording(ReduceLROnPlateau):
        def step(self, metrics):
            seen.append(metrics)
            super().step(metrics)

    def mean_logit(output, target):
        return float(output.numpy().mean())

    manual_seed(0)
    model = MLP()
    opt = SGD(model.parameters(), lr=0.1)
    train_loader, val_loader = loaders()
    history = fit(model, cross_entropy, opt, train_loader, 3, val_loader=val_loader,
                  scheduler=Recording(opt, patience=0), metrics=("accuracy", mean_logit), progress=False)
    assert seen == history["val_loss"]
    assert len(history["mean_logit"]) == 3 and len(history["val_mean_logit"]) == 3
    assert history["val_mean_logit"][-1] == pytest.approx(evaluate(model, cross_entropy, val_loader,
                                                                   (mean_logit,))["mean_logit"], rel=1e-5)

    seen.clear()
    history = fit(model, cross_entropy, opt, train_loader, 2, scheduler=Recording(opt), progress=False)
    assert seen == history["loss"]


def test_epoch_scheduler_steps_once_per_epoch():
    manual_seed(0)
    model = MLP()
    opt = SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    fit(model, cross_entropy, opt, loaders()[0], 3, scheduler=scheduler, progress=False)
    assert scheduler.last_epoch == 3 and opt.param_groups[0]["lr"] == pytest.approx(0.1 / 8)


def test_fit_rejects_bad_arguments():
    manual_seed(0)
    model = MLP()
    opt = SGD(model.parameters(), lr=0.1)
    train_loader = loaders()[0]
    with pytest.raises(ValueError, match="epochs"):
        fit(model, cross_entropy, opt, train_loader, 0)
    empty = DataLoader(TensorDataset(np.zeros((0, 2), np.float32), np.zeros(0, np.int64)), batch_size=4)
    with pytest.raises(ValueError, match="empty"):
        fit(model, cross_entropy, opt, empty, 1)
    with pytest.raises(ValueError, match="empty"):
        evaluate(model, cross_entropy, empty)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, cross_entropy, opt, train_loader, 1, metrics=("f1",))


def test_nan_loss_names_epoch_and_step_and_skips_that_update():
    calls = []

    def exploding(output, target):
        calls.append(1)
        loss = cross_entropy(output, target)
        return loss * float("nan") if len(calls) == 8 else loss

    manual_seed(0)
    model = MLP()
    train_loader = loaders(batch_size=16)[0]  # 96 samples: 6 steps per epoch, so call 8 is epoch 2, step 2
    before = {}

    def remember(output, target):
        before.update(weights(model))
        return 0.0

    with pytest.raises(FloatingPointError, match="epoch 2, step 2 of 6"):
        fit(model, exploding, SGD(model.parameters(), lr=0.1), train_loader, 3, metrics=(remember,), progress=False)
    for name, value in weights(model).items():
        assert np.array_equal(value, before[name])  # the NaN step changed nothing


# ------------------------------------------------------------------------------------------- evaluate
def test_evaluate_matches_full_batch_and_restores_modes():
    manual_seed(0)
    inner = MLP(p=0.5)
    model = Wrapper(inner)
    X, y = blobs()
    inside = []

    def probe(output, target):
        inside.append((output.requires_grad, model.training, inner.training))
        return 0.0

    loader = DataLoader(TensorDataset(X, y), batch_size=7)  # uneven last batch: the mean is sample-weighted
    result = evaluate(model, cross_entropy, loader, metrics=("accuracy", probe))
    inner.eval()
    full = inner(Tensor(X))
    inner.train()
    assert result["loss"] == pytest.approx(cross_entropy(full, Tensor(y)).item(), rel=1e-5)
    assert result["accuracy"] == pytest.approx(np.mean(full.numpy().argmax(1) == y))
    assert set(inside) == {(False, False, False)}  # no graph, eval mode (dropout off) throughout
    assert model.training and inner.training

    inner.eval()  # a mix of modes comes back exactly as it was
    evaluate(model, cross_entropy, loader)
    assert model.training and not inner.training


def test_accuracy_for_a_single_logit():
    out = Tensor(np.array([[2.0], [-1.0], [0.5], [-3.0]]))
    assert train.accuracy(out, Tensor(np.array([1.0, 0.0, 0.0, 0.0]))) == 0.75
    assert train.accuracy(Tensor(np.array([[0.1, 0.9], [0.8, 0.2]])), Tensor(np.array([1, 1]))) == 0.5


# ---------------------------------------------------------------------------------------- checkpoints
def trained(seed, scheduler_cls):
    manual_seed(seed)
    model = MLP()
    opt = Adam(model.parameters(), lr=0.01, betas=(0.8, 0.95))
    scheduler = {"step": lambda: StepLR(opt, step_size=2, gamma=0.5),
                 "multistep": lambda: MultiStepLR(opt, milestones=[1, 3, 3], gamma=0.5),
                 "plateau": lambda: ReduceLROnPlateau(opt, patience=0)}[scheduler_cls]()
    return model, opt, scheduler


@pytest.mark.parametrize("scheduler_cls", ["step", "multistep", "plateau"])
@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_checkpoint_round_trip_is_exact(tmp_path, suffix, scheduler_cls):
    model, opt, scheduler = trained(0, scheduler_cls)
    fit(model, cross_entropy, opt, loaders()[0], 2, scheduler=scheduler, progress=False)
    path = tmp_path / f"ckpt{suffix}"
    save_checkpoint(path, model, opt, scheduler, epoch=2, note="hi", arr=np.arange(3), pair=(1, 2.5))

    model2, opt2, scheduler2 = trained(1, scheduler_cls)
    assert not np.array_equal(model2.w1.numpy(), model.w1.numpy())
    extra = load_checkpoint(path, model2, opt2, scheduler2)
    assert list(extra) == ["epoch", "note", "arr", "pair"]
    assert extra["epoch"] == 2 and extra["note"] == "hi" and extra["pair"] == (1, 2.5)
    assert np.array_equal(extra["arr"], np.arange(3))
    for name, value in weights(model).items():
        assert np.array_equal(weights(model2)[name], value)
    assert_same_state(opt.state_dict(), opt2.state_dict())
    assert opt2.state_dict()["state"][0]["step"] == 12 and opt2.state_dict()["state"][0]["exp_avg"].any()
    assert_same_state(scheduler.state_dict(), scheduler2.state_dict())

    # and training goes on identically from both
    fit(model, cross_entropy, opt, loaders(shuffle=False)[0], 1, scheduler=scheduler, progress=False)
    fit(model2, cross_entropy, opt2, loaders(shuffle=False)[0], 1, scheduler=scheduler2, progress=False)
    for name, value in weights(model).items():
        assert np.array_equal(weights(model2)[name], value)


def test_safetensors_file_is_readable_by_the_safetensors_package(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    manual_seed(0)
    model = MLP()
    save_checkpoint(tmp_path / "m.safetensors", model)
    tensors = safetensors_numpy.load_file(str(tmp_path / "m.safetensors"))
    for name, value in weights(model).items():
        assert np.array_equal(tensors[name], value)


def test_missing_safetensors_package_gives_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"pip install tinygrad_edu\[safetensors\]"):
        save_checkpoint(tmp_path / "m.safetensors", MLP())
    assert os.listdir(tmp_path) == []


def test_interrupted_save_keeps_previous_checkpoint_and_leaves_no_temp_file(tmp_path, monkeypatch):
    manual_seed(0)
    model = MLP()
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, model, epoch=1)
    saved = weights(model)

    def crashing_writer(file, arrays):
        file.write(b"PK\x03\x04 half of a zip file")
        file.flush()
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(train, "_write_npz", crashing_writer)
    model.w1.data += 1.0
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, model, epoch=2)
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    fresh = MLP()
    assert load_checkpoint(path, fresh) == {"epoch": 1}
    for name, value in saved.items():
        assert np.array_equal(weights(fresh)[name], value)


@pytest.mark.parametrize("loader_seed", [None, 7])
def test_resume_continues_exactly_like_an_uninterrupted_run(tmp_path, loader_seed):
    def run(epochs, checkpoint=None, resume=False):
        manual_seed(0)  # a "fresh process": same seed, new objects
        model = MLP(p=0.2)  # dropout draws from the library generator too
        opt = Adam(model.parameters(), lr=0.02)
        scheduler = StepLR(opt, step_size=1, gamma=0.7)
        train_loader, val_loader = loaders(shuffle=True, seed=loader_seed)
        history = fit(model, cross_entropy, opt, train_loader, epochs, val_loader=val_loader, scheduler=scheduler,
                      checkpoint=checkpoint, resume=resume, progress=False)
        return model, opt, history

    full_model, full_opt, full_history = run(4)
    path = tmp_path / "run.npz"
    run(2, checkpoint=path)
    model, opt, history = run(4, checkpoint=path, resume=True)
    for name, value in weights(full_model).items():
        assert np.array_equal(weights(model)[name], value), name
    assert_same_state(full_opt.state_dict(), opt.state_dict())
    assert history == full_history and len(history["loss"]) == 4
    assert load_checkpoint(path, MLP())["epoch"] == 4

    # without the checkpoint's RNG state, shuffling and dropout would differ: the test can tell
    model, _, _ = run(2)
    assert not np.array_equal(weights(model)["w1"], weights(full_model)["w1"])


def test_resume_without_a_checkpoint_file_starts_from_scratch(tmp_path):
    manual_seed(0)
    model = MLP()
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), loaders()[0], 2,
                  checkpoint=tmp_path / "new.npz", resume=True, progress=False)
    assert len(history["loss"]) == 2 and load_checkpoint(tmp_path / "new.npz", MLP())["epoch"] == 2


def test_loading_into_the_wrong_optimizer_or_without_its_state_raises(tmp_path):
    manual_seed(0)
    model = MLP()
    save_checkpoint(tmp_path / "only_model.npz", model)
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(tmp_path / "only_model.npz", model, SGD(model.parameters(), lr=0.1))
    save_checkpoint(tmp_path / "adam.npz", model, Adam(model.parameters()))
    with pytest.raises(ValueError, match="Adam.*cannot be loaded into a SGD"):
        load_checkpoint(tmp_path / "adam.npz", model, SGD(model.parameters(), lr=0.1))


def _random_bytes(path):
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 500, dtype=np.uint8).tobytes())


def _plain_npz(path):
    with open(path, "wb") as f:
        np.savez(f, w1=np.zeros((16, 2), np.float32))


def _truncated(path):
    manual_seed(0)
    save_checkpoint(path, MLP())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("make", [_random_bytes, _plain_npz, _truncated])
@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_files_that_are_not_checkpoints_raise_value_error(tmp_path, make, suffix):
    if make is _plain_npz and suffix == ".safetensors":
        pytest.importorskip("safetensors.numpy").save_file({"w1": np.zeros((16, 2), np.float32)},
                                                           str(tmp_path / "x.safetensors"))
    else:
        make(tmp_path / f"x{suffix}")
    path = tmp_path / f"x{suffix}"
    model = MLP()
    before = weights(model)
    with pytest.raises(ValueError, match="is not a tinygrad_edu checkpoint") as info:
        load_checkpoint(path, model)
    assert str(path) in str(info.value)
    assert all(np.array_equal(weights(model)[k], v) for k, v in before.items())


# ------------------------------------------------------------------------------------------- progress
def test_progress_bar_only_when_asked(capsys):
    manual_seed(0)
    model = MLP()
    opt = SGD(model.parameters(), lr=0.1)
    train_loader = loaders()[0]
    fit(model, cross_entropy, opt, train_loader, 2, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""

    fit(model, cross_entropy, opt, train_loader, 2, progress=True)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "loss=" in err

    fit(model, cross_entropy, opt, train_loader, 1)  # auto: captured stderr is not a terminal
    assert capsys.readouterr().err == ""


def test_log_every_prints_running_loss(capsys):
    manual_seed(0)
    model = MLP()
    fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), loaders()[0], 1, progress=False, log_every=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" loss ")[0] for line in lines] == [f"epoch 1/1 step {s}/6" for s in (2, 4, 6)]
