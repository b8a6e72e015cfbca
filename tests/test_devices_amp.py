"""Devices, honestly: the accelerator questions PyTorch programs ask are answered (no GPU), their switches
exist and change nothing, asking for a GPU says there is no GPU backend; and the training wrappers
(autocast, GradScaler, compile, inference_mode, set_grad_enabled) behave as documented."""

import doctest
import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.engine import accelerators as acc
from tinygrad_edu.engine import amp
from tinygrad_edu.engine.device import check_cpu

NO_GPU = "no GPU backend"


def test_nothing_but_the_cpu_is_available():
    assert (acc.cuda.is_available(), acc.cuda.device_count(), acc.cuda.is_bf16_supported()) == (False, 0, False)
    assert (acc.backends.mps.is_available(), acc.backends.mps.is_built(), acc.backends.cuda.is_built()) == (False,) * 3
    assert (acc.backends.cudnn.is_available(), acc.backends.cudnn.version()) == (False, None)
    assert (acc.accelerator.is_available(), acc.accelerator.device_count()) == (False, 0)
    assert acc.accelerator.current_accelerator() is None
    assert (acc.cpu.is_available(), acc.cpu.device_count(), acc.cpu.current_device()) == (True, 1, "cpu")
    device = "cuda" if acc.cuda.is_available() else "mps" if acc.backends.mps.is_available() else "cpu"
    assert tg.zeros(2).to(device).device == tg.device("cpu")


def test_the_gpu_housekeeping_calls_are_no_ops_and_the_device_questions_raise():
    tg.manual_seed(0)
    expected = tg.rand(3).numpy().copy()
    tg.manual_seed(0)
    for call in (acc.cuda.manual_seed, acc.cuda.manual_seed_all):
        assert call(123) is None
    for call in (acc.cuda.synchronize, acc.cuda.empty_cache, acc.cuda.seed, acc.cpu.synchronize):
        assert call() is None
    assert np.array_equal(tg.rand(3).numpy(), expected), "seeding the (absent) GPU leaves the CPU generator alone"
    assert (acc.cuda.memory_allocated(), acc.cuda.max_memory_allocated(), acc.cuda.memory_reserved()) == (0, 0, 0)
    for call in (acc.cuda.current_device, acc.cuda.get_device_name, acc.cuda.get_device_properties):
        with pytest.raises(RuntimeError, match=f"cuda.{call.__name__}: tinygrad_edu has {NO_GPU}"):
            call()
    with pytest.raises(RuntimeError, match="'cuda:1' is not available"):
        acc.cuda.set_device(1)


def test_switches_can_be_set_and_read_and_change_no_result(monkeypatch):
    a, b = tg.randn(4, 5), tg.randn(5, 3)
    before = (a @ b).numpy().copy()
    assert (acc.backends.cudnn.benchmark, acc.backends.cudnn.deterministic, acc.backends.cudnn.enabled) == (
        False, False, True)
    for namespace, name in [(acc.backends.cudnn, "benchmark"), (acc.backends.cudnn, "deterministic"),
                            (acc.backends.cudnn, "allow_tf32"), (acc.backends.cudnn, "enabled"),
                            (acc.backends.cuda.matmul, "allow_tf32")]:
        monkeypatch.setattr(namespace, name, not getattr(namespace, name))
    assert acc.backends.cudnn.benchmark is True and acc.backends.cuda.matmul.allow_tf32 is True
    assert np.array_equal((a @ b).numpy(), before)


def test_matmul_precision_and_determinism_are_remembered_without_effect(monkeypatch):
    monkeypatch.setattr(acc, "_settings", dict(acc._settings))
    assert acc.get_float32_matmul_precision() == "highest"
    acc.set_float32_matmul_precision("medium")
    assert acc.get_float32_matmul_precision() == "medium"
    with pytest.raises(ValueError, match="'highest', 'high' or 'medium', got 'fast'"):
        acc.set_float32_matmul_precision("fast")
    assert acc.get_float32_matmul_precision() == "medium"
    assert not acc.are_deterministic_algorithms_enabled()
    acc.use_deterministic_algorithms(True, warn_only=True)
    assert acc.are_deterministic_algorithms_enabled() and acc.is_deterministic_algorithms_warn_only_enabled()


