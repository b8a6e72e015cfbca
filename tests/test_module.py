"""nn.Module: the parameter/buffer/submodule registry, containers, modes, hooks, dtype conversion,
state_dict round trips and load_state_dict's errors, and repr."""

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.nn import layers as L
from tinygrad_edu.nn.module import Module, ModuleDict, ModuleList, Parameter, Sequential


class Block(Module):
    def __init__(self):
        super().__init__()
        self.fc = L.Linear(3, 4)
        self.norm = L.BatchNorm1d(4)
        self.scale = Parameter(np.array([2.0], np.float32))
        self.register_buffer("steps", tg.Tensor(np.zeros(1)))
        self.register_buffer("cache", tg.Tensor(np.zeros(2)), persistent=False)
        self.note = "plain attribute"

    def forward(self, x):
        return self.norm(self.fc(x)).relu() * self.scale


class Net(Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = L.Linear(4, 2)

    def forward(self, x):
        return self.head(self.block(x))


def batch(seed=0, n=5):
    return tg.Tensor(np.random.default_rng(seed).standard_normal((n, 3)).astype(np.float32))  # the layers' dtype


# ------------------------------------------------------------------------------------------ registry
def test_registry_names_and_kinds():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "block.scale", "block.fc.weight", "block.fc.bias", "block.norm.weight", "block.norm.bias",
        "head.weight", "head.bias"]
    assert [tuple(p.shape) for p in net.parameters()] == [(1,), (4, 3), (4,), (4,), (4,), (2, 4), (2,)]
    assert all(isinstance(p, Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_buffers()] == [
        "block.steps", "block.cache", "block.norm.running_mean", "block.norm.running_var",
        "block.norm.num_batches_tracked"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.norm", "head"]
    assert [type(m).__name__ for m in net.children()] == ["Block", "Linear"]
    assert [n for n, _ in net.named_parameters(recurse=False)] == []
    assert [n for n, _ in net.block.named_parameters(prefix="x", recurse=False)] == ["x.scale"]
    assert net.block.note == "plain attribute" and "note" not in net.block._parameters
    # cache is a buffer but not persistent: moves with the module, never saved
    assert "block.cache" not in net.state_dict() and "block.steps" in net.state_dict()


def test_shared_parameter_is_listed_once():
    a, b = L.Linear(3, 3), L.Linear(3, 3)
    b.weight = a.weight
    model = Sequential(a, b)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.bias"]
    assert len(list(model.parameters())) == 3
    model.double()
    x = tg.Tensor(np.array([[1.0, -2.0, 0.5]]))
    model(x).sum().backward()
    # y = W (W x + a) + b: both uses accumulate into the one weight, dL/dW = 1 (W x + a)^T + (W^T 1) x^T
    w, h, ones = a.weight.numpy(), a.weight.numpy() @ x.numpy()[0] + a.bias.numpy(), np.ones(3)
    expected = np.outer(ones, h) + np.outer(w.T @ ones, x.numpy()[0])
    np.testing.assert_allclose(a.weight.grad.numpy(), expected, rtol=1e-12)


def test_reassignment_rules():
    m = L.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign a ndarray to parameter 'weight'"):
        m.weight = np.zeros((2, 2))
    m.bias = None  # optional parameters accept None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(AttributeError, match=r"before Bad.__init__\(\) calls super\(\).__init__\(\)"):
        class Bad(Module):
            def __init__(self):
                self.w = Parameter(np.zeros(1))
        Bad()
    del m.weight
    assert list(m.parameters()) == []


# ---------------------------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_iteration_append():
    layers = [L.Linear(3, 4), L.ReLU(), L.Linear(4, 2)]
    seq = Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    tail = seq[1:]
    assert isinstance(tail, Sequential) and list(tail) == layers[1:]
    x = batch()
    np.testing.assert_allclose(seq(x).numpy(), layers[2](layers[1](layers[0](x))).numpy())
    extra = L.Tanh()
    assert seq.append(extra) is seq and len(seq) == 4 and seq[3] is extra
    np.testing.assert_allclose(seq(x).numpy(), np.tanh(layers[2](layers[1](layers[0](x))).numpy()))
    named = Sequential(OrderedDict([("inp", L.Linear(3, 4)), ("act", L.ReLU())]))
    assert [n for n, _ in named.named_parameters()] == ["inp.weight", "inp.bias"]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_module_list_indexing_insert_append():
    a, b, c, d = L.Linear(1, 1), L.Linear(1, 2), L.Linear(2, 2), L.Tanh()
    ml = ModuleList([a, b])
    assert len(ml) == 2 and ml[0] is a and ml[-1] is b and list(ml) == [a, b]
    ml.append(c)
    ml.insert(1, d)
    assert list(ml) == [a, d, b, c]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias",
                                                     "3.weight", "3.bias"]
    assert isinstance(ml[1:3], ModuleList) and list(ml[1:3]) == [d, b]
    ml[-1] = L.Identity()
    assert isinstance(ml[3], L.Identity) and len(ml) == 4
    ml.extend([L.ReLU(), L.ReLU()])
    assert len(ml) == 6

    class Holder(Module):
        def __init__(self):
            super().__init__()
            self.layers = ModuleList([L.Linear(2, 2) for _ in range(3)])

    assert [n for n, _ in Holder().named_parameters()][-2:] == ["layers.2.weight", "layers.2.bias"]


def test_module_dict():
    enc, dec = L.Linear(2, 3), L.Linear(3, 2)
    md = ModuleDict({"enc": enc, "dec": dec})
    assert md["enc"] is enc and "dec" in md and "x" not in md and len(md) == 2
    assert list(md) == ["enc", "dec"] and list(md.keys()) == ["enc", "dec"]
    assert list(md.values()) == [enc, dec] and list(md.items()) == [("enc", enc), ("dec", dec)]
    md["act"] = L.ReLU()
    assert len(md) == 3 and isinstance(md["act"], L.ReLU)
    assert [n for n, _ in md.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]


# ------------------------------------------------------------------------------ modes, grads, apply
def test_train_eval_propagate():
    net = Sequential(L.Linear(3, 3), Sequential(L.Dropout(0.5), L.BatchNorm1d(3)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert [m.training for m in net.modules()] == [False] * 5
    net[1].train()
    assert [m.training for m in net.modules()] == [False, False, True, True, True]
    net.train(False)
    x = batch()
    np.testing.assert_array_equal(net(x).numpy(), net(x).numpy())  # eval: no dropout randomness


def test_zero_grad():
    net = Net()
    net(batch()).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    for p in net.parameters():
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_apply_visits_children_first():
    net = Net()
    order = []
    assert net.apply(lambda m: order.append(type(m).__name__)) is net
    assert order == ["Linear", "BatchNorm1d", "Block", "Linear", "Net"]

    def fill(m):
        if isinstance(m, L.Linear):
            m.weight.data[...] = 0.5

    net.apply(fill)
    np.testing.assert_array_equal(net.head.weight.numpy(), np.full((2, 4), 0.5))
    np.testing.assert_array_equal(net.block.fc.weight.numpy(), np.full((4, 3), 0.5))


def test_dtype_conversion_keeps_parameter_identity():
    net = Net()
    params, buffers = list(net.parameters()), list(net.buffers())
    net(batch()).sum().backward()
    net.zero_grad(set_to_none=False)
    assert net.double() is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert [id(b) for b in net.buffers()] == [id(b) for b in buffers]
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in net.parameters())
    assert net.block.norm.running_mean.dtype == np.float64
    assert net.block.norm.num_batches_tracked.dtype == np.int64  # integers are not converted
    assert net(batch().double()).dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters()) and net.block.steps.dtype == np.float32
    net.to(np.float64)
    assert [id(p) for p in net.parameters()] == [id(p) for p in params] and params[0].dtype == np.float64


# ---------------------------------------------------------------------------------------- hooks
def test_forward_hook_modifies_output_and_is_removed():
    m = L.Linear(3, 2)
    x = batch()
    plain = m(x).numpy()
    handle = m.register_forward_hook(lambda mod, inputs, out: out * 2)
    np.testing.assert_allclose(m(x).numpy(), 2 * plain)
    handle.remove()
    np.testing.assert_allclose(m(x).numpy(), plain)


def test_forward_hooks_chain_and_none_keeps_output():
    m = L.Linear(3, 2)
    x = batch()
    plain = m(x).numpy()
    seen = []
    m.register_forward_hook(lambda mod, inputs, out: out * 2)
    m.register_forward_hook(lambda mod, inputs, out: seen.append((mod, inputs[0], out.numpy().copy())))
    np.testing.assert_allclose(m(x).numpy(), 2 * plain)  # the observer returned None: output unchanged
    assert seen[0][0] is m and seen[0][1] is x
    np.testing.assert_allclose(seen[0][2], 2 * plain)  # hooks run in order; the second sees the doubled output


def test_forward_hook_prepend_order():
    m = L.Identity()
    calls = []
    m.register_forward_hook(lambda *_: calls.append("first"))
    m.register_forward_hook(lambda *_: calls.append("second"))
    m.register_forward_hook(lambda *_: calls.append("prepended"), prepend=True)
    m(tg.Tensor([1.0]))
    assert calls == ["prepended", "first", "second"]


def test_forward_hook_handle_removes_after_later_registrations():
    m = L.Identity()
    calls = []
    first = m.register_forward_hook(lambda *_: calls.append("first"))
    m.register_forward_hook(lambda *_: calls.append("second"))
    first.remove()
    m(tg.Tensor([1.0]))
    assert calls == ["second"]


# ---------------------------------------------------------------------------------- state dicts
def trained_net(seed):
    tg.manual_seed(seed)
    net = Net()
    for s in range(3):
        net(batch(s))  # moves BatchNorm's running statistics away from 0 / 1
    return net


def test_state_dict_keys_and_round_trip():
    net = trained_net(0)
    state = net.state_dict()
    assert list(state) == ["block.scale", "block.steps", "block.fc.weight", "block.fc.bias", "block.norm.weight",
                           "block.norm.bias", "block.norm.running_mean", "block.norm.running_var",
                           "block.norm.num_batches_tracked", "head.weight", "head.bias"]
    assert int(state["block.norm.num_batches_tracked"].numpy()) == 3
    assert all(not t.requires_grad for t in state.values())
    fresh = trained_net(1).eval()
    x = batch(9)
    assert not np.allclose(fresh(x).numpy(), net.eval()(x).numpy())
    result = fresh.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(fresh(x).numpy(), net(x).numpy())
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), state[k].numpy())
    # the loaded values are copies: changing the source afterwards does not reach the fresh model
    net.head.bias.data[...] += 1
    assert not np.array_equal(fresh.head.bias.numpy(), net.head.bias.numpy())


