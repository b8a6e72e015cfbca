"""Recurrent layers: gradcheck, NumPy and PyTorch parity, state_dict layout, dropout, truncated BPTT, errors."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, gradcheck, gradgradcheck
from tinygrad_edu.nn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, detach_state

rng = np.random.default_rng(0)
IN, HID, T, B = 3, 2, 3, 2  # tiny sizes keep the finite differences fast


def t64(*shape, grad=True):
    return Tensor(rng.standard_normal(shape), requires_grad=grad)


def outputs_of(result):
    """(output, h_n) or (output, (h_n, c_n)) as a flat tuple of tensors."""
    output, state = result
    return (output, *state) if isinstance(state, tuple) else (output, state)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ------------------------------------------------------------------------------------------ cells
CELLS = [(RNNCell, {}), (RNNCell, {"nonlinearity": "relu"}), (LSTMCell, {}), (GRUCell, {}), (GRUCell, {"bias": False})]


def cell_state(cls, batch):
    shape = batch + (HID,)
    return (t64(*shape), t64(*shape)) if cls is LSTMCell else t64(*shape)


@pytest.mark.parametrize("cls, kw", CELLS)
@pytest.mark.parametrize("batch", [(B,), ()])
def test_cell_gradcheck(cls, kw, batch):
    cell = cls(IN, HID, **kw).double()
    x, state = t64(*batch, IN), cell_state(cls, batch)
    states = state if isinstance(state, tuple) else (state,)
    assert gradcheck(lambda x, *args: cell(x, state), (x, *cell.parameters(), *states))


@pytest.mark.parametrize("cls", [LSTMCell, GRUCell])
def test_cell_gradgradcheck(cls):
    cell = cls(2, 2).double()
    x, state = t64(1, 2), cell_state(cls, (1,))
    assert gradgradcheck(lambda x, w: cell(x, state), (x, cell.weight_hh))


def test_lstm_and_gru_cells_follow_the_formulas():
    """A NumPy re-implementation of PyTorch's documented equations (gate orders i, f, g, o and r, z, n)."""
    x, h, c = rng.standard_normal((4, IN)), rng.standard_normal((4, HID)), rng.standard_normal((4, HID))
    lstm = LSTMCell(IN, HID).double()
    w_ih, w_hh, b_ih, b_hh = (p.numpy() for p in lstm.parameters())
    i, f, g, o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
    c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h_new, c_out = lstm(Tensor(x), (Tensor(h), Tensor(c)))
    np.testing.assert_allclose(c_out.numpy(), c_new, atol=1e-12)
    np.testing.assert_allclose(h_new.numpy(), sigmoid(o) * np.tanh(c_new), atol=1e-12)
    gru = GRUCell(IN, HID).double()
    w_ih, w_hh, b_ih, b_hh = (p.numpy() for p in gru.parameters())
    (xr, xz, xn), (hr, hz, hn) = np.split(x @ w_ih.T + b_ih, 3, axis=1), np.split(h @ w_hh.T + b_hh, 3, axis=1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    np.testing.assert_allclose(gru(Tensor(x), Tensor(h)).numpy(), (1 - z) * n + z * h, atol=1e-12)


def test_cells_default_to_a_zero_state_and_keep_unbatched_shapes():
    x = Tensor(rng.standard_normal(IN))
    cell = GRUCell(IN, HID).double()
    np.testing.assert_array_equal(cell(x).numpy(), cell(x, Tensor(np.zeros(HID))).numpy())
    h, c = LSTMCell(IN, HID)(x.float())
    assert h.shape == c.shape == (HID,)
    assert RNNCell(IN, HID)(Tensor(np.ones((5, IN), np.float32))).shape == (5, HID)


@pytest.mark.parametrize("cls, kw", CELLS + [(LSTMCell, {"bias": False})])
@pytest.mark.parametrize("batch", [(4,), ()])
def test_cell_matches_torch(cls, kw, batch):
    torch = pytest.importorskip("torch")
    cell = cls(IN, HID, **kw).double()
    ref = getattr(torch.nn, cls.__name__)(IN, HID, **kw).double()
    cell.load_state_dict(ref.state_dict())
    x, state = t64(*batch, IN), cell_state(cls, batch)
    states = state if isinstance(state, tuple) else (state,)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    tstates = tuple(torch.tensor(s.numpy(), requires_grad=True) for s in states)
    ours = cell(x, state)
    theirs = ref(tx, tstates if cls is LSTMCell else tstates[0])
    ours, theirs = (ours, theirs) if cls is LSTMCell else ((ours,), (theirs,))
    gs = [rng.standard_normal(o.shape) for o in ours]
    sum((o * Tensor(g)).sum() for o, g in zip(ours, gs)).backward()
    sum((o * torch.tensor(g)).sum() for o, g in zip(theirs, gs)).backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-12)
    for a, b in [(x, tx), *zip(states, tstates), *zip(cell.parameters(), ref.parameters())]:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


