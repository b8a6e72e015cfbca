"""The library's randomness: :class:`Generator` objects, and the default one that ``manual_seed`` seeds.

Every random function takes ``generator=`` (a :class:`Generator`, as ``torch.Generator``); without one
it draws from ``default_generator``, which also drives initialization, dropout and shuffling (they call
:func:`generator`). The same seed gives the same values on every run and every machine. The values are
NumPy's (PCG64), not PyTorch's: ``manual_seed(0)`` does not reproduce ``torch.randn`` bit for bit.

>>> g = Generator().manual_seed(2147483647)
>>> g.initial_seed()
2147483647
"""

import numpy as np

from .device import check_cpu

_SEED_RANGE = (-2 ** 63, 2 ** 64 - 1)  # what torch.manual_seed accepts; a negative seed wraps around 2**64
_STATE_BYTES = (16, 16, 1, 4)  # PCG64's state, increment, has_uint32 flag and the buffered uint32


def _seed_value(seed):
    seed = int(seed)
    if not _SEED_RANGE[0] <= seed <= _SEED_RANGE[1]:
        raise ValueError(f"manual_seed: seed {seed} is out of range: it must be in [-2**63, 2**64 - 1]")
    return seed % 2 ** 64


class Generator:
    """A source of random numbers with a state of its own, as ``torch.Generator(device='cpu')``.

    Random functions given ``generator=g`` draw from ``g`` only: its values depend on its seed, not on
    the global one. A new Generator starts from PyTorch's default seed, 67280421310721.

    >>> import tinygrad_edu as tg
    >>> g = tg.Generator().manual_seed(42)
    >>> state = g.get_state()
    >>> a = tg.rand(3, generator=g)
    >>> tg.rand(3, generator=g.set_state(state)).tolist() == a.tolist()
    True
    """

    def __init__(self, device="cpu"):
        check_cpu(device, "Generator")
        self.device = "cpu"
        self._rng = np.random.default_rng()
        self.manual_seed(67280421310721)

    def manual_seed(self, seed):
        """Restart from ``seed`` (an int in [-2**63, 2**64 - 1]); returns the generator itself."""
        self._initial_seed = _seed_value(seed)
        # the state is set in place: code holding this NumPy Generator (see :func:`generator`) keeps drawing from it
        self._rng.bit_generator.state = np.random.PCG64(self._initial_seed).state
        return self

    def seed(self):
        """Restart from a fresh non-deterministic seed, and return that seed."""
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed this generator was last started from."""
        return self._initial_seed

    def get_state(self):
        """The current state as a uint8 Tensor (as PyTorch's ByteTensor): give it to :meth:`set_state`
        to replay the same numbers."""
        from .tensor import _wrap  # here: tensor.py is imported after this module by the engine

        s = self._rng.bit_generator.state
        fields = (s["state"]["state"], s["state"]["inc"], s["has_uint32"], s["uinteger"])
        data = b"".join(v.to_bytes(n, "little") for v, n in zip(fields, _STATE_BYTES))
        return _wrap(np.frombuffer(data, dtype=np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state returned by :meth:`get_state`; returns the generator itself."""
        data = np.asarray(getattr(new_state, "_data", new_state))
        if data.dtype != np.uint8 or data.shape != (sum(_STATE_BYTES),):
            raise RuntimeError(f"set_state: expected the uint8 tensor of shape ({sum(_STATE_BYTES)},) that get_state "
                               f"returns, got dtype {data.dtype} and shape {data.shape}")
        raw, fields, start = data.tobytes(), [], 0
        for n in _STATE_BYTES:
            fields.append(int.from_bytes(raw[start:start + n], "little"))
            start += n
        self._rng.bit_generator.state = {"bit_generator": "PCG64", "state": {"state": fields[0], "inc": fields[1]},
                                         "has_uint32": fields[2], "uinteger": fields[3]}
        return self

    def __repr__(self):
        return f"<tinygrad_edu.Generator device='cpu' initial_seed={self._initial_seed}>"


default_generator = Generator()
default_generator.seed()  # like PyTorch's: different in every process until manual_seed is called


def manual_seed(seed):
    """Seed all randomness of tinygrad_edu (random tensors, initialization, dropout, shuffling); returns the
    default generator, as ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator non-deterministically; returns the seed used."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator was last started from."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (a uint8 Tensor), for :func:`set_rng_state`."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator's state from :func:`get_rng_state`."""
    default_generator.set_state(new_state)


def generator(source=None):
    """The NumPy Generator behind ``source`` (a :class:`Generator`, as the ``generator=`` arguments take):
    without one, the one every random function of the library draws from by default (the default
    :class:`Generator`'s: seeding it keeps this object and restarts its stream)."""
    return _numpy_rng(source, "generator=")


def _numpy_rng(generator, name):
    """The NumPy Generator behind a ``generator=`` argument (None: the default one)."""
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"{name}: generator must be a tinygrad_edu.Generator, got {type(generator).__name__}")
    return generator._rng


__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state"]
