"""The Tensor, graph recording and reverse-mode differentiation.

A Tensor wraps a NumPy array. Every differentiable operation is one function (see ``engine/ops/``) that
computes its NumPy result and hands it to :func:`make_op` together with its parents and a *backward
closure*. ``make_op`` is the only place that records graph nodes, and it records only while grad mode
is on and some parent requires grad.

A backward closure ``backward(g, out)`` receives the gradient ``g`` of the loss with respect to the
op's output and the output tensor ``out`` itself, and returns one gradient per parent (``None`` for a
parent that gets none). It never touches ``.grad``: the engine (:func:`_run_backward`) sums
broadcast gradients back to each parent's shape and accumulates them.

Closures are written with Tensor ops. They run with recording off, so a plain ``backward()`` builds no
graph; with ``create_graph=True`` they run with recording on, and the gradients are themselves
differentiable: that is all higher-order derivatives take (the approach of DeZero). A closure reads the
op's inputs from ``out.parents`` rather than capturing them where it can: each captured variable is
one more object per op for Python's cyclic garbage collector to walk while the graph is alive.
"""

import functools
import itertools
import threading
from operator import attrgetter

import numpy as np

from . import dtype as dtypes
from .printing import format_tensor


class _GradState(threading.local):
    """Grad mode lives per thread, as in PyTorch: an evaluation thread inside ``no_grad()`` must not stop
    another thread's training from recording. A new thread starts with recording on (the class default)."""

    enabled = True


_grad_state = _GradState()


def is_grad_enabled():
    """True when operations are being recorded for differentiation (in the calling thread)."""
    return _grad_state.enabled


