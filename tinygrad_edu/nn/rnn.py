"""Recurrent layers with PyTorch's names, gate orders and state_dict layout: RNNCell, LSTMCell, GRUCell,
and the multi-layer, optionally bidirectional RNN, LSTM and GRU.

Every step starts from ``xw``, the input projection x W_ih^T + b_ih. A layer computes it for all time
steps in one matrix product over (T * N) rows, so the loop over time only does the recurrent part:
h W_hh^T + b_hh and the gates. The cells and the RNN layer run the step functions below, composed from
the engine's ops (so gradients of gradients work). The LSTM and GRU layers run the same math as one
fused primitive per layer and direction (:func:`_lstm_layer`, :func:`_gru_layer`): measured 3.3-3.4x
faster for a training step, checked against the cells, first-order only (the LSTM layer adds b_hh into
the input projection's bias instead of at every step).

Truncated backpropagation through time: pass the final state of one chunk into the next through
:func:`detach_state`, so the next backward stops at the chunk boundary.
"""

import math
import numbers
import warnings

import numpy as np

from ..engine.ops import cat, stack
from ..engine.tensor import Tensor, _wrap, is_grad_enabled, make_op
from . import functional as F
from . import init
from .module import Module, Parameter, _check_size

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell", "detach_state"]


def detach_state(state):
    """Cut a recurrent state from the graph: a Tensor, or a tuple/list of them (LSTM's (h, c)),
    detached; None stays None. Use it between chunks for truncated backpropagation through time:

    >>> lstm, state = LSTM(3, 4), None
    >>> for chunk in (Tensor(np.ones((5, 1, 3))), Tensor(np.ones((5, 1, 3)))):
    ...     output, state = lstm(chunk, state)
    ...     state = detach_state(state)  # the next chunk's backward stops here
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(f"detach_state expects a Tensor or a tuple/list of Tensors, got {type(state).__name__}")


# ---------------------------------------------------------------------------------- one time step
# Each step maps (xw, state) to the next state, a tuple whose first entry is the output h. xw has the
# gates side by side in PyTorch's order along the last dimension; slices of it are views, not copies.
def _rnn_tanh_step(xw, state, w_hh, b_hh):
    """h' = tanh(xw + h W_hh^T + b_hh)."""
    return ((xw + F.linear(state[0], w_hh, b_hh)).tanh(),)


def _rnn_relu_step(xw, state, w_hh, b_hh):
    """h' = relu(xw + h W_hh^T + b_hh)."""
    return ((xw + F.linear(state[0], w_hh, b_hh)).relu(),)


def _lstm_step(xw, state, w_hh, b_hh):
    """Gates [i, f, g, o] = xw + h W_hh^T + b_hh; i, f, o through sigmoid, g through tanh;
    c' = f * c + i * g,  h' = o * tanh(c')."""
    h, c = state
    n = h.shape[-1]
    gates = xw + F.linear(h, w_hh, b_hh)
    sig = gates.sigmoid()  # one op for all four blocks is cheaper than three ops on three slices
    c = sig[..., n:2 * n] * c + sig[..., :n] * gates[..., 2 * n:3 * n].tanh()
    return sig[..., 3 * n:] * c.tanh(), c


def _gru_step(xw, state, w_hh, b_hh):
    """[r, z] = sigmoid(xw_rz + (h W_hh^T + b_hh)_rz),  n = tanh(xw_n + r * (h W_hn^T + b_hn)),
    h' = (1 - z) * n + z * h, computed as n + z * (h - n) (one op fewer)."""
    (h,) = state
    n = h.shape[-1]
    hw = F.linear(h, w_hh, b_hh)
    rz = (xw[..., :2 * n] + hw[..., :2 * n]).sigmoid()
    new = (xw[..., 2 * n:] + rz[..., :n] * hw[..., 2 * n:]).tanh()
    return (new + rz[..., n:] * (h - new),)


def _sigmoid(x, out=None):
    """sigma(x) = 1 / (1 + e^-x) in NumPy, written into ``out`` when given (it may be ``x`` itself): four
    passes and no temporaries. For x below about -88 (float32) e^-x overflows to inf and the result is
    1 / inf = 0, right to within a float32 subnormal, so the overflow warning is silenced. Measured 1.6x
    faster than (1 + tanh(x / 2)) / 2 and 1.3-1.5x faster on a gate block than the engine's sigmoid, whose
    seven passes keep subnormal results (which no gate needs)."""
    with np.errstate(over="ignore"):
        out = np.negative(x, out=out)
        np.exp(out, out=out)
        out += 1
        return np.divide(1, out, out=out)


