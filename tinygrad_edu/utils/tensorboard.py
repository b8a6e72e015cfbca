"""TensorBoard logging, as ``torch.utils.tensorboard``: ``SummaryWriter`` writes real event files that
``tensorboard --logdir runs`` shows.

The summaries are encoded and the files written by the ``tensorboardX`` package, an optional extra
(``pip install 'tinygrad_edu[tensorboard]'`` or ``pip install tensorboardX``); importing this module does
not need it, creating a ``SummaryWriter`` does. Unlike tensorboardX's own writer, this one writes in the
calling thread, so ``flush()`` returns with every event on disk. Values may be tinygrad_edu Tensors,
NumPy arrays or Python numbers::

    from tinygrad_edu.utils.tensorboard import SummaryWriter
    with SummaryWriter("runs/mnist") as writer:
        for step in range(100):
            writer.add_scalar("loss/train", loss, step)
        writer.add_histogram("fc1.weight", model.fc1.weight, step)
"""

import os
import socket
import time
from datetime import datetime

from ..engine import Tensor

__all__ = ["SummaryWriter"]

INSTALL = "pip install 'tinygrad_edu[tensorboard]' (or: pip install tensorboardX)"


def _tensorboardx():
    """tensorboardX's summary encoders and event-file writer, or an ImportError saying how to install them."""
    try:
        from tensorboardX import summary
        from tensorboardX.event_file_writer import EventsWriter
        from tensorboardX.proto.event_pb2 import Event, SessionLog
        from tensorboardX.utils import figure_to_image
    except ImportError as error:
        raise ImportError(f"SummaryWriter writes TensorBoard files through the tensorboardX package, which is "
                          f"not installed: {INSTALL}", name="tensorboardX") from error
    return summary, EventsWriter, Event, SessionLog, figure_to_image


def _numpy(value):
    """A Tensor as its NumPy array (detached); anything else as it is."""
    return value.detach().numpy() if isinstance(value, Tensor) else value


def _number(value):
    """A one-element Tensor or array as a Python number; numbers as they are."""
    return value.item() if hasattr(value, "item") else value


def _tensorflow_bins():
    """TensorBoard's default histogram edges: +-1e-12 growing by 10% up to 1e20, and 0 (as PyTorch's)."""
    edges, v = [], 1e-12
    while v < 1e20:
        edges.append(v)
        v *= 1.1
    return [-v for v in reversed(edges)] + [0.0] + edges


class _EventFile:
    """One event file, written in the calling thread: flushed every ``max_queue`` events, after
    ``flush_secs`` seconds, and on ``flush()``/``close()``."""

    def __init__(self, directory, max_queue, flush_secs, filename_suffix, writer_class):
        os.makedirs(directory, exist_ok=True)
        self._file = writer_class(os.path.join(directory, "events"), filename_suffix)
        self._max_queue, self._flush_secs = max_queue, flush_secs
        self._pending, self._flushed_at = 0, time.monotonic()

    def write(self, event):
        self._file.write_event(event)
        self._pending += 1
        if self._pending >= self._max_queue or time.monotonic() - self._flushed_at >= self._flush_secs:
            self.flush()

    def flush(self):
        self._file.flush()
        self._pending, self._flushed_at = 0, time.monotonic()

    def close(self):
        self._file.close()


