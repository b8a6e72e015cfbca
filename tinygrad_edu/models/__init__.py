"""Ready-made models composed from tinygrad_edu.nn layers."""

from .cnn import CNN
from .mlp import MLP

__all__ = ["CNN", "MLP"]
