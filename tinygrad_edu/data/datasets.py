"""Toy 2-D classification datasets and a train/test split, in NumPy alone.

Every generator returns ``(X, y)``: ``X`` a float32 array of shape ``(n_samples, 2)`` (``n_features``
for blobs), ``y`` an int64 array of class labels, classes as balanced as ``n_samples`` allows, rows
shuffled. A ``seed`` gives a private ``np.random.default_rng(seed)``, so the same seed always gives the
same data; without one they draw from the library's generator (see ``tinygrad_edu.manual_seed``).
"""

import math

import numpy as np

from ..engine.random import generator
from ..engine.tensor import Tensor


def _rng(seed):
    return generator() if seed is None else np.random.default_rng(seed)


def _check(n_samples, noise, n_classes=2):
    if n_samples < max(2, n_classes):
        raise ValueError(f"n_samples must be at least 2 and at least one per class ({n_classes} classes), "
                         f"got {n_samples}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")


def _class_sizes(n_samples, n_classes):
    """Split n_samples into n_classes counts that differ by at most one (the first classes get the extra)."""
    return [n_samples // n_classes + (i < n_samples % n_classes) for i in range(n_classes)]


def _finish(x, sizes, noise, rng):
    """Add N(0, noise²) to every coordinate, label the rows by class and shuffle them."""
    y = np.repeat(np.arange(len(sizes)), sizes)
    x = x + rng.normal(scale=noise, size=x.shape)
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order].astype(np.int64)


def make_moons(n_samples=100, noise=0.0, seed=None):
    """Two interleaving half circles of radius 1 (sklearn's geometry).

    Class 0: ``(cos t, sin t)``, the upper half circle around ``(0, 0)``; class 1: ``(1 - cos t, 0.5 - sin t)``,
    the lower half circle around ``(1, 0.5)``; ``t`` evenly spaced in ``[0, π]``, then Gaussian ``noise``.

    >>> X, y = make_moons(200, noise=0.1, seed=0)
    >>> X.shape, y.shape
    ((200, 2), (200,))
    """
    _check(n_samples, noise)
    sizes = _class_sizes(n_samples, 2)
    t0, t1 = (np.linspace(0.0, np.pi, n) for n in sizes)
    x = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], axis=1),
                        np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)])
    return _finish(x, sizes, noise, _rng(seed))


def make_circles(n_samples=100, noise=0.0, factor=0.8, seed=None):
    """A circle of radius 1 (class 0) around a smaller one of radius ``factor`` (class 1), both at the origin.

    Angles are evenly spaced in ``[0, 2π)``, then Gaussian ``noise`` is added (sklearn's geometry).

    >>> X, y = make_circles(100, factor=0.5, seed=0)
    >>> np.bincount(y)
    array([50, 50])
    """
    _check(n_samples, noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in the open interval (0, 1), got {factor}")
    sizes = _class_sizes(n_samples, 2)
    t0, t1 = (np.linspace(0.0, 2 * np.pi, n, endpoint=False) for n in sizes)
    x = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], axis=1),
                        factor * np.stack([np.cos(t1), np.sin(t1)], axis=1)])
    return _finish(x, sizes, noise, _rng(seed))


def make_blobs(n_samples=100, centers=3, n_features=2, cluster_std=1.0, seed=None):
    """Isotropic Gaussian clusters: class ``k`` is ``N(center_k, cluster_std² I)``.

    ``centers`` is a number of clusters, whose centers are drawn uniformly from the box ``[-10, 10]^n_features``
    (as sklearn does), or an array of shape ``(k, n_features)`` of the centers themselves.

    >>> X, y = make_blobs(90, centers=[[0, 0], [5, 5], [-5, 5]], cluster_std=0.5, seed=0)
    >>> np.bincount(y)
    array([30, 30, 30])
    """
    rng = _rng(seed)
    if np.ndim(centers) == 0:
        if centers < 1 or n_features < 1:
            raise ValueError(f"centers and n_features must be positive, got centers={centers}, "
                             f"n_features={n_features}")
        centers = rng.uniform(-10.0, 10.0, size=(centers, n_features))
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[0] < 1:
        raise ValueError(f"centers must be a count or an array of shape (k, n_features), got shape {centers.shape}")
    _check(n_samples, cluster_std, len(centers))
    sizes = _class_sizes(n_samples, len(centers))
    return _finish(np.repeat(centers, sizes, axis=0), sizes, cluster_std, rng)


def make_spiral(n_samples=100, arms=3, noise=0.0, seed=None):
    """``arms`` spiral arms around the origin, one class per arm, each making one full turn.

    A point of arm ``j`` at radius ``r`` (evenly spaced in ``(0, 1]``) has angle ``θ = 2π j / arms + 2π r``,
    so ``X = r (cos θ, sin θ)``; then Gaussian ``noise`` is added to every coordinate.

    >>> X, y = make_spiral(300, arms=3, noise=0.05, seed=0)
    >>> np.bincount(y)
    array([100, 100, 100])
    """
    if arms < 2:
        raise ValueError(f"arms must be at least 2, got {arms}")
    _check(n_samples, noise, arms)
    sizes = _class_sizes(n_samples, arms)
    r = np.concatenate([np.arange(1, n + 1) / n for n in sizes])
    theta = 2 * np.pi * np.repeat(np.arange(arms), sizes) / arms + 2 * np.pi * r
    return _finish(r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1), sizes, noise, _rng(seed))


def train_test_split(*arrays, test_size=0.25, seed=None, shuffle=True):
    """Split arrays (or Tensors) of the same length into train and test parts, in sklearn's order.

    ``test_size`` is a fraction in ``(0, 1)`` (the test part gets ``ceil(test_size · n)`` rows) or a count.
    With ``shuffle`` the rows are drawn by one random permutation shared by all arrays; without it the test
    part is the last rows. Each output has the type of its input (Tensors stay Tensors).

    >>> train_test_split(np.arange(8), test_size=0.25, shuffle=False)
    [array([0, 1, 2, 3, 4, 5]), array([6, 7])]
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) != 1:
        raise ValueError(f"train_test_split needs arrays of the same length, got lengths {lengths}")
    n = lengths[0]
    n_test = math.ceil(test_size * n) if isinstance(test_size, float) else test_size
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size} gives {n_test} test rows out of {n}; "
                         f"both the train and test parts need at least one")
    order = _rng(seed).permutation(n) if shuffle else np.arange(n)
    train, test = order[:n - n_test], order[n - n_test:]
    out = []
    for a in arrays:
        if isinstance(a, Tensor):
            out += [Tensor(a.numpy()[train]), Tensor(a.numpy()[test])]
        else:
            out += [np.asarray(a)[train], np.asarray(a)[test]]
    return out
