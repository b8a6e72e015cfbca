"""State that must never be lost or half-changed: checkpoints, grad mode across threads, optimizer steps
and state loads, and a library import that leaves the process as it found it."""

import glob
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile

import numpy as np
import pytest

import tinygrad_edu.train as train
from tinygrad_edu import Tensor, enable_grad, is_grad_enabled, manual_seed, no_grad
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.nn import BatchNorm1d, Dropout, Linear, ReLU, Sequential
from tinygrad_edu.nn import functional as F
from tinygrad_edu.optim import SGD, Adam, RMSprop
from tinygrad_edu.optim.lr_scheduler import StepLR
from tinygrad_edu.train import fit, load_checkpoint, save_checkpoint


def bn_model(p=0.2):
    return Sequential(Linear(2, 8), BatchNorm1d(8), ReLU(), Dropout(p), Linear(8, 2))


def snapshot(model, optimizer=None, scheduler=None):
    """Everything a load could change, copied."""
    state = {"model": {k: v.numpy().copy() for k, v in model.state_dict().items()}}
    if optimizer is not None:
        sd = optimizer.state_dict()
        state["opt_state"] = {i: {k: np.copy(v) for k, v in s.items()} for i, s in sd["state"].items()}
        state["opt_groups"] = [{k: (list(v) if k == "params" else v) for k, v in g.items()}
                               for g in optimizer.param_groups]
    if scheduler is not None:
        state["scheduler"] = dict(scheduler.state_dict())
    return state


def assert_same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    elif isinstance(a, Tensor):
        assert a is b
    else:
        assert a == b


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = (rng.standard_normal((n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)).astype(np.float32)
    return X, y.astype(np.int64)


def trained_bn(steps=3):
    manual_seed(0)
    model = bn_model()
    opt = Adam(model.parameters(), lr=0.01)
    X, y = data()
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(Tensor(X)), Tensor(y)).backward()
        opt.step()
    return model, opt


# ------------------------------------------------------------------------------------ 0-d entries
@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_batchnorm_model_round_trips_with_its_0d_counter_and_scalar_extras(tmp_path, suffix):
    model, opt = trained_bn()
    assert model[1].num_batches_tracked.shape == () and int(model[1].num_batches_tracked.item()) == 3
    path = tmp_path / f"bn{suffix}"
    save_checkpoint(path, model, opt, scalar=np.float32(2.5), zero_d=np.array(7), one=np.array([1.0]))
    fresh = bn_model()
    fresh_opt = Adam(fresh.parameters(), lr=0.01)
    extra = load_checkpoint(path, fresh, fresh_opt)
    assert_same({k: v.numpy() for k, v in fresh.state_dict().items()},
                {k: v.numpy() for k, v in model.state_dict().items()})
    assert fresh[1].num_batches_tracked.shape == () and fresh[1].num_batches_tracked.item() == 3
    assert type(extra["scalar"]) is np.float32 and extra["scalar"] == np.float32(2.5)
    assert type(extra["zero_d"]) is np.ndarray and extra["zero_d"].shape == () and extra["zero_d"] == 7
    assert extra["one"].shape == (1,)


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_batchnorm_resume_with_dropout_and_shuffling_is_bit_exact(tmp_path, suffix):
    def run(epochs, checkpoint=None, resume=False):
        manual_seed(0)
        model = bn_model(p=0.3)
        opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
        scheduler = StepLR(opt, step_size=1, gamma=0.8)
        loader = DataLoader(TensorDataset(*data()), batch_size=16, shuffle=True)
        history = fit(model, F.cross_entropy, opt, loader, epochs, scheduler=scheduler, checkpoint=checkpoint,
                      resume=resume, progress=False)
        return model, opt, history

    full_model, full_opt, full_history = run(4)
    path = tmp_path / f"run{suffix}"
    run(2, checkpoint=path)
    model, opt, history = run(4, checkpoint=path, resume=True)
    assert history == full_history
    assert_same({k: v.numpy() for k, v in model.state_dict().items()},
                {k: v.numpy() for k, v in full_model.state_dict().items()})
    assert int(model[1].num_batches_tracked.item()) == 16
    assert_same(opt.state_dict()["state"], full_opt.state_dict()["state"])


