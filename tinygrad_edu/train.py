"""The training loop: ``fit`` and ``evaluate``, with a progress bar, a per-epoch history and checkpoints.

>>> history = fit(model, loss_fn, Adam(model.parameters(), lr=1e-2), train_loader, epochs=10,
...               val_loader=val_loader, checkpoint="run.npz", resume=True)
>>> history["val_accuracy"][-1]
0.97

A checkpoint is one ``.npz`` (read back with ``allow_pickle=False``) or ``.safetensors`` file: every
array (weights, optimizer moments) is stored as an array, and everything else (hyperparameters, epoch,
history, random-generator state) as one JSON string, so loading never executes code. A save writes a
temporary file next to the target and renames it into place, so a crash mid-save leaves the previous
checkpoint intact.
"""

import contextlib
import glob
import json
import math
import os
import sys
import warnings
import zipfile
from collections import Counter

import numpy as np
from tqdm import TqdmWarning

from .engine.random import generator
from .engine.serialization import atomic_write
from .engine.tensor import Tensor, no_grad
from .optim.lr_scheduler import ReduceLROnPlateau

with warnings.catch_warnings():  # in Jupyter without ipywidgets, tqdm.auto warns and falls back to a text bar,
    warnings.simplefilter("ignore", TqdmWarning)  # which works: no warning on every `import tinygrad_edu`
    from tqdm.auto import tqdm

__all__ = ["History", "accuracy", "fit", "evaluate", "save_checkpoint", "load_checkpoint"]

_MARKER = "__tinygrad_edu_checkpoint__"  # the key whose bytes hold the JSON part; no marker, not a checkpoint
_FORMAT_VERSION = 1


# ------------------------------------------------------------------------------------------ metrics
def accuracy(output, target):
    """Fraction of correct predictions: argmax over the last (class) dim against integer targets, or,
    for a single logit per sample (shape (N,) or (N, 1)), ``output > 0`` against 0/1 targets."""
    out, tgt = np.asarray(output.numpy()), np.asarray(target.numpy() if isinstance(target, Tensor) else target)
    if out.ndim >= 2 and out.shape[-1] > 1:
        pred = out.argmax(axis=-1)
    else:
        pred = (out > 0).astype(np.int64).reshape(tgt.shape)
    if pred.shape != tgt.shape:
        raise ValueError(f"accuracy: predictions of shape {pred.shape} (from output {out.shape}) do not match "
                         f"targets of shape {tgt.shape}")
    return float(np.mean(pred == tgt))


_METRICS = {"accuracy": accuracy}


def _resolve_metrics(metrics):
    resolved = []
    for metric in metrics or ():
        if callable(metric):
            resolved.append((getattr(metric, "__name__", type(metric).__name__), metric))
        elif metric in _METRICS:
            resolved.append((metric, _METRICS[metric]))
        else:
            raise ValueError(f"unknown metric {metric!r}; use one of {sorted(_METRICS)} or a callable "
                             "(output, target) -> float")
    names = [name for name, _ in resolved]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"metric names must be distinct and not 'loss', got {names}")
    return resolved


def _batch_size(targets):
    shape = getattr(targets, "shape", ())
    return shape[0] if len(shape) else 1


class _Averages:
    """Sample-weighted running means of the loss and each metric over an epoch."""

    def __init__(self, names):
        self.sums, self.count = dict.fromkeys(["loss", *names], 0.0), 0

    def add(self, n, values):
        self.count += n
        for name, value in values.items():
            self.sums[name] += n * float(value)

    def means(self):
        return {name: total / self.count for name, total in self.sums.items()}