class _GradMode:
    """Context manager and decorator that sets this thread's grad mode, restoring the previous mode on exit."""

    enabled = None

    def __enter__(self):
        self._previous, _grad_state.enabled = _grad_state.enabled, self.enabled

    def __exit__(self, *exc):
        _grad_state.enabled = self._previous

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():  # a fresh instance per call: recursion and threads keep their own previous mode
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Record nothing inside: ``with no_grad(): ...`` or ``@no_grad()`` on a function."""

    enabled = False


class enable_grad(_GradMode):
    """Record again inside a ``no_grad`` block: ``with enable_grad(): ...`` or as a decorator."""

    enabled = True


class _set_grad_enabled(_GradMode):
    def __init__(self, enabled):
        self.enabled = enabled


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    ``Tensor(data, requires_grad=False, dtype=None)``: Python floats (and lists holding any) become
    float32, Python ints int64, bools bool; a NumPy array keeps its dtype (float64 stays float64).
    The data is copied.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_base", "_writes", "_stamp", "_hooks")
    __array_ufunc__ = None  # make `ndarray * Tensor` call Tensor.__rmul__ instead of looping in NumPy
    __hash__ = object.__hash__  # elementwise __eq__ below would otherwise make Tensors unhashable

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data._data
        try:
            array = np.array(data, dtype=None if dtype is None else dtypes.to_numpy(dtype))
        except ValueError:
            # NumPy's message for a ragged list is cryptic: find the first dimension whose lengths differ
            level, shape = [data], ()
            while all(isinstance(x, (list, tuple)) for x in level) and len({len(x) for x in level}) == 1:
                shape, level = shape + (len(level[0]),), [y for x in level for y in x]
            found = sorted({f"length {len(x)}" if isinstance(x, (list, tuple)) else "a scalar" for x in level})
            if len(found) < 2:
                raise
            raise ValueError(f"Tensor: ragged nested sequence: after shape {shape}, dimension {len(shape)} mixes "
                             f"{' and '.join(found)} (all sequences along a dimension need the same length)") from None
        if array.dtype.kind not in "biufc":
            raise TypeError(f"Tensor: data must be numbers, (nested) lists of numbers or a numeric array, got "
                            f"{type(data).__name__} (NumPy dtype {array.dtype})")
        if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
            if array.dtype.kind == "f":
                array = array.astype(dtypes.get_default_dtype().dtype)
            elif array.dtype.kind in "iu":
                array = array.astype(np.int64)
        self._data, self.grad, self.requires_grad, self._ctx = array, None, False, None
        self._base = None
        if requires_grad:
            self.requires_grad_()

    # ----------------------------------------------------------------------------- basic properties
    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        """The element type, a :class:`~tinygrad_edu.engine.dtype.dtype` (``tinygrad_edu.float32``, ...)."""
        return dtypes.of(self._data.dtype)

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has had (shared with its views), as PyTorch's."""
        return getattr(_root(self), "_writes", 0)

    @property
    def is_leaf(self):
        """True for tensors the user created (and results of ops that needed no gradient)."""
        return self._ctx is None

    @property
    def op(self):
        """Name of the operation that produced this tensor, or None for a leaf."""
        return None if self._ctx is None else self._ctx.op

    @property
    def grad_fn(self):
        """The node that made this tensor (None for a leaf), as PyTorch's: ``name()`` gives e.g.
        ``'MulBackward0'`` and ``next_functions`` the nodes of its inputs."""
        return self._ctx

    @property
    def parents(self):
        """The tensors this one was computed from (empty for a leaf)."""
        return () if self._ctx is None else _inputs(self._ctx)

    @property
    def scope(self):
        """What was running when this tensor's op was recorded (the Module whose forward made it, see
        :class:`scope`), or None: how a drawn graph groups ops by module."""
        return None if self._ctx is None else self._ctx.scope

    def size(self, dim=None):
        return self._data.shape if dim is None else self._data.shape[dim]

    def numel(self):
        return self._data.size

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def numpy(self):
        """The underlying array (shared, not copied)."""
        return self._data

    def tolist(self):
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous; use .any() or .all()")
        return bool(self._data)

    def __repr__(self):
        return format_tensor(self)

    # ------------------------------------------------------------------------------- autograd state
    def requires_grad_(self, requires_grad=True):
        """Mark a leaf as a variable to differentiate with respect to (in place; returns self)."""
        if self._ctx is not None:
            raise RuntimeError(f"requires_grad_() is only for leaf tensors; this one was made by '{self._ctx.op}'. "
                               "Use .detach() to get a leaf.")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(f"only floating point tensors can require gradients, got dtype {self._data.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def data(self):
        """This tensor's values as a new leaf Tensor sharing its memory, outside autograd's sight: as in
        PyTorch, a write through it (``p.data -= lr * p.grad``) changes the values without counting as an
        in-place operation, so no backward will notice. :meth:`detach` is the safe version."""
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        """``t.data = other`` makes ``t`` hold ``other``'s values (shape and dtype included)."""
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    def detach(self):
        """A new leaf sharing this tensor's data (and its version counter), cut from the graph."""
        out = _wrap(self._data)
        out._base = _root(self)
        return out

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self._ctx is not None:
            self._ctx.retain = True
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time backward (or :func:`grad`) computes the gradient with respect to this
        tensor, all of its uses summed. A Tensor it returns (of the same shape) replaces the gradient: it is
        what flows on to the inputs and, for a leaf, what is added to ``.grad``; None keeps it. Hooks run in
        the order they were added. Returns a handle whose ``remove()`` takes the hook off, as PyTorch's.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> handle = x.register_hook(lambda g: g * 2)
        >>> (x * 3).sum().backward()
        >>> x.grad
        tensor([6., 6.])
        """
        global _hooked
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if getattr(self, "_hooks", None) is None:
            self._hooks = {}
            _hooked += 1
        key = next(_counter)
        self._hooks[key] = hook
        return RemovableHandle(self._hooks, key)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None, *,
                 retain_all_grads=False):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``gradient`` is dL/d(self); it may be omitted for a one-element tensor (it is then 1).
        ``retain_graph`` (default: ``create_graph``) keeps the graph for another backward.
        ``create_graph=True`` records the backward pass itself, for higher-order derivatives.
        ``inputs`` (a tensor or a sequence of them) accumulates into those tensors' ``.grad`` only.
        ``retain_all_grads=True`` keeps ``.grad`` on every tensor of the graph, intermediate ones
        included, as micrograd does: handy for drawing the graph with its gradients.
        """
        gradient = _root_gradient(self, gradient, 0)
        keep = create_graph if retain_graph is None else retain_graph
        if inputs is None:
            _run_backward([self], [gradient], keep, create_graph, retain_all=retain_all_grads)
            return
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise RuntimeError("backward: inputs= was given but is empty; leave it out to fill every leaf's .grad")
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor) or not t.requires_grad:
                raise RuntimeError(f"backward: inputs[{i}] does not require grad, so it cannot get a gradient")
        handed_out = set()
        for t, g in zip(inputs, _run_backward([self], [gradient], keep, create_graph, inputs=inputs)):
            if g is not None:
                _store_grad(t, g, create_graph, handed_out)


