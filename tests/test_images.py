"""Image datasets: IDX reading and writing, load_mnist on small fake MNIST directories, load_digits."""

import gzip
import os
import struct

import numpy as np
import pytest

from tinygrad_edu.data.images import MNIST_FILES, load_digits, load_fashion_mnist, load_mnist, read_idx, write_idx


@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.array([7, 0, 255, 3], dtype=np.uint8),
    np.array([[-1.5, 2.25], [1e6, -3.0]], dtype=np.float32),
    np.array([-70000, 5, 123456], dtype=np.int32),
])
def test_idx_round_trip(tmp_path, name, array):
    path = tmp_path / name
    write_idx(path, array)
    back = read_idx(path)
    assert back.shape == array.shape and back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)


def test_idx_header_is_the_mnist_layout(tmp_path):
    write_idx(tmp_path / "a", np.zeros((5, 28, 28), dtype=np.uint8))
    raw = (tmp_path / "a").read_bytes()
    assert struct.unpack(">IIII", raw[:16]) == (0x803, 5, 28, 28)
    assert len(raw) == 16 + 5 * 28 * 28
    write_idx(tmp_path / "b.gz", np.zeros(5, dtype=np.uint8))
    raw = gzip.decompress((tmp_path / "b.gz").read_bytes())
    assert struct.unpack(">II", raw[:8]) == (0x801, 5)


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(ValueError, match="uint8.*int64"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


def _fake_mnist(directory, n_train=20, n_test=10, gz=False, seed=0):
    """Write a small MNIST-format directory; return the uint8 images and labels written."""
    rng = np.random.default_rng(seed)
    data = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        suffix = ".gz" if gz else ""
        write_idx(os.path.join(directory, f"{split}-images-idx3-ubyte{suffix}"), images)
        write_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte{suffix}"), labels)
        data[split] = images, labels
    return data


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_fake_directory(tmp_path, gz):
    data = _fake_mnist(tmp_path, gz=gz)
    X_train, X_test, y_train, y_test = load_mnist(tmp_path)
    assert X_train.shape == (20, 1, 28, 28) and X_test.shape == (10, 1, 28, 28)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.shape == (20,) and y_test.shape == (10,) and y_train.dtype == y_test.dtype == np.int64
    np.testing.assert_allclose(X_train[:, 0], data["train"][0] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(X_test[:, 0], data["t10k"][0] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y_train, data["train"][1])
    np.testing.assert_array_equal(y_test, data["t10k"][1])
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0


def test_load_mnist_mixed_raw_and_gz_and_fashion(tmp_path):
    data = _fake_mnist(tmp_path, n_train=4, n_test=3)
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw.read_bytes()))
    raw.unlink()
    X_train, X_test, y_train, y_test = load_fashion_mnist(tmp_path)
    np.testing.assert_array_equal(y_test, data["t10k"][1])
    assert X_train.shape == (4, 1, 28, 28) and X_test.shape == (3, 1, 28, 28)


def test_load_mnist_missing_files_are_all_named(tmp_path):
    _fake_mnist(tmp_path)
    os.remove(tmp_path / "train-labels-idx1-ubyte")
    os.remove(tmp_path / "t10k-images-idx3-ubyte")
    with pytest.raises(FileNotFoundError) as err:
        load_mnist(tmp_path)
    msg = str(err.value)
    assert "train-labels-idx1-ubyte" in msg and "t10k-images-idx3-ubyte" in msg
    assert "train-images-idx3-ubyte" not in msg and "t10k-labels-idx1-ubyte" not in msg
    assert "LeCun" in msg


def test_load_mnist_empty_directory_names_all_four_and_fashion_source(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_fashion_mnist(tmp_path)
    msg = str(err.value)
    assert all(name in msg for name in MNIST_FILES)
    assert "zalandoresearch" in msg


def test_load_mnist_bad_magic(tmp_path):
    _fake_mnist(tmp_path)
    # a labels file (magic 0x801) where the images file should be
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros(20, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.*expected 0x00000803, got 0x00000801"):
        load_mnist(tmp_path)


def test_read_idx_garbage_magic(tmp_path):
    (tmp_path / "junk").write_bytes(b"\x12\x34\x56\x78" + bytes(10))
    with pytest.raises(ValueError, match=r"junk.*0x12345678"):
        read_idx(tmp_path / "junk")


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_truncated(tmp_path, gz):
    _fake_mnist(tmp_path, gz=gz)
    name = "t10k-images-idx3-ubyte" + (".gz" if gz else "")
    path = tmp_path / name
    raw = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
    cut = raw[:-100]
    path.write_bytes(gzip.compress(cut) if gz else cut)
    expected = 16 + 10 * 28 * 28
    with pytest.raises(ValueError, match=rf"{name}.*truncated.*expected {expected} bytes, got {expected - 100}"):
        load_mnist(tmp_path)


def test_load_mnist_count_mismatch(tmp_path):
    _fake_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(19, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"20 images.*19 labels"):
        load_mnist(tmp_path)


def test_load_mnist_unknown_kind(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        load_mnist(tmp_path, kind="cifar")


def test_load_digits_shapes_dtypes_and_range():
    X_train, X_test, y_train, y_test = load_digits()
    assert X_train.shape == (1347, 1, 8, 8) and X_test.shape == (450, 1, 8, 8)
    assert y_train.shape == (1347,) and y_test.shape == (450,)
    assert X_train.dtype == X_test.dtype == np.float32 and y_train.dtype == y_test.dtype == np.int64
    X = np.concatenate([X_train, X_test])
    assert X.min() == 0.0 and X.max() == 1.0
    # pixels were 0..16: every value is a multiple of 1/16
    np.testing.assert_allclose(X * 16, np.round(X * 16), atol=1e-5)
    assert set(np.unique(y_train)) == set(range(10)) and set(np.unique(y_test)) == set(range(10))
    # stratified: each class's test share is within one sample of 25%
    counts = np.bincount(y_train, minlength=10) + np.bincount(y_test, minlength=10)
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - 0.25 * counts) <= 1)


def test_load_digits_split_is_a_partition():
    from sklearn.datasets import load_digits as sklearn_digits
    X_train, X_test, _, _ = load_digits()
    all_images = np.concatenate([X_train, X_test]).reshape(len(X_train) + len(X_test), 64)
    expected = sklearn_digits().data.astype(np.float32) / 16
    key = lambda a: a[np.lexsort(a.T[::-1])]  # noqa: E731  (sort rows to compare as multisets)
    np.testing.assert_array_equal(key(all_images), key(expected))


def test_load_digits_reproducible_and_seeded():
    a, b = load_digits(seed=3), load_digits(seed=3)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    c = load_digits(seed=4)
    assert not np.array_equal(a[3], c[3])


def test_load_digits_test_size():
    X_train, X_test, _, _ = load_digits(test_size=0.5)
    assert abs(len(X_test) - 1797 / 2) <= 10 and len(X_train) + len(X_test) == 1797
    with pytest.raises(ValueError, match="test_size"):
        load_digits(test_size=1.5)


def test_load_digits_without_sklearn_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install tinygrad_edu\[data\]"):
        load_digits()
