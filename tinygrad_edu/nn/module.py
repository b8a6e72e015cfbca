"""Module and Parameter: how layers hold their weights, find their sub-layers and save their state.

A Module notices what is assigned to its attributes: a :class:`Parameter` is a learnable tensor, a
Module is a sub-layer, and ``register_buffer`` adds state that is saved but not learned (BatchNorm's
running statistics). From those three dictionaries come ``parameters()``, dotted names like
``encoder.layers.0.weight``, ``state_dict()`` with PyTorch's keys and layouts, ``train()``/``eval()``
and a readable ``repr``.
"""

import numbers
from collections import OrderedDict, namedtuple

import numpy as np

from ..engine.device import check_cpu
from ..engine.device import device as Device
from ..engine.tensor import RemovableHandle, Tensor, scope


class Parameter(Tensor):
    """A Tensor that a Module learns: assigning one to a Module attribute registers it.

    >>> w = Parameter(np.zeros((2, 3)))
    >>> w.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _check_size(name, value, what, positive=True):
    """A layer's size argument (features, channels, hidden units) must be an int, > 0 or >= 0 as PyTorch
    asks: an array or a float would otherwise fail later, inside NumPy, with a message about something else."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name}: {what} should be an int, got {type(value).__name__}")
    if value < (1 if positive else 0):
        raise ValueError(f"{name}: {what} must be {'greater than zero' if positive else 'non-negative'}, got {value}")


