"""Utilities under PyTorch's ``torch.utils`` names: ``tinygrad_edu.utils.data`` (as ``torch.utils.data``).
Submodules with optional dependencies (``tinygrad_edu.utils.tensorboard``) load only when imported.

>>> from tinygrad_edu.utils.data import DataLoader, Dataset
"""

from . import data

__all__ = ["data"]