def test_namespaces_are_modules_named_like_torchs():
    assert acc.cuda.__name__ == "tinygrad_edu.cuda" and acc.backends.cudnn.__name__ == "tinygrad_edu.backends.cudnn"
    assert acc.cuda.amp.GradScaler is amp.CudaGradScaler and acc.amp.autocast is amp.autocast
    assert acc.cpu.amp.autocast is amp.CpuAutocast


# ------------------------------------------------------------------------------- asking for a GPU
@pytest.mark.parametrize("where", ["cuda", "cuda:0", "mps", tg.device("cuda", 1)])
def test_moving_a_tensor_to_a_gpu_says_there_is_no_gpu_backend(where):
    with pytest.raises(RuntimeError, match=f"to: tinygrad_edu has {NO_GPU}.*'{where}' is not available.*'cpu'"):
        tg.ones(2).to(where)


def test_a_bare_index_means_an_accelerator_as_in_pytorch():
    with pytest.raises(RuntimeError, match=f"to: tinygrad_edu has {NO_GPU}.*'cuda:0'"):
        check_cpu(0, "to")


def test_device_objects_for_a_gpu_can_be_made_and_compared():
    cuda = tg.device("cuda")
    assert (cuda.type, cuda.index, str(tg.device("cuda", 1)), tg.device("cuda:1").index) == ("cuda", None, "cuda:1", 1)
    assert cuda != tg.device("cpu") and tg.device("cpu") == "cpu" and tg.device("cpu", 0) == "cpu:0"
    assert tg.device("cpu") != "gpu"
    check_cpu("cpu:0", "to")
    check_cpu(None, "to")
    with pytest.raises(RuntimeError, match="'meta' backend"):
        check_cpu("meta", "to")


@pytest.mark.parametrize("bad, message", [("gpu", "unknown device type 'gpu'"), ("cpu:x", "non-negative integer"),
                                          (0, NO_GPU)])
def test_bad_device_names_are_refused_by_name(bad, message):
    with pytest.raises(RuntimeError, match=message):
        tg.device(bad)
    with pytest.raises(RuntimeError, match="non-negative integer, as in 'cpu:0', got -1"):
        tg.device("cpu", -1)


# ------------------------------------------------------------------------------ grad-mode wrappers
def test_set_grad_enabled_as_a_call_a_context_and_a_decorator():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    try:
        amp.set_grad_enabled(False)
        assert not tg.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        amp.set_grad_enabled(True)
    assert (x * 2).requires_grad
    with amp.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with amp.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()

    @amp.set_grad_enabled(False)
    def double(t):
        return t * 2

    assert tg.is_grad_enabled(), "decorating a function must not switch recording off for the caller"
    assert not double(x).requires_grad and tg.is_grad_enabled()
    with pytest.raises(ZeroDivisionError), amp.set_grad_enabled(False):
        1 / 0
    assert tg.is_grad_enabled()
    assert repr(amp.set_grad_enabled(True)) == "set_grad_enabled(mode=True)"


def test_inference_mode_is_no_grad_and_reports_itself():
    x = tg.tensor([3.0], requires_grad=True)
    assert not amp.is_inference_mode_enabled()
    with amp.inference_mode():
        y = x * x
        assert amp.is_inference_mode_enabled() and not tg.is_grad_enabled()
        with amp.inference_mode(False):
            assert tg.is_grad_enabled() and not amp.is_inference_mode_enabled()
            assert (x * x).requires_grad
        assert amp.is_inference_mode_enabled()
    assert not y.requires_grad and not amp.is_inference_mode_enabled() and tg.is_grad_enabled()
    (y * x).sum().backward()  # unlike PyTorch's inference tensors, y may join a later graph
    assert x.grad.item() == 9.0

    @amp.inference_mode
    def bare(t):
        return t * 2, amp.is_inference_mode_enabled()

    @amp.inference_mode()
    def called(t):
        return t * 2

    out, inside = bare(x)
    assert (out.requires_grad, inside, called(x).requires_grad, bare.__name__) == (False, True, False, "bare")


def test_inference_mode_is_per_thread():
    seen = []
    with amp.inference_mode():
        worker = threading.Thread(target=lambda: seen.append((amp.is_inference_mode_enabled(), tg.is_grad_enabled())))
        worker.start()
        worker.join()
    assert seen == [(False, True)]