# ----------------------------------------------------------------------------------------- layers
def layer_state(cls, num_states, batch):
    shape = (num_states,) + batch + (HID,)
    return (t64(*shape), t64(*shape)) if cls is LSTM else t64(*shape)


LAYER_KINDS = [(RNN, {}), (LSTM, {}), (LSTM, {"fused": True}), (GRU, {}), (GRU, {"fused": True})]


@pytest.mark.parametrize("cls, kind", LAYER_KINDS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_two_layer_bidirectional_gradcheck(cls, kind, batch_first, with_state):
    layer = cls(IN, HID, num_layers=2, bidirectional=True, batch_first=batch_first, **kind).double()
    x = t64(*((B, T) if batch_first else (T, B)), IN)
    state = layer_state(cls, 4, (B,)) if with_state else None
    states = () if state is None else state if isinstance(state, tuple) else (state,)
    assert gradcheck(lambda x, *args: outputs_of(layer(x, state)), (x, *layer.parameters(), *states))


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("cls, cell_cls", [(LSTM, LSTMCell), (GRU, GRUCell)])
def test_layer_equals_its_cell_run_step_by_step(cls, cell_cls, fused):
    """The layer's recurrence (composed or fused) against its cell run step by step, in both directions."""
    layer = cls(IN, HID, bidirectional=True, fused=fused).double()
    cells = [cell_cls(IN, HID).double() for _ in range(2)]
    for cell, suffix in zip(cells, ("_l0", "_l0_reverse")):
        cell.load_state_dict({name: getattr(layer, name + suffix) for name in cell.state_dict()})
    x, h0, c0 = t64(T, B, IN), t64(2, B, HID), t64(2, B, HID)
    initial = (h0, c0) if cls is LSTM else h0
    output, final = layer(x, initial)
    outputs, finals = [], []
    for d, cell in enumerate(cells):
        state, hs = ((h0[d], c0[d]) if cls is LSTM else h0[d]), {}
        for t in (range(T) if d == 0 else reversed(range(T))):
            state = cell(x[t], state)
            hs[t] = state[0] if cls is LSTM else state
        outputs.append(tg.stack([hs[t] for t in range(T)]))
        finals.append(state[-1] if cls is LSTM else state)  # c_n for LSTM, h_n for GRU
    reference = tg.cat(outputs, -1)
    np.testing.assert_allclose(output.numpy(), reference.numpy(), atol=1e-12)
    np.testing.assert_allclose((final[-1] if cls is LSTM else final).numpy(), tg.stack(finals).numpy(), atol=1e-12)
    g = rng.standard_normal(output.shape)
    wrt = [x, h0, c0] if cls is LSTM else [x, h0]
    grads = tg.grad((output * Tensor(g)).sum(), [*wrt, *layer.parameters()])
    expected = tg.grad((reference * Tensor(g)).sum(), [*wrt, *cells[0].parameters(), *cells[1].parameters()])
    for a, b in zip(grads, expected):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_fused_layers_refuse_second_derivatives_clearly(cls):
    layer = cls(2, 2, fused=True).double()
    x = t64(2, 1, 2)
    (gx,) = tg.grad(layer(x)[0].sum(), [x])
    assert gx.shape == x.shape
    with pytest.raises(RuntimeError, match=f"{cls.__name__.lower()}_layer: the fused layer has no second "
                                           "derivative; use the default fused=False"):
        tg.grad(layer(x)[0].sum(), [x], create_graph=True)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_layers_have_second_derivatives(cls):
    """The layers run their cell's equations as plain ops, so gradients of gradients work through them."""
    layer = cls(2, 2, num_layers=2, bidirectional=True).double()
    assert gradgradcheck(lambda x, w, h: outputs_of(layer(x)), (t64(3, 1, 2), layer.weight_hh_l0, layer.bias_hh_l1))


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_the_graph_shows_the_gates(cls):
    """Composed, the layer's graph is made of the cell's ops, not one opaque node."""
    output = cls(2, 3)(Tensor(np.ones((4, 1, 2), np.float32)))[0]
    ops, seen, stack = set(), set(), [output]
    while stack:
        t = stack.pop()
        if id(t) not in seen:
            seen.add(id(t))
            ops.add(t.op)
            stack.extend(t.parents)
    assert {"sigmoid", "tanh", "linear", "mul"} <= ops and not {"lstm_layer", "gru_layer"} & ops


TORCH_CONFIGS = [  # (class, constructor kwargs, input shape, with an initial state)
    (RNN, {}, (5, 4, IN), False),
    (RNN, {"nonlinearity": "relu", "num_layers": 2}, (5, 4, IN), True),
    (RNN, {"bidirectional": True, "batch_first": True}, (4, 5, IN), True),
    (LSTM, {}, (5, 4, IN), False),
    (LSTM, {"num_layers": 3, "bidirectional": True}, (5, 4, IN), True),
    (LSTM, {"batch_first": True, "bias": False}, (4, 5, IN), True),
    (LSTM, {"num_layers": 2}, (5, IN), True),
    (GRU, {}, (5, 4, IN), True),
    (GRU, {"num_layers": 2, "bidirectional": True, "batch_first": True}, (4, 5, IN), False),
    (GRU, {"bias": False, "bidirectional": True}, (5, IN), True),
]


FUSED_CONFIGS = [(cls, {**kw, "fused": True}, shape, with_state) for cls, kw, shape, with_state in TORCH_CONFIGS
                 if cls is not RNN]


@pytest.mark.parametrize("cls, kw, shape, with_state", TORCH_CONFIGS + FUSED_CONFIGS)
def test_layer_matches_torch(cls, kw, shape, with_state):
    """Outputs, final states and the gradients of the input, the initial state and every parameter."""
    torch = pytest.importorskip("torch")
    layer = cls(IN, HID, **kw).double()
    ref = getattr(torch.nn, cls.__name__)(IN, HID, **{k: v for k, v in kw.items() if k != "fused"}).double()
    layer.load_state_dict(ref.state_dict())
    x = t64(*shape)
    batch = () if len(shape) == 2 else (shape[0] if kw.get("batch_first") else shape[1],)
    num_states = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    state = layer_state(cls, num_states, batch) if with_state else None
    states = () if state is None else state if isinstance(state, tuple) else (state,)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    tstates = tuple(torch.tensor(s.numpy(), requires_grad=True) for s in states)
    ours = outputs_of(layer(x, state))
    tstate = (tstates if cls is LSTM else tstates[0]) if with_state else None
    theirs = outputs_of(ref(tx, tstate))
    gs = [rng.standard_normal(o.shape) for o in ours]
    sum((o * Tensor(g)).sum() for o, g in zip(ours, gs)).backward()
    sum((o * torch.tensor(g)).sum() for o, g in zip(theirs, gs)).backward()
    for a, b in zip(ours, theirs):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-12)
    for a, b in [(x, tx), *zip(states, tstates), *zip(layer.parameters(), ref.parameters())]:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_no_grad_records_nothing_and_gives_the_same_values(cls):
    layer = cls(IN, HID, num_layers=2)
    x = Tensor(rng.standard_normal((T, B, IN)).astype(np.float32))
    with tg.no_grad():
        quiet = outputs_of(layer(x))
    for a, b in zip(quiet, outputs_of(layer(x))):
        assert not a.requires_grad and a.is_leaf and b.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_shapes_h_n_is_never_batch_first():
    output, (h_n, c_n) = LSTM(IN, 4, num_layers=2, batch_first=True)(Tensor(np.ones((2, 5, IN), np.float32)))
    assert output.shape == (2, 5, 4) and h_n.shape == c_n.shape == (2, 2, 4)
    output, h_n = GRU(IN, 4, bidirectional=True, batch_first=True)(Tensor(np.ones((2, 5, IN), np.float32)))
    assert output.shape == (2, 5, 8) and h_n.shape == (2, 2, 4)
    output, h_n = RNN(IN, 4, num_layers=3)(Tensor(np.ones((5, IN), np.float32)))
    assert output.shape == (5, 4) and h_n.shape == (3, 4)