# ----------------------------------------------------------------------- validate, then change
def _tampered(path, tmp_path, edit):
    """A copy of the checkpoint at ``path`` with its arrays edited by ``edit(arrays, meta)``."""
    meta, arrays = train._read(str(path))
    edit(arrays, meta)
    out = tmp_path / "tampered.npz"
    arrays[train._MARKER] = np.frombuffer(train.json.dumps(meta).encode(), dtype=np.uint8).copy()
    np.savez(out, **arrays)
    return out


def _drop_optimizer_array(arrays, meta):
    del arrays[next(k for k in arrays if k.startswith("optimizer/"))]


def _reshape_optimizer_array(arrays, meta):
    key = next(k for k in arrays if k.startswith("optimizer/") and arrays[k].ndim == 2)
    arrays[key] = arrays[key][:1]


def _wrong_model_dtype(arrays, meta):
    arrays["1.num_batches_tracked"] = np.array(2.5)


def _bad_scheduler_state(arrays, meta):
    meta["scheduler"]["state"] = {"$dict": [["last_epoch", 3]]}


def _missing_extra_array(arrays, meta):
    del arrays[next(k for k in arrays if k.startswith("extra/"))]


def _bad_optimizer_group(arrays, meta):
    meta["optimizer"]["state"]["$dict"][1][1][0]["$dict"] = [
        pair for pair in meta["optimizer"]["state"]["$dict"][1][1][0]["$dict"] if pair[0] != "betas"]


@pytest.mark.parametrize("edit, message", [
    (_drop_optimizer_array, r"optimizer state .* entry 'optimizer/\d+' is missing"),
    (_reshape_optimizer_array, r"shape"),
    (_wrong_model_dtype, r"dtype mismatches.*num_batches_tracked: expected int64, got float64"),
    (_bad_scheduler_state, r"scheduler"),
    (_missing_extra_array, r"extra.* entry 'extra/\d+' is missing"),
    (_bad_optimizer_group, r"betas"),
])
def test_a_failed_load_changes_nothing(tmp_path, edit, message):
    model, opt = trained_bn()
    scheduler = StepLR(opt, step_size=1)
    save_checkpoint(tmp_path / "good.npz", model, opt, scheduler, array=np.arange(3))
    bad = _tampered(tmp_path / "good.npz", tmp_path, edit)

    manual_seed(5)
    other = bn_model()
    other_opt = Adam(other.parameters(), lr=0.5)
    other_scheduler = StepLR(other_opt, step_size=3, gamma=0.5)
    for _ in range(2):
        other_opt.zero_grad()
        F.cross_entropy(other(Tensor(data()[0])), Tensor(data()[1])).backward()
        other_opt.step()
        other_scheduler.step()
    before = snapshot(other, other_opt, other_scheduler)
    with pytest.raises(ValueError, match=message):
        load_checkpoint(bad, other, other_opt, other_scheduler)
    assert_same(snapshot(other, other_opt, other_scheduler), before)


def test_optimizer_state_of_another_class_is_refused_at_load():
    model = bn_model()
    adam = Adam(model.parameters())
    sgd = SGD(model.parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"SGD.*(betas|eps)"):
        sgd.load_state_dict(adam.state_dict())
    model(Tensor(data()[0])).sum().backward()
    sgd.step()
    with pytest.raises(ValueError, match="RMSprop"):
        RMSprop(model.parameters()).load_state_dict(sgd.state_dict())
    # a state entry the class does not use, with matching group keys
    other = SGD(model.parameters(), lr=0.1, momentum=0.9)
    state = sgd.state_dict()
    state["state"][0] = {"exp_avg": np.zeros(model[0].weight.shape, np.float32)}
    before = snapshot(model, other)
    with pytest.raises(ValueError, match="exp_avg"):
        other.load_state_dict(state)
    assert_same(snapshot(model, other), before)


