"""The fused recurrent layers' loops in NumPy: an LSTM or GRU layer over a whole sequence, forwards and
backwards, written in place on small per-step arrays.

No autograd here: ``engine/ops/fused.py`` wraps these loops as the opt-in primitives ``lstm_layer`` and
``gru_layer`` and states their derivatives; the default layers are the cells' equations composed of
ops (``lstm_step``, ``gru_step`` in the same file), which compute the same numbers.

The LSTM loop keeps its gates in the order (o, i, f, g), not PyTorch's (i, f, g, o): the three sigmoid
gates are then one contiguous block, and so are the three gates the cell-state gradient flows through.
Gates are stored gate-major per step, (4, N, H), so every elementwise pass runs over contiguous memory,
and the recurrent products are computed transposed, W_hh h^T (4H, N) and W_hh^T da^T (H, N): with the
long side first OpenBLAS runs them faster, and the adds that follow read them transposed at little cost.
"""

import numpy as np

from .activations import sigmoid


def previous(states, initial, reverse):
    """The state each step started from, in time order: h_(t-1) going forwards, h_(t+1) in reverse."""
    return np.concatenate((states[1:], initial[None]) if reverse else (initial[None], states[:-1]))


def lstm_forward(xw, h0, c0, w_hh, reverse):
    """xw (T, N, 4H) and w_hh (4H, H) with gates (o, i, f, g); h0, c0 (N, H). Returns (T + 1, N, H): the
    hidden states in time order, then the final cell state; and what the backward loop needs."""
    steps, batch, n = xw.shape[0], h0.shape[0], h0.shape[-1]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    dtype = np.result_type(xw, h0, c0, w_hh)
    gates = np.empty((steps, 4, batch, n), dtype)  # o, i, f, g after their nonlinearities
    out = np.empty((steps + 1, batch, n), dtype)
    hs, cs, tanh_c = out[:steps], np.empty_like(out[:steps]), np.empty_like(out[:steps])
    h, c, scratch, rows = h0, c0, np.empty((batch, n), dtype), np.empty((4 * n, batch), dtype)
    rows_by_gate = rows.reshape(4, n, batch).transpose(0, 2, 1)  # views (4, N, H) of W_hh h^T and of xw
    xw_by_gate = xw.reshape(steps, batch, 4, n).transpose(0, 2, 1, 3)
    for t in order:
        np.matmul(w_hh, h.T, out=rows)
        a = np.add(rows_by_gate, xw_by_gate[t], out=gates[t])
        sigmoid(a[:3], out=a[:3])
        np.tanh(a[3], out=a[3])
        o, i, f, g = a
        c = np.multiply(f, c, out=cs[t])
        c += np.multiply(i, g, out=scratch)
        np.tanh(c, out=tanh_c[t])
        h = np.multiply(o, tanh_c[t], out=hs[t])
    out[steps] = c
    return out, (gates, cs, tanh_c)


