"""Learning-rate schedulers. Call ``scheduler.step()`` once per epoch, after ``optimizer.step()``.

Each scheduler computes a group's lr in closed form from ``base_lrs`` (the groups' ``initial_lr``) and
``last_epoch``, the number of ``step()`` calls so far; only MultiplicativeLR rescales the current lr.
OneCycleLR and CyclicLR step after every batch and also cycle momentum (Adam's β₁ for optimizers with
``betas``). Because the lr is computed, not accumulated, schedulers do not stack on one optimizer:
combine them in time with SequentialLR (PyTorch's ChainedScheduler, which multiplies, is not provided).
"""

import math
from bisect import bisect_right
from collections import Counter

from .optimizer import Optimizer

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ExponentialLR",
    "CosineAnnealingLR", "LinearLR", "ConstantLR", "PolynomialLR", "CosineAnnealingWarmRestarts",
    "OneCycleLR", "CyclicLR", "SequentialLR", "ReduceLROnPlateau",
]


class LRScheduler:
    """Base class: ``step()`` advances ``last_epoch`` and writes ``_get_lrs()`` into the groups' ``lr``.

    Construction records each group's ``initial_lr`` (if not already there) and applies epoch 0.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if last_epoch != -1:
            missing = [i for i, g in enumerate(optimizer.param_groups) if "initial_lr" not in g]
            if missing:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups{missing} "
                               f"when resuming a scheduler with last_epoch={last_epoch}")
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """Apply the schedule's first epoch (a subclass that only rescales the current lr leaves it as is)."""
        self.step()

    def _get_lrs(self):
        raise NotImplementedError

    def step(self, epoch=None):
        """Advance one epoch (or jump to ``epoch``) and set every group's ``lr``."""
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        for group, lr in zip(self.optimizer.param_groups, self._get_lrs()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates the last ``step()`` set, one per parameter group."""
        return self._last_lr

    def state_dict(self):
        """Every attribute except the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore from :meth:`state_dict` of a scheduler of the same class on as many parameter groups;
        checked before anything changes."""
        self._prepare_load(state_dict)()

    def _prepare_load(self, state_dict):
        """Check ``state_dict`` and return the function that applies it (see ``Module._prepare_load``)."""
        own = self.state_dict()
        if not isinstance(state_dict, dict) or set(state_dict) != set(own):
            given = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{type(self).__name__} state has the entries {sorted(own)}, got {given}: "
                             "it was saved by another scheduler class")
        for key, value in own.items():
            if isinstance(value, list) and (not isinstance(state_dict[key], list) or
                                            len(state_dict[key]) != len(value)):
                raise ValueError(f"{type(self).__name__} state '{key}' should be a list of {len(value)} "
                                 f"(one per parameter group), got {state_dict[key]!r}")
        return lambda: self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """``lr = base_lr · lr_lambda(epoch)``; ``lr_lambda`` is one function or a list, one per group.

    >>> LambdaLR(opt, lambda epoch: 0.95 ** epoch)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(lambdas) != groups:
            raise ValueError(f"Expected {groups} lr_lambdas, but got {len(lambdas)}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def _get_lrs(self):
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """Lambdas are functions, which a state dict does not hold."""
        return {key: value for key, value in super().state_dict().items() if key != "lr_lambdas"}


class MultiplicativeLR(LRScheduler):
    """``lr ← lr · lr_lambda(epoch)`` at every step after the first; one function or a list, one per group.

    Unlike the other schedulers it rescales whatever lr the group holds, so it composes with changes
    made elsewhere.

    >>> MultiplicativeLR(opt, lambda epoch: 0.95)   # lr: 1, 0.95, 0.9025, ...
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(lambdas) != groups:
            raise ValueError(f"Expected {groups} lr_lambdas, but got {len(lambdas)}")
        for f in lambdas:
            if not callable(f):
                raise TypeError(f"lr_lambda should be a function, but got {type(f).__name__}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def _initial_step(self):
        self.last_epoch += 1
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _get_lrs(self):
        return [group["lr"] * f(self.last_epoch) for f, group in zip(self.lr_lambdas, self.optimizer.param_groups)]

    def state_dict(self):
        """Lambdas are functions, which a state dict does not hold."""
        return {key: value for key, value in super().state_dict().items() if key != "lr_lambdas"}


class StepLR(LRScheduler):
    """``lr = base_lr · gamma^⌊epoch / step_size⌋``.

    >>> StepLR(opt, step_size=2, gamma=0.5)   # lr: 1, 1, 0.5, 0.5, 0.25, ...
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not (isinstance(step_size, int) and step_size > 0):
            raise ValueError(f"step_size must be a positive integer, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def _get_lrs(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """``lr = base_lr · gamma^(number of milestones ≤ epoch)``.

    >>> MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _get_lrs(self):
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """``lr = base_lr · gamma^epoch``.

    >>> ExponentialLR(opt, gamma=0.9)
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _get_lrs(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""``lr = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2``.

    >>> CosineAnnealingLR(opt, T_max=100)
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if not T_max > 0:
            raise ValueError(f"T_max must be positive, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def _get_lrs(self):
        cos = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cos for base in self.base_lrs]


class LinearLR(LRScheduler):
    """The factor on ``base_lr`` moves linearly from ``start_factor`` to ``end_factor`` over ``total_iters``.

    ``lr = base_lr · (start + (end − start) · min(epoch, total_iters) / total_iters)``

    >>> LinearLR(opt, start_factor=0.1, total_iters=5)   # a five-epoch warm-up
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def _get_lrs(self):
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base * factor for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """``lr = base_lr · factor`` for the first ``total_iters`` epochs, then ``base_lr``.

    >>> ConstantLR(opt, factor=0.5, total_iters=2)   # lr: 0.5, 0.5, 1, 1, ...
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if not 0 <= factor <= 1:
            raise ValueError(f"Constant multiplicative factor expected to be between 0 and 1, got {factor}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def _get_lrs(self):
        factor = self.factor if self.last_epoch < self.total_iters else 1.0
        return [base * factor for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """``lr = base_lr · (1 − min(epoch, total_iters) / total_iters)^power``: zero from ``total_iters`` on.

    >>> PolynomialLR(opt, total_iters=4, power=1.0)   # lr: 1, 0.75, 0.5, 0.25, 0, 0, ...
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def _get_lrs(self):
        factor = (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
        return [base * factor for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing (SGDR) that restarts: ``lr = eta_min + (base_lr − eta_min)·(1 + cos(π·T_cur/T_i))/2``.

    ``T_cur`` counts epochs since the last restart; the first cycle lasts ``T_i = T_0`` epochs and each
    next one ``T_mult`` times longer. ``step(epoch)`` accepts a fractional epoch, for a schedule
    updated every batch: ``scheduler.step(epoch + i / iters_per_epoch)``.

    >>> CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2)   # restarts at epochs 10, 30, 70, ...
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0!r}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult!r}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min!r} of type {type(eta_min).__name__}")
        self.T_0, self.T_i, self.T_mult, self.eta_min, self.T_cur = T_0, T_0, T_mult, eta_min, last_epoch
        super().__init__(optimizer, last_epoch)

    def _get_lrs(self):
        cos = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cos for base in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or go to ``epoch`` (a float is allowed); ``last_epoch`` becomes ⌊epoch⌋."""
        if epoch is not None and epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur % self.T_i, self.T_i * self.T_mult
        elif epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:  # n whole cycles, lasting T_0·(T_mult^n − 1)/(T_mult − 1) epochs, have passed
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult ** n
        super().step(math.floor(epoch))


def _per_group(name, optimizer, value):
    """``value`` repeated for every parameter group, or a list/tuple already holding one per group."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{name} must have one value per parameter group: got {len(value)} values "
                             f"for {groups} groups")
        return list(value)
    return [value] * groups