class History(dict):
    """Per-epoch lists: ``loss`` and each metric on the training data, ``val_loss`` and ``val_<metric>``
    when there is validation data. Keys also read as attributes: ``history.loss``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"History has no entry '{name}' (it has {list(self)})") from None

    def append(self, record):
        for key, value in record.items():
            self.setdefault(key, []).append(value)


# ------------------------------------------------------------------------------------- evaluation
def evaluate(model, loss_fn, loader, metrics=("accuracy",)):
    """Mean loss and metrics over ``loader`` (weighted by batch size), in eval mode and without
    recording a graph. Every module's train/eval flag is restored afterwards.

    >>> evaluate(model, loss_fn, test_loader)
    {'loss': 0.12, 'accuracy': 0.96}
    """
    metric_fns = _resolve_metrics(metrics)
    if len(loader) == 0:
        raise ValueError("evaluate() got an empty loader (0 batches)")
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        averages = _Averages([name for name, _ in metric_fns])
        with no_grad():
            for inputs, targets in loader:
                output = model(inputs)
                values = {"loss": loss_fn(output, targets).item()}
                values.update((name, fn(output, targets)) for name, fn in metric_fns)
                averages.add(_batch_size(targets), values)
        return averages.means()
    finally:
        for module, training in modes:
            module.training = training


# ------------------------------------------------------------------------------------------ fitting
def fit(model, loss_fn, optimizer, train_loader, epochs, val_loader=None, scheduler=None, metrics=("accuracy",),
        checkpoint=None, resume=False, progress=None, log_every=None):
    """Train ``model`` for ``epochs`` epochs and return the :class:`History`.

    Each step: ``optimizer.zero_grad()``, ``output = model(inputs)``, ``loss = loss_fn(output, targets)``,
    ``loss.backward()``, ``optimizer.step()``. After each epoch: evaluate on ``val_loader`` (if any),
    step the ``scheduler`` once (ReduceLROnPlateau is given the validation loss, or the training loss
    without validation), and save to ``checkpoint`` (a path) if given. With ``resume=True`` an
    existing ``checkpoint`` is loaded first (model, optimizer, scheduler, history and the random
    generator's state, so shuffling and dropout continue as if never interrupted) and training goes
    on from the next epoch up to ``epochs``.

    ``metrics``: names (``"accuracy"``) or callables ``(output, target) -> float``, computed without
    recording a graph. ``progress``: a tqdm bar per epoch showing the running loss (``tqdm.auto``: a
    widget in Jupyter when ipywidgets is installed, text otherwise); ``None`` shows it when stderr is a
    terminal or a Jupyter notebook. ``log_every=k`` also prints the running loss every ``k`` steps.

    A loss that is NaN or infinite stops training with a FloatingPointError naming the epoch and step,
    before that step changes any weight.
    """
    _check_fit_arguments(epochs, log_every, resume, checkpoint)
    metric_fns = _resolve_metrics(metrics)
    steps = len(train_loader)
    if steps == 0:
        raise ValueError("fit() got an empty train_loader (0 batches per epoch)")
    if progress is None:
        progress = _interactive_stderr()

    start, history = _resume(checkpoint, model, optimizer, scheduler, train_loader) if resume else (0, History())
    for epoch in range(start + 1, epochs + 1):
        model.train()
        with _progress_bar(epoch, epochs, steps, progress) as bar:
            record = _train_epoch(model, loss_fn, optimizer, train_loader, metric_fns, bar, epoch, epochs, log_every)
            if val_loader is not None:
                record.update(_validate(model, loss_fn, val_loader, metrics))
            bar.set_postfix({k: f"{v:.4f}" for k, v in record.items()})
        history.append(record)
        _step_scheduler(scheduler, record, validated=val_loader is not None)
        if checkpoint is not None:
            _save_progress(checkpoint, model, optimizer, scheduler, epoch, history, train_loader)
    return history


def _check_fit_arguments(epochs, log_every, resume, checkpoint):
    """Reject arguments :func:`fit` cannot use, before it changes any state."""
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    if log_every is not None and not (isinstance(log_every, (int, np.integer)) and log_every >= 1):
        raise ValueError(f"log_every must be None or an integer >= 1, got {log_every!r}")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs a checkpoint path")


def _interactive_stderr():
    """Whether someone watches stderr: a terminal, or a Jupyter kernel (whose stderr is an ipykernel stream
    that reports ``isatty()`` False although the notebook shows it live)."""
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None) and stream.isatty()) or type(stream).__module__.startswith("ipykernel.")


def _progress_bar(epoch, epochs, steps, show):
    """A tqdm bar over one epoch's steps, on stderr so that the program's own output on stdout stays clean to
    pipe or redirect."""
    return tqdm(total=steps, desc=f"Epoch {epoch}/{epochs}", unit="batch", disable=not show, file=sys.stderr,
                dynamic_ncols=True)


def _train_epoch(model, loss_fn, optimizer, loader, metric_fns, bar, epoch, epochs, log_every):
    """One pass over ``loader``, a training step per batch, with the running loss on ``bar`` (and printed
    every ``log_every`` steps); returns the epoch's loss and metrics, averaged over its samples."""
    averages = _Averages([name for name, _ in metric_fns])
    steps = bar.total
    for step, (inputs, targets) in enumerate(loader, start=1):
        output, loss = _train_step(model, loss_fn, optimizer, inputs, targets,
                                   where=f"epoch {epoch}, step {step} of {steps}")
        with no_grad():
            values = {"loss": loss, **{name: fn(output, targets) for name, fn in metric_fns}}
        averages.add(_batch_size(targets), values)
        running = averages.sums["loss"] / averages.count
        if not bar.disable:  # formatting the postfix costs a few percent of a small model's step
            bar.set_postfix(loss=f"{running:.4f}", refresh=False)
        bar.update()
        if log_every and step % log_every == 0:
            tqdm.write(f"epoch {epoch}/{epochs} step {step}/{steps} loss {running:.4f}")
    return averages.means()


def _train_step(model, loss_fn, optimizer, inputs, targets, where):
    """One gradient step on one batch; returns the output and the loss as a float. A loss that is not
    finite raises, naming ``where``, before ``backward`` and ``step`` can spread it into the weights."""
    optimizer.zero_grad()
    output = model(inputs)
    loss = loss_fn(output, targets)
    value = loss.item()
    _check_finite(value, where)
    loss.backward()
    optimizer.step()
    return output, value


def _check_finite(loss, where):
    """Stop at the first NaN or infinite loss: one bad step would turn every weight into NaN."""
    if not math.isfinite(loss):
        raise FloatingPointError(f"loss became {loss} at {where}; "
                                 "try a smaller learning rate or check the inputs for NaN/inf")


def _validate(model, loss_fn, loader, metrics):
    """:func:`evaluate` on the validation data, under the ``val_`` names the history keeps them by."""
    return {f"val_{name}": value for name, value in evaluate(model, loss_fn, loader, metrics).items()}


def _step_scheduler(scheduler, record, validated):
    """Step the scheduler once per epoch; ReduceLROnPlateau watches the validation loss when there is one,
    since a plateau there, on data the model does not train on, is the one that means it stopped improving."""
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(record["val_loss" if validated else "loss"])
    elif scheduler is not None:
        scheduler.step()


def _resume(checkpoint, model, optimizer, scheduler, loader):
    """The last finished epoch and the history from ``checkpoint``, with the model, optimizer, scheduler and
    random generators restored to that point; (0, an empty History) when the file does not exist yet, so the
    same ``fit(..., resume=True)`` call both starts a run and continues it."""
    if not os.path.exists(checkpoint):
        return 0, History()
    saved = load_checkpoint(checkpoint, model, optimizer, scheduler)
    if "epoch" not in saved or "history" not in saved:
        raise ValueError(f"{checkpoint} was not written by fit() (it has no epoch/history); cannot resume")
    start, history = saved["epoch"], History(saved["history"])
    _set_rng_states(saved.get("rng"), loader)
    return start, history


def _save_progress(checkpoint, model, optimizer, scheduler, epoch, history, loader):
    """Save everything :func:`_resume` needs to go on after ``epoch`` as if never interrupted."""
    save_checkpoint(checkpoint, model, optimizer, scheduler, epoch=epoch, history=dict(history),
                    rng=_rng_states(loader))


def _rng_states(loader):
    # A DataLoader built with seed= shuffles with its own generator; saving it too makes resuming exact.
    own = getattr(loader, "generator", None)
    return {"library": generator().bit_generator.state,
            "loader": own.bit_generator.state if isinstance(own, np.random.Generator) else None}


def _set_rng_states(states, loader):
    if not states:
        return
    generator().bit_generator.state = states["library"]
    own = getattr(loader, "generator", None)
    if states.get("loader") is not None and isinstance(own, np.random.Generator):
        own.bit_generator.state = states["loader"]


# ------------------------------------------------------------------------ checkpoint encoding
def _pack(value, arrays, prefix, where):
    """A JSON-able form of ``value``: arrays (and NumPy scalars) go into ``arrays`` under a new key and
    are referred to by it; tuples, non-string dict keys and Counters are tagged so they come back as
    they were."""
    if isinstance(value, (np.ndarray, np.generic)):
        key = f"{prefix}/{len(arrays)}"  # unique: arrays only grows, and model names never hold a '/'
        arrays[key] = _contiguous(value)
        return {"$array": key, "scalar": isinstance(value, np.generic)}
    if isinstance(value, Tensor):
        return _pack(value.numpy(), arrays, prefix, where)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_pack(v, arrays, prefix, f"{where}[{i}]") for i, v in enumerate(value)]
        return {"$tuple": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        pairs = [[_pack(k, arrays, prefix, where), _pack(v, arrays, prefix, f"{where}[{k!r}]")]
                 for k, v in value.items()]
        return {"$counter" if isinstance(value, Counter) else "$dict": pairs}
    raise TypeError(f"cannot store {where} in a checkpoint: {type(value).__name__} is not an array, number, "
                    "string, None, list, tuple or dict")


def _contiguous(value):
    """A C-contiguous array of ``value`` that keeps its shape: ``np.ascontiguousarray`` would turn a 0-d
    array (BatchNorm's ``num_batches_tracked``, a NumPy scalar) into shape (1,)."""
    return np.asarray(value, order="C")


def _unpack(value, arrays, part):
    if isinstance(value, list):
        return [_unpack(v, arrays, part) for v in value]
    if not isinstance(value, dict):
        return value
    if "$array" in value:
        if value["$array"] not in arrays:
            raise ValueError(f"its {part} state refers to an array, but the entry '{value['$array']}' is missing")
        array = arrays[value["$array"]]
        return array[()] if value["scalar"] else array
    if "$tuple" in value:
        return tuple(_unpack(v, arrays, part) for v in value["$tuple"])
    pairs = [(_unpack(k, arrays, part), _unpack(v, arrays, part)) for k, v in value.get("$dict", value.get("$counter"))]
    return Counter(dict(pairs)) if "$counter" in value else dict(pairs)


def _is_safetensors(path):
    return os.fspath(path).endswith(".safetensors")


def _safetensors_numpy():
    try:
        import safetensors.numpy
    except ImportError as error:
        raise ImportError(".safetensors checkpoints need the safetensors package: "
                          "pip install tinygrad_edu[safetensors]  (or save to a .npz path)") from error
    return safetensors.numpy


def _write_npz(file, arrays):
    np.savez(file, **arrays)


def _write_safetensors(file, arrays):
    file.write(_safetensors_numpy().save(arrays))


def _atomic_write(path, write, arrays):
    """Write ``arrays`` to ``path`` with ``write(file, arrays)`` through :func:`atomic_write`: a temporary file
    renamed into place, so readers see the old checkpoint or the new one, never half of one, and the file
    gets the permissions ``open()`` would give it.

    A process killed mid-save cannot remove its temporary file, whose name carries the process id, so each
    successful save removes those left by dead processes (a live one, another process saving the same
    checkpoint right now, keeps its file).
    """
    atomic_write(path, lambda file: write(file, arrays))
    _remove_dead_saves(*os.path.split(os.path.abspath(path)))


def _remove_dead_saves(directory, name):
    prefix = os.path.join(directory, f".{name}.")
    for tmp in glob.glob(glob.escape(prefix) + "*.tmp"):
        pid = tmp[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):  # another save may be removing it too
                os.unlink(tmp)


def _process_alive(pid):
    if os.name != "posix":  # no cheap, harmless liveness probe: keep the file
        return True
    try:
        os.kill(pid, 0)  # signal 0 checks that the process exists and sends nothing
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def save_checkpoint(path, model, optimizer=None, scheduler=None, **extra):
    """Save the model's state dict, and the optimizer's and scheduler's if given, plus ``extra``
    values (numbers, strings, lists, dicts, arrays) to ``path``: ``.safetensors`` by extension,
    otherwise ``.npz``. Model weights keep their ``state_dict`` names, so a ``.safetensors`` file
    loads into the matching PyTorch module (``strict=False``: the other keys are ours).

    >>> save_checkpoint("model.npz", model, optimizer, epoch=3)
    """
    path = os.fspath(path)
    if _is_safetensors(path):
        _safetensors_numpy()  # fail before doing any work when the package is missing
    arrays = {name: _contiguous(t.numpy()) for name, t in model.state_dict().items()}
    meta = {"format_version": _FORMAT_VERSION, "model": list(arrays)}
    for part, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None:
            meta[part] = {"type": type(obj).__name__, "state": _pack(obj.state_dict(), arrays, part, part)}
    meta["extra"] = _pack(dict(extra), arrays, "extra", "extra")
    arrays[_MARKER] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8).copy()
    _atomic_write(path, _write_safetensors if _is_safetensors(path) else _write_npz, arrays)


