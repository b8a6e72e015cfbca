"""Fused primitives, each beside the plain composition of ops it replaces: its reference.

The reference is what the docstrings teach; the fused primitive computes the same numbers in fewer,
larger NumPy passes, and the op table checks the two equal (values, gradients, and second derivatives
where the fused op has them). ``scaled_softmax`` is attention's default. The recurrent layers run
their cell's equations composed of ops by default (:func:`lstm_step`, :func:`gru_step` below); the
fused ``lstm_layer`` / ``gru_layer`` are an explicit opt-in (``nn.LSTM(..., fused=True)``) whose loops
live in ``kernels/recurrent.py`` and whose backward is first-order only.
"""

import numpy as np

from ..kernels import recurrent
from ..tensor import Tensor, _wrap, is_grad_enabled, make_op
from .base import primitive
from .matmul import linear
from .movement import cat, stack

# ------------------------------------------------------------------- attention's scaled softmax


@primitive
def scaled_softmax(scores, scale, mask):
    """weights = softmax(scores * scale + mask) along the last dimension, as one primitive.

    Derivative: dL/dscores = scale * w * (g - sum_j g_j w_j), per row;  dL/dmask = w * (g - sum_j g_j w_j).

    The reference is :func:`scaled_softmax_reference`; fused because attention runs it on every
    (query, key) pair, and one pass replaces six ops (mul, add, then softmax's sub, exp, sum, div).
    ``mask`` is a float array (a constant) or a float Tensor (then a parent, with its gradient); a row that
    is -inf everywhere gets weights 0 (and so gradient 0) instead of the reference's NaN."""
    parents = (scores,) if not isinstance(mask, Tensor) else (scores, mask)
    mask = mask._data if isinstance(mask, Tensor) else mask
    z = scores._data * scale
    dead = None
    if mask is not None:
        dead = np.isneginf(mask).all(axis=-1, keepdims=True)
        if dead.any():  # give such rows finite scores here, and zero their weights below
            mask = np.where(dead, 0.0, mask)
        else:
            dead = None
        z = z + mask.astype(z.dtype, copy=False)  # not +=: a mask with more leading dimensions broadcasts z up
    z -= z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    if dead is not None:
        z *= ~dead

    def backward(g, out):
        dz = (g - (g * out).sum(-1, keepdim=True)) * out
        return (dz * scale,) if len(out.parents) == 1 else (dz * scale, dz)

    return make_op("scaled_softmax", z, parents, backward, saved=("output",))


def scaled_softmax_reference(scores, scale, mask):
    """softmax(scores * scale + mask) along the last dimension, composed of ops."""
    z = scores * scale
    return (z if mask is None else z + (mask if isinstance(mask, Tensor) else _wrap(mask))).softmax(-1)


# ------------------------------------------------ the recurrent cells' equations (compositions)
# Each step maps (xw, state) to the next state, a tuple whose first entry is the output h. xw has the
# gates side by side in PyTorch's order along the last dimension; slices of it are views, not copies.
def rnn_tanh_step(xw, state, w_hh, b_hh):
    """h' = tanh(xw + h W_hh^T + b_hh)."""
    return ((xw + linear(state[0], w_hh, b_hh)).tanh(),)


def rnn_relu_step(xw, state, w_hh, b_hh):
    """h' = relu(xw + h W_hh^T + b_hh)."""
    return ((xw + linear(state[0], w_hh, b_hh)).relu(),)


def lstm_step(xw, state, w_hh, b_hh):
    """Gates [i, f, g, o] = xw + h W_hh^T + b_hh; i, f, o through sigmoid, g through tanh;
    c' = f * c + i * g,  h' = o * tanh(c')."""
    h, c = state
    n = h.shape[-1]
    gates = xw + linear(h, w_hh, b_hh)
    sig = gates.sigmoid()  # one op for all four blocks is cheaper than three ops on three slices
    c = sig[..., n:2 * n] * c + sig[..., :n] * gates[..., 2 * n:3 * n].tanh()
    return sig[..., 3 * n:] * c.tanh(), c


def gru_step(xw, state, w_hh, b_hh):
    """[r, z] = sigmoid(xw_rz + (h W_hh^T + b_hh)_rz),  n = tanh(xw_n + r * (h W_hn^T + b_hn)),
    h' = (1 - z) * n + z * h, computed as n + z * (h - n) (one op fewer)."""
    (h,) = state
    n = h.shape[-1]
    hw = linear(h, w_hh, b_hh)
    rz = (xw[..., :2 * n] + hw[..., :2 * n]).sigmoid()
    new = (xw[..., 2 * n:] + rz[..., :n] * hw[..., 2 * n:]).tanh()
    return (new + rz[..., n:] * (h - new),)


# -------------------------------------------------------------- fused recurrent layers (opt-in)
def _first_order_only(name):
    if is_grad_enabled():  # backward(create_graph=True) is asking for a differentiable gradient
        raise RuntimeError(f"{name}: the fused layer has no second derivative; use the default fused=False "
                           "layer (its cells composed of ops) for higher-order gradients")


