"""save/load in PyTorch's zip format: our files round-trip and load in torch.load; torch.save's files load
here without torch; anything outside the weights_only whitelist is refused before anything is built."""

import collections
import io
import os
import pickle
import re
import struct
import zipfile

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.engine.serialization import load, save
from tinygrad_edu.nn import Linear, ReLU, Sequential


def zip_with_pickle(path, data, storages=()):
    """A torch-style archive holding the hand-written pickle ``data`` (and raw storage records)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data)
        archive.writestr("archive/byteorder", "little")
        for key, raw in enumerate(storages):
            archive.writestr(f"archive/data/{key}", raw)
        archive.writestr("archive/version", "3\n")
    return path


def global_(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def text(s):
    return b"X" + struct.pack("<I", len(s)) + s.encode()


def tensor_opcodes(key="0", numel=2):
    """_rebuild_tensor_v2 of a float32 storage ``key``: what torch.save writes for torch.ones(numel)."""
    return (global_("torch._utils", "_rebuild_tensor_v2") + b"((" + text("storage") + global_("torch", "FloatStorage")
            + text(key) + text("cpu") + b"K" + bytes([numel]) + b"tQK\x00K" + bytes([numel]) + b"\x85K\x01\x85\x89"
            + global_("collections", "OrderedDict") + b")Rtq\x00R")


# ------------------------------------------------------------------------------- ours -> ours
def test_a_state_dict_round_trips_with_dtypes_layouts_and_shared_storage(tmp_path):
    base = tg.Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    state = collections.OrderedDict([
        ("w", base), ("wt", base.T), ("row", base[1]), ("tied", base),
        ("ids", tg.tensor([5, -7, 2**40])), ("mask", tg.tensor([True, False])), ("count", tg.tensor(3)),
        ("half", tg.tensor([0.5, 65504.0], dtype=tg.float16)), ("u16", tg.Tensor(np.array([1, 65535], np.uint16))),
        ("c", tg.tensor([1 + 2j])), ("empty", tg.zeros(0, 3)), ("p", tg.tensor([1.5, -2.0], requires_grad=True)),
    ])
    save(state, tmp_path / "m.pt")
    back = load(tmp_path / "m.pt")
    assert type(back) is collections.OrderedDict and list(back) == list(state)
    for key, value in state.items():
        assert back[key].dtype == value.dtype and back[key].shape == value.shape, key
        np.testing.assert_array_equal(back[key].numpy(), value.numpy(), err_msg=key)
    assert back["p"].requires_grad and not back["w"].requires_grad
    assert back["wt"].numpy().strides == (4, 16)  # still the transpose of its storage, not a copy
    for view in ("wt", "row", "tied"):
        assert np.shares_memory(back[view].numpy(), back["w"].numpy()), view
    back["w"].numpy()[1, 0] = 100.0
    assert back["row"].numpy()[0] == 100.0 and back["wt"].numpy()[0, 1] == 100.0


def test_an_optimizer_state_dict_with_nested_containers_round_trips():
    state = {"state": {0: {"step": 3, "exp_avg": np.array([0.25, -1.0], np.float32), "sq": tg.tensor([1.0])}},
             "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False, "foreach": None,
                               "name": "decoder", "params": [0, 1]}],
             "extra": {"big": 2**70, "neg": -2**40, "set": {1, 2}, "bytes": b"\x00\xff", "z": 1 - 2j,
                       "counts": collections.Counter(a=2), "np_scalar": np.float64(0.5), "dtype": tg.float16,
                       "where": tg.device("cpu"), "unicode": "naïve ∂"}}
    buffer = io.BytesIO()
    save(state, buffer)
    buffer.seek(0)
    back = load(buffer)
    assert back["param_groups"] == state["param_groups"]
    assert back["state"][0]["step"] == 3
    assert back["extra"] == {**state["extra"], "np_scalar": 0.5}
    assert isinstance(back["state"][0]["exp_avg"], tg.Tensor)  # NumPy arrays are stored as tensors
    np.testing.assert_array_equal(back["state"][0]["exp_avg"].numpy(), [0.25, -1.0])
    assert back["state"][0]["exp_avg"].dtype == tg.float32
    assert back["state"][0]["sq"].tolist() == [1.0]


def test_a_lone_view_of_a_big_array_is_stored_compactly(tmp_path):
    big = tg.zeros(1000, 100)
    save({"row": big[3]}, tmp_path / "row.pt")
    assert os.path.getsize(tmp_path / "row.pt") < 4000
    assert load(tmp_path / "row.pt")["row"].shape == (100,)


def test_the_archive_has_torchs_records_aligned_to_64_bytes(tmp_path):
    save([tg.ones(3), tg.ones(5, dtype=tg.float64)], tmp_path / "model.pt")
    with zipfile.ZipFile(tmp_path / "model.pt") as archive:
        names = archive.namelist()
        assert names == ["model/data.pkl", "model/.format_version", "model/.storage_alignment", "model/byteorder",
                         "model/data/0", "model/data/1", "model/version"]
        assert archive.read("model/version") == b"3\n" and archive.read("model/byteorder") == b"little"
        raw = (tmp_path / "model.pt").read_bytes()
        for info in archive.infolist():
            name_length, extra_length = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + name_length + extra_length) % 64 == 0, info.filename
        assert np.frombuffer(archive.read("model/data/1"), np.float64).tolist() == [1.0] * 5


def test_save_refuses_what_it_cannot_store_and_keeps_the_earlier_file(tmp_path):
    path = tmp_path / "keep.pt"
    save({"a": tg.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"obj\['b'\]\[1\]: object"):
        save({"a": tg.ones(2), "b": [1, object()]}, path)
    with pytest.raises(TypeError, match="frozenset"):
        save(frozenset({1}), path)
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save(loop, path)
    with pytest.raises(ValueError, match="pickle_protocol=4"):
        save(1, path, pickle_protocol=4)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["keep.pt"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(1, tmp_path / "missing" / "x.pt")


# ------------------------------------------------------------------------------- refusals
def test_a_pickle_calling_os_system_is_refused_by_name_and_not_run(tmp_path):
    marker = tmp_path / "ran"
    data = b"\x80\x02" + global_("os", "system") + text(f"touch {marker}") + b"\x85R."
    with pytest.raises(pickle.UnpicklingError, match=r"global 'os\.system'.*Nothing was built or run"):
        load(zip_with_pickle(tmp_path / "evil.pt", data))
    assert not marker.exists()


def test_builtins_eval_is_refused_even_after_allowed_tensors(tmp_path):
    """The tensor before the bad global refers to a storage record that does not exist: had the reader built
    it before checking every global, the error would be about that record."""
    marker = tmp_path / "ran"
    data = (b"\x80\x02]q\x00(" + tensor_opcodes("7") + global_("__builtin__", "eval")
            + text(f"open({str(marker)!r}, 'w')") + b"\x85Re.")
    with pytest.raises(pickle.UnpicklingError, match=r"global 'builtins\.eval'") as error:
        load(zip_with_pickle(tmp_path / "evil.pt", data), weights_only=False)
    assert "weights_only=False does not change this" in str(error.value)
    assert not marker.exists()


def test_a_hand_written_torch_style_file_loads(tmp_path):
    path = zip_with_pickle(tmp_path / "ok.pt", b"\x80\x02" + tensor_opcodes() + b".", [np.float32([1, 2]).tobytes()])
    assert load(path).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("data, opcode", [
    (b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01.", "FRAME"),
    (b"\x80\x02(" + global_("collections", "OrderedDict") + b"o.", "OBJ"),
])
def test_opcodes_outside_torchs_reader_are_refused(tmp_path, data, opcode):
    with pytest.raises(pickle.UnpicklingError, match=f"opcode {opcode}"):
        load(zip_with_pickle(tmp_path / "f.pt", data))


def test_build_sets_an_ordered_dicts_attributes_as_torchs_state_dict_metadata():
    buffer = io.BytesIO()
    zip_with_pickle(buffer, b"\x80\x02" + global_("collections", "OrderedDict") + b")R}(" + text("_metadata")
                    + b"}ub.")
    buffer.seek(0)
    loaded = load(buffer)
    assert type(loaded) is collections.OrderedDict and loaded._metadata == {}


def test_build_on_anything_but_an_ordered_dict_is_refused(tmp_path):
    data = b"\x80\x02" + tensor_opcodes() + b"}X\x01\x00\x00\x00aK\x01sb."
    path = zip_with_pickle(tmp_path / "f.pt", data, [np.float32([1, 2]).tobytes()])
    with pytest.raises(pickle.UnpicklingError, match="sets the state of a Tensor"):
        load(path)


def test_a_storage_record_shorter_than_its_id_says_is_refused(tmp_path):
    path = zip_with_pickle(tmp_path / "f.pt", b"\x80\x02" + tensor_opcodes(numel=2) + b".", [b"\x00" * 4])
    with pytest.raises(pickle.UnpicklingError, match="holds 4 bytes, 8 were expected"):
        load(path)


def test_files_that_are_not_torch_zip_files_get_a_clear_error(tmp_path):
    (tmp_path / "text.pt").write_bytes(b"hello, not a checkpoint")
    with pytest.raises(pickle.UnpicklingError, match="not a file written by torch.save"):
        load(tmp_path / "text.pt")
    legacy = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2)
    (tmp_path / "old.pt").write_bytes(legacy)
    with pytest.raises(pickle.UnpicklingError, match="legacy format"):
        load(tmp_path / "old.pt")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(pickle.UnpicklingError, match="not one torch.save wrote"):
        load(tmp_path / "other.zip")


def test_map_location_accepts_the_cpu_and_refuses_other_devices(tmp_path):
    save(tg.ones(2), tmp_path / "t.pt")
    for where in ("cpu", tg.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        assert load(tmp_path / "t.pt", map_location=where).tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="no GPU backend"):
        load(tmp_path / "t.pt", map_location="cuda")


# ------------------------------------------------------------------------------- parity with PyTorch
def test_our_file_loads_in_torch_with_its_default_call(tmp_path):
    torch = pytest.importorskip("torch")
    base = tg.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    obj = {"sd": collections.OrderedDict([("w", base), ("wt", base.T), ("row", base[1]),
                                          ("ids", tg.tensor([1, 2**40])), ("flag", tg.tensor(True)),
                                          ("half", tg.ones(2, dtype=tg.float16)),
                                          ("p", tg.tensor([1.0], requires_grad=True)),
                                          ("u16", tg.Tensor(np.array([7], np.uint16)))]),
           "meta": [1, 2.5, "s", None, (1, 2), {3}, b"xy", 1 + 2j, 2**70, tg.float64, tg.device("cpu"),
                    np.zeros(2), collections.Counter(a=1)]}
    save(obj, tmp_path / "ours.pt")
    back = torch.load(tmp_path / "ours.pt")
    sd = back["sd"]
    assert sd["w"].tolist() == [[0, 1, 2], [3, 4, 5]] and sd["wt"].stride() == (1, 3)
    assert sd["row"].storage_offset() == 3 and sd["row"].tolist() == [3, 4, 5]
    assert sd["wt"].untyped_storage().data_ptr() == sd["w"].untyped_storage().data_ptr()
    assert sd["ids"].dtype == torch.int64 and sd["ids"].tolist() == [1, 2**40]
    assert sd["flag"].dtype == torch.bool and sd["flag"].dim() == 0 and sd["flag"].item() is True
    assert sd["half"].dtype == torch.float16 and sd["p"].requires_grad and not sd["w"].requires_grad
    assert sd["u16"].dtype == torch.uint16 and sd["u16"].tolist() == [7]
    meta = back["meta"]
    assert meta[:9] == [1, 2.5, "s", None, (1, 2), {3}, b"xy", 1 + 2j, 2**70]
    assert meta[9] is torch.float64 and meta[10] == torch.device("cpu")
    assert meta[11].dtype == torch.float64 and meta[12] == collections.Counter(a=1)


def test_our_file_agrees_with_torchs_storage_offset_calculation(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from torch.utils.serialization import config

    monkeypatch.setenv("TORCH_SERIALIZATION_DEBUG", "1")  # torch then checks its computed offsets against the zip's
    monkeypatch.setattr(config.load, "calculate_storage_offsets", True)
    save([tg.ones(3), tg.zeros(0), tg.arange(5)], tmp_path / "m.pt")
    loaded = torch.load(tmp_path / "m.pt", mmap=True)
    assert [t.tolist() for t in loaded] == [[1.0] * 3, [], [0, 1, 2, 3, 4]]


def test_torch_files_load_here_with_values_dtypes_shapes_and_strides(tmp_path):
    torch = pytest.importorskip("torch")
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    obj = {"t": base.t(), "row": base[1, 1:], "base": base, "ids": torch.tensor([3, -2**40]),
           "mask": torch.tensor([True, False, True]), "zero_d": torch.tensor(2.5),
           "half": torch.tensor([0.1, 2.0]).half(),
           "u16": torch.tensor([1, 65535], dtype=torch.uint16), "c": torch.tensor([1 + 2j]).conj(),
           "param": torch.nn.Parameter(torch.ones(2)), "frozen": torch.nn.Parameter(torch.ones(1), requires_grad=False),
           "grad": torch.ones(2, requires_grad=True), "expanded": torch.ones(1, 3).expand(2, 3),
           "size": torch.Size([2, 3]), "dtype": torch.int16, "device": torch.device("cpu")}
    torch.save(obj, tmp_path / "theirs.pt")
    back = load(tmp_path / "theirs.pt")
    for key in ("t", "row", "base", "ids", "mask", "zero_d", "half", "u16", "c", "param", "grad", "expanded"):
        theirs, ours = obj[key].detach(), back[key]
        assert ours.shape == tuple(theirs.shape), key
        assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", "")), key
        np.testing.assert_array_equal(ours.numpy(), theirs.resolve_conj().numpy(), err_msg=key)
        if key not in ("c",):
            assert ours.numpy().strides == tuple(s * theirs.element_size() for s in theirs.stride()), key
    assert back["c"].tolist() == [1 - 2j]
    assert np.shares_memory(back["t"].numpy(), back["base"].numpy())
    assert np.shares_memory(back["row"].numpy(), back["base"].numpy())
    assert back["param"].requires_grad and back["grad"].requires_grad and not back["frozen"].requires_grad
    assert back["zero_d"].ndim == 0 and back["zero_d"].item() == 2.5
    assert back["size"] == (2, 3) and back["dtype"] == tg.int16 and back["device"] == tg.device("cpu")


def test_bfloat16_is_read_as_float32_with_a_warning(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.tensor([1.5, -3.0, 1e30], dtype=torch.bfloat16), tmp_path / "bf.pt")
    with pytest.warns(UserWarning, match="bfloat16 values are read as float32"):
        back = load(tmp_path / "bf.pt")
    assert back.dtype == tg.float32
    np.testing.assert_array_equal(back.numpy(), torch.tensor([1.5, -3.0, 1e30], dtype=torch.bfloat16).float().numpy())


def test_a_torch_mlp_state_dict_loads_into_our_model(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    torch.save(theirs.state_dict(), tmp_path / "mlp.pt")
    state = load(tmp_path / "mlp.pt")
    assert type(state) is collections.OrderedDict and list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    ours = Sequential(Linear(4, 8), ReLU(), Linear(8, 3))
    ours.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.Tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-6)


def test_a_torch_optimizer_state_dict_loads_with_its_nesting(tmp_path):
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.ones(4, 3)).sum().backward()
    optimizer.step()
    state = optimizer.state_dict()
    state["note"] = "after one step"
    torch.save(state, tmp_path / "opt.pt")
    back = load(tmp_path / "opt.pt")
    assert back["note"] == "after one step"
    group, theirs_group = back["param_groups"][0], state["param_groups"][0]
    assert group == theirs_group and group["betas"] == (0.9, 0.999) and group["params"] == [0, 1]
    for index, entries in state["state"].items():
        assert set(back["state"][index]) == set(entries)
        for key, value in entries.items():
            np.testing.assert_array_equal(back["state"][index][key].numpy(), value.numpy())
            assert back["state"][index][key].shape == tuple(value.shape)


def test_torch_files_with_objects_outside_the_whitelist_are_refused(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    subclass = type("SubTensor", (torch.Tensor,), {"__module__": __name__})
    monkeypatch.setitem(globals(), "SubTensor", subclass)  # where torch.save's pickler looks the class up
    torch.save({"x": torch.ones(2).as_subclass(subclass)}, tmp_path / "sub.pt")
    with pytest.raises(pickle.UnpicklingError, match=f"global '{re.escape(__name__)}.SubTensor'"):
        load(tmp_path / "sub.pt")
    torch.save(torch.ones(2).to_sparse(), tmp_path / "sparse.pt")
    with pytest.raises(pickle.UnpicklingError, match="sparse tensors"):
        load(tmp_path / "sparse.pt")
    with_attribute = torch.ones(2)
    with_attribute.note = "hi"
    torch.save(with_attribute, tmp_path / "attr.pt")
    with pytest.raises(pickle.UnpicklingError, match=r"Python attributes \['note'\]"):
        load(tmp_path / "attr.pt")
    torch.save(torch.ones(2), tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(pickle.UnpicklingError, match="legacy format"):
        load(tmp_path / "legacy.pt")


def test_our_optimizer_resumes_exactly_from_a_saved_state_dict():
    from tinygrad_edu.optim import Adam

    def step(model, optimizer):
        optimizer.zero_grad()
        (model(tg.ones(4, 2)) ** 2).sum().backward()
        optimizer.step()

    tg.manual_seed(0)
    model = Linear(2, 3)
    optimizer = Adam(model.parameters(), lr=0.1)
    step(model, optimizer)
    buffer = io.BytesIO()
    save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
    step(model, optimizer)
    buffer.seek(0)
    saved = load(buffer)
    resumed = Linear(2, 3)
    resumed.load_state_dict(saved["model"])
    resumed_optimizer = Adam(resumed.parameters(), lr=0.1)
    resumed_optimizer.load_state_dict(saved["optimizer"])
    step(resumed, resumed_optimizer)
    np.testing.assert_array_equal(resumed.weight.numpy(), model.weight.numpy())
    np.testing.assert_array_equal(resumed.bias.numpy(), model.bias.numpy())
