"""Recurrent layers with PyTorch's names, gate orders and state_dict layout: RNNCell, LSTMCell, GRUCell,
and the multi-layer, optionally bidirectional RNN, LSTM and GRU.

Every step starts from ``xw``, the input projection x W_ih^T + b_ih. A layer computes it for all time
steps in one matrix product over (T * N) rows, so the loop over time only does the recurrent part:
h W_hh^T + b_hh and the gates. Cells and layers run the same step equations (``lstm_step``, ``gru_step``,
``rnn_tanh_step`` in ``engine/ops/fused.py``), composed of the engine's ops: the graph shows the gates,
and gradients of gradients work. ``LSTM(..., fused=True)`` and ``GRU(..., fused=True)`` run each layer
as one fused primitive instead, with first-order gradients only.

Truncated backpropagation through time: pass the final state of one chunk into the next through
:func:`detach_state`, so the next backward stops at the chunk boundary.
"""

import math
import numbers
import warnings

import numpy as np

from ..engine.ops import cat, gru_layer, gru_step, lstm_layer, lstm_step, rnn_relu_step, rnn_tanh_step, stack
from ..engine.tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter, _check_size

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell", "detach_state"]


def detach_state(state):
    """Cut a recurrent state from the graph: a Tensor, or a tuple/list of them (LSTM's (h, c)),
    detached; None stays None. Use it between chunks for truncated backpropagation through time:

    >>> lstm, state = LSTM(3, 4), None
    >>> for chunk in (Tensor(np.ones((5, 1, 3), np.float32)), Tensor(np.ones((5, 1, 3), np.float32))):
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


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    return rnn_tanh_step if nonlinearity == "tanh" else rnn_relu_step


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

    def _check_states(self, hx, expected, input):
        """Each given state must be a Tensor of shape ``expected`` and of the input's dtype."""
        name = type(self).__name__
        for state_name, h in zip(self._state_names, hx):
            if not isinstance(h, Tensor) or h.shape != expected:
                got = h.shape if isinstance(h, Tensor) else type(h).__name__
                raise ValueError(f"{name}: expected {state_name} of shape {expected} for input of shape "
                                 f"{input.shape}, got {got}")
            if h.dtype != input.dtype:  # NumPy would quietly promote the whole sequence
                raise RuntimeError(f"{name}: expected {state_name} of the input's dtype {input.dtype}, got {h.dtype}")

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
        self._check_states(hx, expected, input)
        return tuple(hx)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_Cell):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (``nonlinearity='relu'`` uses relu) for x of shape
    (N, input_size) or (input_size,) and h of shape (N, hidden_size) or (hidden_size,) (zeros when
    omitted). Weights: ``weight_ih`` (hidden, input), ``weight_hh`` (hidden, hidden), biases (hidden,).

    >>> RNNCell(3, 5)(Tensor(np.ones((2, 3), np.float32))).shape
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

    >>> h, c = LSTMCell(3, 5)(Tensor(np.ones((2, 3), np.float32)))
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
        return lstm_step(F.linear(input, w_ih, b_ih), state, w_hh, b_hh)


class GRUCell(_Cell):
    """Gated recurrent unit (Cho et al., 2014), gates in PyTorch's order r, z, n:
    r = sigma(W_ir x + b_ir + W_hr h + b_hr),  z = sigma(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h.
    ``weight_ih`` is (3 hidden, input), ``weight_hh`` (3 hidden, hidden).

    >>> GRUCell(3, 5)(Tensor(np.ones(3, np.float32))).shape
    (5,)
    """

    _gates = 3

    def forward(self, input, hx=None):
        state = self._state(input, None if hx is None else (hx,))
        w_ih, w_hh, b_ih, b_hh = self._weights()
        return gru_step(F.linear(input, w_ih, b_ih), state, w_hh, b_hh)[0]


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
        self._check_states(hx, expected, input)
        hx = [h if batched else h.unsqueeze(1) for h in hx]
        return x, [tuple(h[k] for h in hx) for k in range(len(self._suffixes))]

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
                w_ih, w_hh, b_ih, b_hh = self._weights(self._suffixes[k])
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
        final state. The steps read xw's time slices, views whose gradients the engine adds into one buffer."""
        hs = []
        steps = xw.unbind(0)
        for t in range(len(steps) - 1, -1, -1) if reverse else range(len(steps)):
            state = self._step(steps[t], state, w_hh, b_hh)
            hs.append(state[0])
        return stack(hs[::-1] if reverse else hs), state

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        for what, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0),
                              ("bidirectional", False), ("fused", False)):
            if getattr(self, what, default) != default:  # only LSTM and GRU have ``fused``
                s += f", {what}={getattr(self, what)}"
        return s


