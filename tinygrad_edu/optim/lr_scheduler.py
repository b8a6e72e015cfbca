"""Learning-rate schedulers. Call ``scheduler.step()`` once per epoch, after ``optimizer.step()``.

Each scheduler computes a group's lr in closed form from ``base_lrs`` (the groups' ``initial_lr``) and
``last_epoch``, the number of ``step()`` calls so far.
"""

import math
from bisect import bisect_right
from collections import Counter

from .optimizer import Optimizer


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