def _previous(states, initial, reverse):
    """The state each step started from, in time order: h_(t-1) going forwards, h_(t+1) in reverse."""
    return np.concatenate((states[1:], initial[None]) if reverse else (initial[None], states[:-1]))


def _first_order_only(name):
    if is_grad_enabled():  # backward(create_graph=True) is asking for a differentiable gradient
        raise RuntimeError(f"{name}: the fused layer has no second derivative; run {name}Cell in a loop for "
                           "higher-order gradients")


def _lstm_layer(xw, h0, c0, w_hh, reverse):
    """One LSTM layer over a whole sequence as a single fused primitive: the math of :func:`_lstm_step` in
    a loop, with the forward and backward loops written in NumPy.

    Fused because it is measured: the composite loop records about 15 ops per step, and each step's
    slice ``xw[t]`` sends back a gradient as large as all of ``xw``; a training step of the benchmark
    (LSTM(64, 256), batch 32 x 64 steps) is 3.4x faster fused. The tests check it against
    :class:`LSTMCell` in a loop and against PyTorch. Its backward is first-order only.

    The gates come in the order (o, i, f, g), not PyTorch's (i, f, g, o) (:meth:`LSTM._layer_weights`
    reorders the weight rows): the three sigmoid gates are then one block, and so are the three gates
    the cell-state gradient flows through. xw (T, N, 4H) is the input projection x W_ih^T + b_ih + b_hh
    (both biases); h0, c0 (N, H); ``reverse`` runs t = T-1..0.
    Returns (T + 1, N, H): the hidden states h_t in time order, then the final cell state c_n.
    Backward, with gates o, i, f, g after their nonlinearities and dh, dc the gradients reaching h_t, c_t:
        dc = dc_next f_next + dh o (1 - tanh(c_t)^2)
        da = [dh tanh(c_t) o (1 - o), dc g i (1 - i), dc c_prev f (1 - f), dc i (1 - g^2)]   (pre-activations)
        dh_prev = (gradient of the output h_prev) + da W_hh,   dW_hh = sum_t da^T h_prev,   dxw = da.
    """
    steps, batch, n = xw.shape[0], h0.shape[0], h0.shape[-1]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    dtype = np.result_type(xw.data, h0.data, c0.data, w_hh.data)
    # The gates are kept gate-major per step, (4, N, H): every gate is a contiguous block, which NumPy
    # works on several times faster than on strided column slices of an (N, 4H) row. The recurrent
    # products are computed transposed, W_hh h^T (4H, N) and W_hh^T da^T (H, N): with the long side
    # first OpenBLAS runs them 20-25% faster, and the adds that follow read them transposed at little cost.
    gates = np.empty((steps, 4, batch, n), dtype)  # o, i, f, g after their nonlinearities
    out = np.empty((steps + 1, batch, n), dtype)
    hs, cs, tanh_c = out[:steps], np.empty_like(out[:steps]), np.empty_like(out[:steps])
    h, c, scratch, rows = h0.data, c0.data, np.empty((batch, n), dtype), np.empty((4 * n, batch), dtype)
    rows_by_gate = rows.reshape(4, n, batch).transpose(0, 2, 1)  # views (4, N, H) of W_hh h^T and of xw
    xw_by_gate = xw.data.reshape(steps, batch, 4, n).transpose(0, 2, 1, 3)
    for t in order:
        np.matmul(w_hh.data, h.T, out=rows)
        a = np.add(rows_by_gate, xw_by_gate[t], out=gates[t])
        _sigmoid(a[:3], out=a[:3])
        np.tanh(a[3], out=a[3])
        o, i, f, g = a
        c = np.multiply(f, c, out=cs[t])
        c += np.multiply(i, g, out=scratch)
        np.tanh(c, out=tanh_c[t])
        h = np.multiply(o, tanh_c[t], out=hs[t])
    out[steps] = c

    def backward(grad, _):
        _first_order_only("LSTM")
        c_prev = _previous(cs, c0.data, reverse)
        da = np.empty((steps, batch, 4 * n), dtype)  # the layout of xw
        d = np.empty((4, batch, n), dtype)  # this step's da, gate-major
        dh, dc, scratch = np.empty_like(h0.data), grad.data[steps].copy(), np.empty_like(h0.data)
        dh_rows = np.zeros((n, batch), dtype)  # W_hh^T da^T: the gradient sent back to the previous h
        # per step, in place on small arrays: faster than whole-sequence passes that do not fit in cache
        for t in reversed(order):
            o, i, f, g = gates[t]
            np.add(dh_rows.T, grad.data[t], out=dh)  # all that reaches h_t: from step t + 1 and the output
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
            np.matmul(w_hh.data.T, da[t].T, out=dh_rows)
        dw_hh = da.reshape(-1, 4 * n).T @ _previous(hs, h0.data, reverse).reshape(-1, n)
        return _wrap(da), _wrap(np.ascontiguousarray(dh_rows.T)), _wrap(dc), _wrap(dw_hh)

    return make_op("lstm_layer", out, (xw, h0, c0, w_hh), backward)


