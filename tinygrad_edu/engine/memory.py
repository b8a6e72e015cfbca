"""Keep freed memory for reuse instead of handing it back to the operating system (Linux, glibc): opt-in.

Every op returns a fresh NumPy array, so a training step allocates and frees the same large arrays
again and again (a CNN step: ~100 MB of activations, im2col windows and gradients). By default glibc's
malloc gives each block above a threshold (128 KB at first, raised as such blocks are freed, at most
32 MB) its own ``mmap`` and returns it with ``munmap`` when freed, and trims its heap whenever more than
twice that threshold lies free at its top. Memory handed back is handed out again as new pages, and the
kernel zero-fills each 4 KB page on its first touch: thousands of page faults per training step.

:func:`keep_freed_memory` asks glibc (``mallopt``) to serve blocks up to ``limit`` from its heap and to
keep up to ``limit`` of freed memory for the next allocation. The price is that the process holds on to
memory it freed, up to ``limit``. The setting is process-wide, so the library never makes it on its own
(importing it changes no process state): a training script calls it once, as the examples and the
benchmark harness do. It does nothing on other platforms.
"""

import contextlib
import ctypes
import gc
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h> parameter numbers


def keep_freed_memory(limit=512 * 2**20):
    """Serve allocations below ``limit`` bytes from the heap and keep up to ``limit`` bytes of freed memory
    for reuse, for the rest of the process. Returns True when glibc accepted both settings.

    >>> import tinygrad_edu as tg
    >>> tg.keep_freed_memory()  # at the top of a training script: no page faults for recycled arrays
    True
    """
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit < 2**31:
        raise ValueError(f"keep_freed_memory: limit must be a number of bytes in [0, 2**31), got {limit!r} "
                         "(mallopt takes a C int)")
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (or no mallopt): nothing to tune
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, limit)) and bool(mallopt(_M_TRIM_THRESHOLD, limit))


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector inside the block, then restore it as it was.

    Every recorded op leaves a few Python objects alive (the result, its node, the backward closure)
    until the graph is dropped. CPython runs a full collection whenever the heap has grown by a quarter,
    and each one walks every live object again: building a 100,000-op graph, those walks took more time
    than the ops (``python -m benchmarks.depth``). The engine makes no reference cycles, so its graphs
    are freed by reference counting alone and need no collector; other cyclic garbage made inside the
    block is collected after it. The collector is one per process, so this is an explicit choice:

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([0.5], requires_grad=True)
    >>> with tg.collector_paused():  # around a step that records a very deep graph
    ...     y = x
    ...     for _ in range(100_000):
    ...         y = y * 1.00001
    ...     y.sum().backward()
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
