"""SummaryWriter writes real TensorBoard event files (read back here record by record), and without the
tensorboardX extra it says which extra to install."""

import struct
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.utils.tensorboard import SummaryWriter


def read_events(directory):
    """Every summary value in the event files directly in ``directory``: (step, tag, value proto).

    An event file is a TFRecord file: each record is a little-endian uint64 length, a 4-byte CRC of
    it, the serialized ``Event`` protobuf and a 4-byte CRC of that."""
    event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")
    files = sorted(directory.glob("events.out.tfevents.*"))
    assert files, f"no event file in {directory}"
    found = []
    for path in files:
        data, offset = path.read_bytes(), 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset:offset + 8])
            event = event_pb2.Event.FromString(data[offset + 12:offset + 12 + length])
            offset += 12 + length + 4
            found += [(event.step, value.tag, value) for value in event.summary.value]
    return found


@pytest.fixture
def tensorboardx():
    return pytest.importorskip("tensorboardX")


def test_scalars_histograms_and_text_are_written_and_read_back(tensorboardx, tmp_path):
    weights = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    with SummaryWriter(tmp_path) as writer:
        assert str(writer.get_logdir()) == str(writer.log_dir) == str(tmp_path)
        for step in range(3):
            writer.add_scalar("loss/train", tg.tensor(1.0 / (step + 1)), step)
        writer.add_scalar("lr", 0.25, global_step=7)
        writer.add_scalar("acc", np.float64(0.75), 2)
        writer.add_histogram("fc.weight", weights, global_step=2)
        writer.add_histogram("counts", np.array([0, 1, 1, 5]), 3, bins="auto")
        writer.add_text("sample", "the cat sat", 4)
    events = read_events(tmp_path)
    scalars = [(step, tag, value.simple_value) for step, tag, value in events if value.HasField("simple_value")]
    assert scalars == [(0, "loss/train", 1.0), (1, "loss/train", 0.5), (2, "loss/train", pytest.approx(1 / 3)),
                       (7, "lr", 0.25), (2, "acc", 0.75)]
    histograms = {tag: (step, value.histo) for step, tag, value in events if value.HasField("histo")}
    step, histo = histograms["fc.weight"]
    assert (step, histo.min, histo.max, histo.num, histo.sum, histo.sum_squares) == (2, 1.0, 4.0, 4, 10.0, 30.0)
    assert sum(histo.bucket) == 4
    assert (histograms["counts"][1].num, histograms["counts"][1].max) == (4, 5.0)
    texts = [(step, tag, value.tensor.string_val[0]) for step, tag, value in events if value.HasField("tensor")]
    assert texts == [(4, "sample/text_summary", b"the cat sat")]


def test_add_scalars_writes_one_run_per_curve(tensorboardx, tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalars("loss", {"train": tg.tensor(0.5), "valid": 0.75}, 3)
    train = [(s, t, v.simple_value) for s, t, v in read_events(tmp_path / "loss_train")]
    valid = [(s, t, v.simple_value) for s, t, v in read_events(tmp_path / "loss_valid")]
    assert (train, valid) == ([(3, "loss", 0.5)], [(3, "loss", 0.75)])


def test_images_and_hparams(tensorboardx, tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("digit", tg.ones(1, 4, 5) * 0.5, 1)
        writer.add_image("hwc", np.zeros((4, 5, 3), dtype=np.uint8), 1, dataformats="HWC")
        writer.add_images("batch", tg.zeros(2, 3, 4, 5), 1)
        writer.add_hparams({"lr": 0.1, "optimizer": "sgd"}, {"hparam/loss": tg.tensor(0.25)}, run_name="trial")
    images = {tag: value.image for _, tag, value in read_events(tmp_path) if value.HasField("image")}
    assert {tag: (im.height, im.width) for tag, im in images.items()} == {"digit": (4, 5), "hwc": (4, 5),
                                                                           "batch": (4, 10)}
    assert all(im.encoded_image_string.startswith(b"\x89PNG") for im in images.values())
    trial = read_events(tmp_path / "trial")
    assert [(t, v.simple_value) for _, t, v in trial if v.HasField("simple_value")] == [("hparam/loss", 0.25)]
    assert {t for _, t, _ in trial} >= {"_hparams_/experiment", "_hparams_/session_start_info"}


def test_add_figure_renders_a_matplotlib_figure(tensorboardx, tmp_path):
    figure_module = pytest.importorskip("matplotlib.figure")
    figure = figure_module.Figure(figsize=(2, 1), dpi=50)
    figure.add_subplot().plot([0, 1], [1, 0])
    with SummaryWriter(tmp_path) as writer:
        writer.add_figure("curve", figure, 0, close=False)
    (image,) = [value.image for _, tag, value in read_events(tmp_path) if tag == "curve"]
    assert (image.width, image.height) == (100, 50)


def test_flush_writes_before_close_and_default_log_dir_is_under_runs(tensorboardx, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_lr0.1")
    try:
        writer.add_scalar("x", 3.0, 0)
        writer.flush()
        run = tmp_path / writer.log_dir
        assert run.parent == tmp_path / "runs" and run.name.endswith("_lr0.1")
        assert [(s, t, v.simple_value) for s, t, v in read_events(run)] == [(0, "x", 3.0)]
    finally:
        writer.close()


def test_events_are_buffered_until_max_queue_and_a_closed_writer_refuses_more(tensorboardx, tmp_path):
    writer = SummaryWriter(tmp_path, max_queue=3)
    writer.add_scalar("x", 1.0, 0)
    assert read_events(tmp_path) == []  # buffered: the file holds only its header so far
    writer.add_scalar("x", 2.0, 1)
    assert read_events(tmp_path) == []
    writer.add_scalar("x", 3.0, 2)
    assert [s for s, _, _ in read_events(tmp_path)] == [0, 1, 2]  # the third event reached max_queue
    writer.close()
    writer.flush()
    with pytest.raises(RuntimeError, match="closed"):
        writer.add_scalar("x", 3.0, 2)


def test_purge_step_marks_the_restart(tensorboardx, tmp_path):
    with SummaryWriter(tmp_path, purge_step=5) as writer:
        writer.add_scalar("x", 1.0, 5)
    event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")
    (path,) = tmp_path.glob("events.out.tfevents.*")
    data, offset, events = path.read_bytes(), 0, []
    while offset < len(data):
        (length,) = struct.unpack("<Q", data[offset:offset + 8])
        events.append(event_pb2.Event.FromString(data[offset + 12:offset + 12 + length]))
        offset += 12 + length + 4
    assert [e.session_log.status for e in events if e.HasField("session_log")] == [event_pb2.SessionLog.START]
    assert [e.step for e in events if e.HasField("session_log")] == [5]


def test_hparam_domain_discrete_is_refused_by_name(tensorboardx, tmp_path):
    with SummaryWriter(tmp_path) as writer, pytest.raises(NotImplementedError, match="hparam_domain_discrete"):
        writer.add_hparams({"opt": "sgd"}, {"loss": 1.0}, hparam_domain_discrete={"opt": ["sgd", "adam"]})


def test_without_tensorboardx_creating_a_writer_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # makes `import tensorboardX` fail
    with pytest.raises(ImportError, match=r"pip install 'tinygrad_edu\[tensorboard\]'.*pip install tensorboardX"):
        SummaryWriter(tmp_path)
    assert not list(tmp_path.iterdir())


def test_importing_the_module_does_not_need_tensorboardx():
    code = ("import sys; sys.modules['tensorboardX'] = None\n"
            "import tinygrad_edu.utils.tensorboard as tb\n"
            "print(tb.SummaryWriter.__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "SummaryWriter"
