"""Where tensors live. tinygrad_edu computes with NumPy on the CPU, and says so: ``device('cpu')`` is the
one device. A ``device('cuda')`` object can be made (PyTorch programs build one before asking
``cuda.is_available()``), but moving a tensor or a model to it is an error that says why."""


class device:
    """``device('cpu')`` or ``device('cpu', 0)``, as ``torch.device``; compares equal to its string."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, number = str(type).partition(":")
        self.type, self.index = name, int(number) if number else index

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


def check_cpu(where, name):
    """Refuse any device but the CPU, naming the call: ``where`` is a device, a string or None."""
    if where is not None and device(where).type != "cpu":
        raise RuntimeError(f"{name}: tinygrad_edu computes on the CPU only (with NumPy), so it cannot use "
                           f"device {str(where)!r}; leave tensors and models on 'cpu'")
