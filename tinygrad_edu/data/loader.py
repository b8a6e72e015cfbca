"""Datasets and the DataLoader that serves them in batches, with ``torch.utils.data``'s names and behaviour.

A map-style dataset has ``__getitem__`` (and usually ``__len__``); an :class:`IterableDataset` has
``__iter__``. A :class:`DataLoader` asks a sampler for keys, fetches those samples and merges them into a
batch with ``collate_fn`` (:func:`default_collate`: tensors stacked along a new first axis, numbers into
tensors, tuples/lists transposed, dicts by key).

>>> loader = DataLoader([(1, 0.5), (2, 1.5), (3, 2.5)], batch_size=2)
>>> next(iter(loader))
[tensor([1, 2]), tensor([0.5000, 1.5000], dtype=tinygrad_edu.float64)]
"""

import bisect
import collections.abc
import copy
import itertools
import math
import warnings
from typing import Generic, TypeVar

import numpy as np

from ..engine.dtype import float64
from ..engine.factory import as_tensor, randperm, tensor
from ..engine.ops.movement import stack
from ..engine.random import Generator, default_generator
from ..engine.random import generator as numpy_generator
from ..engine.tensor import Tensor
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _is_int

T_co = TypeVar("T_co", covariant=True)


# ------------------------------------------------------------------------------------------ datasets
class Dataset(Generic[T_co]):
    """Base class of map-style datasets: a subclass defines ``__getitem__(key)`` (one sample) and usually
    ``__len__`` (which the default samplers need); it may define ``__getitems__(keys)`` returning a list of
    samples, which the DataLoader then calls once per batch. ``a + b`` is ``ConcatDataset([a, b])``.

    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return i * i
    >>> list(DataLoader(Squares(), batch_size=2))
    [tensor([0, 1]), tensor([4, 9])]
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__ (subclasses of Dataset implement it)")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """Base class of datasets that are a stream of samples: a subclass defines ``__iter__``. The DataLoader
    batches the samples in the order the stream gives them (no sampler, no shuffle). ``a + b`` chains them.

    >>> class Count(IterableDataset):
    ...     def __iter__(self):
    ...         return iter(range(5))
    >>> list(DataLoader(Count(), batch_size=2))
    [tensor([0, 1]), tensor([2, 3]), tensor([4])]
    """

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
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


class ConcatDataset(Dataset[T_co]):
    """Map-style datasets one after the other: keys ``0 .. len(datasets[0]) - 1`` are the first dataset's,
    the next ones the second's, and so on (negative keys count from the end).

    >>> ds = ConcatDataset([[1, 2], [3]])
    >>> len(ds), ds[2], ds.cumulative_sizes
    (3, 3, [2, 3])
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("ConcatDataset: datasets should not be an empty iterable")
        for i, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise AssertionError(f"ConcatDataset does not support IterableDataset (dataset {i} is a "
                                     f"{type(d).__name__}); chain streams with ChainDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"ConcatDataset: index {idx} is out of range for a dataset of length {len(self)}")
            idx += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        return self.datasets[which][idx - (self.cumulative_sizes[which - 1] if which else 0)]


class ChainDataset(IterableDataset):
    """Iterable datasets one after the other, chained as they are iterated.

    >>> class Count(IterableDataset):
    ...     def __iter__(self):
    ...         return iter(range(2))
    >>> list(Count() + Count())
    [0, 1, 0, 1]
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self._checked():
            yield from d

    def __len__(self):
        return sum(len(d) for d in self._checked())

    def _checked(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError(f"ChainDataset only supports IterableDataset, got a {type(d).__name__}")
            yield d


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``: ``Subset(ds, idx)[i]`` is ``ds[idx[i]]``.

    >>> Subset(["a", "b", "c"], [2, 0])[0]
    'c'
    """

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices
        if type(self).__getitem__ is not Subset.__getitem__ and type(self).__getitems__ is Subset.__getitems__:
            raise NotImplementedError(f"{type(self).__name__} overrides __getitem__ but not __getitems__, which the "
                                      "DataLoader calls for a whole batch; define it too, e.g. "
                                      "`def __getitems__(self, indices): return [self[i] for i in indices]`")

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        keys = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(keys)
        return [self.dataset[k] for k in keys]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=default_generator):
    """Split ``dataset`` into non-overlapping :class:`Subset` s of the given ``lengths``, at random.

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1: then each split gets
    ``floor(fraction * len(dataset))`` samples and the remainder is dealt out one by one from the first split.
    The order is a random permutation drawn from ``generator`` (a ``tinygrad_edu.Generator``).

    >>> import tinygrad_edu as tg
    >>> train, val = random_split(range(10), [0.7, 0.3], generator=tg.Generator().manual_seed(0))
    >>> len(train), len(val), sorted(list(train) + list(val)) == list(range(10))
    (7, 3, True)
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction at index {i} is {fraction}, not between 0 and 1")
        sizes = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: the split at index {i} is empty ({lengths[i]} of {n} samples)",
                              stacklevel=2)
        lengths = sizes
    if any(not _is_int(k) or k < 0 for k in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths must be non-negative integers summing to the length of the dataset "
                         f"({n}), or fractions summing to 1; got {list(lengths)}")
    order = randperm(n, generator=generator).tolist()
    return [Subset(dataset, order[end - k:end]) for end, k in zip(itertools.accumulate(lengths), lengths)]


def get_worker_info():
    """Information about the current DataLoader worker process: always None, as in PyTorch's main process,
    since this DataLoader loads in the calling process (see :class:`DataLoader`'s ``num_workers``)."""
    return None


# ----------------------------------------------------------------------------------------- collation
_COLLATE_TYPES = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_text_array(a):
    return a.dtype.kind in "SUO"  # strings and Python objects: not numbers


def _stack(tensors):
    """Stack a batch of equal-shape tensors along a new first axis (recorded, only when one needs grad)."""
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but got "
                               f"{tuple(tensors[0].shape)} at entry 0 and {tuple(t.shape)} at entry {i}; give the "
                               "DataLoader a collate_fn that pads them, or samples of one shape")
    if any(t.requires_grad for t in tensors):
        return stack(tensors)
    return as_tensor(np.stack([t.numpy() for t in tensors]))