class Node:
    """How a tensor was computed: the op's name, its parent tensors and its backward closure.
    ``saved`` lists what the closure reads (parents, and ``"output"`` for the op's result; None: all of
    them), so that a backward can refuse values changed in place since. ``retain`` asks the engine to keep
    this (non-leaf) tensor's gradient in ``.grad``; ``seq`` counts recorded ops in creation order, which is
    a topological order (an op's inputs exist before it); ``scope`` is the innermost scope that was running:
    a Module's forward or a :func:`~tinygrad_edu.engine.scopes.scoped` function's call (None outside any),
    for drawing the graph."""

    __slots__ = ("op", "parents", "backward", "saved", "retain", "seq", "scope")

    def __init__(self, op, parents, backward, saved=None):
        self.op, self.parents, self.backward, self.saved = op, parents, backward, saved
        self.retain, self.seq, self.scope = False, next(_counter), _scope

    def name(self):
        """PyTorch's name for this node: the op in CamelCase + ``Backward0`` (``mul`` -> ``MulBackward0``);
        a custom :class:`~tinygrad_edu.autograd.Function`'s class name + ``Backward``."""
        if self.op[:1].isupper():
            return self.op + "Backward"
        if self.op == "matmul":  # PyTorch names the kernel the shapes chose
            return _MATMUL_NAMES.get(tuple(p._data.ndim for p in self.parents), "Bmm") + "Backward0"
        return "".join(part.capitalize() for part in self.op.split("_")) + "Backward0"

    @property
    def next_functions(self):
        """``(node, 0)`` per input, as PyTorch's graph: the input's node, an :class:`AccumulateGrad` for a
        leaf that requires grad, None for an input that needs no gradient."""
        return tuple((_next_function(p), 0) for p in _inputs(self))

    def __repr__(self):
        return f"<{self.name()} object>"


_MATMUL_NAMES = {(2, 2): "Mm", (2, 1): "Mv", (1, 2): "Mv", (1, 1): "Dot"}


