"""Function scopes: ``@scoped`` records each call of a composite function (``cross_entropy``,
``layer_norm``, a user's own helper) as a :class:`FunctionCall`, so that a drawn graph can show the call
as one group (or one box) instead of the primitives it is made of.

A call costs one small object and one ``with scope(...)``: the ops recorded inside keep the call in
``Node.scope`` as they keep a Module, nothing more per op.

>>> from tinygrad_edu.engine.tensor import Tensor
>>> @scoped
... def double(x):
...     return x * 2.0
>>> y = double(Tensor([1.0, 2.0], requires_grad=True))
>>> y.scope.name, y.scope.input_shapes, y.scope.output_shapes
('double', ((2,),), ((2,),))
"""

import functools

from . import tensor as _tensor
from .tensor import Tensor

__all__ = ["FunctionCall", "scoped"]


class FunctionCall:
    """One call of a :func:`scoped` function: its ``name``, the ``parent`` scope it was called in (a Module,
    another FunctionCall, or None), the Tensors it took (``inputs``; a drawing tells the values a user
    passed from those the function made itself) and the shapes of those it took and gave. The call keeps
    its arguments, which the graph its ops recorded keeps alive anyway, and only the shapes of its results."""

    __slots__ = ("name", "parent", "_args", "_kwargs", "output_shapes")

    def __init__(self, name, parent, args, kwargs):
        self.name, self.parent, self._args, self._kwargs = name, parent, args, kwargs
        self.output_shapes = ()

    @property
    def inputs(self):
        return [v for v in (*self._args, *self._kwargs.values()) if isinstance(v, Tensor)]

    @property
    def input_ids(self):
        return tuple(id(t) for t in self.inputs)

    @property
    def input_shapes(self):
        return tuple(t.shape for t in self.inputs)

    def __repr__(self):
        return f"FunctionCall({self.name!r}, in={self.input_shapes}, out={self.output_shapes})"


def scoped(fn=None, *, name=None):
    """Decorator: record every call of ``fn`` as a :class:`FunctionCall` scope named ``name`` (default
    ``fn.__name__``), nested in the scope it is called from (a Module's forward, another scoped function).
    Use it bare (``@scoped``) or with a name (``@scoped(name="attention")``). Cheap: the scope is set and
    restored around the call (as :class:`~tinygrad_edu.engine.tensor.scope` does) and nothing is added per op."""
    if fn is None:
        return functools.partial(scoped, name=name)
    label = name or fn.__name__

    @functools.wraps(fn)
    def call(*args, **kwargs):
        outer = _tensor._scope
        record = _tensor._scope = FunctionCall(label, outer, args, kwargs)
        try:
            out = fn(*args, **kwargs)
        finally:
            _tensor._scope = outer
        if isinstance(out, Tensor):
            record.output_shapes = (out.shape,)
        elif isinstance(out, tuple):
            record.output_shapes = tuple(t.shape for t in out if isinstance(t, Tensor))
        return out

    return call