def _gru_layer(xw, h0, w_hh, b_hh, reverse):
    """One GRU layer over a whole sequence as a single fused primitive: the math of :func:`_gru_step` in
    a loop, with the forward and backward loops in NumPy. Fused because it is measured (see
    :func:`_lstm_layer`): a training step of GRU(64, 256) over batch 32 x 64 steps is 3.3x faster fused.
    Its backward is first-order only.

    xw (T, N, 3H) is the input projection x W_ih^T + b_ih; h0 (N, H). Returns the hidden states
    (T, N, H) in time order. Backward, with hw = h_prev W_hh^T + b_hh, gates r, z, candidate n and
    a_n = xw_n + r hw_n:
        da_n = dh (1 - z) (1 - n^2),  da_r = da_n hw_n r (1 - r),  da_z = dh (h_prev - n) z (1 - z)
        dxw = [da_r, da_z, da_n],  dhw = [da_r, da_z, da_n r]
        dh_prev = (gradient of the output h_prev) + dh z + dhw W_hh,  dW_hh = sum_t dhw^T h_prev,
        db_hh = sum_t dhw.
    """
    steps, n = xw.shape[0], h0.shape[-1]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    hs = np.empty((steps,) + h0.shape, dtype=np.result_type(xw.data, h0.data, w_hh.data))
    rz, new, hw_n = np.empty(hs.shape[:2] + (2 * n,), hs.dtype), np.empty_like(hs), np.empty_like(hs)
    h = h0.data
    for t in order:
        hw = h @ w_hh.data.T
        if b_hh is not None:
            hw += b_hh.data
        _sigmoid(np.add(xw.data[t, :, :2 * n], hw[:, :2 * n], out=rz[t]), out=rz[t])
        hw_n[t] = hw[:, 2 * n:]
        new[t] = np.tanh(xw.data[t, :, 2 * n:] + rz[t, :, :n] * hw_n[t])
        h = hs[t] = new[t] + rz[t, :, n:] * (h - new[t])

    def backward(grad, _):
        _first_order_only("GRU")
        prev_h = _previous(hs, h0.data, reverse)
        dxw, dhw = np.empty_like(xw.data, dtype=hs.dtype), np.empty_like(xw.data, dtype=hs.dtype)
        dh, scratch = np.zeros_like(h0.data), np.empty_like(h0.data)
        # per step, in place on small arrays: faster than whole-sequence passes that do not fit in cache
        for t in reversed(order):
            r, z = rz[t, :, :n], rz[t, :, n:]
            dh += grad.data[t]
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
            dh += dhw[t] @ w_hh.data
        flat = dhw.reshape(-1, 3 * n)
        grads = (_wrap(dxw), _wrap(dh), _wrap(flat.T @ prev_h.reshape(-1, n)))
        return grads + ((_wrap(flat.sum(0)),) if b_hh is not None else ())

    parents = (xw, h0, w_hh) + ((b_hh,) if b_hh is not None else ())
    return make_op("gru_layer", hs, parents, backward)


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    return _rnn_tanh_step if nonlinearity == "tanh" else _rnn_relu_step


