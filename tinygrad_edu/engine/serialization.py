"""``save`` and ``load``, as ``torch.save`` and ``torch.load``, in PyTorch's own file format.

>>> save({"w": Tensor([[1.0, 2.0]]), "step": 3}, "ckpt.pt")       # torch.load("ckpt.pt") reads it too
>>> load("ckpt.pt")["w"]
tensor([[1., 2.]])

**The format** (``torch.save``'s since PyTorch 1.6) is an uncompressed zip archive whose records sit in
one folder, named after the file (``ckpt/``; ``archive/`` for a file object)::

    ckpt/data.pkl             the object, pickled (protocol 2); a tensor in it names a storage by key
    ckpt/.format_version      "1"
    ckpt/.storage_alignment   "64": every record's bytes start at a multiple of 64 in the file
    ckpt/byteorder            "little"
    ckpt/data/0, data/1 ...   the storages: the elements' raw bytes, one record per storage
    ckpt/version              "3"

A tensor is pickled as the call ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, OrderedDict())``, its storage as the persistent id ``('storage', torch.FloatStorage, '0',
'cpu', numel)``. Offset and strides count elements, so two tensors can show one storage (a slice, a
transpose, tied weights) and still do after loading.

**Writing.** The standard pickler names a function by importing its module to check it (so it would need
torch), so this module writes the few opcodes itself: numbers, strings, tuples, lists, dicts,
``OrderedDict``/``Counter``/``set``/``complex``/``bytes``, dtypes, devices and tensors. NumPy arrays are
stored as tensors (so that ``torch.load`` reads them with its default ``weights_only=True``) and come back
as Tensors; NumPy scalars are stored as Python numbers. Tensors whose arrays are views of one NumPy array
share one storage; a lone view of part of a bigger array is stored compactly (PyTorch would store the
whole storage). A save to a path writes a temporary file and renames it into place.

**Reading never runs pickle code.** ``data.pkl`` is first read as a list of opcodes, without building
anything; an opcode or a global outside the whitelist (``torch.load(weights_only=True)``'s: tensors,
storages, dtypes, devices, ``OrderedDict``, ``Counter``, ``set``, ``complex``, bytes and plain values) is
refused there, naming it. Only then does a small stack machine build the objects, each global mapped to
this module's own reconstruction: a storage becomes a NumPy array over the record's bytes, a tensor a
strided view of it, a ``Parameter`` a Tensor with its ``requires_grad``. bfloat16 becomes float32 (exact,
with a warning); sparse, quantized, nested and float8 tensors are refused.
"""

import collections
import errno
import os
import pickle
import pickletools
import secrets
import struct
import sys
import warnings
import zipfile

import numpy as np

from .device import check_cpu
from .device import device as Device
from .dtype import dtype as DType
from .dtype import float32, of, to_numpy
from .tensor import Tensor, _wrap

__all__ = ["save", "load"]

# PyTorch's storage class for each element type (np.dtype keys; bool's 1-byte 0/1 is the same in both)
_STORAGE_NAMES = {np.dtype(t): name for t, name in [
    (np.float16, "HalfStorage"), (np.float32, "FloatStorage"), (np.float64, "DoubleStorage"),
    (np.int8, "CharStorage"), (np.int16, "ShortStorage"), (np.int32, "IntStorage"), (np.int64, "LongStorage"),
    (np.uint8, "ByteStorage"), (np.bool_, "BoolStorage"), (np.complex64, "ComplexFloatStorage"),
    (np.complex128, "ComplexDoubleStorage")]}
# element types PyTorch has no typed storage for: saved over an untyped storage with _rebuild_tensor_v3
_UNTYPED_DTYPES = {np.dtype(t) for t in (np.uint16, np.uint32, np.uint64)}
_ALIGNMENT = 64
_LEGACY_MAGIC = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)  # how a pre-1.6 torch.save file begins


# =========================================================================================== writing
class _TensorRecord:
    """A tensor's place in the pickle, filled in once every tensor is known (so storages can be shared)."""

    def __init__(self, array, requires_grad):
        self.array, self.requires_grad = array, requires_grad