@pytest.mark.parametrize("cls, kw", [(RNN, {}), (LSTM, {"num_layers": 2, "bidirectional": True}),
                                     (GRU, {"bias": False}), (LSTMCell, {}), (GRUCell, {"bias": False})])
def test_state_dict_matches_torch_and_loads_both_ways(cls, kw):
    torch = pytest.importorskip("torch")
    ours, theirs = cls(IN, HID, **kw), getattr(torch.nn, cls.__name__)(IN, HID, **kw)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((T, B, IN) if "Cell" not in cls.__name__ else (B, IN)).astype(np.float32)
    first = lambda out: out[0] if isinstance(out, tuple) else out  # noqa: E731
    np.testing.assert_allclose(first(ours(Tensor(x))).numpy(), first(theirs(torch.from_numpy(x))).detach().numpy(),
                               atol=1e-6)
    fresh = cls(IN, HID, **kw)
    fresh.load_state_dict(theirs.state_dict())
    for a, b in zip(fresh.parameters(), ours.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_init_is_uniform_in_one_over_sqrt_hidden_and_seeded():
    tg.manual_seed(0)
    a = LSTM(IN, 16, num_layers=2)
    tg.manual_seed(0)
    b = LSTM(IN, 16, num_layers=2)
    values = np.concatenate([p.numpy().ravel() for p in a.parameters()])
    assert np.abs(values).max() <= 1 / 4 and np.abs(values).max() > 0.24  # U(-1/sqrt(16), 1/sqrt(16))
    assert abs(values.mean()) < 0.01 and len(np.unique(values)) == values.size
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert all(p.dtype == np.float32 for p in GRUCell(IN, 16).parameters())


# ---------------------------------------------------------------------------------------- dropout
def test_dropout_between_layers_only_in_training():
    layer = GRU(IN, 4, num_layers=2, dropout=1.0)  # p = 1 zeroes the second layer's whole input
    x1, x2 = (Tensor(rng.standard_normal((T, B, IN)).astype(np.float32)) for _ in range(2))
    out1, out2 = layer(x1)[0], layer(x2)[0]
    np.testing.assert_array_equal(out1.numpy(), out2.numpy())  # the input cannot reach the output
    assert np.abs(out1.numpy()).sum() > 0  # the last layer's output itself is not dropped
    layer.eval()
    assert not np.allclose(layer(x1)[0].numpy(), layer(x2)[0].numpy())
    plain = GRU(IN, 4, num_layers=2)
    plain.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(layer(x1)[0].numpy(), plain(x1)[0].numpy())


def test_dropout_masks_differ_between_calls_in_training():
    layer = LSTM(IN, 8, num_layers=2, dropout=0.5)
    x = Tensor(rng.standard_normal((T, B, IN)).astype(np.float32))
    assert not np.allclose(layer(x)[0].numpy(), layer(x)[0].numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].numpy(), layer(x)[0].numpy())


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        LSTM(IN, HID, dropout=0.2)


