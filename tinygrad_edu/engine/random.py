"""The library's one source of randomness, so that ``manual_seed`` makes every run reproducible."""

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed all randomness of tinygrad_edu (random tensors, initialization, dropout, shuffling)."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator():
    """The NumPy Generator every random function of the library draws from."""
    return _generator
