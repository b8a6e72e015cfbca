"""``tinygrad_edu.autograd.graph``, as ``torch.autograd.graph``: tools for code that writes tensors
behind the engine's back."""

from ..engine.tensor import increment_version

__all__ = ["increment_version"]