class _PickleWriter:
    """Protocol-2 opcodes for the objects ``save`` accepts, in the exact forms ``torch.save`` writes."""

    def __init__(self):
        self.chunks, self.records, self._open = [pickle.PROTO + b"\x02"], [], set()

    def write(self, obj, where="obj"):
        if isinstance(obj, Tensor) or isinstance(obj, np.ndarray):
            record = _TensorRecord(obj.numpy() if isinstance(obj, Tensor) else obj,
                                   isinstance(obj, Tensor) and obj.requires_grad)
            self.records.append(record)
            self.chunks.append(record)
        elif isinstance(obj, np.generic):
            self.write(obj.item(), where)
        elif obj is None or isinstance(obj, (bool, int, float, str)):
            self.chunks.append(_atom(obj, where))
        elif isinstance(obj, bytes):
            self._call("_codecs", "encode", (obj.decode("latin1"), "latin1"), where)
        elif isinstance(obj, bytearray):
            self._call("builtins", "bytearray", (bytes(obj),), where)
        elif isinstance(obj, complex):
            self._call("builtins", "complex", (obj.real, obj.imag), where)
        elif isinstance(obj, DType):
            self.chunks.append(_global("torch", obj.name))
        elif isinstance(obj, Device):
            self._call("torch", "device", (str(obj),), where)
        else:
            self._container(obj, where)

    def _container(self, obj, where):
        if not isinstance(obj, (list, tuple, dict, set)):
            raise TypeError(f"save: cannot store {where}: {type(obj).__name__} is not a Tensor, NumPy array, number, "
                            "string, bytes, None, dtype, device, list, tuple, dict, OrderedDict, Counter or set")
        if id(obj) in self._open:
            raise ValueError(f"save: {where} contains itself; a file can hold only tree-shaped data")
        self._open.add(id(obj))
        if isinstance(obj, tuple):
            self._tuple(obj, where)
        elif isinstance(obj, list):
            self.chunks.append(pickle.EMPTY_LIST)
            self._marked(obj, where, pickle.APPENDS)
        elif isinstance(obj, set):
            self._call("builtins", "set", (list(obj),), where)
        elif isinstance(obj, collections.Counter):
            self._call("collections", "Counter", (dict(obj),), where)
        else:
            if isinstance(obj, collections.OrderedDict):
                self.chunks += [_global("collections", "OrderedDict"), pickle.EMPTY_TUPLE, pickle.REDUCE]
            else:
                self.chunks.append(pickle.EMPTY_DICT)
            pairs = [x for key, value in obj.items() for x in (key, value)]
            self._marked(pairs, where, pickle.SETITEMS, keyed=True)
        self._open.discard(id(obj))

    def _marked(self, items, where, opcode, keyed=False):
        if not items:
            return
        self.chunks.append(pickle.MARK)
        for i, item in enumerate(items):
            self.write(item, f"{where}[{items[i - 1]!r}]" if keyed and i % 2 else f"{where}[{i}]")
        self.chunks.append(opcode)

    def _tuple(self, items, where):
        if not items:
            self.chunks.append(pickle.EMPTY_TUPLE)
            return
        if len(items) > 3:
            self.chunks.append(pickle.MARK)
        for i, item in enumerate(items):
            self.write(item, f"{where}[{i}]")
        self.chunks.append({1: pickle.TUPLE1, 2: pickle.TUPLE2, 3: pickle.TUPLE3}.get(len(items), pickle.TUPLE))

    def _call(self, module, name, args, where):
        self.chunks.append(_global(module, name))
        self._tuple(args, where)
        self.chunks.append(pickle.REDUCE)

    def finish(self):
        """The pickle's bytes and the storages (1-D contiguous arrays) it refers to by their index."""
        placement, storages = _plan_storages([r.array for r in self.records])
        data = b"".join(_tensor_call(c, *placement[id(c.array)], storages) if isinstance(c, _TensorRecord) else c
                        for c in self.chunks)
        return data + pickle.STOP, storages