# ----------------------------------------------------------------------------- truncated BPTT
@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_detach_state_cuts_the_graph_between_chunks(cls):
    layer = cls(IN, HID).double()
    chunk1, chunk2 = t64(T, B, IN), t64(T, B, IN)
    _, state = layer(chunk1)
    carried = detach_state(state)
    out, _ = layer(chunk2, carried)
    out.sum().backward()
    assert chunk1.grad is None  # nothing flowed back across the cut
    cut_grads = [p.grad.numpy().copy() for p in layer.parameters()]
    # the same as starting chunk 2 from constant copies of the state: chunk 1's steps added nothing
    layer.zero_grad()
    constant = tuple(Tensor(s.numpy().copy()) for s in carried) if cls is LSTM else Tensor(carried.numpy().copy())
    layer(chunk2, constant)[0].sum().backward()
    for a, p in zip(cut_grads, layer.parameters()):
        np.testing.assert_allclose(a, p.grad.numpy(), atol=1e-12)
    # without the cut, the gradient does reach chunk 1
    layer.zero_grad()
    _, state = layer(chunk1)
    layer(chunk2, state)[0].sum().backward()
    assert chunk1.grad is not None and np.abs(chunk1.grad.numpy()).sum() > 0


def test_detach_state_handles_tensors_tuples_lists_and_none():
    y = t64(2) * 2
    assert detach_state(y).is_leaf and not detach_state(y).requires_grad
    pair = detach_state((y, y + 1))
    assert isinstance(pair, tuple) and all(t.is_leaf for t in pair)
    assert isinstance(detach_state([y]), list)
    assert detach_state(None) is None
    with pytest.raises(TypeError, match="Tensor or a tuple/list of Tensors, got ndarray"):
        detach_state(np.zeros(2))


# ----------------------------------------------------------------------------------------- errors
def test_layer_input_errors():
    lstm = LSTM(IN, HID, batch_first=True)
    with pytest.raises(ValueError, match=r"LSTM: expected input of shape \(N, L, input_size\) or unbatched "
                                         r"\(L, input_size\), got \(2, 3, 4, 3\)"):
        lstm(Tensor(np.ones((2, 3, 4, IN))))
    with pytest.raises(ValueError, match=r"GRU: expected input with input_size=3 features \(last dimension\), "
                                         r"got shape \(5, 2, 4\)"):
        GRU(IN, HID)(Tensor(np.ones((5, 2, 4))))