# ---------------------------------------------------------------------- mixed precision and compile
def test_autocast_changes_nothing_as_context_and_decorator():
    a, b = tg.randn(3, 4), tg.randn(4, 2)
    with amp.autocast("cpu", dtype=tg.float16) as ctx:
        out = a @ b
        assert not amp.is_autocast_enabled("cpu")
    assert ctx.device == "cpu" and ctx.fast_dtype == tg.float16
    assert out.dtype == tg.float32 and np.array_equal(out.numpy(), (a @ b).numpy())
    with amp.autocast(device_type="cuda", enabled=False), amp.CudaAutocast(), amp.CpuAutocast(dtype=tg.float16):
        assert (a @ b).dtype == tg.float32

    @amp.autocast("cuda")
    def forward(x, y):
        return x @ y

    assert forward.__name__ == "forward" and np.array_equal(forward(a, b).numpy(), out.numpy())
    assert amp.is_autocast_available("cuda")
    with pytest.raises(ValueError, match="device_type as a string.*got device"):
        amp.autocast(tg.device("cpu"))


def test_grad_scaler_loop_takes_the_same_step_as_without_it():
    def train(use_scaler):
        tg.manual_seed(0)
        model = tg.nn.Linear(3, 1)
        optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
        scaler = amp.GradScaler("cpu") if use_scaler else None
        x, y = tg.randn(8, 3), tg.randn(8, 1)
        for _ in range(3):
            optimizer.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            if use_scaler:
                assert scaler.scale(loss) is loss
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
        return model.weight.numpy().copy()

    assert np.array_equal(train(True), train(False))


def test_grad_scaler_reports_itself_disabled():
    calls = []

    class Optimizer:
        def step(self, closure=None):
            calls.append(closure)
            return "stepped"

    scaler = amp.CudaGradScaler(init_scale=1024.0, growth_interval=10)
    assert scaler.step(Optimizer(), closure="c") == "stepped" and calls == ["c"]
    assert (scaler.get_scale(), scaler.is_enabled(), scaler.state_dict()) == (1.0, False, {})
    assert (scaler.get_growth_factor(), scaler.get_backoff_factor(), scaler.get_growth_interval()) == (2.0, 0.5, 10)
    scaler.load_state_dict({"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
                            "_growth_tracker": 0})
    assert scaler.get_scale() == 1.0 and scaler.device == "cuda"


def test_compile_returns_the_model_in_each_form():
    model = tg.nn.Linear(2, 2)
    assert amp.compile(model) is model
    assert amp.compile(model, mode="max-autotune", fullgraph=True, backend="eager") is model

    @amp.compile
    def bare(x):
        return x + 1

    @amp.compile(dynamic=True)
    def with_options(x):
        return x * 3

    assert (bare(1), with_options(2), bare.__name__, with_options.__name__) == (2, 6, "bare", "with_options")
    with pytest.raises(TypeError, match="a module or a function to compile, got int"):
        amp.compile(3)


@pytest.mark.parametrize("module", [acc, amp])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------------------------ PyTorch parity
def test_answers_and_defaults_match_pytorch_on_a_cpu_only_build():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this PyTorch has a GPU: its answers describe that machine")
    ours = [acc.cuda.is_available(), acc.cuda.device_count(), acc.backends.mps.is_available(),
            acc.backends.mps.is_built(), acc.accelerator.is_available(), acc.accelerator.current_accelerator(),
            acc.backends.cudnn.benchmark, acc.backends.cudnn.deterministic, acc.backends.cudnn.enabled,
            acc.backends.cudnn.allow_tf32, acc.backends.cuda.matmul.allow_tf32, acc.get_float32_matmul_precision(),
            acc.are_deterministic_algorithms_enabled(), acc.cuda.memory_allocated()]
    theirs = [torch.cuda.is_available(), torch.cuda.device_count(), torch.backends.mps.is_available(),
              torch.backends.mps.is_built(), torch.accelerator.is_available(), torch.accelerator.current_accelerator(),
              torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic, torch.backends.cudnn.enabled,
              torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32,
              torch.get_float32_matmul_precision(), torch.are_deterministic_algorithms_enabled(),
              torch.cuda.memory_allocated()]
    assert ours == theirs
    scaler = torch.amp.GradScaler("cuda", enabled=False)
    assert (scaler.get_scale(), scaler.is_enabled(), scaler.state_dict()) == (
        amp.GradScaler().get_scale(), amp.GradScaler().is_enabled(), amp.GradScaler().state_dict())
