"""The wrappers PyTorch programs put around training and evaluation, with what each means here.

Grad modes that change what is recorded: ``set_grad_enabled(mode)`` (a call, a context manager or a
decorator) and ``inference_mode()`` (``no_grad`` under PyTorch's other name).

Speed-ups that have nothing to act on in a float32 NumPy engine, kept so programs run unchanged and
compute exactly what they compute without them: ``autocast`` (mixed precision: here every op keeps its
dtype), ``GradScaler`` (loss scaling, which only float16 gradients need) and ``compile`` (returns the model
itself: there is no graph compiler).
"""

import functools
import threading

from .tensor import _grad_state, _GradMode


class set_grad_enabled(_GradMode):
    """Turn recording on or off in this thread, as ``torch.set_grad_enabled(mode)``.

    Takes effect as a plain call (``tg.set_grad_enabled(False)`` stays in force until changed), and as a
    context manager or decorator restores the previous mode on exit:

    >>> from tinygrad_edu import tensor
    >>> x = tensor([1.0], requires_grad=True)
    >>> with set_grad_enabled(False):
    ...     (x * 2).requires_grad
    False
    >>> (x * 2).requires_grad
    True
    """

    def __init__(self, mode):
        self.enabled, self._previous = bool(mode), _grad_state.enabled
        _grad_state.enabled = self.enabled

    def __enter__(self):
        _grad_state.enabled = self.enabled

    def __call__(self, fn):
        _grad_state.enabled = self._previous  # decorating a function must not change the mode of the caller
        mode = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper

    def __repr__(self):
        return f"set_grad_enabled(mode={self.enabled})"


class _InferenceState(threading.local):
    enabled = False


_inference_state = _InferenceState()


def is_inference_mode_enabled():
    """True inside ``inference_mode()`` (in the calling thread)."""
    return _inference_state.enabled


class inference_mode(_GradMode):
    """``no_grad`` under PyTorch's other name: ``with inference_mode(): ...``, ``@inference_mode()`` or
    ``@inference_mode``. ``inference_mode(False)`` turns recording back on inside, as in PyTorch.

    Unlike PyTorch's, the tensors made inside are ordinary tensors without history, which later
    computations may use and record (PyTorch refuses such "inference tensors" in autograd).

    >>> from tinygrad_edu import tensor
    >>> with inference_mode():
    ...     (tensor([1.0], requires_grad=True) * 2).requires_grad, is_inference_mode_enabled()
    (False, True)
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # used bare as a decorator: mode is the function

    def __init__(self, mode=True):
        self.mode, self.enabled = mode, not mode

    def __enter__(self):
        super().__enter__()
        self._previous_inference, _inference_state.enabled = _inference_state.enabled, self.mode

    def __exit__(self, *exc):
        _inference_state.enabled = self._previous_inference
        super().__exit__(*exc)

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper


class autocast:
    """Mixed precision, as ``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``:
    a context manager and decorator that changes nothing here.

    PyTorch runs chosen ops inside it in a lower precision (bfloat16 on the CPU, float16 on a GPU) for
    speed; tinygrad_edu computes every op in its inputs' dtype, so float32 stays float32 and the results
    are exactly those without ``autocast``. ``is_autocast_enabled()`` says so by staying False.

    >>> from tinygrad_edu import float16, tensor
    >>> with autocast("cpu", dtype=float16):
    ...     (tensor([1.0]) * 2).dtype
    tinygrad_edu.float32
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"autocast: expected device_type as a string such as 'cpu' or 'cuda', "
                             f"got {type(device_type).__name__} {device_type!r}")
        self.device, self.fast_dtype, self.enabled, self.cache_enabled = device_type, dtype, enabled, cache_enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return fn(*args, **kwargs)

        return wrapper


class CudaAutocast(autocast):
    """``torch.cuda.amp.autocast(enabled=True, dtype=float16, cache_enabled=True)``: ``autocast('cuda', ...)``,
    which changes nothing here."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__("cuda", dtype, enabled, cache_enabled)


class CpuAutocast(autocast):
    """``torch.cpu.amp.autocast(enabled=True, dtype=bfloat16, cache_enabled=True)``: ``autocast('cpu', ...)``,
    which changes nothing here."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__("cpu", dtype, enabled, cache_enabled)


def is_autocast_enabled(device_type=None):
    """Always False: no op here ever runs in a lowered precision, inside ``autocast`` or not."""
    return False


def is_autocast_available(device_type):
    """Whether ``autocast(device_type)`` may be entered: True for every type, since here it changes nothing."""
    return True


class GradScaler:
    """Loss scaling for float16 training, as ``torch.amp.GradScaler(device='cuda', init_scale=2.**16, ...)``,
    here a pass-through: float32 gradients do not underflow, so nothing needs scaling.

    It behaves as PyTorch's scaler does when disabled (``enabled=False``, or no GPU): ``scale(loss)`` is
    ``loss``, ``step(optimizer)`` is ``optimizer.step()``, ``unscale_`` and ``update`` do nothing,
    ``get_scale()`` is 1.0 and ``state_dict()`` is empty. The usual loop runs unchanged::

        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    """

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self.device = device
        self._growth_factor, self._backoff_factor = growth_factor, backoff_factor
        self._growth_interval = growth_interval

    def scale(self, outputs):
        """``outputs`` (a tensor or a nested list/tuple of them) unchanged."""
        return outputs

    def unscale_(self, optimizer):
        """Nothing to divide: the gradients were never scaled."""

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)``, returning what it returns."""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        """Nothing to update: the scale stays 1.0."""

    def get_scale(self):
        return 1.0

    def is_enabled(self):
        """False, as PyTorch's scaler reports when it does no scaling."""
        return False

    def get_growth_factor(self):
        return self._growth_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def get_growth_interval(self):
        return self._growth_interval

    def state_dict(self):
        """Empty, as a disabled PyTorch scaler's: there is no scale to save."""
        return {}

    def load_state_dict(self, state_dict):
        """Accepts any scaler state (one saved by PyTorch included) and keeps none: the scale stays 1.0."""


class CudaGradScaler(GradScaler):
    """``torch.cuda.amp.GradScaler(init_scale=2.**16, ...)``: ``GradScaler('cuda', ...)``, a pass-through."""

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None, name=None,
            disable=False):
    """``torch.compile``: returns ``model`` (a module or a function) itself, unchanged.

    PyTorch traces the model and generates fused kernels; tinygrad_edu has no compiler, so the model runs
    as written, op by op, and computes the same values. Works as a call (``model = compile(model)``), a
    bare decorator (``@compile``) and a decorator with options (``@compile(mode="max-autotune")``).

    >>> f = lambda x: x * 2
    >>> compile(f) is f
    True
    """
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise TypeError(f"compile: expected a module or a function to compile, got {type(model).__name__}")
    return model