class AccumulateGrad:
    """Where a leaf's gradient is summed into its ``.grad`` (the end of a path in ``next_functions``)."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def __repr__(self):
        return "<AccumulateGrad object>"


def _next_function(t):
    if t._ctx is not None:
        return t._ctx
    return AccumulateGrad(t) if t.requires_grad else None


_counter = itertools.count()
_scope = None  # the innermost scope (a running Module forward or scoped function call), see :class:`scope`


class scope:
    """``with scope(owner): ...``: ops recorded inside remember ``owner`` (``Node.scope``), so that a drawn
    graph can group them by the module or function that made them. ``nn.Module.__call__`` enters one per
    forward, and a :func:`~tinygrad_edu.engine.scopes.scoped` function one per call (its owner a
    ``FunctionCall`` whose ``parent`` is the scope it was called in).
    A class rather than a generator-based context manager: it runs on every module call."""

    __slots__ = ("owner", "_outer")

    def __init__(self, owner):
        self.owner = owner

    def __enter__(self):
        global _scope
        self._outer, _scope = _scope, self.owner
        return self.owner

    def __exit__(self, *exc):
        global _scope
        _scope = self._outer


def constant(array):
    """A leaf Tensor around ``array`` without copying it: a value an op uses but never differentiates
    (a mask, a lookup table, a scale). NumPy scalars become 0-d arrays.

    >>> constant(np.ones(2)).requires_grad
    False
    """
    return _wrap(array)


def _wrap(data):
    """A new leaf Tensor around a NumPy result (no copy; NumPy scalars become 0-d arrays)."""
    t = _new(Tensor)  # skips Tensor.__init__'s conversions: op results are already arrays
    t._data = data if type(data) is np.ndarray else np.asarray(data)
    t.grad = None
    t.requires_grad = False
    t._base = None  # (_writes and _stamp, the version counter, are set by the first in-place write)
    t._ctx = None
    return t


_new = object.__new__


def make_op(op, data, parents, backward, saved=None):
    """Wrap ``data`` (the op's NumPy result) as a Tensor and record how to differentiate it.

    ``op`` names the operation, ``parents`` is the tuple of input Tensors, and ``backward(g, out)``
    returns one gradient per parent given dL/d(out) = ``g``; write it with Tensor ops so that it is
    differentiable again. NumPy arrays are also accepted as gradients (treated as constants, so
    higher-order derivatives through such an op are not tracked). ``saved`` names what ``backward``
    reads: some of the parents and/or ``"output"`` (None, the default, means all of them); a backward
    refuses to run if one of those was changed in place since. This is the public way to add an op of
    your own; check it with :func:`tinygrad_edu.gradcheck`.
    """
    out = _wrap(data)
    if out._data.base is not None:  # NumPy returned a view: is it one of a parent's memory?
        _mark_view(out, parents)
    if _grad_state.enabled:
        if _last_rebase >= 0:  # some in-place write was recorded: a parent may be a view whose base moved on
            _refresh_views(parents)
        for p in parents:
            if p.requires_grad:
                if out._data.dtype.kind == "c" or p._data.dtype.kind == "c":  # the gradient would be wrong
                    raise NotImplementedError(f"{op}: autograd through complex values is not supported (a "
                                              "complex input or result); use real tensors, or detach() first")
                out.requires_grad = True
                out._ctx = Node(op, parents, backward, saved)
                break
    return out


def _mark_view(out, parents):
    """``out`` shows (part of) a parent's memory, as ``x[0]`` or ``x.T`` do: it shares that memory's
    version counter, and an in-place write into it is a write into the parent too."""
    owner = out._data.base  # NumPy points a view (of a view...) at the array that owns the memory
    for p in parents:
        if owner is p._data or owner is p._data.base:
            out._base = _root(p)
            return


# ------------------------------------------------------------------------------- in-place writes
# In-place operations follow PyTorch. Outside grad mode, or on a tensor nothing requires grad of, they
# just write. On a leaf that requires grad they are refused (its .grad would no longer match its value).
# Otherwise the write is recorded: the tensor gets a new history (it is *rebased*): a node whose parents
# are the computed new value and the tensor's previous self (``old``, same memory), so that ops recorded
# earlier, which used the tensor, still send their gradients to its previous history (see _inputs).
# Every write counts on the memory's version counter; a backward checks that what a node saved is
# unchanged since the node was recorded.
_last_write = -1  # seq of the newest in-place write: a node recorded after it need check nothing
_last_rebase = -1  # seq of the newest rebase: the parents of a node recorded after it are all current


def _root(t):
    """The tensor owning the memory ``t`` shows (t itself unless t is a view or a detached copy); its
    version counter is shared by all of its views."""
    return t if t._base is None else t._base


def _write(t, new, op, cast=False):
    """Make ``t`` hold ``new``'s values in place (``new``: t's new value, computed out of place) and
    record it as the in-place op ``op``. ``cast``: any dtype may be written (``copy_``, item assignment);
    otherwise, as PyTorch, a result of a higher category (float into an int tensor) is refused."""
    recording = _grad_state.enabled and (t.requires_grad or new.requires_grad)
    base = t._base
    if recording and t.requires_grad and t._ctx is None:
        raise RuntimeError(f"{op}: a leaf tensor that requires grad (shape {t.shape}) is being used in an in-place "
                           "operation; that would make its .grad disagree with its value. Update it inside "
                           "`with no_grad():` (as optimizers do), or use the out-of-place op")
    if recording and base is not None and base.requires_grad and base._ctx is None:
        raise RuntimeError(f"{op}: a view of a leaf tensor that requires grad (shape {base.shape}) is being used in "
                           "an in-place operation; update the leaf inside `with no_grad():` or work on a .clone()")
    if new._data.shape != t._data.shape:
        raise RuntimeError(f"{op}: the result has shape {new.shape} but the tensor written in place has shape "
                           f"{t.shape}; an in-place op cannot change a tensor's shape")
    if not cast and dtypes._CATEGORIES[new._data.dtype.kind] > dtypes._CATEGORIES[t._data.dtype.kind]:
        raise RuntimeError(f"{op}: result type {new.dtype} can't be cast to the desired output type {t.dtype} "
                           "of this in-place operation")
    old = _previous(t, copy=_reads(new, t)) if recording else None
    if t._data.flags.writeable:
        np.copyto(t._data, new._data, casting="unsafe")
    elif op in ("fill_", "zero_") and base is not None:  # a broadcast view: every element gets the same value
        base._data.flat[_positions(base._data, t._data).ravel()] = new._data.ravel()
    else:
        raise RuntimeError(f"{op}: this tensor is a broadcast view (expand / broadcast_to): several of its elements "
                           "are one memory location, so it cannot be written; write into a .clone()")
    _count_write(t)
    if recording:
        _rebase(t, new, old, op)
        if base is not None:
            _rebase_base(base, t)
    return t


def _reads(new, t):
    """Does the op that computed ``new`` read ``t``'s memory in its backward (``x.mul_(w)`` needs x's old
    value for w's gradient)? Then the old value is kept in a copy, as PyTorch does."""
    node = new._ctx
    if node is None:
        return False
    root = _root(t)
    return any(isinstance(s, Tensor) and _root(s) is root for s in (node.parents if node.saved is None else node.saved))