def _momentum_setter(optimizer):
    """How a cyclic scheduler sets momentum: SGD-like optimizers have ``momentum``, Adam-like ones ``betas``
    whose first entry plays its part. Returns ``use_beta1``."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"cycle_momentum=True needs an optimizer with momentum or betas, and "
                         f"{type(optimizer).__name__} has neither; pass cycle_momentum=False")
    return "betas" in optimizer.defaults


def _set_momentum(group, momentum, use_beta1):
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith): warm the lr up from ``max_lr/div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps``, then anneal it to ``initial_lr/final_div_factor``; momentum (or Adam's
    β₁) moves the opposite way between ``max_momentum`` and ``base_momentum``. ``three_phase`` comes back
    down to the initial lr symmetrically before the final anneal. Step it after every batch.

    Annealing from ``a`` to ``b`` over a phase at fraction ``x`` of it: 'cos' gives
    ``b + (a − b)·(1 + cos(πx))/2``, 'linear' gives ``a + (b − a)·x``.

    >>> OneCycleLR(opt, max_lr=0.1, epochs=10, steps_per_epoch=len(loader))
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps!r}")
        elif epochs is not None and steps_per_epoch is not None:
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(value, int) or value <= 0:
                    raise ValueError(f"Expected positive integer {name}, but got {value!r}")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy!r}")
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if cycle_momentum:
            self.use_beta1 = _momentum_setter(optimizer)
            max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            base_momentums = _per_group("base_momentum", optimizer, base_momentum)
        self.total_steps, self._anneal_func_type, self.cycle_momentum = total_steps, anneal_strategy, cycle_momentum
        warmup_end = float(pct_start * total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                dict(end_step=warmup_end, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=float(2 * pct_start * total_steps) - 2, start_lr="max_lr", end_lr="initial_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum"),
                dict(end_step=total_steps - 1, start_lr="initial_lr", end_lr="min_lr",
                     start_momentum="max_momentum", end_momentum="max_momentum")]
        else:
            self._schedule_phases = [
                dict(end_step=warmup_end, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=total_steps - 1, start_lr="max_lr", end_lr="min_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum")]
        if last_epoch == -1:
            for i, group in enumerate(optimizer.param_groups):
                group["initial_lr"] = max_lrs[i] / div_factor
                group["max_lr"] = max_lrs[i]
                group["min_lr"] = group["initial_lr"] / final_div_factor
                if cycle_momentum:
                    _set_momentum(group, max_momentums[i], self.use_beta1)
                    group["max_momentum"], group["base_momentum"] = max_momentums[i], base_momentums[i]
        super().__init__(optimizer, last_epoch)

    def _anneal(self, group, start_key, end_key):
        """The value the current phase gives at ``last_epoch``, annealed between two of the group's keys."""
        start_step = 0.0
        for i, phase in enumerate(self._schedule_phases):
            end_step = phase["end_step"]
            if self.last_epoch <= end_step or i == len(self._schedule_phases) - 1:
                pct = (self.last_epoch - start_step) / (end_step - start_step)
                start, end = group[phase[start_key]], group[phase[end_key]]
                if self._anneal_func_type == "cos":
                    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
                return (end - start) * pct + start
            start_step = end_step

    def _get_lrs(self):
        return [self._anneal(group, "start_lr", "end_lr") for group in self.optimizer.param_groups]

    def step(self, epoch=None):
        """Advance one batch (or go to step ``epoch``); stepping past ``total_steps`` is an error."""
        step_num = self.last_epoch + 1 if epoch is None else epoch
        if step_num > self.total_steps:
            raise ValueError(f"Tried to step {step_num} times. The specified number of total steps is "
                             f"{self.total_steps}")
        super().step(epoch)
        if self.cycle_momentum:
            for group in self.optimizer.param_groups:
                _set_momentum(group, self._anneal(group, "start_momentum", "end_momentum"), self.use_beta1)


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates (Smith): the lr climbs from ``base_lr`` to ``max_lr`` over ``step_size_up``
    steps, comes back over ``step_size_down`` (default: the same), and repeats; momentum moves the
    opposite way between ``max_momentum`` and ``base_momentum``. Step it after every batch.

    The amplitude ``max_lr − base_lr`` is scaled by ``scale_fn``: 1 ('triangular'), halved every cycle
    ('triangular2'), or ``gamma^iteration`` ('exp_range'); a custom ``scale_fn`` takes the cycle number
    (``scale_mode='cycle'``) or the iteration (``'iterations'``).

    >>> CyclicLR(opt, base_lr=0.001, max_lr=0.1, step_size_up=4)
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
                 gamma=1.0, scale_fn=None, scale_mode="cycle", cycle_momentum=True, base_momentum=0.8,
                 max_momentum=0.9, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"mode must be 'triangular', 'triangular2' or 'exp_range' when no scale_fn is "
                             f"given, got {mode!r}")
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        if cycle_momentum:
            self.use_beta1 = _momentum_setter(optimizer)
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size, self.step_ratio = up + down, up / (up + down)
        self.mode, self.gamma, self.cycle_momentum, self._scale_fn_custom = mode, gamma, cycle_momentum, scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else "iterations" if mode == "exp_range" else "cycle"
        if last_epoch == -1:
            for i, group in enumerate(optimizer.param_groups):
                group["lr"] = base_lrs[i]
                if cycle_momentum:
                    _set_momentum(group, self.max_momentums[i], self.use_beta1)
                    group["max_momentum"], group["base_momentum"] = self.max_momentums[i], self.base_momentums[i]
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _scale(self):
        """The amplitude's scale at the current cycle (or iteration)."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = cycle if self.scale_mode == "cycle" else self.last_epoch
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        return 1 / (2.0 ** (x - 1)) if self.mode == "triangular2" else self.gamma ** x

    def _height(self):
        """Where in the current cycle we are, 0 at its ends and 1 at its peak."""
        x = 1.0 + self.last_epoch / self.total_size - math.floor(1 + self.last_epoch / self.total_size)
        return x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)

    def _get_lrs(self):
        height, scale = self._height(), self._scale()
        return [base + (top - base) * height * scale for base, top in zip(self.base_lrs, self.max_lrs)]

    def step(self, epoch=None):
        """Advance one batch (or go to step ``epoch``) and set every group's lr and momentum."""
        super().step(epoch)
        if self.cycle_momentum:
            height, scale = self._height(), self._scale()
            for group, low, top in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                _set_momentum(group, top - (top - low) * height * scale, self.use_beta1)

    def state_dict(self):
        """A custom scale_fn is a function, which a state dict does not hold."""
        return {key: value for key, value in super().state_dict().items() if key != "_scale_fn_custom"}


