"""Data: toy 2-D datasets, the 8x8 digits and MNIST (IDX files), a train/test split, TensorDataset and DataLoader.

>>> from tinygrad_edu.data import DataLoader, TensorDataset, make_moons
>>> X, y = make_moons(200, noise=0.1, seed=0)
>>> next(iter(DataLoader(TensorDataset(X, y), batch_size=16)))[0].shape
(16, 2)
"""

from .datasets import make_blobs, make_circles, make_moons, make_spiral, train_test_split
from .images import load_digits, load_fashion_mnist, load_mnist, read_idx, write_idx
from .loader import DataLoader, TensorDataset

__all__ = ["DataLoader", "TensorDataset", "make_blobs", "make_circles", "make_moons", "make_spiral",
           "train_test_split", "load_digits", "load_mnist", "load_fashion_mnist", "read_idx", "write_idx"]
