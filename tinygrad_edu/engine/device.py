"""Where tensors live. tinygrad_edu computes with NumPy on the CPU, and says so: ``device('cpu')`` is the
one device. A ``device('cuda')`` object can be made (PyTorch programs build one before asking
``cuda.is_available()``), but moving a tensor or a model to it is an error that says why."""

# PyTorch's device types: any of them makes a device object; only 'cpu' holds tensors here
TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
         "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
GPU_TYPES = ("cuda", "mps", "xpu", "hip", "opengl", "opencl", "vulkan")


class device:
    """``device('cpu')`` or ``device('cpu', 0)``, as ``torch.device``; compares equal to its string."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if isinstance(type, int):  # PyTorch reads a bare index as the accelerator's: there is none
            raise RuntimeError(no_backend_message(f"cuda:{type}", "device"))
        name, _, number = str(type).partition(":")
        if name not in TYPES:
            raise RuntimeError(f"device: unknown device type {name!r} in {str(type)!r}; expected one of "
                               f"{', '.join(TYPES)} (and tinygrad_edu computes on 'cpu' only)")
        if number and not number.isdigit() or index is not None and index < 0:
            raise RuntimeError(f"device: the index of {str(type)!r} must be a non-negative integer, as in 'cpu:0', "
                               f"got {number or index!r}")
        self.type, self.index = name, int(number) if number else index

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            return str(self) == other
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


def no_backend_message(where, name):
    """Why ``name`` cannot use device ``where`` (a string): tinygrad_edu has no GPU or other backend."""
    kind = device(where).type
    backend = "GPU backend" if kind in GPU_TYPES else f"{kind!r} backend"
    return (f"{name}: tinygrad_edu has no {backend}: it computes with NumPy on the CPU, so device {where!r} is "
            f"not available; use device='cpu' (tinygrad_edu.cuda.is_available() is False)")


def check_cpu(where, name):
    """Refuse any device but the CPU, naming the call: ``where`` is a device, a string, an accelerator
    index (as PyTorch reads ``to(0)``) or None."""
    if isinstance(where, int) and not isinstance(where, bool):
        where = f"cuda:{where}"
    if where is not None and device(where).type != "cpu":
        raise RuntimeError(no_backend_message(str(where), name))