_OIFG, _IFGO = [3, 0, 1, 2], [1, 2, 3, 0]  # PyTorch's gate blocks (i, f, g, o) to the kernel's (o, i, f, g), and back


def _gate_blocks(a, order):
    """``a`` (..., 4H) with its four gate blocks along the last dimension put in ``order`` (a copy)."""
    return a.reshape(*a.shape[:-1], 4, -1)[..., order, :].reshape(a.shape)


@primitive
def lstm_layer(xw, h0, c0, w_hh, reverse):
    """One LSTM layer over a sequence as a single primitive: :func:`lstm_layer_reference` (the cell in a
    loop) with the loops in NumPy (``kernels/recurrent.py``). xw (T, N, 4H) is the input projection with
    both biases, x W_ih^T + b_ih + b_hh, gates in PyTorch's order (i, f, g, o); h0, c0 (N, H); w_hh (4H, H);
    ``reverse`` runs t = T-1..0. Returns (T + 1, N, H): the hidden states h_t in time order, then c_T.
    Derivative, with gates i, f, g, o after their nonlinearities and dh, dc the gradients reaching h_t, c_t:
        dc = dc_next f_next + dh o (1 - tanh(c_t)^2);
        da = [dc g i (1 - i), dc c_prev f (1 - f), dc i (1 - g^2), dh tanh(c_t) o (1 - o)]   (pre-activations);
        dh_prev = (gradient of the output h_prev) + da W_hh,   dW_hh = sum_t da^T h_prev,   dxw = da.
    First-order only."""
    w = np.ascontiguousarray(_gate_blocks(w_hh._data.T, _OIFG).T)  # the rows' gate blocks reordered
    out, saved = recurrent.lstm_forward(_gate_blocks(xw._data, _OIFG), h0._data, c0._data, w, reverse)

    def backward(grad, _):
        _first_order_only("lstm_layer")
        da, dh0, dc0, dw = recurrent.lstm_backward(grad._data, out, saved, h0._data, c0._data, w, reverse)
        dw = np.ascontiguousarray(_gate_blocks(dw.T, _IFGO).T)
        return _wrap(_gate_blocks(da, _IFGO)), _wrap(dh0), _wrap(dc0), _wrap(dw)

    return make_op("lstm_layer", out, (xw, h0, c0, w_hh), backward)


def lstm_layer_reference(xw, h0, c0, w_hh, reverse):
    """:func:`lstm_layer` as the cell in a loop: :func:`lstm_step` at every time step (no b_hh: xw has it)."""
    state, hs = (h0, c0), []
    for t in range(xw.shape[0] - 1, -1, -1) if reverse else range(xw.shape[0]):
        state = lstm_step(xw[t], state, w_hh, None)
        hs.append(state[0])
    return cat([stack(hs[::-1] if reverse else hs), state[1].unsqueeze(0)])


@primitive
def gru_layer(xw, h0, w_hh, b_hh, reverse):
    """One GRU layer over a sequence as a single primitive: :func:`gru_layer_reference` (the cell in a
    loop) with the loops in NumPy. xw (T, N, 3H) is the input projection x W_ih^T + b_ih, gates (r, z, n);
    h0 (N, H); w_hh (3H, H); b_hh (3H,) or None. Returns the hidden states (T, N, H) in time order.
    Derivative, with hw = h_prev W_hh^T + b_hh, gates r, z, candidate n and a_n = xw_n + r hw_n:
        da_n = dh (1 - z) (1 - n^2),  da_r = da_n hw_n r (1 - r),  da_z = dh (h_prev - n) z (1 - z);
        dxw = [da_r, da_z, da_n],  dhw = [da_r, da_z, da_n r];
        dh_prev = (gradient of the output h_prev) + dh z + dhw W_hh,  dW_hh = sum_t dhw^T h_prev,
        db_hh = sum_t dhw.
    First-order only."""
    b = None if b_hh is None else b_hh._data
    hs, saved = recurrent.gru_forward(xw._data, h0._data, w_hh._data, b, reverse)

    def backward(grad, _):
        _first_order_only("gru_layer")
        dxw, dh0, dw, db = recurrent.gru_backward(grad._data, hs, saved, xw._data, h0._data, w_hh._data, reverse)
        return (_wrap(dxw), _wrap(dh0), _wrap(dw)) + ((_wrap(db),) if b_hh is not None else ())

    return make_op("gru_layer", hs, (xw, h0, w_hh) + ((b_hh,) if b_hh is not None else ()), backward)


def gru_layer_reference(xw, h0, w_hh, b_hh, reverse):
    """:func:`gru_layer` as the cell in a loop: :func:`gru_step` at every time step."""
    state, hs = (h0,), []
    for t in range(xw.shape[0] - 1, -1, -1) if reverse else range(xw.shape[0]):
        state = gru_step(xw[t], state, w_hh, b_hh)
        hs.append(state[0])
    return stack(hs[::-1] if reverse else hs)