def _rebuild(container, items):
    """``items`` (a dict or a list) in ``container``'s own type where it can be built, else as they are."""
    try:
        if isinstance(container, collections.abc.MutableMapping):
            clone = copy.copy(container)
            clone.update(items)
            return clone
        if isinstance(container, collections.abc.MutableSequence):
            clone = copy.copy(container)
            clone[:] = items
            return clone
        return type(container)(items)
    except TypeError:
        return items


def default_collate(batch):
    """Merge a list of samples into one batch, as PyTorch's ``default_collate``:

    * Tensors -> stacked along a new first axis, NumPy arrays -> the same as Tensors;
    * Python ints -> an int64 tensor (bools -> bool), floats -> a float64 tensor, NumPy scalars -> their dtype;
    * str / bytes -> the list of them, unchanged;
    * dicts -> a dict of the collated values per key; namedtuples -> the same namedtuple of collated fields;
      other sequences -> transposed and collated per position (a tuple gives a list).

    >>> default_collate([(0, {"x": 1.5}), (1, {"x": 2.5})])
    [tensor([0, 1]), {'x': tensor([1.5000, 2.5000], dtype=tinygrad_edu.float64)}]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        if _is_text_array(elem):
            raise TypeError(_COLLATE_TYPES.format(elem.dtype))
        return _stack([as_tensor(b) for b in batch])
    if isinstance(elem, (np.bool_, np.number)):
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = [len(sample) for sample in batch]
        if len(set(sizes)) > 1:
            raise RuntimeError(f"default_collate: each element in list of batch should be of equal size, got "
                               f"sizes {sizes}")
        fields = [default_collate(field) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild(elem, fields)
    raise TypeError(_COLLATE_TYPES.format(type(elem)))


def default_convert(data):
    """Turn the NumPy arrays and NumPy scalars in one sample into Tensors (sharing an array's memory), inside
    dicts, namedtuples and sequences too (a tuple gives a list); everything else is left as it is. The
    DataLoader's ``collate_fn`` when batching is off (``batch_size=None``).

    >>> default_convert((1, np.array([1, 2])))
    [1, tensor([1, 2])]
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.bool_, np.number)):
        return data if isinstance(data, np.ndarray) and _is_text_array(data) else as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(d) for d in data])
    return data


# ---------------------------------------------------------------------------------------- DataLoader
class _InfiniteConstantSampler(Sampler):
    """The keys of an iterable dataset, which ignores them: None, forever."""

    def __iter__(self):
        return itertools.repeat(None)


