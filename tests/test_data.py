"""Data package: toy dataset geometry and balance, seeding, train_test_split, TensorDataset and DataLoader."""

import math

import numpy as np
import pytest

import tinygrad_edu
from tinygrad_edu import Tensor
from tinygrad_edu.data import (
    DataLoader,
    TensorDataset,
    make_blobs,
    make_circles,
    make_moons,
    make_spiral,
    train_test_split,
)

GENERATORS = {
    "moons": (make_moons, {"noise": 0.1}, 2),
    "circles": (make_circles, {"noise": 0.1}, 2),
    "blobs": (make_blobs, {"centers": 4}, 4),
    "spiral": (make_spiral, {"arms": 5, "noise": 0.1}, 5),
}


# --------------------------------------------------------------------------------------------- datasets
@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("n", [2 * 3 * 4 * 5, 101])
def test_shapes_dtypes_and_balance(name, n):
    make, kwargs, n_classes = GENERATORS[name]
    X, y = make(n, seed=0, **kwargs)
    assert X.shape == (n, 2) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes and counts.sum() == n
    assert counts.max() - counts.min() <= (0 if n % n_classes == 0 else 1)
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", GENERATORS)
def test_seed_determinism(name):
    make, kwargs, _ = GENERATORS[name]
    X1, y1 = make(60, seed=7, **kwargs)
    X2, y2 = make(60, seed=7, **kwargs)
    X3, _ = make(60, seed=8, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", GENERATORS)
def test_without_seed_follows_manual_seed(name):
    make, kwargs, _ = GENERATORS[name]
    tinygrad_edu.manual_seed(3)
    X1, y1 = make(60, **kwargs)
    X2, _ = make(60, **kwargs)  # the library generator has moved on
    tinygrad_edu.manual_seed(3)
    X3, y3 = make(60, **kwargs)
    np.testing.assert_array_equal(X1, X3)
    np.testing.assert_array_equal(y1, y3)
    assert not np.array_equal(X1, X2)


def test_moons_without_noise_lie_on_unit_half_circles():
    X, y = make_moons(101, seed=0)
    upper, lower = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert (upper[:, 1] >= -1e-6).all() and (lower[:, 1] <= 0.5 + 1e-6).all()
    # t runs over all of [0, π]: both ends of each half circle are present
    for points, ends in [(upper, [[1, 0], [-1, 0]]), (lower, [[0, 0.5], [2, 0.5]])]:
        for end in ends:
            assert np.min(np.linalg.norm(points - end, axis=1)) < 1e-6


def test_moons_noise_scale():
    X, y = make_moons(4000, noise=0.1, seed=1)
    centers = np.where(y[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    radial = np.linalg.norm(X - centers, axis=1) - 1.0  # ≈ the noise along the radius, N(0, 0.1²)
    assert abs(radial.mean()) < 0.01 and abs(radial.std() - 0.1) < 0.01


def test_circles_radii():
    X, y = make_circles(80, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0].astype(np.float64), X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-6)
    # evenly spaced angles: 40 distinct points per circle, consecutive ones 2π/40 apart
    angles = np.sort(np.arctan2(X[y == 0, 1], X[y == 0, 0]))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 40, atol=1e-5)


def test_spiral_arms():
    arms = 4
    X, y = make_spiral(200, arms=arms, seed=0)
    assert set(y.tolist()) == set(range(arms))
    r = np.hypot(X[:, 0].astype(np.float64), X[:, 1])
    assert r.min() > 0 and r.max() == pytest.approx(1.0, abs=1e-6)
    # each point sits on its own arm: angle = 2π·class/arms + 2π·r (mod 2π)
    offset = np.arctan2(X[:, 1], X[:, 0]) - 2 * np.pi * y / arms - 2 * np.pi * r
    np.testing.assert_allclose(np.angle(np.exp(1j * offset)), 0.0, atol=1e-5)


def test_blobs_given_centers_and_std():
    centers = np.array([[0.0, 0.0], [6.0, 6.0], [-6.0, 4.0]])
    X, y = make_blobs(3000, centers=centers, cluster_std=0.5, seed=2)
    for k, center in enumerate(centers):
        np.testing.assert_allclose(X[y == k].mean(axis=0), center, atol=0.05)
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.5, atol=0.05)


