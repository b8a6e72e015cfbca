"""Custom differentiable functions, with PyTorch's ``torch.autograd.Function`` API.

Subclass :class:`Function`, write the forward and the backward as static methods, and call
``MyFunction.apply(*args)``::

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):              # runs with recording off
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):   # one gradient per forward argument
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2

Each Tensor that ``forward`` returns becomes one recorded op (named after the class) whose parents are
the Tensor arguments; its backward closure calls your ``backward``. Written with Tensor ops, your
backward is itself differentiable, so ``gradgradcheck`` and ``create_graph=True`` work through it.
"""

import numpy as np

from .tensor import Tensor, constant, make_op, no_grad


class FunctionCtx:
    """The ``ctx`` that ``forward`` and ``backward`` share: tensors saved for backward, which inputs need
    a gradient, and any attribute you set on it (``ctx.constant = 2``)."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad  # one bool per forward argument
        self.materialize_grads = True
        self.to_save, self.non_differentiable = (), set()

    def save_for_backward(self, *tensors):
        """Keep ``tensors`` (or None) for backward, where ``ctx.saved_tensors`` returns them."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save Tensors (or None), but argument {i} is a "
                                f"{type(t).__name__}; keep other values as attributes of ctx (ctx.value = ...)")
        self.to_save = tensors

    @property
    def saved_tensors(self):
        return self.to_save

    def mark_non_differentiable(self, *outputs):
        """Outputs of forward that get no gradient (indices, masks): returned as leaves that need no grad."""
        self.non_differentiable = {id(t) for t in outputs}

    def set_materialize_grads(self, value):
        """With False, backward receives None (instead of zeros) for the outputs that got no gradient."""
        self.materialize_grads = bool(value)


def _default_setup_context(ctx, inputs, output):
    raise NotImplementedError("setup_context is not defined: forward takes ctx as its first argument instead")


class Function:
    """Base class of differentiable functions with a hand-written backward (``torch.autograd.Function``).

    ``forward(ctx, *args, **kwargs)`` computes the result (one Tensor or a tuple) with recording off;
    ``backward(ctx, *grad_outputs)`` gets one gradient per output and returns one per forward argument
    (None for non-Tensor arguments and ones needing no grad; extra trailing Nones are allowed). In
    PyTorch 2's style ``forward(*args)`` takes no ctx and ``setup_context(ctx, inputs, output)``
    saves what backward needs.

    With several outputs, each is its own recorded op, and ``backward`` is called once per output that
    gets a gradient, with zeros (or None, see ``ctx.set_materialize_grads``) for the others: the input
    gradients add up to the same sum because a backward is linear in ``grad_outputs``.

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor, gradcheck
    >>> class Square(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad_output
    >>> x = Tensor(np.array([1.0, -3.0]), requires_grad=True)
    >>> Square.apply(x).op
    'Square'
    >>> gradcheck(Square.apply, (x,))
    True
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("subclasses of Function must define a @staticmethod forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("subclasses of Function must define a @staticmethod backward to be differentiated")

    setup_context = staticmethod(_default_setup_context)

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():  # as in PyTorch: forward's own ops are not recorded, only the Function as a whole
            if cls.setup_context is _default_setup_context:
                output = cls.forward(ctx, *args, **kwargs)
            else:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
        outputs = output if isinstance(output, tuple) else (output,)
        parents = tuple(a for a in args if isinstance(a, Tensor))
        recorded = tuple(_record(cls, ctx, args, parents, outputs, k) for k in range(len(outputs)))
        return recorded if isinstance(output, tuple) else recorded[0]


def _record(cls, ctx, args, parents, outputs, k):
    """Output ``k`` of ``cls.forward`` as a recorded op whose backward calls ``cls.backward``."""
    out = outputs[k]
    if not isinstance(out, Tensor) or id(out) in ctx.non_differentiable or out.numpy().dtype.kind not in "fc":
        return out
    saved_as_output = [i for i, t in enumerate(ctx.to_save) if t is out]

    def backward(g, result):
        grad_outputs = [None] * len(outputs)
        grad_outputs[k] = g
        if ctx.materialize_grads:
            grad_outputs = [_zeros_like(o) if go is None and isinstance(o, Tensor) else go
                            for o, go in zip(outputs, grad_outputs)]
        saved = ctx.to_save
        if saved_as_output:  # the recorded output, so that a second derivative goes through it
            ctx.to_save = tuple(result if i in saved_as_output else t for i, t in enumerate(saved))
        try:
            grads = cls.backward(ctx, *grad_outputs)
        finally:
            ctx.to_save = saved
        return _per_parent(cls, args, grads)

    return make_op(cls.__name__, out.numpy(), parents, backward)


def _zeros_like(t):
    return constant(np.zeros_like(t.numpy()))


def _expands_to(shape, target):
    return len(shape) <= len(target) and all(n in (1, m) for n, m in zip(shape[::-1], target[::-1]))


def _per_parent(cls, args, grads):
    """The gradients ``cls.backward`` returned, one per forward argument, as one per Tensor argument."""
    grads = grads if isinstance(grads, tuple) else (grads,)
    if len(grads) > len(args) and all(g is None for g in grads[len(args):]):
        grads = grads[:len(args)]
    if len(grads) != len(args):
        raise RuntimeError(f"{cls.__name__}.backward returned {len(grads)} gradients, but forward took {len(args)} "
                           f"arguments (not counting ctx): return one per argument, None for non-Tensor ones")
    for i, (a, g) in enumerate(zip(args, grads)):
        if g is None:
            continue
        if not isinstance(a, Tensor):
            raise RuntimeError(f"{cls.__name__}.backward returned a gradient for argument {i}, which is a "
                               f"{type(a).__name__}, not a Tensor: return None there")
        shape = tuple(np.shape(g.numpy() if isinstance(g, Tensor) else g))
        if not _expands_to(a.shape, shape):  # a broadcast gradient is summed back to a.shape, as in PyTorch
            raise RuntimeError(f"{cls.__name__}.backward returned a gradient of shape {shape} for argument {i}, "
                               f"which has shape {a.shape}")
    return [g for a, g in zip(args, grads) if isinstance(a, Tensor)]
