"""The autograd engine: Tensor, its operations, reverse-mode differentiation and gradient checking."""

from . import factory, ops, random  # noqa: F401  (importing ops attaches the operations to Tensor)
from .device import device
from .dtype import (
    bool_,
    complex64,
    complex128,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from .factory import *  # noqa: F403  (tensor, zeros, randn ... : factory.__all__)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .memory import collector_paused, keep_freed_memory
from .ops import *  # noqa: F403  (every family's EXPORTS)
from .ops import EXPORTS as _op_exports
from .printing import get_printoptions, set_printoptions
from .random import *  # noqa: F403  (Generator, manual_seed ...: random.__all__)
from .scopes import FunctionCall, scoped
from .tensor import (
    Tensor,
    constant,
    enable_grad,
    grad,
    is_grad_enabled,
    make_op,
    no_grad,
    scope,
)

half, double, short, long, cfloat, cdouble = float16, float64, int16, int64, complex64, complex128  # PyTorch's aliases


__all__ = [
    "Tensor", "make_op", "constant", "scope", "grad", "no_grad", "enable_grad", "is_grad_enabled",
    "gradcheck", "gradgradcheck", "GradcheckError", "keep_freed_memory", "collector_paused",
    "set_printoptions", "get_printoptions", "device", "dtype", "get_default_dtype", "set_default_dtype",
    "promote_types", "result_type", "finfo", "iinfo", "scoped", "FunctionCall",
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_", "complex64", "complex128",
    "half", "double", "short", "long", "cfloat", "cdouble",
] + factory.__all__ + random.__all__ + _op_exports

Tensor.multinomial = factory.multinomial  # the random functions PyTorch also has as Tensor methods
Tensor.bernoulli = factory.bernoulli