def lstm_backward(grad, out, saved, h0, c0, w_hh, reverse):
    """Gradients (dxw, dh0, dc0, dw_hh) of :func:`lstm_forward` given ``grad`` (T + 1, N, H)."""
    gates, cs, tanh_c = saved
    steps, batch, n = gates.shape[0], h0.shape[0], h0.shape[-1]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    c_prev = previous(cs, c0, reverse)
    da = np.empty((steps, batch, 4 * n), gates.dtype)  # the layout of xw
    d = np.empty((4, batch, n), gates.dtype)  # this step's da, gate-major
    dh, dc, scratch = np.empty_like(h0), grad[steps].copy(), np.empty_like(h0)
    dh_rows = np.zeros((n, batch), gates.dtype)  # W_hh^T da^T: the gradient sent back to the previous h
    for t in reversed(order):
        o, i, f, g = gates[t]
        np.add(dh_rows.T, grad[t], out=dh)  # all that reaches h_t: from step t + 1 and the output
        np.multiply(tanh_c[t], tanh_c[t], out=scratch)
        np.subtract(1, scratch, out=scratch)
        scratch *= o
        scratch *= dh
        dc += scratch
        np.subtract(1, gates[t, :3], out=d[:3])
        d[:3] *= gates[t, :3]  # s (1 - s) for the sigmoid gates
        np.multiply(g, g, out=d[3])
        np.subtract(1, d[3], out=d[3])  # 1 - g^2
        for k, factor in enumerate((tanh_c[t], g, c_prev[t], i)):
            d[k] *= factor
        into = da[t].reshape(batch, 4, n).transpose(1, 0, 2)  # the last factor writes da[t] itself
        np.multiply(d[0], dh, out=into[0])
        np.multiply(d[1:], dc, out=into[1:])
        dc *= f
        np.matmul(w_hh.T, da[t].T, out=dh_rows)
    dw_hh = da.reshape(-1, 4 * n).T @ previous(out[:steps], h0, reverse).reshape(-1, n)
    return da, np.ascontiguousarray(dh_rows.T), dc, dw_hh


def gru_forward(xw, h0, w_hh, b_hh, reverse):
    """xw (T, N, 3H) with gates (r, z, n), h0 (N, H), w_hh (3H, H), b_hh (3H,) or None. Returns the hidden
    states (T, N, H) in time order and what the backward loop needs."""
    steps, n = xw.shape[0], h0.shape[-1]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    hs = np.empty((steps,) + h0.shape, dtype=np.result_type(xw, h0, w_hh))
    rz, new, hw_n = np.empty(hs.shape[:2] + (2 * n,), hs.dtype), np.empty_like(hs), np.empty_like(hs)
    h = h0
    for t in order:
        hw = h @ w_hh.T
        if b_hh is not None:
            hw += b_hh
        sigmoid(np.add(xw[t, :, :2 * n], hw[:, :2 * n], out=rz[t]), out=rz[t])
        hw_n[t] = hw[:, 2 * n:]
        new[t] = np.tanh(xw[t, :, 2 * n:] + rz[t, :, :n] * hw_n[t])
        h = hs[t] = new[t] + rz[t, :, n:] * (h - new[t])
    return hs, (rz, new, hw_n)


def gru_backward(grad, hs, saved, xw, h0, w_hh, reverse):
    """Gradients (dxw, dh0, dw_hh, db_hh) of :func:`gru_forward` given ``grad`` (T, N, H)."""
    rz, new, hw_n = saved
    n = h0.shape[-1]
    order = range(hs.shape[0] - 1, -1, -1) if reverse else range(hs.shape[0])
    prev_h = previous(hs, h0, reverse)
    dxw, dhw = np.empty_like(xw, dtype=hs.dtype), np.empty_like(xw, dtype=hs.dtype)
    dh, scratch = np.zeros_like(h0), np.empty_like(h0)
    for t in reversed(order):
        r, z = rz[t, :, :n], rz[t, :, n:]
        dh += grad[t]
        da_n, da_rz = dxw[t, :, 2 * n:], dhw[t, :, :2 * n]
        np.multiply(new[t], new[t], out=da_n)
        np.subtract(1, da_n, out=da_n)
        da_n *= dh
        np.subtract(1, z, out=scratch)
        da_n *= scratch
        np.multiply(da_n, r, out=dhw[t, :, 2 * n:])
        np.subtract(1, rz[t], out=da_rz)
        da_rz *= rz[t]
        da_rz[:, :n] *= da_n
        da_rz[:, :n] *= hw_n[t]
        np.subtract(prev_h[t], new[t], out=scratch)
        scratch *= dh
        da_rz[:, n:] *= scratch
        dxw[t, :, :2 * n] = da_rz
        dh *= z
        dh += dhw[t] @ w_hh
    flat = dhw.reshape(-1, 3 * n)
    return dxw, dh, flat.T @ prev_h.reshape(-1, n), flat.sum(0)