def test_layer_state_errors():
    x = Tensor(np.ones((5, 2, IN)))
    with pytest.raises(ValueError, match=r"RNN: expected h_0 of shape \(2, 2, 2\) for input of shape \(5, 2, 3\), "
                                         r"got \(1, 2, 2\)"):
        RNN(IN, HID, bidirectional=True)(x, Tensor(np.zeros((1, 2, HID))))
    with pytest.raises(ValueError, match=r"LSTM: expected c_0 of shape \(1, 2, 2\) .* got \(1, 3, 2\)"):
        LSTM(IN, HID)(x, (Tensor(np.zeros((1, 2, HID))), Tensor(np.zeros((1, 3, HID)))))
    with pytest.raises(ValueError, match=r"GRU: expected h_0 of shape \(1, 2\) for input of shape \(5, 3\)"):
        GRU(IN, HID)(Tensor(np.ones((5, IN))), Tensor(np.zeros((1, 2, HID))))
    with pytest.raises(TypeError, match=r"LSTM: expected the initial state as a tuple \(h_0, c_0\), got Tensor"):
        LSTM(IN, HID)(x, Tensor(np.zeros((1, 2, HID))))


def test_cell_errors():
    with pytest.raises(ValueError, match=r"GRUCell: expected input of shape \(N, 3\) or \(3,\), got \(2, 4\)"):
        GRUCell(IN, HID)(Tensor(np.ones((2, 4))))
    with pytest.raises(ValueError, match=r"RNNCell: expected input of shape .*got \(1, 2, 3\)"):
        RNNCell(IN, HID)(Tensor(np.ones((1, 2, IN))))
    with pytest.raises(ValueError, match=r"RNNCell: expected hx of shape \(2, 2\) for input of shape \(2, 3\), "
                                         r"got \(3, 2\)"):
        RNNCell(IN, HID)(Tensor(np.ones((2, IN))), Tensor(np.zeros((3, HID))))
    with pytest.raises(ValueError, match=r"LSTMCell: expected c_0 of shape \(2,\) .* got \(1, 2\)"):
        LSTMCell(IN, HID)(Tensor(np.ones(IN)), (Tensor(np.zeros(HID)), Tensor(np.zeros((1, HID)))))
    with pytest.raises(TypeError, match=r"LSTMCell: expected the state as a tuple \(h, c\), got Tensor"):
        LSTMCell(IN, HID)(Tensor(np.ones(IN)), Tensor(np.zeros(HID)))


def test_constructor_errors():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'."):
        RNN(IN, HID, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        RNNCell(IN, HID, nonlinearity="gelu")
    for bad in (-0.1, 1.5, True, "0.5"):
        with pytest.raises(ValueError, match=r"LSTM: dropout should be a number in range \[0, 1\]"):
            LSTM(IN, HID, num_layers=2, dropout=bad)
    with pytest.raises(ValueError, match="GRU: hidden_size must be greater than zero, got 0"):
        GRU(IN, 0)
    with pytest.raises(TypeError, match="RNN: num_layers should be an int, got float"):
        RNN(IN, HID, num_layers=2.0)
    with pytest.raises(TypeError, match="LSTMCell: input_size should be an int, got str"):
        LSTMCell("3", HID)
    with pytest.raises(TypeError, match="GRU: batch_first should be of type bool, got int"):
        GRU(IN, HID, batch_first=1)


def test_repr_like_torch():
    assert repr(LSTM(64, 256, batch_first=True)) == "LSTM(64, 256, batch_first=True)"
    assert repr(GRU(3, 4, num_layers=2, bias=False, dropout=0.5, bidirectional=True)) == \
        "GRU(3, 4, num_layers=2, bias=False, dropout=0.5, bidirectional=True)"
    assert repr(RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity=relu)"
    assert repr(RNNCell(3, 4, bias=False, nonlinearity="relu")) == "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(LSTMCell(3, 4)) == "LSTMCell(3, 4)"


def test_repr_matches_torch_exactly_where_torch_prints_the_same_settings():
    torch = pytest.importorskip("torch")
    for cls, kw in [(LSTM, {"batch_first": True}), (GRU, {"num_layers": 2, "dropout": 0.5, "bidirectional": True}),
                    (RNN, {"bias": False}), (GRUCell, {"bias": False}), (RNNCell, {"nonlinearity": "relu"})]:
        assert repr(cls(64, 256, **kw)) == repr(getattr(torch.nn, cls.__name__)(64, 256, **kw))
