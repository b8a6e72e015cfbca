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
from .engine.dtype import ALIASES as _dtype_aliases
from .engine.factory import tensor

globals().update(_dtype_aliases)  # tinygrad_edu.float, .int, .bool ... (not star-imported: they would shadow builtins)

__version__ = "0.1.0"
__all__ = _engine_all + ["tensor", "engine", "autograd", "linalg", "nn", "optim", "data", "models", "train", "viz"]

from . import autograd, data, linalg, models, nn, optim, train, viz  # noqa: E402  (they import the engine above)
