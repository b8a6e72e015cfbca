"""Pooling's per-window reductions in NumPy, one kernel offset at a time.

Windows arrive as an (N, C, H_out, W_out, kh, kw) array, usually a strided view. NumPy reduces two
short strided axes several times slower than it adds or compares whole contiguous (N, C, H_out, W_out)
planes, so each routine here walks the kh * kw kernel offsets and works plane by plane.
"""

import numpy as np


def first_max(windows):
    """The max of each window, (N, C, H_out, W_out), and a 0/1 mask (kh, kw, N, C, H_out, W_out) holding
    the first maximum of each window (row-major over the kernel offsets). The windows are first copied
    into one contiguous plane per offset, so that every comparison runs over contiguous memory."""
    planes = np.ascontiguousarray(np.moveaxis(windows, (4, 5), (0, 1)))  # (kh, kw, N, C, H_out, W_out)
    offsets = planes.reshape(-1, *planes.shape[2:])
    peak = offsets.max(axis=0)
    first = np.empty(offsets.shape, dtype=bool)
    taken = np.zeros(peak.shape, dtype=bool)
    for plane, keep in zip(offsets, first):  # keep only the first maximum of each window
        np.greater(plane == peak, taken, out=keep)
        taken |= keep
    return peak, first.reshape(planes.shape).astype(windows.dtype)


def sum_offsets(windows):
    """The sum of each window, (N, C, H_out, W_out), adding one kernel offset's plane at a time."""
    total = windows[..., 0, 0].copy()
    for i in range(windows.shape[4]):
        for j in range(windows.shape[5]):
            if i or j:
                total += windows[..., i, j]
    return total


def spread_offsets(g, mask, like):
    """An array laid out in memory like ``like`` (the windows; for 2x2 pooling a view of the input, so
    the result needs no copy back) holding ``g * mask[i, j]`` at kernel offset (i, j), or ``g`` itself
    at every offset when ``mask`` is None."""
    out = np.empty_like(like, dtype=g.dtype)
    for i in range(out.shape[4]):
        for j in range(out.shape[5]):
            if mask is None:
                out[..., i, j] = g
            else:
                np.multiply(g, mask[i, j], out=out[..., i, j])
    return out