class _Recurrent(Module):
    """What cells and layers share: PyTorch's init, U(-1/sqrt(hidden), 1/sqrt(hidden)) for every
    weight and bias, and the parameters of one (layer, direction) under PyTorch's names."""

    _gates = 1  # blocks of hidden_size rows in weight_ih / weight_hh: 4 for LSTM, 3 for GRU

    def _add_weights(self, input_size, suffix=""):
        rows = self._gates * self.hidden_size
        self.register_parameter(f"weight_ih{suffix}", Parameter(np.empty((rows, input_size), dtype=np.float32)))
        self.register_parameter(f"weight_hh{suffix}", Parameter(np.empty((rows, self.hidden_size), dtype=np.float32)))
        for name in (f"bias_ih{suffix}", f"bias_hh{suffix}"):
            self.register_parameter(name, Parameter(np.empty(rows, dtype=np.float32)) if self.bias else None)

    def _weights(self, suffix=""):
        return tuple(getattr(self, f"{name}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)


# ------------------------------------------------------------------------------------------ cells
class _Cell(_Recurrent):
    """One time step: input (N, input_size) or unbatched (input_size,) -> next state."""

    _state_names = ("hx",)

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        name = type(self).__name__
        _check_size(name, input_size, "input_size")
        _check_size(name, hidden_size, "hidden_size")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self._add_weights(input_size)
        self.reset_parameters()

    def _state(self, input, hx):
        """Check the input and the state (a tuple of tensors); return the state, zeros when it is None."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected the input to be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (N, {self.input_size}) or ({self.input_size},), "
                             f"got {input.shape}")
        batch = input.shape[:-1]
        expected = batch + (self.hidden_size,)
        if hx is None:
            return tuple(Tensor(np.zeros(expected, dtype=input.dtype)) for _ in self._state_names)
        for state_name, h in zip(self._state_names, hx):
            if not isinstance(h, Tensor) or h.shape != expected:
                got = h.shape if isinstance(h, Tensor) else type(h).__name__
                raise ValueError(f"{name}: expected {state_name} of shape {expected} for input of shape "
                                 f"{input.shape}, got {got}")
            if h.dtype != input.dtype:  # NumPy would quietly promote the whole sequence
                raise RuntimeError(f"{name}: expected {state_name} of the input's dtype {input.dtype}, got {h.dtype}")
        return tuple(hx)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_Cell):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (``nonlinearity='relu'`` uses relu) for x of shape
    (N, input_size) or (input_size,) and h of shape (N, hidden_size) or (hidden_size,) (zeros when
    omitted). Weights: ``weight_ih`` (hidden, input), ``weight_hh`` (hidden, hidden), biases (hidden,).

    >>> RNNCell(3, 5)(Tensor(np.ones((2, 3)))).shape
    (2, 5)
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        step = _check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity, self._step = nonlinearity, step

    def forward(self, input, hx=None):
        (h,) = self._state(input, None if hx is None else (hx,))
        w_ih, w_hh, b_ih, b_hh = self._weights()
        return self._step(F.linear(input, w_ih, b_ih), (h,), w_hh, b_hh)[0]

    def extra_repr(self):
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity}")


class LSTMCell(_Cell):
    """Long short-term memory cell (Hochreiter & Schmidhuber, 1997), gates in PyTorch's order i, f, g, o:
    [i, f, g, o] = x W_ih^T + b_ih + h W_hh^T + b_hh,  c' = sigma(f) c + sigma(i) tanh(g),
    h' = sigma(o) tanh(c'). ``weight_ih`` is (4 hidden, input), ``weight_hh`` (4 hidden, hidden).
    ``forward(input, (h, c))`` returns ``(h', c')``; the state defaults to zeros.

    >>> h, c = LSTMCell(3, 5)(Tensor(np.ones((2, 3))))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """

    _gates = 4
    _state_names = ("h_0", "c_0")

    def forward(self, input, hx=None):
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"LSTMCell: expected the state as a tuple (h, c), got {type(hx).__name__}")
        state = self._state(input, hx)
        w_ih, w_hh, b_ih, b_hh = self._weights()
        return _lstm_step(F.linear(input, w_ih, b_ih), state, w_hh, b_hh)


class GRUCell(_Cell):
    """Gated recurrent unit (Cho et al., 2014), gates in PyTorch's order r, z, n:
    r = sigma(W_ir x + b_ir + W_hr h + b_hr),  z = sigma(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h.
    ``weight_ih`` is (3 hidden, input), ``weight_hh`` (3 hidden, hidden).

    >>> GRUCell(3, 5)(Tensor(np.ones(3))).shape
    (5,)
    """

    _gates = 3

    def forward(self, input, hx=None):
        state = self._state(input, None if hx is None else (hx,))
        w_ih, w_hh, b_ih, b_hh = self._weights()
        return _gru_step(F.linear(input, w_ih, b_ih), state, w_hh, b_hh)[0]


# ----------------------------------------------------------------------------------------- layers
class _Layers(_Recurrent):
    """A stack of ``num_layers`` recurrent layers over a whole sequence, each optionally bidirectional.

    Input (L, N, input_size), (N, L, input_size) with ``batch_first``, or unbatched (L, input_size).
    Layer k > 0 reads the previous layer's output (both directions concatenated), with dropout between
    layers in training mode. Returns the last layer's output (L, N, D * hidden_size) (batch-first if the
    input is) and the final state (D * num_layers, N, hidden_size), never batch-first.
    Parameters per layer k: ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``,
    and the same with ``_reverse`` for the backward direction.
    """

    _state_names = ("h_0",)

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False):
        super().__init__()
        name = type(self).__name__
        for what, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            _check_size(name, value, what)
        for what, value in (("bias", bias), ("batch_first", batch_first), ("bidirectional", bidirectional)):
            if not isinstance(value, bool):
                raise TypeError(f"{name}: {what} should be of type bool, got {type(value).__name__}")
        if not isinstance(dropout, numbers.Real) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the probability "
                             f"of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          UserWarning, stacklevel=2)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, dropout, bidirectional
        self._suffixes = []  # one per (layer, direction), in PyTorch's parameter order
        for k in range(num_layers):
            for reverse in ("", "_reverse")[:self._d]:
                self._suffixes.append(f"_l{k}{reverse}")
                self._add_weights(input_size if k == 0 else self._d * hidden_size, self._suffixes[-1])
        self.reset_parameters()

    @property
    def _d(self):
        return 2 if self.bidirectional else 1

    def _check(self, input, hx):
        """Validate input and initial state; return the input time-major (L, N, in) and the state as one
        tuple of (N, hidden) tensors per (layer, direction)."""
        name = type(self).__name__
        layout = "(N, L, input_size)" if self.batch_first else "(L, N, input_size)"
        if not isinstance(input, Tensor) or input.ndim not in (2, 3):
            got = input.shape if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"{name}: expected input of shape {layout} or unbatched (L, input_size), got {got}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input with input_size={self.input_size} features (last dimension), "
                             f"got shape {input.shape}")
        batched = input.ndim == 3
        if not batched:
            x = input.unsqueeze(1)
        elif self.batch_first:
            x = input.transpose(0, 1)
        else:
            x = input
        expected = (self._d * self.num_layers,) + ((x.shape[1],) if batched else ()) + (self.hidden_size,)
        if hx is None:
            zeros = Tensor(np.zeros((x.shape[1], self.hidden_size), dtype=input.dtype))
            return x, [(zeros,) * len(self._state_names)] * len(self._suffixes)
        for state_name, h in zip(self._state_names, hx):
            if not isinstance(h, Tensor) or h.shape != expected:
                got = h.shape if isinstance(h, Tensor) else type(h).__name__
                raise ValueError(f"{name}: expected {state_name} of shape {expected} for input of shape "
                                 f"{input.shape}, got {got}")
            if h.dtype != input.dtype:  # NumPy would quietly promote the whole sequence
                raise RuntimeError(f"{name}: expected {state_name} of the input's dtype {input.dtype}, got {h.dtype}")
        hx = [h if batched else h.unsqueeze(1) for h in hx]
        return x, [tuple(h[k] for h in hx) for k in range(len(self._suffixes))]

    def _layer_weights(self, suffix):
        """(w_ih, w_hh, b_ih, b_hh) of one layer and direction as :meth:`_direction` takes them."""
        return self._weights(suffix)

    def _run(self, input, hx):
        """The whole stack; returns (output, final states as a tuple of (D * num_layers, N, hidden))."""
        x, states = self._check(input, hx)
        steps, batch = x.shape[0], x.shape[1]
        finals = []
        for layer in range(self.num_layers):
            if layer > 0:
                x = F.dropout(x, self.dropout, self.training)
            outputs = []
            for direction in range(self._d):
                k = layer * self._d + direction
                w_ih, w_hh, b_ih, b_hh = self._layer_weights(self._suffixes[k])
                # the input projection of every time step in one product over (L * N) rows
                xw = F.linear(x.reshape(steps * batch, x.shape[2]), w_ih, b_ih).reshape(steps, batch, -1)
                output, state = self._direction(xw, states[k], w_hh, b_hh, direction == 1)
                outputs.append(output)
                finals.append(state)
            x = outputs[0] if self._d == 1 else cat(outputs, -1)
        if input.ndim == 2:
            x = x.squeeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        final = tuple(stack(s) if input.ndim == 3 else stack(s).squeeze(1) for s in zip(*finals))
        return x, final

    def _direction(self, xw, state, w_hh, b_hh, reverse):
        """Run the step over time (backwards if ``reverse``): outputs (L, N, hidden) in time order and the
        final state."""
        hs = []
        for t in range(xw.shape[0] - 1, -1, -1) if reverse else range(xw.shape[0]):
            state = self._step(xw[t], state, w_hh, b_hh)
            hs.append(state[0])
        return stack(hs[::-1] if reverse else hs), state

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        for what, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0),
                              ("bidirectional", False)):
            if getattr(self, what) != default:
                s += f", {what}={getattr(self, what)}"
        return s


class RNN(_Layers):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh) per layer (``nonlinearity='relu'``
    uses relu), run as plain ops step by step, so gradients of gradients work through it.
    ``forward(input, h_0=None)`` returns ``(output, h_n)``; see :class:`_Layers` for shapes.

    >>> output, h_n = RNN(3, 5, num_layers=2)(Tensor(np.ones((7, 2, 3))))
    >>> output.shape, h_n.shape
    ((7, 2, 5), (2, 2, 5))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False):
        step = _check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        self.nonlinearity, self._step = nonlinearity, step

    def forward(self, input, hx=None):
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n

    def extra_repr(self):
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity}")


class LSTM(_Layers):
    """Multi-layer LSTM: each layer and direction runs the math of :class:`LSTMCell` (gates i, f, g, o) over
    the sequence as one fused primitive, :func:`_lstm_layer` (first-order gradients only).
    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``; see :class:`_Layers` for shapes.

    >>> output, (h_n, c_n) = LSTM(3, 5, batch_first=True)(Tensor(np.ones((2, 7, 3))))
    >>> output.shape, h_n.shape, c_n.shape
    ((2, 7, 5), (1, 2, 5), (1, 2, 5))
    """

    _gates = 4
    _state_names = ("h_0", "c_0")

    def _layer_weights(self, suffix):
        """The weights :func:`_lstm_layer` takes: rows reordered from PyTorch's gates (i, f, g, o) to
        (o, i, f, g), and both biases added into the input projection's (b_hh is then None)."""
        w_ih, w_hh, b_ih, b_hh = self._weights(suffix)
        n = self.hidden_size

        def reorder(w):
            return cat((w[3 * n:], w[:3 * n]))

        return reorder(w_ih), reorder(w_hh), None if b_ih is None else reorder(b_ih + b_hh), None

    def _direction(self, xw, state, w_hh, b_hh, reverse):
        """The fused :func:`_lstm_layer` (the same math as :func:`_lstm_step` in a loop, measured faster)."""
        both = _lstm_layer(xw, *state, w_hh, reverse)
        steps = xw.shape[0]
        return both[:steps], (both[0 if reverse else steps - 1], both[steps])

    def forward(self, input, hx=None):
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"LSTM: expected the initial state as a tuple (h_0, c_0), got {type(hx).__name__}")
        output, (h_n, c_n) = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(_Layers):
    """Multi-layer GRU: each layer and direction runs the math of :class:`GRUCell` (gates r, z, n) over the
    sequence as one fused primitive, :func:`_gru_layer` (first-order gradients only).
    ``forward(input, h_0=None)`` returns ``(output, h_n)``; see :class:`_Layers` for shapes.

    >>> output, h_n = GRU(3, 5, bidirectional=True)(Tensor(np.ones((7, 2, 3))))
    >>> output.shape, h_n.shape
    ((7, 2, 10), (2, 2, 5))
    """

    _gates = 3

    def _direction(self, xw, state, w_hh, b_hh, reverse):
        """The fused :func:`_gru_layer` (the same math as :func:`_gru_step` in a loop, measured faster)."""
        hs = _gru_layer(xw, state[0], w_hh, b_hh, reverse)
        return hs, (hs[0 if reverse else xw.shape[0] - 1],)

    def forward(self, input, hx=None):
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n
