"""Data types with PyTorch's names and PyTorch's type promotion.

A :class:`dtype` names a NumPy dtype the way PyTorch does (``tinygrad_edu.float32``, alias
``tinygrad_edu.float``); ``Tensor.dtype`` returns one. It compares equal to the NumPy dtype it stands
for (``t.dtype == np.float32``) and NumPy accepts it wherever a dtype is expected.

**Promotion** (what dtype ``a + b`` gets) follows PyTorch, not NumPy. The categories are ordered
bool < integer < floating. The operand of the highest category decides, and within a category a
*dimensioned* tensor outranks a 0-d tensor, which outranks a Python number: ``int32_tensor + 5`` stays
int32, ``float16_tensor * 2.5`` stays float16, ``float32_tensor + tensor(1.0, dtype=float64)`` stays
float32. A Python float meeting integers gives the default float dtype (float32), so does ``int / int``.

>>> import tinygrad_edu as tg
>>> (tg.tensor([1, 2]) * 2.5).dtype, (tg.tensor([1, 2], dtype=tg.int32) + 5).dtype
(tinygrad_edu.float32, tinygrad_edu.int32)
"""

import builtins

import numpy as np


class dtype:
    """A tensor element type: ``name`` as PyTorch spells it, the NumPy dtype behind it (``.dtype``), and
    PyTorch's ``is_floating_point``, ``is_complex``, ``is_signed`` and ``itemsize``."""

    __slots__ = ("name", "dtype", "kind", "is_floating_point", "is_signed", "itemsize", "is_complex")

    def __init__(self, name, np_dtype):
        self.name, self.dtype = name, np.dtype(np_dtype)  # `.dtype` is what NumPy reads when given this object
        self.kind = self.dtype.kind  # NumPy's letter ('f', 'i', 'u', 'b', 'c'), so code written for NumPy dtypes works
        self.is_floating_point = self.kind == "f"
        self.is_complex = self.dtype.kind == "c"
        self.is_signed = self.dtype.kind in "fic"
        self.itemsize = self.dtype.itemsize

    def __repr__(self):
        return f"tinygrad_edu.{self.name}"

    def __eq__(self, other):
        if isinstance(other, dtype):
            return self is other
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype)

    def __reduce__(self):  # pickles (a checkpoint, a DataLoader worker) as the same object
        return (of, (self.dtype,))


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)

DTYPES = {"bool_" if d is bool_ else d.name: d for d in (float16, float32, float64, int8, int16, int32, int64, uint8,
                                                        bool_, complex64, complex128)}
# PyTorch's other names; `float`, `int` and `bool` exist only as attributes of the package, never star-imported
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32, "long": int64,
           "bool": bool_, "cfloat": complex64, "cdouble": complex128}
_BY_NUMPY = {d.dtype: d for d in DTYPES.values()}


def of(np_dtype):
    """The :class:`dtype` for a NumPy dtype (one object per type, made on first use for rarer ones)."""
    found = _BY_NUMPY.get(np_dtype)
    if found is None:
        np_dtype = np.dtype(np_dtype)
        found = _BY_NUMPY.setdefault(np_dtype, dtype(np_dtype.name, np_dtype))
    return found


def to_numpy(d):
    """Any dtype argument (a :class:`dtype`, a NumPy dtype or type, a name) as a NumPy dtype."""
    return d.dtype if type(d) is dtype else np.dtype(d)


# --------------------------------------------------------------------------------- the default
_default = [float32]


def get_default_dtype():
    """The dtype Python floats become, and that integer-only computations such as ``int / int`` give."""
    return _default[0]


def set_default_dtype(d):
    """Make ``d`` (float32 or float64, or float16) the default floating dtype, as ``torch.set_default_dtype``."""
    d = of(to_numpy(d))
    if not d.is_floating_point:  # as PyTorch: ints and bools cannot be the default
        raise TypeError(f"set_default_dtype: only floating-point types can be the default, got {d}")
    _default[0] = d


# --------------------------------------------------------------------------------- promotion
def _category(np_dtype):
    """0 bool, 1 integer, 2 floating, 3 complex: the order in which categories win."""
    return _CATEGORIES[np_dtype.kind]


_CATEGORIES = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}


def _promote(a, b):
    """The smallest dtype both ``a`` and ``b`` convert to without losing their category (NumPy dtypes):
    the higher category wins outright (int64 with float16 is float16, as in PyTorch; NumPy would say
    float64), within one category the wider type."""
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """PyTorch's rule for a higher-priority group's dtype meeting a lower one's (None: no operand)."""
    if lower is None:
        return higher
    if higher is None:
        return lower
    if _category(higher) >= _category(lower) and higher.kind != "b":
        return higher
    return _promote(higher, lower)


def promote_types(type1, type2):
    """The dtype an op on tensors of ``type1`` and ``type2`` gives (``torch.promote_types``)."""
    return of(_promote(to_numpy(type1), to_numpy(type2)))


def result_type(tensor1, tensor2):
    """The dtype of an op on ``tensor1`` and ``tensor2`` (Tensors or Python numbers), by the rules above."""
    return of(_result_type(tensor1, tensor2))


def finfo(type=None):
    """Limits of a floating dtype (the default one if omitted): ``eps``, ``max``, ``min``, ``tiny``, ``bits``."""
    return np.finfo(to_numpy(type or _default[0]))


def iinfo(type):
    """Limits of an integer dtype: ``max``, ``min``, ``bits``."""
    return np.iinfo(to_numpy(type))


def _result_type(*operands):
    """The NumPy dtype PyTorch gives an op on ``operands`` (Tensors and Python numbers)."""
    groups = [None, None, None]  # dimensioned tensors, 0-d tensors, Python numbers
    for x in operands:
        data = getattr(x, "_data", None)
        if data is not None:
            d, g = data.dtype, 1 if data.ndim == 0 else 0
        else:
            d, g = _number_dtype(x), 2
        groups[g] = d if groups[g] is None else _promote(groups[g], d)
    return _combine(groups[0], _combine(groups[1], groups[2]))


def _number_dtype(x):
    """A Python number's dtype when it meets a tensor: bool, int64, or the default float dtype."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    if isinstance(x, builtins.bool):
        return np.dtype(np.bool_)
    if isinstance(x, builtins.int):
        return np.dtype(np.int64)
    if isinstance(x, builtins.complex):
        return np.dtype(np.complex64 if _default[0] is float32 else np.complex128)
    return _default[0].dtype