def _global(module, name):
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def _atom(value, where):
    """One opcode (and its argument) for None, a bool, an int, a float or a str."""
    if value is None:
        return pickle.NONE
    if isinstance(value, bool):
        return pickle.NEWTRUE if value else pickle.NEWFALSE
    if isinstance(value, float):
        return pickle.BINFLOAT + struct.pack(">d", value)
    if isinstance(value, str):
        text = value.encode("utf-8", "surrogatepass")
        return pickle.BINUNICODE + struct.pack("<I", len(text)) + text
    if 0 <= value < 256:
        return pickle.BININT1 + bytes([value])
    if 0 <= value < 65536:
        return pickle.BININT2 + struct.pack("<H", value)
    if -2**31 <= value < 2**31:
        return pickle.BININT + struct.pack("<i", value)
    data = value.to_bytes(value.bit_length() // 8 + 1, "little", signed=True)
    if len(data) > 255:
        raise ValueError(f"save: {where} is an integer of {value.bit_length()} bits; torch.load reads at most 2039")
    return pickle.LONG1 + bytes([len(data)]) + data


def _tensor_call(record, key, offset, strides, storages):
    """``_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())``, as torch writes it
    (``_rebuild_tensor_v3`` over an untyped storage, with a trailing dtype, for uint16/32/64)."""
    array, w = record.array, _PickleWriter()
    untyped = array.dtype in _UNTYPED_DTYPES
    storage_type = ("torch.storage", "UntypedStorage") if untyped else ("torch", _STORAGE_NAMES[array.dtype])
    numel = storages[key].nbytes if untyped else storages[key].size
    w.chunks = [_global("torch._utils", "_rebuild_tensor_v3" if untyped else "_rebuild_tensor_v2"), pickle.MARK,
                pickle.MARK, _atom("storage", ""), _global(*storage_type), _atom(str(key), ""), _atom("cpu", ""),
                _atom(numel, ""), pickle.TUPLE, pickle.BINPERSID, _atom(offset, "")]
    w.write(tuple(array.shape))
    w.write(strides)
    w.write(bool(record.requires_grad))
    w.chunks += [_global("collections", "OrderedDict"), pickle.EMPTY_TUPLE, pickle.REDUCE]
    if untyped:
        w.chunks.append(_global("torch", of(array.dtype).name))
    w.chunks += [pickle.TUPLE, pickle.REDUCE]
    return b"".join(w.chunks)


def _root(array):
    """The NumPy array that owns the memory ``array`` shows (``array`` itself unless it is a view)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _byte_offset(array, root):
    return array.__array_interface__["data"][0] - root.__array_interface__["data"][0]


def _fits(array, root):
    """Whether ``array`` can be saved as (offset, strides) in elements over ``root``'s memory as a storage."""
    size = array.dtype.itemsize
    return (array.dtype == root.dtype and root.dtype.isnative and (root.flags.c_contiguous or root.flags.f_contiguous)
            and array.size > 0 and all(s >= 0 and s % size == 0 for s in array.strides)
            and _byte_offset(array, root) % size == 0)


def _plan_storages(arrays):
    """Storages for ``arrays``: id(array) -> (storage key, offset, strides). Arrays that are views of one
    NumPy array share it as their storage (sharing survives the round trip); an array that is the whole of
    its memory (itself, a transpose) is stored as it lies; a lone view of part of a bigger array, an array
    of another byte order and one with negative strides are stored as a compact copy."""
    for array in arrays:
        if array.dtype not in _STORAGE_NAMES and array.dtype not in _UNTYPED_DTYPES:
            raise TypeError(f"save: a tensor or array of dtype {array.dtype} has no PyTorch storage type")
    groups = {}
    for array in arrays:
        groups.setdefault(id(_root(array)), {})[id(array)] = array
    placement, storages = {}, []
    for group in groups.values():
        root = _root(next(iter(group.values())))
        shared = [a for a in group.values() if _fits(a, root)]
        if len(shared) == 1 and shared[0].size < root.size:
            shared = []
        if shared:
            memory = root if root.flags.c_contiguous else root.T  # the transpose of an F-ordered array is C-ordered
            for a in shared:
                placement[id(a)] = (len(storages), _byte_offset(a, memory) // a.itemsize,
                                    tuple(s // a.itemsize for s in a.strides))
            storages.append(memory.reshape(-1))
        for a in group.values():
            if id(a) not in placement:
                copy = np.array(a, dtype=a.dtype.newbyteorder("="), order="C")
                placement[id(a)] = (len(storages), 0, tuple(s // copy.itemsize for s in copy.strides))
                storages.append(copy.reshape(-1))
    return placement, storages


class _Counting:
    """A write-only stream that counts what passes through: zipfile then writes each record's sizes after its
    bytes (a data descriptor), as PyTorch's writer does, and the alignment padding can be computed."""

    def __init__(self, file):
        self.file, self.position = file, 0

    def write(self, data):
        self.file.write(data)
        self.position += memoryview(data).nbytes
        return memoryview(data).nbytes

    def tell(self):
        return self.position

    def flush(self):
        self.file.flush()


def _write_archive(file, name, pickled, storages):
    records = [("data.pkl", pickled), (".format_version", b"1"), (".storage_alignment", str(_ALIGNMENT).encode()),
               ("byteorder", sys.byteorder.encode())]
    records += [(f"data/{key}", storage.view(np.uint8)) for key, storage in enumerate(storages)]
    records.append(("version", b"3\n"))
    stream = _Counting(file)
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED) as archive:
        for record, data in records:
            info = zipfile.ZipInfo(f"{name}/{record}")
            info.file_size = len(data)
            zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT  # zipfile's own rule for adding a zip64 field
            header = 30 + len(info.filename.encode()) + 4 + (20 if zip64 else 0)
            padding = -(stream.tell() + header) % _ALIGNMENT
            info.extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding  # PyTorch's padding field
            with archive.open(info, "w", force_zip64=zip64) as out:
                out.write(data)


def save(obj, f, pickle_module=None, pickle_protocol=2):
    """Save ``obj`` (Tensors, NumPy arrays, state dicts, optimizer state dicts, and lists, tuples, dicts,
    sets of them with numbers, strings and None) to ``f``, a path or a binary file object, in the zip
    format of ``torch.save``: ``torch.load(f)`` reads it with its default ``weights_only=True``.

    The whole file is encoded before anything is written; a path is written to a temporary file that is
    then renamed over it, so a failed save leaves an earlier file intact. ``pickle_module`` is accepted
    for PyTorch's signature and not used: this module writes its pickle itself.

    >>> save(model.state_dict(), "model.pt")
    """
    if pickle_protocol != 2:
        raise ValueError(f"save: pickle_protocol={pickle_protocol!r}; only protocol 2 is written, the one "
                         "torch.load(weights_only=True) reads")
    writer = _PickleWriter()
    writer.write(obj)
    pickled, storages = writer.finish()
    if not isinstance(f, (str, os.PathLike)):
        _write_archive(f, "archive", pickled, storages)
        return
    folder = os.path.splitext(os.path.basename(os.path.abspath(f)))[0] or "archive"
    atomic_write(f, lambda file: _write_archive(file, folder, pickled, storages))


def atomic_write(path, write):
    """Write the file ``path`` so that a crash never leaves half of it: ``write(file)`` fills a new temporary
    file (opened ``"wb"``) in the same directory, which is flushed to disk and then renamed over ``path``.
    The rename (``os.replace``) is atomic, so a reader sees the old file or the new one; if anything fails,
    the temporary file is removed and ``path`` is left as it was.

    The file gets the permissions ``open()`` would give a new file, 0o666 less the user's umask: the
    temporary file is created with ``os.open(name, O_CREAT | O_EXCL, 0o666)``, and the system applies the
    umask. (``tempfile.mkstemp`` creates 0o600 whatever the umask, which would make every save private.)
    Its name, ``.<name>.<pid>.<random>.tmp``, carries the writer's process id, so that the litter of a
    process killed mid-save can be told from the file of a save still running.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.bin")
    >>> atomic_write(path, lambda file: file.write(b"written whole or not at all"))
    >>> open(path, "rb").read()
    b'written whole or not at all'
    """
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"cannot write {path}: the directory {directory} does not exist")
    fd, tmp = _new_temporary_file(directory, f".{name}.{os.getpid()}.")
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _new_temporary_file(directory, prefix):
    """Create and open a file that did not exist, as mkstemp does, but with open()'s mode 0o666 & ~umask.
    O_EXCL makes the creation fail rather than open a file (or follow a link) someone else put there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f"{prefix}{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # another writer drew the same name: draw again
            continue


# =========================================================================================== reading
class _Name:
    """A torch global that is only ever an argument, never called: it stands for itself."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


class _StorageType(_Name):
    """What ``torch.FloatStorage`` and the like stand for here: the element type of a storage's bytes."""

    def __init__(self, name, element):
        super().__init__(name)
        self.element = element


_BFLOAT16 = "bfloat16"  # the element of a BFloat16Storage: widened to float32 when read


class _Storage:
    """One ``data/<key>`` record: its bytes, viewed as arrays of the element types asked for (made once each,
    so every tensor of a storage shares memory)."""

    def __init__(self, buffer, element, byteorder):
        self.buffer, self.element, self.byteorder, self._arrays = buffer, element, byteorder, {}

    def __repr__(self):
        return f"<storage of {len(self.buffer)} bytes>"

    def array(self, element):
        if element not in self._arrays:
            if element is _BFLOAT16:  # bfloat16 is float32's upper 16 bits
                array = (self.array(np.dtype(np.uint16)).astype(np.uint32) << 16).view(np.float32)
            elif len(self.buffer) % element.itemsize:
                raise pickle.UnpicklingError(f"a storage of {len(self.buffer)} bytes cannot hold {element} elements "
                                             f"of {element.itemsize} bytes")
            else:
                order = "<" if self.byteorder == "little" else ">"
                array = np.frombuffer(self.buffer, element.newbyteorder(order))
                if not array.dtype.isnative:
                    array = array.astype(element)
            self._arrays[element] = array
        return self._arrays[element]


def _tensor(storage, element, offset, size, stride, requires_grad, metadata):
    """A Tensor showing ``storage`` (as ``element``s) from ``offset`` with ``size`` and ``stride`` (elements)."""
    if not (isinstance(offset, int) and offset >= 0 and all(isinstance(n, int) and n >= 0 for n in (*size, *stride))
            and len(size) == len(stride)):
        raise pickle.UnpicklingError(f"a tensor with offset {offset!r}, size {size!r} and stride {stride!r} "
                                     "is malformed")
    array = storage.array(element)
    if 0 in size:
        data = np.zeros(size, array.dtype)
    else:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= array.size:
            raise pickle.UnpicklingError(f"a tensor of size {tuple(size)}, stride {tuple(stride)} and offset {offset} "
                                         f"reaches element {last} of a storage of {array.size}")
        data = np.lib.stride_tricks.as_strided(array[offset:], tuple(size), tuple(s * array.itemsize for s in stride))
    unknown = set(metadata or {}) - {"conj", "neg"}
    if unknown:
        raise pickle.UnpicklingError(f"a tensor has metadata {sorted(unknown)}, which is not known here")
    if (metadata or {}).get("neg"):
        data = -data
    if (metadata or {}).get("conj"):
        data = np.conj(data)
    tensor = _wrap(data)
    if requires_grad:
        tensor.requires_grad_()
    return tensor


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _tensor(storage, storage.element, storage_offset, size, stride, False, None)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    return _tensor(storage, storage.element, storage_offset, size, stride, requires_grad, metadata)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    return _tensor(storage, to_numpy(dtype), storage_offset, size, stride, requires_grad, metadata)


def _parameter(data, requires_grad=True):
    """A ``Parameter`` is read as a Tensor with its ``requires_grad`` (an engine module knows no ``nn``)."""
    return data.requires_grad_(bool(requires_grad))


def _rebuild_parameter(data, requires_grad, backward_hooks):
    return _parameter(data, requires_grad)


def _no_state(state, what):
    """Python attributes saved on a tensor cannot be restored: Tensors here have none. Refuse, naming them."""
    parts = state if isinstance(state, tuple) else (state,)
    if any(parts):
        names = sorted(name for part in parts if isinstance(part, dict) for name in part)
        raise pickle.UnpicklingError(f"a {what} was saved with the Python attributes {names}, which a "
                                     "tinygrad_edu Tensor cannot hold")


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    _no_state(state, "Parameter")
    return _parameter(data, requires_grad)


_TORCH_TENSOR = _Name("torch.Tensor")  # only ever the type argument of _rebuild_from_type_v2
_TENSOR_REBUILDERS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
                      _rebuild_parameter_with_state)


def _rebuild_from_type_v2(func, new_type, args, state):
    """torch's form for a tensor carrying Python attributes or of a subclass (whose global was refused)."""
    if not any(func is f for f in _TENSOR_REBUILDERS) or not any(new_type is t for t in (_TORCH_TENSOR, _parameter)):
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2 was given {func!r} and {new_type!r}")
    _no_state(state, "tensor")
    tensor = func(*args)
    return _parameter(tensor) if new_type is _parameter else tensor


def _encode(text, encoding):
    """``_codecs.encode``, as protocol 2 pickles bytes, for the one codec it uses."""
    if encoding != "latin1" or not isinstance(text, str):
        raise pickle.UnpicklingError(f"bytes are pickled as _codecs.encode(str, 'latin1'), got codec {encoding!r}")
    return text.encode("latin1")


def _allowed_globals():
    """``module.name`` -> the object it stands for here: torch.load(weights_only=True)'s whitelist, less what
    tinygrad_edu has no counterpart for."""
    allowed = {
        "collections.OrderedDict": collections.OrderedDict, "collections.Counter": collections.Counter,
        "builtins.set": set, "builtins.complex": complex, "builtins.bytearray": bytearray, "_codecs.encode": _encode,
        "torch.Size": tuple, "torch.device": Device, "torch.Tensor": _TORCH_TENSOR,
        "torch.nn.parameter.Parameter": _parameter, "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.storage.UntypedStorage": _StorageType("torch.storage.UntypedStorage", np.dtype(np.uint8)),
        "torch.BFloat16Storage": _StorageType("torch.BFloat16Storage", _BFLOAT16),
        "torch.bfloat16": float32,
    }
    allowed.update((f"torch._utils.{f.__name__}", f) for f in _TENSOR_REBUILDERS)
    allowed.update((f"torch.{name}", _StorageType(f"torch.{name}", dt)) for dt, name in _STORAGE_NAMES.items())
    allowed.update((f"torch.{d.name}", of(d)) for d in [*_STORAGE_NAMES, *_UNTYPED_DTYPES])
    return allowed


_ALLOWED = _allowed_globals()
_CALLABLE = tuple(v for v in _ALLOWED.values() if callable(v))
_NOT_HERE = {  # in torch's whitelist, but tinygrad_edu has no such tensors
    "torch._utils._rebuild_sparse_tensor": "sparse tensors", "torch.serialization._get_layout": "sparse tensors",
    "torch._utils._rebuild_qtensor": "quantized tensors", "torch._utils._rebuild_nested_tensor": "nested tensors",
    "torch._utils._rebuild_meta_tensor_no_storage": "meta tensors (no data)",
    "torch._utils._rebuild_wrapper_subclass": "tensor subclasses",
    "torch._utils._rebuild_device_tensor_from_numpy": "tensors of other devices",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor": "tensors of other devices",
    "torch.storage.TypedStorage": "bare storages",
}
# the opcodes torch.load(weights_only=True) reads (a protocol-2 subset without INST, OBJ or extensions)
_OPCODES = {"PROTO", "STOP", "GLOBAL", "REDUCE", "NEWOBJ", "BUILD", "MARK", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
            "APPEND", "APPENDS", "SETITEM", "SETITEMS", "BINPUT", "LONG_BINPUT", "BINGET", "LONG_BINGET",
            "BINPERSID", "NONE", "NEWTRUE", "NEWFALSE", "EMPTY_TUPLE", "EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET",
            "BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT", "BINUNICODE", "SHORT_BINSTRING"}
_VALUES = {"NONE": lambda _: None, "NEWTRUE": lambda _: True, "NEWFALSE": lambda _: False,
           "EMPTY_TUPLE": lambda _: (), "EMPTY_LIST": lambda _: [], "EMPTY_DICT": lambda _: {},
           "EMPTY_SET": lambda _: set(),
           **dict.fromkeys(["BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT", "BINUNICODE", "SHORT_BINSTRING"],
                           lambda arg: arg)}


def _global_name(arg):
    module, _, name = arg.partition(" ")
    return f"{'builtins' if module == '__builtin__' else module}.{name}"


class _Reader:
    """Builds the object of one ``data.pkl``, reading storages from the archive as the pickle asks for them."""

    def __init__(self, archive, prefix, source, weights_only):
        self.archive, self.prefix, self.source, self.weights_only = archive, prefix, source, weights_only
        byteorder = f"{prefix}/byteorder"
        self.byteorder = archive.read(byteorder).decode() if byteorder in archive.NameToInfo else "little"
        self.storages = {}

    def fail(self, message):
        return pickle.UnpicklingError(f"load({self.source}): {message}")

    def check(self, data):
        """Every opcode, every global, before anything is built."""
        try:
            ops = list(pickletools.genops(data))
        except ValueError as error:
            raise self.fail(f"data.pkl is not a readable pickle ({error})") from None
        for op, arg, _ in ops:
            if op.name not in _OPCODES:
                raise self.fail(f"data.pkl uses the pickle opcode {op.name}, which torch.load(weights_only=True) "
                                "does not read either; refused, nothing was built")
            if op.name == "GLOBAL":
                self.check_global(_global_name(arg))
        return ops

    def check_global(self, name):
        if name in _ALLOWED:
            if name in ("torch.bfloat16", "torch.BFloat16Storage"):
                warnings.warn(f"load({self.source}): bfloat16 values are read as float32 (exactly: bfloat16 is "
                              "float32's upper half); tinygrad_edu has no bfloat16 dtype", stacklevel=4)
            return
        why = f" ({_NOT_HERE[name]}: PyTorch reads them, tinygrad_edu has none)" if name in _NOT_HERE else ""
        also = " weights_only=False does not change this: tinygrad_edu never runs code from a file." \
            if self.weights_only is False else ""
        raise self.fail(f"refused: data.pkl asks for the global '{name}'{why}, which is not a tensor, storage, dtype, "
                        "device, container or plain value (the weights_only=True whitelist of torch.load). Nothing "
                        f"was built or run.{also}")

    def storage(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)
                and isinstance(pid[2], str) and isinstance(pid[4], int)):
            raise self.fail(f"data.pkl refers to {pid!r}, which is not a storage")
        _, kind, key, _, numel = pid
        if key not in self.storages:
            record = f"{self.prefix}/data/{key}"
            if record not in self.archive.NameToInfo:
                raise self.fail(f"the storage '{key}' has no record {record} in the archive")
            itemsize = 2 if kind.element is _BFLOAT16 else kind.element.itemsize
            buffer = bytearray(numel * itemsize)
            with self.archive.open(record) as file:
                got = file.readinto(buffer)
            if got != len(buffer):
                raise self.fail(f"the storage {record} holds {got} bytes, {len(buffer)} were expected "
                                f"({numel} elements of {kind})")
            self.storages[key] = _Storage(buffer, kind.element, self.byteorder)
        return self.storages[key]

    def build(self, ops):
        """Run the checked opcodes on a stack: the objects get built here, and only here."""
        stack, marks, memo = [], [], {}

        def since_mark():
            items = stack[marks[-1]:]
            del stack[marks.pop():]
            return items

        for op, arg, _ in ops:
            name = op.name
            if name == "PROTO":
                continue
            if name == "STOP":
                return stack.pop()
            if name == "GLOBAL":
                stack.append(_ALLOWED[_global_name(arg)])
            elif name in ("REDUCE", "NEWOBJ"):
                args, func = stack.pop(), stack.pop()
                if not any(func is f for f in _CALLABLE) or not isinstance(args, tuple):
                    raise self.fail(f"data.pkl calls {func!r} with {type(args).__name__}; only the allowed globals "
                                    "can be called, with a tuple")
                stack.append(func(*args))
            elif name == "BUILD":
                state = stack.pop()
                if type(stack[-1]) is not collections.OrderedDict or not isinstance(state, dict):
                    raise self.fail(f"data.pkl sets the state of a {type(stack[-1]).__name__}; only an OrderedDict's "
                                    "attributes (a state dict's _metadata) can be set")
                vars(stack[-1]).update((str(k), v) for k, v in state.items())
            elif name == "MARK":
                marks.append(len(stack))
            elif name == "TUPLE":
                stack.append(tuple(since_mark()))
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                stack[-n:] = [tuple(stack[-n:])]
            elif name in ("APPEND", "APPENDS"):
                items = since_mark() if name == "APPENDS" else [stack.pop()]
                self.expect(stack[-1], (list,), name).extend(items)
            elif name in ("SETITEM", "SETITEMS"):
                items = since_mark() if name == "SETITEMS" else [stack.pop(-2), stack.pop()]
                self.expect(stack[-1], (dict,), name).update(zip(items[::2], items[1::2]))
            elif name in ("BINPUT", "LONG_BINPUT"):
                memo[arg] = stack[-1]
            elif name in ("BINGET", "LONG_BINGET"):
                stack.append(memo[arg])
            elif name == "BINPERSID":
                stack.append(self.storage(stack.pop()))
            else:
                stack.append(_VALUES[name](arg))
        raise self.fail("data.pkl ends without its STOP opcode")

    def expect(self, target, kinds, opcode):
        if not isinstance(target, kinds):
            raise self.fail(f"data.pkl's {opcode} targets a {type(target).__name__}")
        return target


def _open_archive(file, source):
    """The zip archive in ``file``, or a clear error for a legacy PyTorch file or a file of another kind."""
    start = file.tell()
    try:
        return zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        file.seek(start)
        head = file.read(512)
    if head.startswith(_LEGACY_MAGIC) or head[257:262] == b"ustar":
        raise pickle.UnpicklingError(
            f"load({source}): this is a PyTorch file in the legacy format (torch.save before PyTorch 1.6, or with "
            "_use_new_zipfile_serialization=False), whose reading needs pickle's general loader. tinygrad_edu reads "
            "the zip format only: re-save it with a recent PyTorch, torch.save(torch.load(path), path)")
    raise pickle.UnpicklingError(f"load({source}): not a file written by torch.save (that is a zip archive); it "
                                 f"begins with {head[:16]!r}")


def _read(file, source, weights_only):
    with _open_archive(file, source) as archive:
        names = archive.namelist()
        prefix = names[0].split("/", 1)[0] if names else ""
        if f"{prefix}/data.pkl" not in archive.NameToInfo:
            raise pickle.UnpicklingError(f"load({source}): a zip archive, but not one torch.save wrote: it has no "
                                         f"{prefix}/data.pkl (it holds {names[:5]})")
        reader = _Reader(archive, prefix, source, weights_only)
        ops = reader.check(archive.read(f"{prefix}/data.pkl"))
        try:
            return reader.build(ops)
        except (IndexError, KeyError, TypeError) as error:
            raise reader.fail(f"data.pkl is malformed ({type(error).__name__}: {error})") from None


def _check_map_location(map_location):
    """Everything loads onto the CPU, the one device: a map_location naming another device is an error; a
    dict is checked value by value; a function (``lambda storage, loc: storage``) has one answer and is not
    called."""
    targets = map_location.values() if isinstance(map_location, dict) else \
        [] if callable(map_location) and not isinstance(map_location, Device) else [map_location]
    for target in targets:
        check_cpu(target, "load(map_location=...)")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load what :func:`save` or ``torch.save`` wrote to ``f`` (a path or a binary file object), without
    PyTorch and without running any code from the file: tensors come back as Tensors (sharing memory
    where they shared a storage, with their strides and ``requires_grad``), containers and plain values as
    themselves. A file asking for anything else (``os.system``, a tensor subclass, an arbitrary class) is
    refused with :class:`pickle.UnpicklingError` naming the global, before anything is built.

    ``map_location``: everything loads onto the CPU; naming another device is an error. ``weights_only``:
    the file is always read as with ``True`` (``False`` is accepted and changes nothing). ``pickle_module``,
    ``mmap`` and ``pickle_load_args`` are accepted for PyTorch's signature and not used: this reader has one
    way to read.

    >>> model.load_state_dict(load("model.pt"))
    """
    _check_map_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            return _read(file, repr(os.fspath(f)), weights_only)
    return _read(f, "<file object>", weights_only)
