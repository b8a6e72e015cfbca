"""Data: toy 2-D datasets, a train/test split, TensorDataset and DataLoader.

>>> from tinygrad_edu.data import DataLoader, TensorDataset, make_moons
>>> X, y = make_moons(200, noise=0.1, seed=0)
>>> next(iter(DataLoader(TensorDataset(X, y), batch_size=16)))[0].shape
(16, 2)
"""

from .datasets import make_blobs, make_circles, make_moons, make_spiral, train_test_split
from .loader import DataLoader, TensorDataset

__all__ = ["DataLoader", "TensorDataset", "make_blobs", "make_circles", "make_moons", "make_spiral",
           "train_test_split"]
