"""im2col in NumPy: every window of a padded (N, C, H, W) input copied into one matrix, and back.

No autograd here: these are the array routines under the convolution and pooling ops of
``engine/ops/window.py``, which a reader can skip (the ops' docstrings state what each computes).

The layout, chosen so that every copy runs over long contiguous stretches of memory:

- The padded input is flattened once, per channel and image, with its rows P apart: flat (C, N, size).
  Window (r, q), kernel offset (i, j), reads flat[(r*s_h + i*d_h)*P + q*s_w + j*d_w]: for a fixed
  offset that is a strided *view* of flat, and copying the kh*kw views gives the window matrix
  cols (C, kh, kw, N, H_out, Wq) == (C*kh*kw, N*H_out*Wq).
- Windows are taken on a grid of Wq = ceil(padded width / s_w) >= W_out columns per output row,
  with P = Wq*s_w. With stride 1 (the usual case) P = Wq, so one offset's H_out x Wq windows are one
  contiguous run of flat, copied (and in the backward pass added) in long runs. The grid's columns
  past W_out are windows that wrap into the next row: a few percent more arithmetic, dropped.
"""

from typing import NamedTuple

import numpy as np


def out_size(size, k, d, lo, hi, s):
    """Number of window positions: floor((size + lo + hi - d*(k-1) - 1) / s) + 1."""
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


class Geometry(NamedTuple):
    kernel: tuple
    dilation: tuple
    pads: tuple  # (top, bottom, left, right)
    stride: tuple
    groups: int = 1


class Grid(NamedTuple):
    """Where one geometry's windows lie in the flattened padded input (see the module docstring)."""
    out_hw: tuple  # (H_out, W_out)
    wq: int  # grid columns per output row, Wq = ceil(W_padded / s_w) >= W_out
    pitch: int  # P = Wq * s_w >= W_padded: the distance between padded rows in the flattened input
    size: int  # length of the flattened input, with room for the last windows' reads


def window_grid(hw, geo):
    """The :class:`Grid` of an (H, W) input under geometry ``geo``."""
    (h, w), (kh, kw), (dh, dw), (t, b, left, r), (sh, sw) = hw, geo.kernel, geo.dilation, geo.pads, geo.stride
    ho, wo = out_size(h, kh, dh, t, b, sh), out_size(w, kw, dw, left, r, sw)
    wq = -(-(w + left + r) // sw)
    pitch = wq * sw
    return Grid((ho, wo), wq, pitch, max((h + t + b) * pitch, (kh - 1) * dh * pitch + (kw - 1) * dw + ho * sh * pitch))


def offset_view(flat, i, j, geo, grid):
    """The (C, N, H_out, Wq) values that kernel offset (i, j) sees in a flattened padded input (C, N, size):
    grid position (r, q) reads flat[(r*s_h + i*d_h)*P + q*s_w + j*d_w]. A view, for reading or adding."""
    (dh, dw), (sh, sw), (ho, _), wq, pitch = geo.dilation, geo.stride, grid.out_hw, grid.wq, grid.pitch
    start = i * dh * pitch + j * dw
    c, n, _ = flat.shape
    return flat[:, :, start:start + ho * sh * pitch].reshape(c, n, ho, sh * pitch)[..., :wq * sw:sw]


def interior(flat, hw, geo, grid):
    """The unpadded (C, N, H, W) input inside a flattened padded one (C, N, size): a view."""
    (h, w), (t, b, left, _) = hw, geo.pads
    c, n, _ = flat.shape
    return flat[:, :, :(h + t + b) * grid.pitch].reshape(c, n, h + t + b, grid.pitch)[:, :, t:t + h, left:left + w]


def copy_windows(x, geo, value=0.0):
    """im2col on an array: (N, C, H, W) -> (C, kh, kw, N, H_out, Wq), every window of ``x`` padded by
    ``geo.pads`` with ``value``: the input is flattened once into (C, N, size) with rows P apart, then
    each kernel offset's view of it is copied out (with stride 1, one contiguous run per image)."""
    n, c, h, w = x.shape
    grid = window_grid((h, w), geo)
    flat = np.full((c, n, grid.size), value, dtype=x.dtype)
    interior(flat, (h, w), geo, grid)[...] = x.transpose(1, 0, 2, 3)
    cols = np.empty((c, *geo.kernel, n, grid.out_hw[0], grid.wq), dtype=x.dtype)
    for i in range(geo.kernel[0]):
        for j in range(geo.kernel[1]):
            cols[:, i, j] = offset_view(flat, i, j, geo, grid)
    return cols


def add_windows(cols, hw, geo):
    """col2im on arrays, the adjoint of :func:`copy_windows`: (C, kh, kw, N, H_out, Wq) -> (N, C, H, W).
    Start from a zero flattened padded input and add each kernel offset's windows back into that
    offset's view of it; overlapping windows add up, and the grid's columns past W_out must be zero
    (they land in padding or the next row). Returns the unpadded sum."""
    grid = window_grid(hw, geo)
    acc = np.zeros((cols.shape[0], cols.shape[3], grid.size), dtype=cols.dtype)
    for i in range(geo.kernel[0]):
        for j in range(geo.kernel[1]):
            offset_view(acc, i, j, geo, grid)[...] += cols[:, i, j]
    return np.ascontiguousarray(interior(acc, hw, geo, grid).transpose(1, 0, 2, 3))


def to_grid(a, wq):
    """(N, ..., H_out, W_out) -> (..., N, H_out, Wq): the batch axis moved in front of the rows and
    zero columns appended, the layout of :func:`copy_windows`."""
    grid = np.zeros((*a.shape[1:-2], a.shape[0], a.shape[-2], wq), dtype=a.dtype)
    grid[..., :a.shape[-1]] = np.moveaxis(a, 0, -3)
    return grid


def from_grid(a, wo, shift):
    """The inverse of :func:`to_grid`: (..., N, H_out, Wq) -> (N, ..., H_out, W_out), plus ``shift``
    (a bias, broadcast against the result) added in the same pass."""
    moved = np.moveaxis(a[..., :wo], -3, 0)
    return np.add(moved, shift, out=np.empty(moved.shape, dtype=a.dtype))
