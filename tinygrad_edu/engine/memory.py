"""Keep freed memory for reuse instead of handing it back to the operating system (Linux, glibc).

Every op returns a fresh NumPy array, so a training step allocates and frees the same large arrays
again and again (a CNN step: ~100 MB of activations, im2col windows and gradients). By default glibc's
malloc gives each block above a threshold (128 KB at first, raised as such blocks are freed, at most
32 MB) its own ``mmap`` and returns it with ``munmap`` when freed, and trims its heap whenever more than
twice that threshold lies free at its top. Memory handed back is handed out again as new pages, and the
kernel zero-fills each 4 KB page on its first touch: on our 2-core machine that page-fault work was a
third of a CNN or LSTM training step (thousands of faults per step).

:func:`keep_freed_memory` asks glibc (``mallopt``) to serve blocks up to ``limit`` from its heap and to
keep up to ``limit`` of freed memory for the next allocation. The price is that the process holds on
to memory it freed, up to ``limit`` (512 MB). tinygrad_edu calls it once at import; set the environment
variable ``TINYGRAD_EDU_KEEP_MEMORY=0`` to leave malloc alone. It does nothing on other platforms, or
when ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` already tune glibc.
"""

import ctypes
import os
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h> parameter numbers


def keep_freed_memory(limit=512 * 2**20):
    """Serve allocations below ``limit`` bytes from the heap and keep up to ``limit`` bytes of freed memory
    for reuse. Returns True when glibc accepted both settings."""
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


def _configure_from_environment():
    """The import-time default: keep freed memory unless the user opted out or tunes malloc already."""
    if os.environ.get("TINYGRAD_EDU_KEEP_MEMORY", "1") == "0":
        return False
    if any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    return keep_freed_memory()
