"""Data: toy 2-D datasets, the 8x8 digits and MNIST (IDX files), a train/test split, and ``torch.utils.data``'s
Dataset, DataLoader and samplers (also reachable as ``tinygrad_edu.utils.data``).

>>> from tinygrad_edu.data import DataLoader, TensorDataset, make_moons
>>> X, y = make_moons(200, noise=0.1, seed=0)
>>> next(iter(DataLoader(TensorDataset(X, y), batch_size=16)))[0].shape
(16, 2)
"""

from . import loader, sampler
from .datasets import make_blobs, make_circles, make_moons, make_spiral, train_test_split
from .images import load_digits, load_fashion_mnist, load_mnist, read_idx, write_idx
from .loader import *  # noqa: F403  (torch.utils.data's datasets, DataLoader and collate functions)
from .sampler import *  # noqa: F403  (its samplers)
from .text import CharDataset, CharVocab, TextWindows, load_pydoc_corpus, load_text
from .translation import TranslationDataset, character_error_rate, load_pairs, number_pairs

__all__ = loader.__all__ + sampler.__all__ + [
    "make_blobs", "make_circles", "make_moons", "make_spiral",
    "train_test_split", "load_digits", "load_mnist", "load_fashion_mnist", "read_idx", "write_idx",
    "CharVocab", "CharDataset", "TextWindows", "load_text", "load_pydoc_corpus",
    "TranslationDataset", "character_error_rate", "load_pairs", "number_pairs"]
