"""``torch.utils.data`` under its PyTorch name: the datasets, samplers and DataLoader of
:mod:`tinygrad_edu.data`, so that ``from torch.utils.data import Dataset, DataLoader`` has a counterpart.

>>> from tinygrad_edu.utils.data import DataLoader
>>> len(DataLoader(range(10), batch_size=4))
3
"""

from ..data import loader as dataloader
from ..data import sampler
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

__all__ = ["dataloader", "dataset", "sampler",
           "Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DataLoader", "default_collate", "default_convert", "get_worker_info"]

# PyTorch's submodule names (``from torch.utils.data.sampler import SubsetRandomSampler``): the datasets live
# beside the loader here, so torch.utils.data.dataset and .dataloader are the same module
dataset = dataloader
__path__ = []  # looked into for submodules, as a package is: `import torch.utils.data.sampler` reaches the hook
