"""Neural-network building blocks. ``functional`` holds linear, the activations and padding so far."""

from . import functional, utils

__all__ = ["functional", "utils"]