def increment_version(tensor):
    """Count a write into ``tensor``'s memory made behind the engine's back (a NumPy write into
    ``.numpy()``, as the optimizers make), so that a backward that saved the old value refuses to use it,
    as ``torch.autograd.graph.increment_version``."""
    _count_write(tensor)


def _count_write(t):
    """Count a write into ``t``'s memory on the version counter its views share."""
    global _last_write
    r = _root(t)
    r._writes = getattr(r, "_writes", 0) + 1
    r._stamp = _last_write = next(_counter)


def _previous(t, copy=False):
    """A tensor standing for ``t`` as it was until now: same history, and same memory (or a copy of it,
    taken before the write, when a backward still needs those values)."""
    old = _wrap(t._data.copy() if copy else t._data)
    old.requires_grad, old._ctx, old._base = t.requires_grad, t._ctx, None if copy else _root(t)
    return old


def _rebase(t, new, old, op):
    global _last_rebase
    t._ctx = node = Node(op, (new, old), _through_first, saved=())
    t.requires_grad = True
    _last_rebase = node.seq


def _through_first(g, out):
    """The new value is the first parent's; the previous self (second) gets zeros from here, as in PyTorch
    (its own part, if any, reaches it through the first parent's history)."""
    return g, _wrap(np.zeros_like(g._data))


def _rebase_base(base, view):
    """After an in-place write into ``view`` (recorded), rebase the tensor whose memory it shows: its new
    value is its previous one with the view's elements replaced (PyTorch's CopySlices)."""
    global _last_rebase
    where = _positions(base._data, view._data)  # flat positions in base of each element of view
    outside = np.ones(base._data.size, base._data.dtype)
    outside[where.ravel()] = 0
    outside = _wrap(outside.reshape(base._data.shape))
    index = _wrap(where)

    def backward(g, out):
        return g.reshape(-1)[index], g * outside

    base._ctx = node = Node("copy_slices", (view, _previous(base)), backward, saved=())
    base.requires_grad = True
    _last_rebase = node.seq


def _refresh_views(tensors):
    """A view made before an in-place write into its base shows the new values, but its history still
    describes the old ones; before it is used again, give it a history as a view of the base's current
    value (PyTorch regenerates a view's grad_fn the same way)."""
    for t in tensors:
        base = t._base
        if base is not None and t._ctx is not None and base._ctx is not None and base._ctx.seq > t._ctx.seq:
            _rebase(t, _view_of(base, t), _previous(t), "view")


def _view_of(base, view):
    """``view`` as a recorded op on ``base``.   Backward: the gradient scattered into base's shape."""
    index = _wrap(_positions(base._data, view._data).ravel())

    def backward(g, out):
        (base,) = out.parents
        zeros = _wrap(np.zeros(base._data.size, g._data.dtype))
        return (zeros.index_add(0, index, g.reshape(-1)).reshape(base.shape),)

    out = _wrap(view._data)
    out._base, out.requires_grad = _root(base), True
    out._ctx = Node("view", (base,), backward, saved=())
    return out