def test_load_state_dict_accepts_numpy_arrays():
    net, fresh = trained_net(0), trained_net(1)
    fresh.load_state_dict({k: np.array(v.numpy()) for k, v in net.state_dict().items()})
    x = batch(2)
    np.testing.assert_array_equal(fresh.eval()(x).numpy(), net.eval()(x).numpy())


def test_load_state_dict_reports_every_problem_and_changes_nothing():
    net = trained_net(0)
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    state = {k: np.full(v.shape, 7.0) for k, v in net.state_dict().items()}
    del state["head.bias"], state["block.scale"]
    state["head.extra"] = np.zeros(1)
    state["block.fc.weight"] = np.zeros((3, 4))
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(state)
    message = str(info.value)
    assert "missing keys: ['block.scale', 'head.bias']" in message
    assert "unexpected keys: ['head.extra']" in message
    assert "block.fc.weight: expected (4, 3), got (3, 4)" in message
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])  # nothing was written, not even the valid keys


def test_load_state_dict_non_strict():
    net = trained_net(0)
    state = {"head.weight": np.ones((2, 4)), "head.nope": np.ones(3)}
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert unexpected == ["head.nope"]
    assert missing == [k for k in net.state_dict() if k != "head.weight"]
    np.testing.assert_array_equal(net.head.weight.numpy(), np.ones((2, 4)))
    with pytest.raises(RuntimeError, match=r"shape mismatches: \['head.weight: expected \(2, 4\), got \(4, 2\)'\]"):
        net.load_state_dict({"head.weight": np.ones((4, 2))}, strict=False)


# ------------------------------------------------------------------------------------------- repr
def test_nested_repr():
    model = Sequential(L.Linear(2, 8), L.ReLU(), Sequential(L.Linear(8, 1, bias=False), L.Sigmoid()),
                       L.BatchNorm1d(1))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=8, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=8, out_features=1, bias=False)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        "  (3): BatchNorm1d(1, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
        ")")


def test_nested_repr_matches_torch():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    ours = ModuleDict({"enc": Sequential(L.Linear(2, 3), L.GELU()), "norm": L.LayerNorm(3)})
    theirs = nn.ModuleDict({"enc": nn.Sequential(nn.Linear(2, 3), nn.GELU()), "norm": nn.LayerNorm(3)})
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}


def test_sequential_slice_keeps_names_and_insert():
    model = tg.nn.Sequential(L.Linear(2, 3), L.ReLU(), L.Linear(3, 1))
    tail = model[1:]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]  # PyTorch keeps the original indices
    assert tail[1] is model[2]
    model.insert(1, L.Tanh())
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "ReLU", "Linear"]
