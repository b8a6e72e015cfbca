"""A multilayer perceptron: Linear layers with an activation (and optional BatchNorm and Dropout) between."""

from ..nn import Module, Sequential
from ..nn.layers import GELU, BatchNorm1d, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, SiLU, Tanh

ACTIVATIONS = {"relu": ReLU, "gelu": GELU, "sigmoid": Sigmoid, "tanh": Tanh, "leaky_relu": LeakyReLU, "silu": SiLU}


class MLP(Module):
    """``sizes = [in, hidden..., out]``: each hidden layer is Linear -> [BatchNorm1d] -> activation ->
    [Dropout]; the last Linear produces the output (logits) with no activation.

    >>> from tinygrad_edu import Tensor
    >>> model = MLP([2, 16, 16, 2], activation="tanh")
    >>> model(Tensor([[0.5, -1.0]])).shape
    (1, 2)
    """

    def __init__(self, sizes, activation="relu", batchnorm=False, dropout=0.0):
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2 or any(not isinstance(n, int) or n < 1 for n in sizes):
            raise ValueError(f"MLP needs at least an input and an output size, all positive ints; got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers += [BatchNorm1d(n_out)] if batchnorm else []
                layers.append(ACTIVATIONS[activation]())
                layers += [Dropout(dropout)] if dropout else []
        self.layers = Sequential(*layers)

    def forward(self, x):
        return self.layers(x)
