"""``torch.utils.data`` under its PyTorch name: the datasets, samplers and DataLoader of
:mod:`tinygrad_edu.data`, so that ``from torch.utils.data import Dataset, DataLoader`` has a counterpart.

>>> from tinygrad_edu.utils.data import DataLoader
>>> len(DataLoader(range(10), batch_size=4))
3
"""

from ..data.loader import (
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)
from ..data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DataLoader", "default_collate", "default_convert", "get_worker_info"]
