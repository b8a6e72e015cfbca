"""Samplers: the order in which a :class:`~tinygrad_edu.data.DataLoader` visits a dataset, as ``torch.utils.data``.

A sampler is an iterable of dataset keys (ints); a :class:`BatchSampler` groups another sampler's keys
into lists, one list per batch. Random samplers draw from ``generator`` (a ``tinygrad_edu.Generator``)
or, without one, from the library's default generator (seeded by ``tinygrad_edu.manual_seed``); each
new iteration draws a new order.

>>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
[[0, 1, 2], [3, 4, 5], [6]]
"""

import itertools
from typing import Generic, TypeVar

import numpy as np

from ..engine.factory import multinomial, randint, randperm

T_co = TypeVar("T_co", covariant=True)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


class Sampler(Generic[T_co]):
    """Base class of samplers: a subclass defines ``__iter__`` (the keys, in order) and, for ``len(loader)``,
    ``__len__``."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__ (the dataset keys it yields)")


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1, in that order every time.

    >>> list(SequentialSampler("abc"))
    [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Random indices into ``data_source``: without ``replacement`` a fresh permutation of all of them (repeated
    whole, then cut, when ``num_samples`` exceeds the length); with it, ``num_samples`` independent uniform draws.

    ``num_samples`` defaults to ``len(data_source)``.

    >>> import tinygrad_edu as tg
    >>> sorted(RandomSampler(range(4), generator=tg.Generator().manual_seed(0)))
    [0, 1, 2, 3]
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source, self.replacement, self._num_samples, self.generator = (data_source, replacement,
                                                                                 num_samples, generator)
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, got {replacement!r}")
        if not _is_int(self.num_samples) or self.num_samples <= 0:
            raise ValueError(f"RandomSampler: num_samples should be a positive integer, got {self.num_samples!r}"
                             + (" (the length of data_source)" if num_samples is None else ""))

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, k = len(self.data_source), self.num_samples
        if self.replacement:
            yield from randint(n, (k,), generator=self.generator).tolist()
            return
        for _ in range(k // n):
            yield from randperm(n, generator=self.generator).tolist()
        if k % n:
            yield from randperm(n, generator=self.generator).tolist()[:k % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a new random order each iteration (without replacement).

    >>> sorted(SubsetRandomSampler([5, 7, 9]))
    [5, 7, 9]
    """

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def __iter__(self):
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices into ``weights`` drawn with probability proportional to the weights (which need not
    sum to one), with ``replacement`` or without (a drawn index cannot come again), as ``multinomial``.

    >>> list(WeightedRandomSampler([0.0, 1.0, 0.0], 3))
    [1, 1, 1]
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer, got {num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, got {replacement!r}")
        self.weights = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, dtype=np.float64)
        if self.weights.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence, got shape {self.weights.shape}")
        self.num_samples, self.replacement, self.generator = int(num_samples), replacement, generator

    def __iter__(self):
        yield from multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator).tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler[list]):
    """Lists of ``batch_size`` keys from ``sampler`` (any iterable of keys); the last list is shorter, or dropped
    when ``drop_last``.

    >>> list(BatchSampler(range(5), batch_size=2, drop_last=True))
    [[0, 1], [2, 3]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, got {drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self):
        keys = iter(self.sampler)
        while batch := list(itertools.islice(keys, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self):
        n, b = len(self.sampler), self.batch_size
        return n // b if self.drop_last else -(-n // b)

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]
