"""How a Tensor prints: PyTorch's layout, character for character (``torch/_tensor_str.py``).

One :class:`_Formatter` looks at every value that will be shown and picks one style for all of them,
so that the columns line up:

- integers and bools: ``str(value)``, right-aligned (``tensor([ True, False])``);
- floats that are all whole numbers: ``1.``, ``-20.`` (the dot says "float");
- other floats: ``precision`` decimals (``1.0000``), or scientific notation (``1.0000e+08``) when the
  largest magnitude is more than 1000 times the smallest, above 1e8, or below 1e-4 (zeros, infinities
  and NaNs do not count).

Above ``threshold`` elements only the first and last ``edgeitems`` of each dimension are shown, around
``...``. Lines wrap at ``linewidth`` characters. Suffixes follow the values: ``dtype=`` unless it is a
default dtype (the default float, int64, bool), ``size=`` for an empty tensor that is not 1-d, and
``grad_fn=<...>`` or ``requires_grad=True``. The dtype is printed with this package's name
(``dtype=tinygrad_edu.float64``), so that what it prints can be pasted back.

>>> from tinygrad_edu import Tensor
>>> Tensor([1.0, 2.5])
tensor([1.0000, 2.5000])
"""

import math

import numpy as np

from .dtype import get_default_dtype, of


class _PrintOptions:
    """The current options; changed only by :func:`set_printoptions`."""

    precision, threshold, edgeitems, linewidth, sci_mode = 4, 1000, 3, 80, None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print, as ``torch.set_printoptions``.

    ``precision`` digits after the point (4), ``threshold`` element count above which tensors are
    summarized (1000), ``edgeitems`` shown at each end of a summarized dimension (3), ``linewidth``
    characters per line (80); ``profile`` sets all four at once ('default', 'short': precision 2 and
    edgeitems 2, 'full': never summarize), and the other arguments then override it. ``sci_mode`` True
    or False forces scientific notation on or off; as in PyTorch it returns to automatic (None) at every
    call that does not pass it.

    >>> from tinygrad_edu import Tensor
    >>> set_printoptions(precision=2)
    >>> Tensor([1.12345])
    tensor([1.12])
    >>> set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; expected one of {sorted(_PROFILES)}")
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict that ``set_printoptions(**options)`` restores."""
    return {name: getattr(PRINT_OPTS, name) for name in ("precision", "threshold", "edgeitems", "linewidth",
                                                          "sci_mode")}


class _Formatter:
    """One number style for a whole tensor (see the module docstring), chosen from ``values``: the
    elements that will be shown."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            self.max_width = max([1] + [len(str(v)) for v in flat.tolist()])
            return
        shown = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if shown.size == 0:
            return
        magnitude = np.abs(shown)
        smallest, largest = magnitude.min(), magnitude.max()
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        if self.sci_mode:
            widths = [len(f"{v:.{p}e}") for v in shown.tolist()]
        elif self.int_mode:
            widths = [len(f"{v:.0f}") + 1 for v in shown.tolist()]  # + 1 for the trailing dot
        else:
            widths = [len(f"{v:.{p}f}") for v in shown.tolist()]
        self.max_width = max([self.max_width] + widths)

    def format(self, value):
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.max_width)


def _element(value, real, imag):
    """One element as text; a complex one as ``real+imagj`` with each part in its own formatter."""
    if imag is None:
        return real.format(value)
    imag_text = (imag.format(value.imag) + "j").lstrip()
    return real.format(value.real) + ("" if imag_text[0] in "+-" else "+") + imag_text


def _vector(a, indent, summarize, real, imag):
    width = real.max_width + 2 + (0 if imag is None else imag.max_width + 1)  # ", " between, "j" for complex
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / width))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and len(a) > 2 * edge:
        items = ([_element(v, real, imag) for v in a[:edge].tolist()] + [" ..."]
                 + [_element(v, real, imag) for v in a[-edge:].tolist()])
    else:
        items = [_element(v, real, imag) for v in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, real, imag):
    """The values of ``a``, one bracket level per dimension; blank lines separate 3-d blocks and up."""
    if a.ndim == 0:
        return _element(a.item(), real, imag)
    if a.ndim == 1:
        return _vector(a, indent, summarize, real, imag)
    edge = PRINT_OPTS.edgeitems
    if summarize and len(a) > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(len(a) - edge, len(a)))
    else:
        rows = range(len(a))
    parts = ["..." if i is None else _nested(a[i], indent + 1, summarize, real, imag) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _summarized(a):
    """The elements a summarized print shows (the first and last ``edgeitems`` along every dimension):
    the formatter chooses its style from these alone, as PyTorch's does."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate((a[:edge], a[-edge:])) if len(a) > 2 * edge else a
    if not edge:
        return np.empty((0,) * a.ndim, a.dtype)
    rows = list(range(edge)) + list(range(len(a) - edge, len(a))) if len(a) > 2 * edge else range(len(a))
    return np.stack([_summarized(a[i]) for i in rows])


def _values(a, indent):
    summarize = a.size > PRINT_OPTS.threshold
    shown = _summarized(a) if summarize else a
    if a.dtype.kind == "c":
        return _nested(a, indent, summarize, _Formatter(shown.real), _Formatter(shown.imag))
    return _nested(a, indent, summarize, _Formatter(shown), None)


def _with_suffixes(text, suffixes, indent):
    """Append ``, suffix`` to ``text``, on a new line when it would pass ``linewidth``."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def _grad_fn_name(t):
    """The name of the op that made ``t`` (``MulBackward0``), or None for a leaf."""
    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        return grad_fn.name()
    return getattr(t, "op", None)


def format_tensor(t):
    """PyTorch's ``repr`` of the Tensor ``t``: ``tensor([1.0000, 2.5000], requires_grad=True)``.

    >>> from tinygrad_edu import Tensor
    >>> print(format_tensor(Tensor([[1, 2], [3, 40]])))
    tensor([[ 1,  2],
            [ 3, 40]])
    """
    a = t.numpy()
    prefix = "tensor("
    indent = len(prefix)
    default_float = np.dtype(get_default_dtype())
    default_complex = np.complex128 if default_float == np.float64 else np.complex64
    suffixes = []
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={a.shape}")
        if a.dtype != default_float:  # no element shows whether the values are ints or floats
            suffixes.append(f"dtype={of(a.dtype)!r}")
        text = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={a.shape}")
        if not (a.dtype == default_float or a.dtype in (default_complex, np.int64, np.bool_)):
            suffixes.append(f"dtype={of(a.dtype)!r}")
        text = _values(a, indent)
    grad_fn = _grad_fn_name(t)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + text, suffixes, indent)
