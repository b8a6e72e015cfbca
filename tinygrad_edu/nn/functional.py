"""Functions with the names of ``torch.nn.functional``; each is composed from the engine's ops."""

from ..engine.ops import gelu, leaky_relu, linear, log_softmax, pad, relu, sigmoid, softmax, softplus, tanh

__all__ = ["gelu", "leaky_relu", "linear", "log_softmax", "pad", "relu", "sigmoid", "softmax", "softplus", "tanh"]
