"""The Optimizer base class: parameter groups, per-parameter state, zero_grad, step and state dicts."""

import copy

import numpy as np

from ..engine.tensor import Tensor, no_grad


def _check_nonnegative(name, value):
    if not value >= 0.0:
        raise ValueError(f"Invalid {name}: {value} (must be >= 0)")


def _check_betas(betas):
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")


class Optimizer:
    """Holds parameter groups and per-parameter state; subclasses define one parameter's update.

    ``params`` is an iterable of Tensors, or of dicts ``{'params': [...], 'lr': ..., ...}`` whose keys
    override ``defaults`` for that group. ``state[p]`` holds NumPy buffers for parameter ``p``.
    ``step()`` updates ``p.data`` in place for every parameter whose ``grad`` is not None; it never
    records a graph and never writes into ``p.grad``.

    Subclasses implement ``_check(group)`` (raise ValueError on a bad hyperparameter) and
    ``_update(p, g, state, group)``, where ``g`` is a read-only view of the gradient array.
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
        self._check(group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``p.grad = None``, or a fresh zero Tensor when ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else Tensor(np.zeros_like(p.grad.data))

    @no_grad()
    def step(self):
        """Apply one update to every parameter that has a gradient."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    g = p.grad.data.view()
                    g.flags.writeable = False  # an update must build new arrays, never edit the grad
                    self._update(p, g, self.state.setdefault(p, {}), group)

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

    def load_state_dict(self, state_dict):
        """Restore from :meth:`state_dict`; the groups must hold the same numbers of same-shaped parameters."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(groups)} parameter groups, "
                             f"but the optimizer has {len(self.param_groups)}")
        params = []
        for i, (saved, group) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"parameter group {i}: loaded state dict has {len(saved['params'])} parameters, "
                                 f"but the optimizer's group has {len(group['params'])}")
            params += list(zip(saved["params"], group["params"]))
        by_index = dict(params)
        for index, state in state_dict["state"].items():
            if index not in by_index:
                raise ValueError(f"loaded state dict has state for parameter {index}, which no group lists")
            p = by_index[index]
            for key, value in state.items():
                if isinstance(value, np.ndarray) and value.shape != p.shape:
                    raise ValueError(f"state '{key}' of parameter {index} has shape {value.shape}, "
                                     f"but the parameter has shape {p.shape}")
        for saved, group in zip(groups, self.param_groups):
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = {by_index[i]: copy.deepcopy(s) for i, s in state_dict["state"].items()}