_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    Map-style datasets (``__getitem__`` and ``__len__``): each epoch (each ``iter``) the ``sampler``
    (default: :class:`SequentialSampler`, or :class:`RandomSampler` with ``shuffle=True``) gives the keys,
    :class:`BatchSampler` groups ``batch_size`` of them (``drop_last`` drops a short final batch), the
    samples are fetched (with ``dataset.__getitems__(keys)`` when the dataset has it) and merged by
    ``collate_fn`` (default :func:`default_collate`). A ``batch_sampler`` replaces the last three
    (and excludes ``batch_size``, ``shuffle``, ``sampler``, ``drop_last``). ``batch_size=None`` turns
    batching off: each sample goes through ``collate_fn`` (default :func:`default_convert`) alone.
    An :class:`IterableDataset` is batched in the order it streams its samples.

    Shuffling draws from ``generator`` (a ``tinygrad_edu.Generator``), or from a private generator
    seeded with ``seed`` (this library's addition), or else from the library's default generator
    (``tinygrad_edu.manual_seed``). ``loader.generator`` is the NumPy Generator behind the one in use
    (None when neither was given): its state is what ``train.fit``'s checkpoints save to resume the
    same order.

    Everything loads in the calling process, one batch at a time: ``num_workers > 0`` is accepted and
    loads sequentially all the same (no worker processes, so ``worker_init_fn`` is never called and
    ``get_worker_info()`` is None, as with ``num_workers=0`` in PyTorch; ``prefetch_factor``,
    ``persistent_workers``, ``timeout``, ``multiprocessing_context`` and ``in_order`` change nothing).
    ``pin_memory`` has no effect and warns, as PyTorch does on a machine without an accelerator.

    >>> loader = DataLoader(TensorDataset(np.arange(10)), batch_size=4, shuffle=True, seed=0)
    >>> [xb.shape for xb, in loader]
    [(4,), (4,), (2,)]
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True, seed=None):
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative, got {num_workers}; use "
                             "num_workers=0 to load in this process")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified with num_workers > 0, got "
                             f"prefetch_factor={prefetch_factor} with num_workers=0")
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError(f"DataLoader: prefetch_factor option should be non-negative, got {prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("DataLoader: multiprocessing_context can only be used with multi-process loading "
                             "(num_workers > 0), but got num_workers=0")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed or generator, not both")

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value, given in (("shuffle", shuffle, shuffle not in (None, False)),
                                       ("sampler", sampler, sampler is not None),
                                       ("batch_sampler", batch_sampler, batch_sampler is not None)):
                if given:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, but got "
                                     f"{name}={value!r} (an IterableDataset gives its samples in its own order)")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle (the sampler sets the "
                             "order; give a RandomSampler to shuffle)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last (the batch_sampler sets all of them)")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually "
                                 "exclusive with drop_last")
        elif not _is_int(batch_size) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size should be a positive integer (or None for no batching), got "
                             f"{batch_size!r}")

        if seed is not None:
            generator = Generator().manual_seed(seed)
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            else:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, int(batch_size), drop_last)

        self.dataset, self.num_workers, self.pin_memory, self.pin_memory_device = (dataset, num_workers, pin_memory,
                                                                                   pin_memory_device)
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order, self.persistent_workers = in_order, persistent_workers
        self.batch_size = None if batch_size is None else int(batch_size)
        self.drop_last, self.sampler, self.batch_sampler = drop_last, sampler, batch_sampler
        self.generator = None if generator is None else numpy_generator(generator)
        self._iterable = iterable
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._initialized = True

    def __setattr__(self, name, value):
        if name in _FIXED_AFTER_INIT and getattr(self, "_initialized", False):
            raise ValueError(f"DataLoader: {name} attribute should not be set after DataLoader is initialized; "
                             "build a new DataLoader instead")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if not self._iterable:
            return len(self._index_sampler)
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        if self.pin_memory:
            warnings.warn("DataLoader: 'pin_memory' argument is set as true but no accelerator is found (tinygrad_edu "
                          "runs on the CPU only), then device pinned memory won't be used.", stacklevel=2)
        return self._stream() if self._iterable else (self._fetch(keys) for keys in self._index_sampler)

    def _stream(self):
        samples = iter(self.dataset)
        if not self._auto_collation:
            for sample in samples:
                yield self.collate_fn(sample)
            return
        while batch := list(itertools.islice(samples, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield self.collate_fn(batch)

    def _fetch(self, keys):
        dataset = self.dataset
        if not self._auto_collation:
            return self.collate_fn(dataset[keys])
        if self.collate_fn is default_collate and type(dataset).__getitem__ is TensorDataset.__getitem__:
            return list(dataset[np.asarray(keys)])  # one fancy index per tensor: the same batch, no loop over samples
        if callable(getattr(dataset, "__getitems__", None)):
            return self.collate_fn(dataset.__getitems__(keys))
        return self.collate_fn([dataset[k] for k in keys])

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset", "random_split",
           "DataLoader", "default_collate", "default_convert", "get_worker_info"]  # torch.utils.data's names here