def test_blobs_random_centers_inside_box_and_features():
    X, y = make_blobs(600, centers=3, n_features=5, cluster_std=0.01, seed=4)
    assert X.shape == (600, 5)
    means = np.stack([X[y == k].mean(axis=0) for k in range(3)])
    assert (np.abs(means) < 10).all()
    assert np.abs(X - means[y]).max() < 0.1  # tight clusters around their own means


@pytest.mark.parametrize("call, bad", [
    (lambda: make_moons(1), "1"),
    (lambda: make_moons(10, noise=-0.5), "-0.5"),
    (lambda: make_circles(10, factor=1.0), "1.0"),
    (lambda: make_circles(10, factor=0.0), "0.0"),
    (lambda: make_circles(0), "0"),
    (lambda: make_spiral(10, arms=1), "1"),
    (lambda: make_spiral(3, arms=4), "3"),
    (lambda: make_spiral(10, noise=-1.0), "-1.0"),
    (lambda: make_blobs(10, centers=0), "centers=0"),
    (lambda: make_blobs(10, cluster_std=-2.0), "-2.0"),
    (lambda: make_blobs(2, centers=3), "2"),
    (lambda: make_blobs(10, centers=np.zeros(3)), r"shape \(3,\)"),
])
def test_generator_bad_arguments(call, bad):
    with pytest.raises(ValueError, match=f"got {bad}"):
        call()


# ------------------------------------------------------------------------------------- train_test_split
def test_train_test_split_sizes_and_permutation():
    X = np.arange(20).reshape(10, 2)
    y = X[:, 0] // 2
    X_train, X_test, y_train, y_test = train_test_split(X, y, seed=0)
    assert len(X_train) == len(y_train) == 7 and len(X_test) == len(y_test) == 3  # ceil(0.25 · 10) = 3
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_test])), np.arange(10))
    np.testing.assert_array_equal(X_train[:, 0] // 2, y_train)  # rows stay paired across arrays
    np.testing.assert_array_equal(X_test[:, 0] // 2, y_test)
    assert not np.array_equal(np.concatenate([y_train, y_test]), np.arange(10))  # shuffled


def test_train_test_split_seed_and_no_shuffle():
    a = np.arange(12)
    first, second, other = (train_test_split(a, seed=s) for s in (5, 5, 6))
    np.testing.assert_array_equal(first[0], second[0])
    assert not np.array_equal(first[0], other[0])
    train, test = train_test_split(a, test_size=4, shuffle=False)
    np.testing.assert_array_equal(train, np.arange(8))
    np.testing.assert_array_equal(test, np.arange(8, 12))


def test_train_test_split_keeps_tensors():
    X, y = Tensor(np.arange(8, dtype=np.float64)), np.arange(8)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, seed=1)
    assert isinstance(X_train, Tensor) and isinstance(X_test, Tensor)
    assert isinstance(y_train, np.ndarray) and not isinstance(y_train, Tensor)
    assert X_train.dtype == np.float64 and X_train.shape == (4,)
    np.testing.assert_array_equal(X_train.numpy(), y_train)
    np.testing.assert_array_equal(X_test.numpy(), y_test)


@pytest.mark.parametrize("arrays, kwargs, message", [
    ((np.zeros(5), np.zeros(4)), {}, r"\[5, 4\]"),
    ((np.zeros(5),), {"test_size": 1.0}, "test_size=1.0"),
    ((np.zeros(5),), {"test_size": 0}, "test_size=0"),
    ((np.zeros(5),), {"test_size": 5}, "test_size=5"),
    ((), {}, "at least one array"),
])
def test_train_test_split_errors(arrays, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_test_split(*arrays, **kwargs)


# ---------------------------------------------------------------------------- TensorDataset, DataLoader
def _epoch(loader):
    return [xb.numpy().tolist() for xb, in loader]


def test_tensor_dataset_indexing_and_errors():
    ds = TensorDataset(np.arange(6, dtype=np.float32).reshape(3, 2), Tensor([7, 8, 9]))
    assert len(ds) == 3
    x, y = ds[1]
    assert isinstance(x, Tensor) and x.numpy().tolist() == [2.0, 3.0] and y.numpy().item() == 8
    with pytest.raises(ValueError, match=r"\(3, 2\), \(4,\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match=r"got shapes \[\]"):
        TensorDataset()


@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (10, 3, False, [3, 3, 3, 1]),
    (10, 3, True, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]),
    (2, 5, True, []),
    (2, 5, False, [2]),
])
def test_loader_covers_each_index_once(n, batch_size, drop_last, sizes):
    loader = DataLoader(TensorDataset(np.arange(n)), batch_size=batch_size, shuffle=True, drop_last=drop_last,
                        seed=0)
    assert len(loader) == len(sizes)
    for _ in range(3):
        batches = _epoch(loader)
        assert [len(b) for b in batches] == sizes
        seen = [i for b in batches for i in b]
        assert len(set(seen)) == len(seen) == sum(sizes)  # no index twice
        assert set(seen) <= set(range(n))
        if not drop_last:
            assert sorted(seen) == list(range(n))