def _positions(base, view):
    """For each element of ``view`` (an array showing part of ``base``'s memory), its flat C-order position
    in ``base``, found by matching memory addresses (any layout, any chain of views)."""
    def addresses(a):
        start = a.__array_interface__["data"][0]
        return start + sum(np.arange(n).reshape((-1,) + (1,) * (a.ndim - 1 - k)) * stride
                           for k, (n, stride) in enumerate(zip(a.shape, a.strides)))

    at = np.broadcast_to(addresses(base), base.shape).ravel()
    order = np.argsort(at, kind="stable")
    return order[np.searchsorted(at[order], np.broadcast_to(addresses(view), view.shape))]


# ------------------------------------------------------------------------------------- the engine
def _root_gradient(t, gradient, index):
    """Validate the starting gradient dL/dt (1 for a one-element t) before anything changes."""
    if not isinstance(t, Tensor):
        raise TypeError(f"output {index} is a {type(t).__name__}, not a Tensor")
    if not t.requires_grad:
        raise RuntimeError(f"output {index} does not require grad and has no grad_fn: nothing in its "
                           "computation requires grad (set requires_grad=True on an input, outside no_grad())")
    if gradient is None:
        if t._data.size != 1:
            raise RuntimeError(f"backward() without a gradient needs a one-element output, got shape {t.shape}; "
                               "reduce it (e.g. .sum()) or pass gradient= of the same shape")
        return _wrap(np.ones_like(t._data))
    if not isinstance(gradient, Tensor) or not gradient.requires_grad:  # copied: it may end up as a leaf's .grad
        gradient = _wrap(np.array(getattr(gradient, "_data", gradient), dtype=t._data.dtype))
    if gradient.shape != t.shape:
        raise RuntimeError(f"gradient has shape {gradient.shape} but output {index} has shape {t.shape}")
    return gradient


def _recorded_ops(roots):
    """The recorded (non-leaf) tensors that lead to ``roots``, newest first.

    Newest first is a valid order for backward: a tensor is created after its inputs, so it comes
    before them, and its gradient is complete (summed over every use) by the time it is passed on.
    Collected with an explicit stack, not recursion, so a chain of a million ops cannot hit Python's
    recursion limit. Refuses, before anything changes, a graph an earlier backward has freed.
    """
    found, seen, stack = [], set(), list(roots)
    while stack:
        t = stack.pop()
        node = t._ctx
        if node is None or id(t) in seen:
            continue
        if node.backward is _freed_graph:
            _freed_graph(None, t)
        seen.add(id(t))
        found.append(t)
        stack.extend(node.parents if node.seq > _last_rebase else _inputs(node))
    found.sort(key=_creation, reverse=True)
    return found


_creation = attrgetter("_ctx.seq")


def _inputs(node):
    """``node``'s parents as they were when it was recorded: a parent rebased since by an in-place op
    (see _write) stands for its new value, so its previous self is followed instead."""
    if node.seq > _last_rebase:
        return node.parents
    return tuple(_as_of(p, node.seq) for p in node.parents)


def _as_of(t, seq):
    while t._ctx is not None and t._ctx.seq > seq:  # only a rebase attaches a newer node to an older tensor
        t = t._ctx.parents[1]
    return t


def _check_saved(node, out):
    """Refuse to run ``node``'s backward if a tensor it reads was written in place after it was recorded."""
    for s in node.parents + ("output",) if node.saved is None else node.saved:
        if isinstance(s, str):
            _check_unchanged(node, out, "output")
        elif s is not None:
            position = next(i for i, p in enumerate(node.parents) if p is s)
            _check_unchanged(node, _as_of(s, node.seq), f"input {position}")


def _check_unchanged(node, t, role):
    r = _root(t)
    if getattr(r, "_stamp", -1) > node.seq:
        raise RuntimeError(f"one of the variables needed for gradient computation has been modified by an inplace "
                           f"operation: the {role} of '{node.op}' (a {t.dtype.name} tensor of shape {tuple(t.shape)}), "
                           f"now at version {r._writes}, was changed in place after '{node.op}' saved it. Change a "
                           ".clone() instead, or make the change after backward()")


def _freed_graph(g, out):
    raise RuntimeError(f"trying to backward through '{out._ctx.op}' a second time: its graph was freed by the "
                       "first backward. Pass retain_graph=True to the first call if you need to go through it again.")