# ------------------------------------------------------------------------------ optimizer steps
@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.1),
                                  lambda ps: RMSprop(ps, lr=0.1, momentum=0.5)])
@pytest.mark.parametrize("bad, message", [
    (lambda p: Tensor(np.ones((1, p.shape[1]), np.float32)), r"'2\.weight'|parameter 2 .*\(1, 8\).*\(2, 8\)"),
    (lambda p: Tensor(np.ones(p.shape, np.float64)), r"float64.*float32|float32.*float64"),
])
def test_a_bad_gradient_stops_the_step_before_anything_changes(make, bad, message):
    manual_seed(0)
    model = Sequential(Linear(2, 8), ReLU(), Linear(8, 2))
    params = list(model.parameters())
    opt = make(params)
    for _ in range(2):
        opt.zero_grad()
        model(Tensor(data()[0])).sum().backward()
        opt.step()
    opt.zero_grad()
    model(Tensor(data()[0])).sum().backward()
    params[2].grad = bad(params[2])  # broadcasts against the weight, but is not its gradient
    before = snapshot(model, opt)
    with pytest.raises(RuntimeError, match=message) as info:
        opt.step()
    assert "(1, 8)" in str(info.value) or "float64" in str(info.value)
    assert_same(snapshot(model, opt), before)


# ------------------------------------------------------------------------------------ grad mode
def test_grad_mode_is_per_thread():
    inside, ready, release = {}, threading.Event(), threading.Event()

    def evaluation():
        with no_grad():
            ready.set()
            release.wait(5)
            inside["mode"] = is_grad_enabled()
            x = Tensor([1.0], requires_grad=True)
            inside["recorded"] = (x * 2).requires_grad

    worker = threading.Thread(target=evaluation)
    worker.start()
    ready.wait(5)
    x = Tensor([1.0], requires_grad=True)
    y = x * 3  # the other thread sits in no_grad(): this thread still records
    release.set()
    worker.join(5)
    assert is_grad_enabled() and y.requires_grad
    y.backward(Tensor([1.0]))
    assert x.grad.item() == 3.0
    assert inside == {"mode": False, "recorded": False}


