"""Datasets of tensors and a DataLoader that serves them in (shuffled) mini-batches."""

import numpy as np

from ..engine.random import generator as rng
from ..engine.tensor import Tensor


class TensorDataset:
    """Tensors (or arrays) of the same first dimension, indexed together: sample ``i`` is ``(t[i] for t)``.

    >>> ds = TensorDataset(np.zeros((4, 2)), np.arange(4))
    >>> len(ds), ds[1][1]
    (4, tensor(1))
    """

    def __init__(self, *tensors):
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        shapes = [t.shape for t in self.tensors]
        if not shapes or any(len(s) == 0 for s in shapes) or len({s[0] for s in shapes}) != 1:
            raise ValueError(f"TensorDataset needs one or more tensors with the same size in the first dimension, "
                             f"got shapes {shapes}")

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        """One sample for an integer index; a whole batch at once for an array of indices."""
        return tuple(Tensor(t.numpy()[index]) for t in self.tensors)


class DataLoader:
    """Iterate over a dataset in batches of ``batch_size`` samples stacked along a new first axis.

    ``dataset`` is anything with ``__len__`` and ``__getitem__``. Each epoch (each ``iter``) visits every
    sample once; with ``shuffle`` in a new random order, drawn from ``np.random.default_rng(seed)`` created
    once here when ``seed`` is given (``loader.generator``; its state is what a checkpoint saves to resume
    the same order), or from ``generator`` (a ``tinygrad_edu.Generator``, as PyTorch's ``generator=``),
    else from the library's generator. ``drop_last`` drops a final batch
    smaller than ``batch_size``. A sample that is a tuple gives a tuple of batch Tensors; any other sample
    gives one batch Tensor (each sample converted as ``Tensor(sample)`` would be).

    >>> loader = DataLoader(TensorDataset(np.arange(10)), batch_size=4, shuffle=True, seed=0)
    >>> [xb.shape for xb, in loader]
    [(4,), (4,), (2,)]
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None, *, generator=None):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, int(batch_size), shuffle, drop_last
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed or generator, not both")
        self.generator = np.random.default_rng(seed) if seed is not None else None
        if generator is not None:
            self.generator = rng(generator)  # its NumPy Generator: draws here move the given one on

    def __len__(self):
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = (rng() if self.generator is None else self.generator).permutation(n)
        else:
            order = np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield self._batch(order[start:start + self.batch_size])

    def _batch(self, indices):
        if isinstance(self.dataset, TensorDataset):
            return self.dataset[indices]  # one fancy index per tensor, no loop over samples
        samples = [self.dataset[int(i)] for i in indices]
        if isinstance(samples[0], tuple):
            return tuple(Tensor(np.stack([Tensor(s).numpy() for s in field])) for field in zip(*samples))
        return Tensor(np.stack([Tensor(s).numpy() for s in samples]))