class SequentialLR(LRScheduler):
    """Run ``schedulers[i]`` between ``milestones[i-1]`` and ``milestones[i]``; each restarts at epoch 0.

    >>> warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
    >>> cosine = CosineAnnealingLR(opt, T_max=95)
    >>> SequentialLR(opt, [warmup, cosine], milestones=[5])
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if not schedulers:
            raise ValueError("SequentialLR expects at least one scheduler, but got none")
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR does not support ReduceLROnPlateau (scheduler at index {i})")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"scheduler at index {i} ({type(scheduler).__name__}) belongs to another optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR expects one milestone fewer than schedulers, got {len(schedulers)} "
                             f"schedulers and {len(milestones)} milestones")
        self.optimizer, self._schedulers, self._milestones = optimizer, list(schedulers), list(milestones)
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:  # undo the first step each took when it was built
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first.step()
        self._last_lr = first.get_last_lr()

    def step(self):
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        restarts = index > 0 and self._milestones[index - 1] == self.last_epoch
        scheduler = self._schedulers[index]
        scheduler.step(0 if restarts else None)
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """Its own attributes plus each wrapped scheduler's state dict."""
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def _prepare_load(self, state_dict):
        """Check its own entries and each wrapped scheduler's before anything changes."""
        apply_own = super()._prepare_load(state_dict)
        saved = state_dict["_schedulers"]
        if not isinstance(saved, list) or len(saved) != len(self._schedulers):
            raise ValueError(f"SequentialLR wraps {len(self._schedulers)} schedulers, but the state holds "
                             f"{len(saved) if isinstance(saved, list) else saved!r}")
        applies = [scheduler._prepare_load(state) for scheduler, state in zip(self._schedulers, saved)]

        def apply():
            schedulers = self._schedulers
            for apply_one in applies:
                apply_one()
            apply_own()
            self._schedulers = schedulers  # the state holds their state dicts, not the schedulers

        return apply


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` once the metric has not improved for more than ``patience`` epochs.

    An improvement (mode 'min', threshold_mode 'rel') means ``metric < best · (1 − threshold)``
    ('abs': ``metric < best − threshold``; mode 'max' mirrors both). After a reduction, ``cooldown``
    epochs pass before bad epochs count again. The lr never drops below ``min_lr``, and changes smaller
    than ``eps`` are skipped.

    >>> scheduler = ReduceLROnPlateau(opt, patience=3)
    >>> scheduler.step(validation_loss)
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * groups
        if len(min_lrs) != groups:
            raise ValueError(f"expected {groups} min_lrs, got {len(min_lrs)}")
        self.optimizer, self.min_lrs = optimizer, min_lrs
        self.mode, self.factor, self.patience, self.cooldown, self.eps = mode, factor, patience, cooldown, eps
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs, self.cooldown_counter, self.last_epoch = 0, 0, 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _is_better(self, a):
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return a < self.best * (1 - self.threshold) if rel else a < self.best - self.threshold
        return a > self.best * (1 + self.threshold) if rel else a > self.best + self.threshold

    def step(self, metrics):
        """Record this epoch's metric (a float or a 0-d Tensor) and reduce the lr if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