def _npz_sizes(path):
    """Check, from the headers alone, that the ``.npz`` archive at ``path`` is one we could have written.

    Checkpoints are stored uncompressed, so their arrays cannot hold more bytes than the file: a
    compressed archive that would inflate past the file's size (a decompression bomb, or not ours)
    is refused before a single array is allocated.
    """
    if not zipfile.is_zipfile(path):
        raise ValueError(f"it is not a .npz (zip) archive (it starts with {_first_bytes(path)})")
    total = 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as entry:
                read_header = (np.lib.format.read_array_header_1_0 if np.lib.format.read_magic(entry) == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, _, dtype = read_header(entry)
            if dtype.hasobject:
                raise ValueError(f"entry '{info.filename}' holds Python objects, which checkpoints never do")
            total += math.prod(shape) * dtype.itemsize
    size = os.path.getsize(path)
    if total > size:
        raise ValueError(f"its arrays would take {total} bytes, more than the {size} bytes of the file: it is "
                         "compressed, which checkpoints never are (a decompression bomb?); refused unread")


def _first_bytes(path):
    with open(path, "rb") as file:
        return repr(file.read(16))


def _read_arrays(path):
    if not _is_safetensors(path):
        _npz_sizes(path)
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    safetensors_numpy = _safetensors_numpy()
    try:
        return safetensors_numpy.load_file(path)
    except Exception as error:  # the package's own error types differ between versions
        raise ValueError(f"it is not a .safetensors file (it starts with {_first_bytes(path)}: {error})") from None


def _read(path):
    with open(path, "rb"):  # a missing or unreadable file raises its own OSError here
        pass
    try:
        arrays = _read_arrays(path)
        if _MARKER not in arrays:
            raise ValueError(f"it has no '{_MARKER}' entry")
        meta = json.loads(arrays.pop(_MARKER).tobytes().decode())
        missing = [key for key in meta["model"] if key not in arrays]
        if missing:
            raise ValueError(f"model arrays {missing} are missing")
    except ImportError:
        raise
    except Exception as error:
        raise ValueError(f"{path} is not a tinygrad_edu checkpoint (or is damaged): {error}") from error
    return meta, arrays


def load_checkpoint(path, model, optimizer=None, scheduler=None):
    """Load a checkpoint written by :func:`save_checkpoint` into ``model`` (and ``optimizer`` /
    ``scheduler`` when given) and return the ``extra`` values as a dict. Nothing is unpickled and no
    code runs.

    Everything is checked before anything changes (the model's keys, shapes and dtypes, the
    optimizer's groups and state, the scheduler's state, the extras): after a failed load the model,
    optimizer and scheduler are exactly as they were. Raises ValueError naming ``path`` for a file
    that is not such a checkpoint, one that does not fit what it is loaded into, or one that lacks
    the optimizer or scheduler state asked for.

    >>> extra = load_checkpoint("model.npz", model, optimizer)
    >>> extra["epoch"]
    3
    """
    path = os.fspath(path)
    meta, arrays = _read(path)
    try:
        loads = [model._prepare_load({name: arrays[name] for name in meta["model"]})]
        for part, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
            if obj is None:
                continue
            if part not in meta:
                raise ValueError(f"it holds no {part} state, but a {type(obj).__name__} was given to load into")
            if meta[part]["type"] != type(obj).__name__:
                raise ValueError(f"it holds {part} state of a {meta[part]['type']}, "
                                 f"which cannot be loaded into a {type(obj).__name__}")
            loads.append(obj._prepare_load(_unpack(meta[part]["state"], arrays, part)))
        extra = _unpack(meta["extra"], arrays, "extra")
    except (ValueError, RuntimeError) as error:
        raise ValueError(f"{path} cannot be loaded: {error}") from error
    for apply in loads:  # everything is valid: now change the objects
        apply()
    return extra