class RNN(_Layers):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh) per layer (``nonlinearity='relu'``
    uses relu), run as plain ops step by step, so gradients of gradients work through it.
    ``forward(input, h_0=None)`` returns ``(output, h_n)``; see :class:`_Layers` for shapes.

    >>> output, h_n = RNN(3, 5, num_layers=2)(Tensor(np.ones((7, 2, 3), np.float32)))
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


class _FusedLayers(_Layers):
    """LSTM and GRU: the cells' equations composed of ops by default; ``fused=True`` runs each layer and
    direction as one fused primitive instead (``engine/ops/fused.py``: the same numbers, computed in NumPy
    loops, with first-order gradients only)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, *, fused=False):
        if not isinstance(fused, bool):
            raise TypeError(f"{type(self).__name__}: fused should be of type bool, got {type(fused).__name__}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        self.fused = fused

    def _direction(self, xw, state, w_hh, b_hh, reverse):
        return (self._fused_direction if self.fused else super()._direction)(xw, state, w_hh, b_hh, reverse)


class LSTM(_FusedLayers):
    """Multi-layer LSTM: each layer and direction runs :class:`LSTMCell`'s equations (gates i, f, g, o) over
    the sequence, composed of ops (``fused=True``: one fused primitive, :func:`lstm_layer`).
    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``; see :class:`_Layers` for shapes.

    >>> output, (h_n, c_n) = LSTM(3, 5, batch_first=True)(Tensor(np.ones((2, 7, 3), np.float32)))
    >>> output.shape, h_n.shape, c_n.shape
    ((2, 7, 5), (1, 2, 5), (1, 2, 5))
    """

    _gates = 4
    _state_names = ("h_0", "c_0")
    _step = staticmethod(lstm_step)

    def _fused_direction(self, xw, state, w_hh, b_hh, reverse):
        both = lstm_layer(xw if b_hh is None else xw + b_hh, *state, w_hh, reverse)  # (T + 1, N, H): h_t, then c_T
        steps = xw.shape[0]
        return both[:steps], (both[0 if reverse else steps - 1], both[steps])

    def forward(self, input, hx=None):
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"LSTM: expected the initial state as a tuple (h_0, c_0), got {type(hx).__name__}")
        output, (h_n, c_n) = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(_FusedLayers):
    """Multi-layer GRU: each layer and direction runs :class:`GRUCell`'s equations (gates r, z, n) over the
    sequence, composed of ops (``fused=True``: one fused primitive, :func:`gru_layer`).
    ``forward(input, h_0=None)`` returns ``(output, h_n)``; see :class:`_Layers` for shapes.

    >>> output, h_n = GRU(3, 5, bidirectional=True)(Tensor(np.ones((7, 2, 3), np.float32)))
    >>> output.shape, h_n.shape
    ((7, 2, 10), (2, 2, 5))
    """

    _gates = 3
    _step = staticmethod(gru_step)

    def _fused_direction(self, xw, state, w_hh, b_hh, reverse):
        hs = gru_layer(xw, state[0], w_hh, b_hh, reverse)
        return hs, (hs[0 if reverse else xw.shape[0] - 1],)

    def forward(self, input, hx=None):
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n
