"""The Optimizer base class: parameter groups, per-parameter state, zero_grad, step and state dicts."""

import copy

import numpy as np

from ..engine.tensor import Tensor, increment_version, no_grad


def _check_nonnegative(name, value):
    if not value >= 0.0:
        raise ValueError(f"Invalid {name}: {value} (must be >= 0)")


# Options PyTorch added over the years: a state dict saved before them lacks them, and, as in PyTorch, the
# optimizer's own setting (its default) stands in.
_LATER_OPTIONS = {"maximize", "foreach", "capturable", "differentiable", "fused", "decoupled_weight_decay"}


def _check_switches(group):
    """PyTorch's implementation switches. ``foreach`` and ``fused`` choose among kernels that compute the
    same update, so with one NumPy implementation they change nothing and are kept only so that groups and
    state dicts have PyTorch's keys. ``capturable`` (CUDA graphs) and ``differentiable`` (autograd through
    ``step``) need what this library does not have, so asking for them is an error, not a silent no-op."""
    if group.get("capturable"):
        raise ValueError("capturable=True prepares the optimizer for CUDA graph capture, but tinygrad_edu runs "
                         "on the CPU only; leave capturable=False")
    if group.get("differentiable"):
        raise ValueError("differentiable=True (autograd through optimizer.step()) is not supported: step() "
                         "updates the parameters in place under no_grad; leave differentiable=False")


