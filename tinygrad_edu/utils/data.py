"""``torch.utils.data`` under its PyTorch name: the datasets, samplers and DataLoader of
:mod:`tinygrad_edu.data`, so that ``from torch.utils.data import Dataset, DataLoader`` has a counterpart.

>>> from tinygrad_edu.utils.data import DataLoader
>>> len(DataLoader(range(10), batch_size=4))
3
"""

from ..data import loader as dataloader
from ..data import sampler
from ..data.loader import *  # noqa: F403  (the datasets, DataLoader and collate functions: loader.__all__)
from ..data.sampler import *  # noqa: F403  (sampler.__all__)

__all__ = ["dataloader", "dataset", "sampler"] + dataloader.__all__ + sampler.__all__

# PyTorch's submodule names (``from torch.utils.data.sampler import SubsetRandomSampler``): the datasets live
# beside the loader here, so torch.utils.data.dataset and .dataloader are the same module
dataset = dataloader
__path__ = []  # looked into for submodules, as a package is: `import torch.utils.data.sampler` reaches the hook