class SummaryWriter:
    """Writes TensorBoard event files into ``log_dir``, as ``torch.utils.tensorboard.SummaryWriter``.

    ``log_dir`` defaults to ``runs/<month><day>_<hour>-<minute>-<second>_<host><comment>``. Events are
    buffered and written every ``max_queue`` events, every ``flush_secs`` seconds, on ``flush()`` and on
    ``close()``; as a context manager the writer closes itself. ``purge_step`` hides, when a run resumes,
    the events an earlier attempt logged at that step or later.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        self._summary, self._events_writer, self._event, session_log, self._figure_to_image = _tensorboardx()
        if not log_dir:
            now = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{now}_{socket.gethostname()}{comment}")
        self.log_dir, self.purge_step = log_dir, purge_step
        self._options = (max_queue, flush_secs, filename_suffix)
        self._files = {}
        if purge_step is not None:
            self._file(str(log_dir)).write(self._event(step=purge_step, file_version="brain.Event:2"))
            self._file(str(log_dir)).write(self._event(step=purge_step,
                                                       session_log=session_log(status=session_log.START)))
        self._file(str(log_dir))

    def _file(self, directory):
        if self._files is None:
            raise RuntimeError("SummaryWriter: the writer is closed; create a new one to log more")
        if directory not in self._files:
            self._files[directory] = _EventFile(directory, *self._options, self._events_writer)
        return self._files[directory]

    def _add(self, summary, global_step, walltime, directory=None):
        event = self._event(summary=summary, wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            event.step = int(_number(global_step))
        self._file(str(self.log_dir) if directory is None else directory).write(event)

    def get_logdir(self):
        """The directory the event files are written to."""
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None):
        """One point of the curve ``tag`` (e.g. ``'loss/train'``): a number or a one-element tensor at step
        ``global_step``."""
        self._add(self._summary.scalar(tag, _number(scalar_value)), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several curves in one chart: ``add_scalars('loss', {'train': a, 'valid': b}, step)``. Each curve is
        written as a run of its own, in ``log_dir/loss_train`` and ``log_dir/loss_valid``, as in PyTorch."""
        for tag, value in tag_scalar_dict.items():
            directory = os.path.join(str(self.log_dir), f"{main_tag.replace('/', '_')}_{tag}")
            self._add(self._summary.scalar(main_tag, _number(value)), global_step, walltime, directory)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """The distribution of ``values`` (a tensor or array of any shape, e.g. a layer's weights) at a step.
        ``bins`` is ``'tensorflow'`` (exponential buckets), a NumPy name such as ``'auto'``, or a count."""
        bins = _tensorflow_bins() if bins == "tensorflow" else bins
        self._add(self._summary.histogram(tag, _numpy(values), bins, max_bins=max_bins), global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """A piece of text (Markdown) at a step: a sample the model generated, the run's settings."""
        self._add(self._summary.text(tag, text_string), global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: ``img_tensor`` of shape (C, H, W) by default (``dataformats`` says otherwise, e.g.
        ``'HWC'`` or ``'HW'``), floats in [0, 1] or uint8 in [0, 255]."""
        self._add(self._summary.image(tag, _numpy(img_tensor), dataformats=dataformats), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images, shape (N, C, H, W) by default, shown as one grid."""
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them, shown as a grid), rendered to an image; closed afterwards
        unless ``close=False``."""
        image = self._figure_to_image(figure, close)
        self.add_image(tag, image, global_step, walltime, "NCHW" if isinstance(figure, list) else "CHW")

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """One row of TensorBoard's HPARAMS table: the run's settings (numbers, strings, bools) and the
        metrics they gave, written as a run of its own under ``log_dir`` (named ``run_name``, or the time)."""
        if hparam_domain_discrete is not None:
            raise NotImplementedError("add_hparams: hparam_domain_discrete is not supported by tensorboardX, "
                                      "which encodes the table; leave it out")
        metrics = {name: _number(value) for name, value in metric_dict.items()}
        directory = os.path.join(str(self.log_dir), run_name or str(time.time()))
        for summary in self._summary.hparams(hparam_dict, metrics):
            self._add(summary, None, None, directory)
        for name, value in metrics.items():
            self._add(self._summary.scalar(name, value), global_step, None, directory)
        self._files.pop(directory).close()

    def flush(self):
        """Write every buffered event to disk now (nothing to do once closed)."""
        for file in (self._files or {}).values():
            file.flush()

    def close(self):
        """Write everything and close the event files; the writer cannot log afterwards."""
        if self._files is not None:
            for file in self._files.values():
                file.close()
            self._files = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
