"""Image datasets: the 8x8 digits that ship with scikit-learn, and MNIST / Fashion-MNIST from IDX files.

Every loader returns ``(X_train, X_test, y_train, y_test)``: ``X`` float32 images of shape
``(N, 1, H, W)`` (one channel, as ``Conv2d`` expects) scaled to ``[0, 1]``, ``y`` int64 class labels.

The IDX format (the one MNIST is distributed in) is tiny: a big-endian header, then the raw array.

    bytes 0-1   zero
    byte  2     dtype code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    then        d big-endian uint32 sizes, then the data (big-endian, C order)

so MNIST images have the magic number ``0x00000803`` (uint8, 3-D: count, rows, cols) and labels
``0x00000801`` (uint8, 1-D: count). Files are read whole and viewed with ``np.frombuffer``: no loop
over images.
"""

import gzip
import os
import struct

import numpy as np

# IDX dtype code <-> big-endian NumPy dtype
_IDX_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_IDX_CODES = {dt.newbyteorder("="): code for code, dt in _IDX_DTYPES.items()}

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

_SOURCES = {
    "mnist": "MNIST is available from the official page by Yann LeCun, Corinna Cortes and Christopher Burges "
             "(http://yann.lecun.com/exdb/mnist/) and its mirrors, e.g. "
             "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion": "Fashion-MNIST is available from Zalando Research's repository "
               "(https://github.com/zalandoresearch/fashion-mnist, files under data/fashion/)",
}


def _open(path):
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def write_idx(path, array):
    """Write ``array`` to ``path`` in the IDX format (gzip-compressed when the name ends in ``.gz``).

    The dtype must be one IDX can hold: uint8, int8, int16, int32, float32 or float64.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> write_idx(p, np.array([3, 1, 4], dtype=np.uint8)); read_idx(p)
    array([3, 1, 4], dtype=uint8)
    """
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _IDX_CODES:
        raise ValueError(f"IDX files hold uint8, int8, int16, int32, float32 or float64 data, got {array.dtype}")
    code = _IDX_CODES[native]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with (gzip.open(path, "wb") if str(path).endswith(".gz") else open(path, "wb")) as f:
        f.write(header + np.ascontiguousarray(array, dtype=_IDX_DTYPES[code]).tobytes())


def read_idx(path, expected_magic=None):
    """Read one IDX file (raw or ``.gz``) into a native-endian NumPy array of the shape its header gives.

    ``expected_magic`` (e.g. ``0x803`` for MNIST images) is checked against the file's first four bytes.
    """
    with _open(path) as f:
        raw = f.read()
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file, expected at least 4 header bytes, got {len(raw)}")
    magic = struct.unpack(">I", raw[:4])[0]
    zero, code, ndim = magic >> 16, (magic >> 8) & 0xFF, magic & 0xFF
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(f"{path}: bad magic number, expected 0x{expected_magic:08X}, got 0x{magic:08X}")
    if zero != 0 or code not in _IDX_DTYPES:
        raise ValueError(f"{path}: bad magic number 0x{magic:08X}, not an IDX file")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header, expected {header} bytes, got {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _IDX_DTYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        kind = "truncated" if len(raw) < expected else "trailing bytes in"
        raise ValueError(f"{path}: {kind} IDX data for shape {shape}, expected {expected} bytes, got {len(raw)}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(directory, name):
    """The path of ``name`` or ``name.gz`` in ``directory`` (raw preferred), or None."""
    for candidate in (name, name + ".gz"):
        full = os.path.join(directory, candidate)
        if os.path.isfile(full):
            return full
    return None


def load_mnist(path, kind="mnist"):
    """Read MNIST (or Fashion-MNIST: ``kind="fashion"``) from the four IDX files in directory ``path``.

    The files are ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte``, each raw or gzipped (``.gz``). Returns ``(X_train, X_test, y_train, y_test)``:
    float32 images of shape ``(N, 1, rows, cols)`` scaled to ``[0, 1]`` (pixel / 255) and int64 labels.
    The split is the official one (60,000 train and 10,000 test images for MNIST).
    """
    if kind not in _SOURCES:
        raise ValueError(f"kind must be one of {sorted(_SOURCES)}, got {kind!r}")
    found = {name: _find(path, name) for name in MNIST_FILES}
    missing = [name for name, p in found.items() if p is None]
    if missing:
        raise FileNotFoundError(f"{kind} files missing from {os.path.abspath(path)!r}: "
                                f"{', '.join(n + '[.gz]' for n in missing)}. {_SOURCES[kind]}. "
                                f"Put the four files (raw or .gz) in that directory.")
    parts = []
    for split in ("train", "t10k"):
        images_path, labels_path = found[f"{split}-images-idx3-ubyte"], found[f"{split}-labels-idx1-ubyte"]
        images = read_idx(images_path, expected_magic=0x00000803)
        labels = read_idx(labels_path, expected_magic=0x00000801)
        if len(images) != len(labels):
            raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                             f"{len(labels)} labels; they must match")
        parts.append(((images[:, None] / np.float32(255)).astype(np.float32), labels.astype(np.int64)))
    (X_train, y_train), (X_test, y_test) = parts
    return X_train, X_test, y_train, y_test


def load_fashion_mnist(path):
    """Fashion-MNIST (Zalando's 28x28 clothing images, 10 classes) from its IDX files: ``load_mnist`` with
    ``kind="fashion"``; the file names and format are the same as MNIST's."""
    return load_mnist(path, kind="fashion")


def load_digits(test_size=0.25, seed=0):
    """The 1,797 8x8 handwritten digits that ship inside scikit-learn (no download), split into train and test.

    Returns ``(X_train, X_test, y_train, y_test)``: float32 images of shape ``(N, 1, 8, 8)`` scaled to
    ``[0, 1]`` (the pixels are 0..16, divided by 16) and int64 labels 0-9. The split is stratified and fixed
    by ``seed``: the samples of each class are shuffled by ``np.random.default_rng(seed)`` and the first
    ``round(test_size * count)`` of them go to the test part, so every class has the same share in both
    parts and the same seed always gives the same split. Needs scikit-learn (``pip install tinygrad_edu[data]``).

    >>> X_train, X_test, y_train, y_test = load_digits()
    >>> X_train.shape, X_test.shape
    ((1347, 1, 8, 8), (450, 1, 8, 8))
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be a fraction in the open interval (0, 1), got {test_size}")
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as e:
        raise ImportError("load_digits reads the digits bundled with scikit-learn, which is not installed; "
                          "install it with `pip install tinygrad_edu[data]`") from e
    digits = sklearn_digits()
    X = (digits.images[:, None] / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):  # ten classes: stratify by drawing each class's test share separately
        members = rng.permutation(np.flatnonzero(y == c))
        test[members[:round(test_size * len(members))]] = True
    train_idx, test_idx = rng.permutation(np.flatnonzero(~test)), rng.permutation(np.flatnonzero(test))
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]