def test_loader_without_shuffle_keeps_order():
    loader = DataLoader(TensorDataset(np.arange(7)), batch_size=3)
    assert _epoch(loader) == [[0, 1, 2], [3, 4, 5], [6]]


def test_loader_shuffle_reproducible_and_new_each_epoch():
    ds = TensorDataset(np.arange(50))
    a, b = (DataLoader(ds, batch_size=8, shuffle=True, seed=11) for _ in range(2))
    epochs_a, epochs_b = [_epoch(a) for _ in range(3)], [_epoch(b) for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert _epoch(DataLoader(ds, batch_size=8, shuffle=True, seed=12)) != epochs_a[0]


def test_loader_shuffle_without_seed_follows_manual_seed():
    ds = TensorDataset(np.arange(50))
    tinygrad_edu.manual_seed(0)
    first = _epoch(DataLoader(ds, batch_size=8, shuffle=True))
    tinygrad_edu.manual_seed(0)
    assert _epoch(DataLoader(ds, batch_size=8, shuffle=True)) == first
    assert sorted(i for b in first for i in b) == list(range(50)) and first != _epoch(DataLoader(ds, batch_size=8))


def test_loader_batches_are_tensors_with_dtypes():
    X, y = make_moons(20, seed=0)
    xb, yb = next(iter(DataLoader(TensorDataset(X, y), batch_size=6)))
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
    assert xb.shape == (6, 2) and xb.dtype == np.float32
    assert yb.shape == (6,) and yb.dtype == np.int64
    np.testing.assert_array_equal(xb.numpy(), X[:6])
    np.testing.assert_array_equal(yb.numpy(), y[:6])


def test_loader_over_any_indexable_dataset():
    samples = [(np.full(2, float(i)), i) for i in range(5)]
    xb, yb = list(DataLoader(samples, batch_size=2))[-1]
    assert xb.numpy().tolist() == [[4.0, 4.0]] and xb.dtype == np.float64
    assert yb.numpy().tolist() == [4] and yb.dtype == np.int64
    batches = list(DataLoader([0.5, 1.5, 2.5], batch_size=2))
    assert [b.numpy().tolist() for b in batches] == [[0.5, 1.5], [2.5]] and batches[0].dtype == np.float64


@pytest.mark.parametrize("batch_size", [0, -3, 2.5])
def test_loader_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match=f"got {batch_size}"):
        DataLoader(TensorDataset(np.arange(4)), batch_size=batch_size)


def test_len_matches_ceil():
    for n in range(1, 12):
        for b in range(1, 5):
            ds = TensorDataset(np.arange(n))
            assert len(DataLoader(ds, batch_size=b)) == math.ceil(n / b) == len(_epoch(DataLoader(ds, batch_size=b)))
            assert len(DataLoader(ds, batch_size=b, drop_last=True)) == n // b