def _loaded_value(key, value):
    """A state entry as this library keeps it: buffers as NumPy arrays (copied from a tinygrad_edu or
    PyTorch tensor), scalars such as PyTorch's 0-d ``step`` and ``mu_product`` tensors as Python numbers."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = np.array(value.detach().numpy())
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    return int(value) if key == "step" else value


def _check_betas(betas):
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")


class Optimizer:
    """Holds parameter groups and per-parameter state; subclasses define one parameter's update.

    ``params`` is an iterable of Tensors, or of dicts ``{'params': [...], 'lr': ..., ...}`` whose keys
    override ``defaults`` for that group. ``state[p]`` holds NumPy buffers for parameter ``p``.
    ``step()`` updates ``p.numpy()`` in place for every parameter whose ``grad`` is not None; it never
    records a graph and never writes into ``p.grad``.

    Subclasses implement ``_check(group)`` (raise ValueError on a bad hyperparameter),
    ``_update(p, g, state, group)``, where ``g`` is a read-only view of the gradient array, and
    ``_state_keys(group)``, the entries of a parameter's state (checked when a state dict is loaded).

    PyTorch's implementation switches are accepted and kept in the groups, so groups and state dicts have
    PyTorch's keys: ``foreach`` and ``fused`` change nothing (one NumPy implementation), while
    ``capturable=True`` and ``differentiable=True`` raise ValueError (no CUDA graphs, no autograd through
    ``step``).
    """

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts, got a single Tensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        for group in groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])

    def add_param_group(self, param_group):
        """Append a group; missing hyperparameters are taken from ``defaults``."""
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in group["params"]}) != len(group["params"]) or seen & {id(p) for p in group["params"]}:
            raise ValueError("some parameters appear more than once in the optimizer's parameter groups")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        _check_switches(group)
        self._check(group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``p.grad = None``, or a fresh zero Tensor when ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else Tensor(np.zeros_like(p.grad.numpy()))

    @no_grad()
    def step(self):
        """Apply one update to every parameter that has a gradient. All gradients are checked first, so
        a wrong one raises before any parameter, buffer or step count changes."""
        for p, g, group in self._gradients():
            self._update(p, g, self.state.setdefault(p, {}), group)
            increment_version(p)  # as PyTorch's in-place updates: a graph that saved p's old value is refused

    def _gradients(self):
        """(parameter, read-only gradient array, group) for each parameter with a gradient, after checking
        that every gradient is a Tensor of its parameter's shape and dtype. A gradient that merely
        broadcasts (shape (1, n) for an (m, n) weight) would silently update with the wrong values."""
        found = []
        for i, group in enumerate(self.param_groups):
            for j, p in enumerate(group["params"]):
                grad = p.grad
                if grad is None:
                    continue
                if not isinstance(grad, Tensor) or grad.shape != p.shape or grad.dtype != p.dtype:
                    given = (f"a {type(grad).__name__}" if not isinstance(grad, Tensor)
                             else f"shape {grad.shape} and dtype {grad.dtype}")
                    raise RuntimeError(f"{type(self).__name__}.step(): the gradient of parameter {j} in param "
                                       f"group {i} has {given}, but the parameter has shape {p.shape} and dtype "
                                       f"{p.dtype}; nothing was updated")
                g = grad.numpy().view()
                g.flags.writeable = False  # an update must build new arrays, never edit the grad
                found.append((p, g, group))
        return found

    def _check(self, group):
        raise NotImplementedError

    def _update(self, p, g, state, group):
        raise NotImplementedError

    # ------------------------------------------------------------------------------------ state dicts
    def state_dict(self):
        """PyTorch's layout: ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``.

        Parameters are numbered in group order; buffers are copied, so later steps leave it unchanged.
        """
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def _state_keys(self, group):
        """The entries a parameter's state holds once its first step is taken, given its group's settings."""
        raise NotImplementedError

    def load_state_dict(self, state_dict):
        """Restore from :meth:`state_dict`: the same optimizer class, with the same numbers of
        same-shaped parameters per group. Everything is checked before anything changes."""
        self._prepare_load(state_dict)()

    def _prepare_load(self, state_dict):
        """Check ``state_dict`` and return the function that applies it (see ``Module._prepare_load``).
        PyTorch's own optimizer state dicts load too: their tensors become NumPy arrays and numbers."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"an optimizer state dict has the keys ['param_groups', 'state'], got {keys}")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(groups)} parameter groups, "
                             f"but the optimizer has {len(self.param_groups)}")
        merged, by_index = [], {}
        for i, (saved, group) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"parameter group {i}: loaded state dict has {len(saved['params'])} parameters, "
                                 f"but the optimizer's group has {len(group['params'])}")
            lacking = sorted(set(self.defaults) - set(saved) - _LATER_OPTIONS)
            if lacking:
                foreign = sorted(set(saved) - set(self.defaults) - {"params", "initial_lr"})
                raise ValueError(f"parameter group {i} of the loaded state dict lacks {lacking}, which {name} "
                                 f"needs, and has {foreign}: it was saved by another optimizer class")
            settings = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            _check_switches({**group, **settings})
            self._check({**group, **settings})
            merged.append(settings)
            by_index.update((index, (p, {**group, **settings})) for index, p in zip(saved["params"], group["params"]))
        loaded = {index: {key: _loaded_value(key, value) for key, value in state.items()}
                  for index, state in state_dict["state"].items()}
        for index, state in loaded.items():
            if index not in by_index:
                raise ValueError(f"loaded state dict has state for parameter {index}, which no group lists")
            p, group = by_index[index]
            expected = self._state_keys(group)
            if state and set(state) != expected:
                raise ValueError(f"the state of parameter {index} has entries {sorted(state)}, but {name} keeps "
                                 f"{sorted(expected)} with these settings")
            for key, value in state.items():
                if isinstance(value, np.ndarray) and (value.shape != p.shape or value.dtype != p.dtype):
                    raise ValueError(f"state '{key}' of parameter {index} has shape {value.shape} and dtype "
                                     f"{value.dtype}, but the parameter has shape {p.shape} and dtype {p.dtype}")

        def apply():
            for settings, group in zip(merged, self.param_groups):
                group.update(settings)
            self.state = {by_index[i][0]: copy.deepcopy(s) for i, s in loaded.items()}

        return apply