def test_interleaved_blocks_restore_each_threads_own_mode():
    step = threading.Barrier(2, timeout=5)
    seen = {}

    def run(name, outer, inner):
        with outer():
            step.wait()
            with inner():
                step.wait()
                seen[name, "inner"] = is_grad_enabled()
            step.wait()
            seen[name, "outer"] = is_grad_enabled()
        seen[name, "after"] = is_grad_enabled()

    threads = [threading.Thread(target=run, args=("a", no_grad, enable_grad)),
               threading.Thread(target=run, args=("b", enable_grad, no_grad))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert seen == {("a", "inner"): True, ("a", "outer"): False, ("a", "after"): True,
                    ("b", "inner"): False, ("b", "outer"): True, ("b", "after"): True}


# ------------------------------------------------------------------------------------- saving
def test_saving_into_a_missing_directory_names_the_directory(tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "m.npz"
    with pytest.raises(FileNotFoundError) as info:
        save_checkpoint(target, Linear(2, 2))
    assert str(tmp_path / "no" / "such" / "dir") in str(info.value)
    assert ".tmp" not in str(info.value)


_BIG_SAVE = textwrap.dedent("""
    import sys
    import numpy as np
    from tinygrad_edu.nn import Linear
    from tinygrad_edu.train import save_checkpoint
    model = Linear(4096, 4096)  # 64 MB of weights: the save takes long enough to be killed inside
    print("saving", flush=True)
    save_checkpoint(sys.argv[1], model, note="big")
    print("done", flush=True)
""")


def test_saves_killed_midway_leave_no_litter_after_the_next_save(tmp_path):
    path = tmp_path / "big.npz"
    save_checkpoint(path, Linear(2, 2), note="first")
    pattern = str(tmp_path / ".big.npz.*")
    killed = 0
    for _ in range(3):
        before = set(glob.glob(pattern))
        proc = subprocess.Popen([sys.executable, "-c", _BIG_SAVE, str(path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "saving"
        deadline = time.monotonic() + 30
        while set(glob.glob(pattern)) == before and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.001)  # until this save has created its temporary file
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        killed += proc.returncode == -signal.SIGKILL and set(glob.glob(pattern)) != before
    assert killed >= 2, "the saves finished before they could be killed: make them bigger"
    assert len(glob.glob(pattern)) == killed  # the litter of the killed saves
    assert load_checkpoint(path, Linear(2, 2)) == {"note": "first"}  # the checkpoint itself survived
    save_checkpoint(path, Linear(2, 2), note="second")
    assert glob.glob(pattern) == [] and os.listdir(tmp_path) == ["big.npz"]
    assert load_checkpoint(path, Linear(2, 2)) == {"note": "second"}


def test_a_live_saves_temporary_file_is_not_removed(tmp_path):
    """Only the litter of dead processes goes: another process saving the same checkpoint keeps its file."""
    path = tmp_path / "m.npz"
    live = tmp_path / f".m.npz.{os.getppid()}.abc.tmp"  # our parent process is alive
    live.write_bytes(b"partial")
    save_checkpoint(path, Linear(2, 2))
    assert live.exists()


# ------------------------------------------------------------------------------------- loading
def test_a_decompression_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / "bomb.npz"
    meta = {"format_version": 1, "model": ["weight"], "extra": {"$dict": []}}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("weight.npy", "w", force_zip64=True) as entry:
            np.lib.format.write_array(entry, np.zeros((16384, 16384), np.float32))  # 1 GiB of zeros
        with archive.open(f"{train._MARKER}.npy", "w") as entry:
            np.lib.format.write_array(entry, np.frombuffer(train.json.dumps(meta).encode(), np.uint8))
    assert path.stat().st_size < 2 * 2**20
    check = textwrap.dedent(f"""
        import tracemalloc
        from tinygrad_edu.nn import Linear
        from tinygrad_edu.train import load_checkpoint
        model = Linear(2, 2, bias=False)
        tracemalloc.start()  # NumPy reports its array allocations to tracemalloc
        try:
            load_checkpoint({str(path)!r}, model)
        except ValueError as error:
            print("refused:", error)
        print("peak MB", tracemalloc.get_traced_memory()[1] // 2**20)
    """)
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60).stdout
    assert "refused:" in out and "bomb.npz" in out, out
    assert re.search(r"arrays would take 107374\d{4} bytes, more than the \d{7} bytes of the file", out), out
    assert int(out.rsplit("peak MB", 1)[1]) < 20, out


@pytest.mark.parametrize("suffix, what", [(".npz", "not a .npz (zip) archive"),
                                          (".safetensors", "not a .safetensors file")])
def test_a_text_file_is_named_for_what_it_is_not(tmp_path, suffix, what):
    path = tmp_path / f"notes{suffix}"
    path.write_text("epoch 1: loss 0.3\nepoch 2: loss 0.2\n")
    with pytest.raises(ValueError, match="is not a tinygrad_edu checkpoint") as info:
        load_checkpoint(path, Linear(2, 2))
    assert what in str(info.value) and "allow_pickle" not in str(info.value)


# ------------------------------------------------------------------------------- process state
_IMPORT_CHANGES_NOTHING = textwrap.dedent("""
    import ctypes, random, warnings
    import numpy as np
    calls = []
    real = ctypes.CDLL
    class Recorder:
        def __init__(self, *args, **kwargs):
            self._lib = real(*args, **kwargs)
        def __getattr__(self, name):
            calls.append(name)
            return getattr(self._lib, name)
    ctypes.CDLL = Recorder
    before = (np.get_printoptions(), list(warnings.filters), random.getstate(), np.random.get_state()[1].sum())
    import tinygrad_edu
    after = (np.get_printoptions(), list(warnings.filters), random.getstate(), np.random.get_state()[1].sum())
    print(calls, before == after)
""")


def test_importing_the_library_changes_no_process_state():
    out = subprocess.run([sys.executable, "-c", _IMPORT_CHANGES_NOTHING], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["[]", "True"]