def _sum_to(g, parent, op):
    """Reduce a broadcast gradient to the parent's shape (and dtype): the one place it happens."""
    if not isinstance(g, Tensor):
        g = _wrap(np.asarray(g))
    shape = parent._data.shape
    if g._data.shape != shape:
        lead = g.ndim - len(shape)
        if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, g._data.shape[lead:])):
            raise RuntimeError(f"backward of '{op}' returned a gradient of shape {g.shape} "
                               f"for an input of shape {shape}")
        dims = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                          if n == 1 and g._data.shape[lead + i] != 1)
        g = g.sum(dims, keepdim=True) if dims else g
        g = g.reshape(shape) if g._data.shape != shape else g
    if g._data.dtype != parent._data.dtype:
        g = g.astype(parent._data.dtype)
    return g


class RemovableHandle:
    """What ``register_hook`` (and a Module's ``register_forward_hook``) return: ``remove()`` unregisters
    the hook; removing it twice does nothing."""

    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


_hooked = 0  # tensors that have had a hook: while none has, backward skips looking for them


def _hooked_grad(t, g):
    """``g`` after the hooks registered on ``t``, each given what the previous one returned."""
    hooks = getattr(t, "_hooks", None)  # a slot left unset until the first hook
    for hook in list(hooks.values()) if hooks else ():  # a copy: a hook may remove itself
        new = hook(g)
        if new is None:
            continue
        if not isinstance(new, Tensor):
            raise TypeError(f"hook {getattr(hook, '__name__', hook)!r} returned {type(new).__name__}; a hook "
                            "returns a Tensor or None")
        if new.shape != g.shape:
            raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} has changed the size of value: "
                               f"{tuple(g.shape)} -> {tuple(new.shape)}")
        g = new
    return g


def _store_grad(t, g, create_graph, handed_out):
    """Accumulate ``g`` into ``t.grad``. A first gradient is stored as is when that is safe: its memory
    must be writable and not already handed to another tensor's ``.grad`` (``handed_out`` holds the
    ids of those arrays), otherwise it is copied."""
    if t.grad is not None:
        if create_graph or t.grad.requires_grad or not t.grad._data.flags.writeable:
            t.grad = t.grad + g
        else:  # in place, as PyTorch: whoever holds t.grad sees the sum
            t.grad._data += g._data
    elif create_graph:
        t.grad = g
    else:
        base = g._data if g._data.base is None else g._data.base
        if g._data.flags.writeable and id(base) not in handed_out:
            handed_out.add(id(base))
        else:
            g = _wrap(g._data.copy())  # a fresh array: nothing else can share it
        t.grad = g


class IndexedGradient:
    """A gradient that is zero except at ``index``, where it is ``g``: what ``x[index]`` sends back to x.

    Materialized as zeros of x's shape with ``g`` added, a sequence split into T slices (an RNN reading
    ``xw[t]`` at every step) would cost T full-size arrays; kept like this, the engine adds every slice's
    gradient into one buffer (:class:`_Gradients`). Only a plain backward uses it: with
    ``create_graph=True`` getitem's gradient is the differentiable op ``index_add_zeros``."""

    __slots__ = ("g", "index", "basic")

    def __init__(self, g, index, basic):
        self.g, self.index, self.basic = g, index, basic

    def add_into(self, array):
        if self.basic:  # ints and slices never repeat an element
            array[self.index] += self.g._data
        else:  # integer arrays may: np.add.at adds every occurrence
            np.add.at(array, self.index, self.g._data)


class _Gradients:
    """The gradients of one backward pass, summed over every use of each tensor.

    A tensor used by several ops gets the sum of their gradients. Without ``create_graph`` that sum is
    kept in a buffer this pass allocated itself (``owned``, keyed by id and holding the tensor so the id
    stays unique) and later gradients are added into it in place: a gradient an op returned may be
    shared (``add`` hands the same ``g`` to both inputs), so it is never written into."""

    def __init__(self, create_graph):
        self.create_graph, self.by_id, self.owned, self.leaves = create_graph, {}, {}, []

    def get(self, t):
        return self.by_id[id(t)]

    def add(self, t, g, op):
        """Add the gradient ``g`` of ``t`` that op ``op``'s backward returned (reduced to t's shape here)."""
        key = id(t)
        prev = self.by_id.get(key)
        if prev is None and t._ctx is None:
            self.leaves.append(t)
        if type(g) is IndexedGradient:
            g.add_into(self._own(key, prev, t)._data)
            return
        if type(g) is not Tensor or g._data.shape != t._data.shape or g._data.dtype is not t._data.dtype:
            g = _sum_to(g, t, op)
        if prev is None:
            self.by_id[key] = g
        elif self.create_graph:
            self.by_id[key] = prev + g
        elif self.owned.get(key) is prev:
            prev._data += g._data
        else:
            self.by_id[key] = self.owned[key] = _wrap(prev._data + g._data)

    def _own(self, key, prev, t):
        """This tensor's gradient as a buffer this pass owns (zeros, or a copy of what arrived so far)."""
        if prev is not None and self.owned.get(key) is prev:
            return prev
        buffer = _wrap(np.zeros(t._data.shape, t._data.dtype) if prev is None else prev._data.copy())
        self.by_id[key] = self.owned[key] = buffer
        return buffer


