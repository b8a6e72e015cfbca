"""Neural-network building blocks. ``functional`` holds the activations and padding so far."""

from . import functional

__all__ = ["functional"]