class Module:
    """Base class of every layer and model: subclass it, create sub-layers and Parameters in
    ``__init__`` (after ``super().__init__()``), and compute the output in ``forward``.

    >>> class TwoLayer(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden, self.out = Linear(2, 8), Linear(8, 1)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).relu())
    """

    _hook_ids = 0

    def __init__(self):
        for name, value in (("_parameters", {}), ("_buffers", {}), ("_non_persistent", set()), ("_modules", {}),
                            ("_forward_hooks", {}), ("training", True)):
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------------- attribute registry
    def __setattr__(self, name, value):
        """Parameters and Modules are registered; a registered name accepts only its own kind (or
        None); a buffer accepts a Tensor or None; anything else is a plain attribute."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign '{name}' before {type(self).__name__}.__init__() calls "
                                 "super().__init__()")
        if isinstance(value, Parameter):
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in self._parameters or name in self._modules or name in self._buffers:
            kind = "parameter" if name in self._parameters else "module" if name in self._modules else "buffer"
            if value is not None and not (kind == "buffer" and isinstance(value, Tensor)):
                raise TypeError(f"cannot assign a {type(value).__name__} to {kind} '{name}' "
                                f"(expected a {'Tensor' if kind == 'buffer' else kind.capitalize()} or None)")
            {"parameter": self._parameters, "module": self._modules, "buffer": self._buffers}[kind][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        for registry in (self._parameters, self._buffers, self._modules, self.__dict__):
            registry.pop(name, None)

    def __getattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry, {})
            if name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    @staticmethod
    def _check_name(kind, name):
        """A registered name must be a non-empty string without dots (dots separate the levels of a dotted name)."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{kind} name {name!r} must be non-empty and cannot contain '.'")

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an optional one such as a missing bias)."""
        self._check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot register a {type(param).__name__} as parameter '{name}' (use Parameter)")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register state that is not learned (no gradient) but moves with the module and, when
        ``persistent``, is saved in ``state_dict`` (e.g. BatchNorm's ``running_mean``)."""
        self._check_name("buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"buffer '{name}' must be a Tensor or None, got {type(tensor).__name__}")
        self._forget(name)
        self._buffers[name] = tensor
        (self._non_persistent.discard if persistent else self._non_persistent.add)(name)

    def add_module(self, name, module):
        """Register ``module`` (or None) as the sub-module ``name``, as assigning ``self.name = module`` does."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module")
        self._check_name("module", name)
        self._forget(name)
        self._modules[name] = module

    def register_module(self, name, module):
        """Another name for :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target):
        """The sub-module at the dotted path ``target`` (``'encoder.layers.0'``; ``''`` is this module)."""
        module = self
        for item in target.split(".") if target else []:
            if item not in module._modules or module._modules[item] is None:
                raise AttributeError(f"{type(module).__name__} has no sub-module `{item}` (in {target!r})")
            module = module._modules[item]
        return module

    def get_parameter(self, target):
        """The parameter at the dotted path ``target`` (``'encoder.layers.0.weight'``)."""
        return self._get_registered(target, "_parameters", "a Parameter")

    def get_buffer(self, target):
        """The buffer at the dotted path ``target`` (``'bn.running_mean'``)."""
        return self._get_registered(target, "_buffers", "a buffer")

    def _get_registered(self, target, registry, what):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}` (in {target!r})")
        if name not in getattr(module, registry):
            raise AttributeError(f"`{name}` (in {target!r}) is not {what}")
        return getattr(module, registry)[name]

    # ---------------------------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        with scope(self):  # ops recorded inside remember this module (for drawing)
            output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    def register_forward_hook(self, hook, *, prepend=False):
        """Call ``hook(module, inputs, output)`` after every forward; a non-None result replaces the
        output. Returns a handle whose ``remove()`` unregisters it."""
        Module._hook_ids += 1
        key, hooks = Module._hook_ids, self._forward_hooks
        ordered = {key: hook, **hooks} if prepend else {**hooks, key: hook}
        hooks.clear()  # the same dict, updated in place: earlier handles keep pointing at it
        hooks.update(ordered)
        return RemovableHandle(hooks, key)

    # ---------------------------------------------------------------------------------- walking
    def named_children(self):
        """(name, module) for each direct sub-module, a module registered under two names once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        return (m for _, m in self.named_children())

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """This module and every sub-module once, depth first, with dotted names ('' for self); with
        ``remove_duplicate=False`` a module reachable by several paths comes once per path. ``memo``, a
        set of modules to skip, is filled with the modules yielded."""
        seen, stack = set() if memo is None else memo, [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if module in seen:
                    continue
                seen.add(module)
            yield name, module
            children = [(f"{name}.{child}" if name else child, m) for child, m in module._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def _named(self, registry, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is not None and not (remove_duplicate and id(value) in seen):
                    seen.add(id(value))
                    yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs; a parameter shared by two layers is listed once (unless
        ``remove_duplicate=False``)."""
        return self._named("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn):
        """Call ``fn`` on every sub-module, then on this one (e.g. a custom weight init); returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------------------- modes, grads
    def train(self, mode=True):
        """Training mode (dropout active, BatchNorm uses batch statistics) for this module and all below."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            p.grad = None if set_to_none or p.grad is None else Tensor(np.zeros_like(p.grad.numpy()))

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter (False freezes them, e.g. a pretrained part); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(tensor)`` (the tensor's dtype), each
        with ``non_blocking`` (no effect: every copy is synchronous) and ``memory_format`` (ignored: arrays
        have one layout). The device must be the CPU; anything else is an error, raised before anything
        changes. A floating dtype converts the floating parameters and buffers (and their gradients) in
        place, integer buffers such as ``num_batches_tracked`` keeping theirs; the Parameter objects stay
        the same, so an optimizer built on them still works. Returns self."""
        unknown = sorted(set(kwargs) - {"device", "dtype", "non_blocking", "memory_format"})
        if unknown:
            raise TypeError(f"{type(self).__name__}.to() got unexpected keyword argument(s) {unknown}")
        device, dtype = kwargs.get("device"), kwargs.get("dtype")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, Device)):
                device = arg
            elif isinstance(arg, bool):  # non_blocking, given by position
                continue
            elif isinstance(arg, numbers.Integral):  # PyTorch reads a bare int as a CUDA device index
                device = f"cuda:{arg}"
            else:
                dtype = arg
        check_cpu(device, f"{type(self).__name__}.to")
        if dtype is None:
            return self
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"{type(self).__name__}.to() only accepts floating point dtypes (parameters must stay "
                            f"differentiable), got {dtype}")
        return self._convert(lambda t: t.to(dtype), floating_only=True)

    def _convert(self, convert, floating_only):
        """Replace the values of the parameters and buffers (all, or the floating ones) and of their
        gradients by ``convert(detached tensor)``, keeping the Tensor objects."""
        for t in [*self.parameters(), *self.buffers()]:
            if t.dtype.kind == "f" or not floating_only:
                t.data = convert(t.detach())
                t.grad = None if t.grad is None else convert(t.grad.detach())
        return self

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def type(self, dst_type):
        """Convert every parameter and buffer, integer buffers included (as PyTorch), to ``dst_type``: a
        dtype, or a type name such as ``'torch.DoubleTensor'``. Returns self."""
        return self._convert(lambda t: t.type(dst_type), floating_only=False)

    def cpu(self):
        """The CPU is the only device: returns self."""
        return self

    def cuda(self, device=None):
        """An error, as ``to('cuda')``: tinygrad_edu computes on the CPU only."""
        where = device if isinstance(device, (str, Device)) else "cuda" if device is None else f"cuda:{device}"
        check_cpu(where, f"{type(self).__name__}.cuda")
        return self  # reached only for device='cpu'

    # ------------------------------------------------------------------------------ state dicts
    def state_dict(self):
        """Every parameter and persistent buffer by dotted name (PyTorch's keys and layouts), as
        detached Tensors sharing memory with the module."""
        state = OrderedDict()
        for module_name, module in self.named_modules():
            entries = [*module._parameters.items(),
                       *((n, b) for n, b in module._buffers.items() if n not in module._non_persistent)]
            for name, value in entries:
                if value is not None:
                    state[f"{module_name}.{name}" if module_name else name] = value.detach()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (Tensors, NumPy arrays, or anything ``np.asarray`` takes, such as torch
        tensors) into the parameters and buffers with the same names. Every problem is collected and
        reported at once, before anything is changed: missing and unexpected keys (when ``strict``),
        values whose shape differs from the module's, and values of another kind of dtype (a float
        into an integer buffer such as ``num_batches_tracked``; float32 into float64 is fine)."""
        return self._prepare_load(state_dict, strict)()

    def _prepare_load(self, state_dict, strict=True):
        """Check ``state_dict`` against this module and return the function that applies it, so a
        caller can check several objects (a checkpoint's model, optimizer, scheduler) before changing any."""
        own = self.state_dict()
        given = {key: np.asarray(value.numpy() if isinstance(value, Tensor) else value)
                 for key, value in state_dict.items()}
        missing = [k for k in own if k not in given]
        unexpected = [k for k in given if k not in own]
        mis_shaped = [f"{k}: expected {own[k].shape}, got {given[k].shape}"
                      for k in own if k in given and given[k].shape != own[k].shape]
        mis_typed = [f"{k}: expected {own[k].dtype.name}, got {given[k].dtype}" for k in own
                     if k in given and not np.can_cast(given[k].dtype, own[k].dtype, casting="same_kind")]
        problems = ([f"missing keys: {missing}", f"unexpected keys: {unexpected}"] if strict else []) + \
                   ([f"shape mismatches: {mis_shaped}"] if mis_shaped else []) + \
                   ([f"dtype mismatches: {mis_typed}"] if mis_typed else [])
        problems = [p for p in problems if not p.endswith(": []")]
        if problems:
            raise RuntimeError(f"error(s) loading state_dict into {type(self).__name__}:\n  "
                               + "\n  ".join(problems))

        def apply():
            for key, target in own.items():
                if key in given:
                    target.numpy()[...] = given[key]  # the entry shares the module's memory: this writes into it
            return IncompatibleKeys(missing, unexpected)

        return apply

    # ------------------------------------------------------------------------------------- repr
    def extra_repr(self):
        """The layer's own settings for ``repr``, e.g. ``in_features=2, out_features=3, bias=True``."""
        return ""

    def __repr__(self):
        children = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = ([self.extra_repr()] if self.extra_repr() else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class _Ordered(Module):
    """What Sequential and ModuleList share: modules kept in order under the names "0", "1", ..."""

    def __getitem__(self, index):
        if isinstance(index, slice):  # keeps the original names, so a slice's state_dict keys match PyTorch's
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        self.extend(modules)


class Sequential(_Ordered):
    """Modules applied one after another: ``Sequential(Linear(2, 16), ReLU(), Linear(16, 1))``, or
    from an OrderedDict of names to modules."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            modules = modules[0].items()
        else:
            modules = ((str(i), m) for i, m in enumerate(modules))
        for name, module in modules:
            self.add_module(name, module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(_Ordered):
    """A list of modules whose parameters are registered (a plain Python list would hide them)."""

    def __init__(self, modules=()):
        super().__init__()
        if isinstance(modules, OrderedDict):
            for name, module in modules.items():
                self.add_module(name, module)
        else:
            self.extend(modules)

    def __setitem__(self, index, module):
        self.add_module(str(range(len(self))[index]), module)


class ModuleDict(Module):
    """A dict of named modules whose parameters are registered."""

    def __init__(self, modules=None):
        super().__init__()
        for name, module in dict(modules or {}).items():
            self.add_module(name, module)

    def __getitem__(self, name):
        return self._modules[name]

    def __setitem__(self, name, module):
        self.add_module(name, module)

    def __contains__(self, name):
        return name in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()