def _check_all_used(ops, roots, inputs):
    """``grad(..., allow_unused=False)``: every input must lead to an output, or the call is an error."""
    reached = {id(p) for t in ops for p in _inputs(t._ctx)} | {id(t) for t in roots}
    for i, t in enumerate(inputs):
        if id(t) not in reached:
            raise RuntimeError(f"input {i} (shape {t.shape}) was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")


def _run_backward(roots, root_grads, retain_graph, create_graph, inputs=None, allow_unused=True,
                  retain_all=False):
    """Propagate gradients from ``roots`` to every tensor that leads to them.

    Visits the recorded tensors newest first (see :func:`_recorded_ops`), so each one's gradient is
    complete before it is passed on to its parents; the leaves' gradients are complete at the end.
    Without ``inputs`` the gradients land in ``.grad`` of leaves (and of retained tensors, or of every
    tensor with ``retain_all``); with ``inputs`` they are returned for those tensors instead.
    """
    ops = _recorded_ops(roots)
    if not allow_unused:
        _check_all_used(ops, roots, inputs)
    grads = _Gradients(create_graph)
    for r, g in zip(roots, root_grads):
        grads.add(r, g, "backward")
    kept = {} if inputs is None else {id(t): None for t in inputs}
    handed_out = set()  # arrays already stored in some .grad
    pending, add = grads.by_id, grads.add
    rebased, written = _last_rebase, _last_write  # no in-place write happens during a backward
    with _set_grad_enabled(create_graph):
        for t in ops:
            g = pending.pop(id(t), None)
            if g is None:
                continue
            if _hooked:
                g = _hooked_grad(t, g)
            node = t._ctx
            if node.seq < written and node.saved != ():
                _check_saved(node, t)
            if kept and id(t) in kept:
                kept[id(t)] = g
            elif inputs is None and (node.retain or retain_all):
                _store_grad(t, g, create_graph, handed_out)
            for p, pg in zip(node.parents if node.seq > rebased else _inputs(node), node.backward(g, t)):
                if pg is not None and p.requires_grad:
                    add(p, pg, node.op)
            if not retain_graph:
                node.backward = _freed_graph
        for leaf in grads.leaves:
            g = _hooked_grad(leaf, grads.get(leaf)) if _hooked else grads.get(leaf)
            if inputs is None:
                _store_grad(leaf, g, create_graph, handed_out)
            elif id(leaf) in kept:
                kept[id(leaf)] = g
    return [kept[id(t)] for t in inputs] if inputs is not None else []


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of stored in ``.grad``.

    Computes sum_k d(outputs[k])/d(inputs[i]) weighted by ``grad_outputs[k]`` (ones for one-element
    outputs). With ``create_graph=True`` the result can be differentiated again: that is how
    Hessian-vector products and higher derivatives are built.

    >>> x = Tensor(3.0, requires_grad=True)
    >>> (dx,) = grad(x ** 3, x, create_graph=True)   # 3x^2 = 27
    >>> grad(dx, x)[0]                               # 6x = 18
    tensor(18.)
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    root_grads = [_root_gradient(o, g, i) for i, (o, g) in enumerate(zip(outputs, grad_outputs))]
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"input {i} does not require grad, so it has no gradient")
    found = _run_backward(outputs, root_grads, create_graph if retain_graph is None else retain_graph,
                          create_graph, inputs=inputs, allow_unused=allow_unused)
    return tuple(found)
