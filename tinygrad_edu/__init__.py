"""tinygrad_edu: a tensor autograd engine built from first principles on NumPy.

>>> from tinygrad_edu import Tensor
>>> a = Tensor(2.0, requires_grad=True)
>>> (a * a + a).backward()
>>> a.grad
tensor(5.)
"""

from . import engine
from .engine import *  # noqa: F401,F403  (Tensor, ops, factories, grad modes, gradcheck)
from .engine import __all__ as _engine_all
from .engine.accelerators import (
    accelerator,
    amp,
    are_deterministic_algorithms_enabled,
    backends,
    cpu,
    cuda,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
from .engine.amp import (
    autocast,
    compile,  # noqa: F401  (tinygrad_edu.compile, not star-exported: it would shadow the builtin)
    inference_mode,
    is_autocast_enabled,
    is_inference_mode_enabled,
    set_grad_enabled,
)
from .engine.dtype import ALIASES as _dtype_aliases
from .engine.factory import tensor
from .engine.serialization import load, save

globals().update(_dtype_aliases)  # tinygrad_edu.float, .int, .bool ... (not star-imported: they would shadow builtins)

__version__ = "0.1.0"
# `compile` is not star-exported: it would shadow the builtin
__all__ = _engine_all + [
    "tensor", "save", "load", "autocast", "inference_mode", "is_inference_mode_enabled", "is_autocast_enabled",
    "set_grad_enabled", "cuda", "cpu", "amp", "backends", "accelerator", "set_float32_matmul_precision",
    "get_float32_matmul_precision", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "engine", "autograd", "linalg", "nn", "optim", "data", "utils", "models", "train", "viz",
]

from . import autograd, data, linalg, models, nn, optim, train, utils, viz  # noqa: E402  (they import the engine above)
