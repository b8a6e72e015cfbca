"""The accelerator APIs PyTorch programs ask before they start, answered honestly: there is no GPU.

tinygrad_edu computes with NumPy on the CPU. ``cuda.is_available()``, ``backends.mps.is_available()`` and
``accelerator.is_available()`` are False, so the usual ``'cuda' if torch.cuda.is_available() else 'cpu'``
picks the CPU; asking for a GPU anyway (``tensor.to('cuda')``, ``device='cuda'``) is an error that says
there is no GPU backend.

The switches programs flip for GPU speed (``backends.cudnn.benchmark``, ``backends.cuda.matmul.allow_tf32``,
``set_float32_matmul_precision``, ``use_deterministic_algorithms`` ...) exist and can be set and read
back, and have no effect: NumPy's float32 matmul is always full precision, and every op here is
deterministic already.

Each namespace is a module object (``tinygrad_edu.cuda``, ``tinygrad_edu.backends.cudnn`` ...), as in
PyTorch, so ``import torch.backends.cudnn as cudnn`` style code finds it.

>>> cuda.is_available(), backends.mps.is_available(), accelerator.current_accelerator()
(False, False, None)
>>> backends.cudnn.benchmark  # programs set it to True: accepted, and it changes nothing
False
"""

import types

from .amp import CpuAutocast, CudaAutocast, CudaGradScaler, GradScaler, autocast, is_autocast_available
from .device import no_backend_message


def _namespace(name, doc, **members):
    """A module object ``tinygrad_edu.<name>`` holding ``members``; an empty ``__path__`` makes it a package
    to the import system, so ``import torch.backends.cudnn`` may look inside ``backends`` (see run.py)."""
    module = types.ModuleType(f"tinygrad_edu.{name}", doc)
    module.__dict__.update(members, __path__=[])
    return module


def _false(*args, **kwargs):
    return False


def _nothing(*args, **kwargs):
    """Nothing to do: there is no GPU (its RNG, its queue of work, its memory cache) to act on."""


def _zero(*args, **kwargs):
    return 0


def _no_gpu(what):
    def refuse(device=None):
        where = f"cuda:{device}" if isinstance(device, int) else "cuda"
        raise RuntimeError(no_backend_message(where, f"cuda.{what}"))

    refuse.__name__ = what
    refuse.__doc__ = f"Raises: there is no CUDA device to answer ``cuda.{what}()``."
    return refuse


amp = _namespace("amp", "Mixed precision, as torch.amp: here every op keeps its dtype (see autocast).",
                 autocast=autocast, GradScaler=GradScaler, is_autocast_available=is_autocast_available)

cuda = _namespace(
    "cuda",
    "torch.cuda's questions, answered for a machine without a GPU: nothing is available, the seeding and "
    "the synchronizing calls are no-ops (there is no CUDA RNG and no GPU queue), memory counts are 0, and "
    "a call that needs a device (current_device, get_device_name, set_device ...) raises the no-GPU error.",
    is_available=_false, is_initialized=_false, is_bf16_supported=_false, device_count=_zero,
    manual_seed=_nothing, manual_seed_all=_nothing, seed=_nothing, seed_all=_nothing,
    synchronize=_nothing, empty_cache=_nothing, reset_peak_memory_stats=_nothing,
    memory_allocated=_zero, max_memory_allocated=_zero, memory_reserved=_zero, max_memory_reserved=_zero,
    current_device=_no_gpu("current_device"), get_device_name=_no_gpu("get_device_name"),
    get_device_properties=_no_gpu("get_device_properties"),
    get_device_capability=_no_gpu("get_device_capability"), set_device=_no_gpu("set_device"),
    amp=_namespace("cuda.amp", "torch.cuda.amp: autocast and GradScaler, both changing nothing here.",
                   autocast=CudaAutocast, GradScaler=CudaGradScaler),
)

cpu = _namespace(
    "cpu", "torch.cpu: the one device, always available.",
    is_available=lambda: True, device_count=lambda: 1, current_device=lambda: "cpu", synchronize=_nothing,
    amp=_namespace("cpu.amp", "torch.cpu.amp: autocast, changing nothing here.", autocast=CpuAutocast),
)

backends = _namespace(
    "backends",
    "torch.backends: GPU libraries that are not here (cuda, cudnn, mps report unavailable) and their "
    "switches, which can be set and read and have no effect on NumPy's computation.",
    cuda=_namespace(
        "backends.cuda", "CUDA's switches: settable, without effect.", is_built=_false,
        matmul=_namespace("backends.cuda.matmul", "Matmul precision switches: settable, without effect.",
                          allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                          allow_bf16_reduced_precision_reduction=True),
    ),
    cudnn=_namespace("backends.cudnn", "cuDNN's switches: settable, without effect.",
                     is_available=_false, version=lambda: None,
                     enabled=True, benchmark=False, deterministic=False, allow_tf32=True),
    mps=_namespace("backends.mps", "Apple's Metal backend: not built here.", is_available=_false, is_built=_false),
)

accelerator = _namespace(
    "accelerator", "torch.accelerator: there is none, so current_accelerator() is None.",
    is_available=_false, device_count=_zero,
    current_accelerator=lambda check_available=False: None,
)

_settings = {"float32_matmul_precision": "highest", "deterministic": False, "deterministic_warn_only": False}


def set_float32_matmul_precision(precision):
    """Accepts PyTorch's ``'highest'``, ``'high'`` or ``'medium'`` and remembers it, without effect: NumPy's
    float32 matmul is always computed in full float32 (PyTorch's ``'highest'``)."""
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"set_float32_matmul_precision: expected 'highest', 'high' or 'medium', got {precision!r}")
    _settings["float32_matmul_precision"] = precision


def get_float32_matmul_precision():
    """The value last given to ``set_float32_matmul_precision`` (``'highest'`` at first)."""
    return _settings["float32_matmul_precision"]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Accepted and remembered, without effect: every op here gives the same result on every run already
    (NumPy on one CPU thread of control; randomness comes only from the seeded generators)."""
    _settings["deterministic"], _settings["deterministic_warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled():
    """What ``use_deterministic_algorithms`` was last given (False at first)."""
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    """The ``warn_only`` last given to ``use_deterministic_algorithms`` (False at first)."""
    return _settings["deterministic_warn_only"]
