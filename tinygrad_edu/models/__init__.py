"""Ready-made models composed from tinygrad_edu.nn layers."""

from .mlp import MLP

__all__ = ["MLP"]
