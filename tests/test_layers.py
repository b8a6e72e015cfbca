"""nn.layers: gradients of every layer against finite differences, outputs and gradients against
PyTorch with weights moved through state_dict both ways, BatchNorm's running statistics, initialization
statistics, dropout, repr strings and errors."""

import math
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.nn import layers as L


def leaf(shape, seed=0, scale=1.0):
    return tg.Tensor(np.random.default_rng(seed).standard_normal(shape) * scale, requires_grad=True)


def randomize(m, seed=1):
    """Give every float parameter and buffer distinct random values (running_var kept positive), so a
    check cannot pass thanks to the ones/zeros of a fresh layer."""
    rng = np.random.default_rng(seed)
    for name, t in m.state_dict().items():
        if t.dtype.kind == "f":
            positive = name.endswith("running_var")
            t.data[...] = rng.uniform(0.5, 2.0, t.shape) if positive else rng.standard_normal(t.shape)
    return m


# (id, factory, input shape); every float input is checked
FLOAT_LAYERS = [
    ("linear", lambda: L.Linear(4, 3), (2, 5, 4)),
    ("linear_nobias", lambda: L.Linear(4, 3, bias=False), (3, 4)),
    ("identity", lambda: L.Identity(), (2, 3)),
    ("flatten", lambda: L.Flatten(), (2, 3, 2)),
    ("flatten_0_1", lambda: L.Flatten(0, 1), (2, 3, 2)),
    ("unflatten", lambda: L.Unflatten(1, (2, 3)), (2, 6, 2)),
    ("relu", lambda: L.ReLU(), (3, 4)),
    ("leaky_relu", lambda: L.LeakyReLU(0.2), (3, 4)),
    ("gelu", lambda: L.GELU(), (3, 4)),
    ("gelu_tanh", lambda: L.GELU("tanh"), (3, 4)),
    ("silu", lambda: L.SiLU(), (3, 4)),
    ("sigmoid", lambda: L.Sigmoid(), (3, 4)),
    ("tanh", lambda: L.Tanh(), (3, 4)),
    ("softmax", lambda: L.Softmax(dim=1), (3, 4)),
    ("log_softmax", lambda: L.LogSoftmax(dim=-1), (2, 3, 4)),
    ("dropout_eval", lambda: L.Dropout(0.3).eval(), (3, 4)),
    ("bn1d_train", lambda: L.BatchNorm1d(3), (4, 3)),
    ("bn1d_3d_train", lambda: L.BatchNorm1d(3), (3, 3, 4)),
    ("bn1d_eval", lambda: L.BatchNorm1d(3).eval(), (4, 3)),
    ("bn1d_noaffine_train", lambda: L.BatchNorm1d(3, affine=False), (4, 3, 2)),
    ("bn1d_noaffine_eval", lambda: L.BatchNorm1d(3, affine=False).eval(), (4, 3, 2)),
    ("bn2d_train", lambda: L.BatchNorm2d(2), (2, 2, 3, 3)),
    ("bn2d_eval", lambda: L.BatchNorm2d(2).eval(), (2, 2, 3, 3)),
    ("bn2d_noaffine_train", lambda: L.BatchNorm2d(2, affine=False), (2, 2, 3, 3)),
    ("bn2d_untracked_eval", lambda: L.BatchNorm2d(2, track_running_stats=False).eval(), (2, 2, 3, 3)),
    ("bn1d_nobias_train", lambda: L.BatchNorm1d(3, bias=False), (4, 3)),
    ("layer_norm_1", lambda: L.LayerNorm(4), (2, 3, 4)),
    ("layer_norm_2", lambda: L.LayerNorm((3, 4)), (2, 3, 4)),
    ("layer_norm_nobias", lambda: L.LayerNorm(4, bias=False), (3, 4)),
    ("layer_norm_plain", lambda: L.LayerNorm((3, 4), elementwise_affine=False), (2, 3, 4)),
]


@pytest.mark.parametrize("factory,shape", [case[1:] for case in FLOAT_LAYERS], ids=[c[0] for c in FLOAT_LAYERS])
def test_gradients_of_input_and_every_parameter(factory, shape):
    m = randomize(factory().double())
    params = list(m.parameters())
    assert all(p.dtype == np.float64 for p in params)
    x = leaf(shape)
    # gradcheck perturbs the Parameters in place, so calling the module sees each perturbation
    assert tg.gradcheck(lambda x, *ps: m(x), (x, *params))


def test_embedding_gradient_with_padding_idx():
    m = L.Embedding(6, 3, padding_idx=1).double()
    idx = tg.Tensor(np.array([[0, 1, 4], [4, 5, 1]]))
    # the padding row is used but treated as a constant, so check the others with its outputs masked out
    keep = tg.Tensor((idx.numpy() != 1)[..., None].astype(float))
    assert tg.gradcheck(lambda w: m(idx) * keep, (m.weight,))
    m(idx).sum().backward()
    counts = np.bincount(idx.numpy().ravel(), minlength=6).astype(float)
    counts[1] = 0  # the padding row gets no gradient
    np.testing.assert_array_equal(m.weight.grad.numpy(), np.repeat(counts[:, None], 3, axis=1))


# ------------------------------------------------------------------------------------ torch parity
# (id, class name shared by both libraries, args, kwargs, input shape, training?)
PARITY = [
    ("linear", "Linear", (4, 3), {}, (2, 5, 4), True),
    ("linear_nobias", "Linear", (4, 3), {"bias": False}, (3, 4), True),
    ("identity", "Identity", (), {}, (2, 3), True),
    ("flatten", "Flatten", (), {}, (2, 3, 2, 2), True),
    ("flatten_0_1", "Flatten", (0, 1), {}, (2, 3, 2), True),
    ("unflatten", "Unflatten", (1, (2, -1)), {}, (2, 6, 2), True),
    ("relu", "ReLU", (), {}, (3, 4), True),
    ("leaky_relu", "LeakyReLU", (0.2,), {}, (3, 4), True),
    ("gelu", "GELU", (), {}, (3, 4), True),
    ("gelu_tanh", "GELU", ("tanh",), {}, (3, 4), True),
    ("silu", "SiLU", (), {}, (3, 4), True),
    ("sigmoid", "Sigmoid", (), {}, (3, 4), True),
    ("tanh", "Tanh", (), {}, (3, 4), True),
    ("softmax", "Softmax", (1,), {}, (3, 4, 2), True),
    ("log_softmax", "LogSoftmax", (-1,), {}, (3, 4), True),
    ("dropout_eval", "Dropout", (0.4,), {}, (3, 4), False),
    ("bn1d", "BatchNorm1d", (3,), {}, (4, 3), True),
    ("bn1d_3d", "BatchNorm1d", (3,), {}, (4, 3, 5), True),
    ("bn1d_eval", "BatchNorm1d", (3,), {}, (4, 3, 5), False),
    ("bn1d_noaffine", "BatchNorm1d", (3,), {"affine": False}, (4, 3), True),
    ("bn1d_noaffine_eval", "BatchNorm1d", (3,), {"affine": False}, (4, 3), False),
    ("bn1d_nobias", "BatchNorm1d", (3,), {"bias": False}, (4, 3), True),
    ("bn1d_cumulative", "BatchNorm1d", (3,), {"momentum": None}, (4, 3), True),
    ("bn2d", "BatchNorm2d", (2,), {}, (3, 2, 4, 4), True),
    ("bn2d_eval", "BatchNorm2d", (2,), {}, (3, 2, 4, 4), False),
    ("bn2d_untracked_eval", "BatchNorm2d", (2,), {"track_running_stats": False}, (3, 2, 4, 4), False),
    ("layer_norm_1", "LayerNorm", (4,), {}, (2, 3, 4), True),
    ("layer_norm_2", "LayerNorm", ((3, 4),), {}, (2, 3, 4), True),
    ("layer_norm_nobias", "LayerNorm", (4,), {"bias": False}, (3, 4), True),
    ("layer_norm_plain", "LayerNorm", (4,), {"elementwise_affine": False}, (3, 4), True),
]


def shapes(state):
    return {k: tuple(v.shape) for k, v in state.items()}


@pytest.mark.parametrize("name,args,kwargs,shape,training", [c[1:] for c in PARITY], ids=[c[0] for c in PARITY])
def test_matches_torch_through_state_dict(name, args, kwargs, shape, training):
    torch = pytest.importorskip("torch")
    source = randomize(getattr(L, name)(*args, **kwargs).double(), seed=7)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double().train(training)
    assert shapes(source.state_dict()) == shapes(theirs.state_dict())
    # ours -> torch (tensors made from our arrays), then torch -> a fresh layer of ours (NumPy arrays)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in source.state_dict().items()})
    ours = getattr(L, name)(*args, **kwargs).double().train(training)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for k, v in source.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[k].numpy(), v.numpy())

    x = leaf(shape, seed=3)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(4).standard_normal(out.shape)
    out.backward(tg.Tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    torch_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(torch_params)
    for n, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), torch_params[n].grad.numpy(), rtol=1e-9, atol=1e-12)
    # a training step updated the running statistics (and num_batches_tracked) the same way
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-12, atol=1e-14)


def test_embedding_matches_torch():
    torch = pytest.importorskip("torch")
    for padding_idx in (None, 2, -1):
        ours = L.Embedding(7, 3, padding_idx=padding_idx).double()
        theirs = torch.nn.Embedding(7, 3, padding_idx).double()
        assert ours.padding_idx == theirs.padding_idx
        theirs.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()})
        idx = np.array([[0, 2, 6], [6, 2, 2]])
        out, tout = ours(tg.Tensor(idx)), theirs(torch.tensor(idx))
        np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
        g = np.random.default_rng(0).standard_normal(out.shape)
        out.backward(tg.Tensor(g))
        tout.backward(torch.tensor(g))
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum", "cumulative"])
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)),
                                       ("BatchNorm2d", (4, 3, 2, 3))], ids=["bn1d_2d", "bn1d_3d", "bn2d"])
def test_batch_norm_running_statistics_match_torch(cls, shape, momentum):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(L, cls)(3, momentum=momentum).double(), getattr(torch.nn, cls)(3, momentum=momentum).double()
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.standard_normal(shape) * 3 + 1
        ours(tg.Tensor(x))
        theirs(torch.tensor(x))
    assert int(ours.num_batches_tracked.numpy()) == 5 and ours.num_batches_tracked.dtype == np.int64
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-12)
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(ours(tg.Tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert int(ours.num_batches_tracked.numpy()) == 5  # evaluation changes nothing


def test_batch_norm_cumulative_average_by_hand():
    """momentum=None: the running statistics are the plain averages of the batch mean and unbiased variance."""
    m = L.BatchNorm1d(2, momentum=None).double()
    batches = [np.random.default_rng(s).standard_normal((6, 2)) * (s + 1) for s in range(4)]
    for b in batches:
        m(tg.Tensor(b))
    np.testing.assert_allclose(m.running_mean.numpy(), np.mean([b.mean(0) for b in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), np.mean([b.var(0, ddof=1) for b in batches], axis=0), rtol=1e-12)


def test_batch_norm_momentum_by_hand_and_no_graph():
    m = L.BatchNorm1d(2, momentum=0.25).double()
    x = tg.Tensor(np.array([[1.0, 2.0], [3.0, 6.0]]), requires_grad=True)
    out = m(x)
    np.testing.assert_allclose(m.running_mean.numpy(), [0.75 * 0 + 0.25 * 2, 0.25 * 4], rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), [0.75 + 0.25 * 2, 0.75 + 0.25 * 8], rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), [[-1, -1], [1, 1]], atol=1e-5)
    assert not m.running_mean.requires_grad and m.running_mean.is_leaf and m.running_var.is_leaf


def test_batch_norm_without_running_stats():
    m = L.BatchNorm2d(3, track_running_stats=False)
    assert m.running_mean is None and m.running_var is None and m.num_batches_tracked is None
    assert list(m.state_dict()) == ["weight", "bias"]
    x = tg.Tensor(np.random.default_rng(0).standard_normal((4, 3, 2, 2)) * 5 + 2)
    out = m.eval()(x)  # still the batch's statistics
    np.testing.assert_allclose(out.numpy().mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.numpy().var(axis=(0, 2, 3)), 1, atol=1e-3)


# ------------------------------------------------------------------------------- init and dropout
def test_linear_default_init_statistics():
    tg.manual_seed(0)
    m = L.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = m.weight.numpy(), m.bias.numpy()
    assert w.shape == (300, 400) and b.shape == (300,) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound and np.abs(b).max() > 0.95 * bound  # spans the whole interval
    assert abs(w.mean()) < 0.01 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # U(-a, a) has std a / sqrt(3)
    tg.manual_seed(0)
    np.testing.assert_array_equal(L.Linear(400, 300).weight.numpy(), w)  # the library's seed makes it reproducible


def test_embedding_init_and_padding_row():
    tg.manual_seed(1)
    m = L.Embedding(500, 40, padding_idx=-2)
    assert m.padding_idx == 498
    np.testing.assert_array_equal(m.weight.numpy()[498], 0)
    rest = np.delete(m.weight.numpy(), 498, axis=0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1) < 0.02


def test_layer_defaults():
    bn, ln = L.BatchNorm1d(4), L.LayerNorm((2, 3))
    np.testing.assert_array_equal(bn.weight.numpy(), np.ones(4))
    np.testing.assert_array_equal(bn.bias.numpy(), np.zeros(4))
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(4))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(4))
    assert (bn.eps, bn.momentum, bn.affine, bn.track_running_stats) == (1e-5, 0.1, True, True)
    assert ln.normalized_shape == (2, 3) and ln.eps == 1e-5 and ln.weight.shape == (2, 3)
    np.testing.assert_array_equal(ln.weight.numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(ln.bias.numpy(), np.zeros((2, 3)))
    assert L.LeakyReLU().negative_slope == 0.01 and L.GELU().approximate == "none" and L.Dropout().p == 0.5


def test_dropout_keeps_the_mean_and_is_identity_in_eval():
    tg.manual_seed(0)
    m = L.Dropout(0.3)
    x = tg.Tensor(np.full((200, 500), 2.0))
    out = m(x).numpy()
    assert set(np.unique(out)) == {0.0, 2.0 / 0.7}
    assert abs((out == 0).mean() - 0.3) < 0.01
    assert abs(out.mean() - 2.0) < 0.02
    m.eval()
    y = m(x)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    assert y is x  # exactly the input: no copy, no graph node


# ----------------------------------------------------------------------------------- softmax dims
@pytest.mark.parametrize("cls", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((2, 3, 4), 0), ((2, 3, 2, 2), 1)])
def test_softmax_legacy_dim(cls, shape, dim):
    x = leaf(shape)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = getattr(L, cls)()(x)
    np.testing.assert_allclose(out.numpy(), getattr(L, cls)(dim)(x).numpy(), rtol=1e-12)
    e = np.exp(x.numpy() - x.numpy().max(axis=dim, keepdims=True))
    expected = e / e.sum(axis=dim, keepdims=True)
    np.testing.assert_allclose(out.numpy(), expected if cls == "Softmax" else np.log(expected), rtol=1e-10)


# ---------------------------------------------------------------------------------------- reprs
def test_reprs_match_torch():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    pairs = [(L.Linear(2, 3), nn.Linear(2, 3)), (L.Linear(2, 3, bias=False), nn.Linear(2, 3, bias=False)),
             (L.BatchNorm1d(3), nn.BatchNorm1d(3)),
             (L.BatchNorm2d(4, momentum=None, affine=False), nn.BatchNorm2d(4, momentum=None, affine=False)),
             (L.LayerNorm((2, 3), bias=False), nn.LayerNorm((2, 3), bias=False)), (L.LayerNorm(5), nn.LayerNorm(5)),
             (L.Embedding(5, 3, padding_idx=-1), nn.Embedding(5, 3, padding_idx=-1)),
             (L.Embedding(5, 3), nn.Embedding(5, 3)),
             (L.Flatten(), nn.Flatten()), (L.Unflatten(1, [2, 3]), nn.Unflatten(1, [2, 3])), (L.ReLU(), nn.ReLU()),
             (L.LeakyReLU(0.2), nn.LeakyReLU(0.2)), (L.GELU("tanh"), nn.GELU("tanh")), (L.SiLU(), nn.SiLU()),
             (L.Softmax(), nn.Softmax()), (L.LogSoftmax(1), nn.LogSoftmax(1)), (L.Identity(), nn.Identity()),
             (L.Sigmoid(), nn.Sigmoid()), (L.Tanh(), nn.Tanh())]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
    assert repr(L.Linear(2, 3)) == "Linear(in_features=2, out_features=3, bias=True)"
    assert repr(L.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"  # PyTorch's repr


# -------------------------------------------------------------------------------------------- errors
def test_linear_rejects_wrong_feature_size():
    m = L.Linear(4, 3)
    expected = r"Linear expected input with 4 features \(last dimension\), got shape \(2, 5\)"
    with pytest.raises(RuntimeError, match=expected):
        m(tg.Tensor(np.ones((2, 5))))
    with pytest.raises(RuntimeError, match=r"got shape \(\)"):
        m(tg.Tensor(1.0))


@pytest.mark.parametrize("cls,shape,error,match", [
    ("BatchNorm1d", (2, 3, 4, 4), ValueError, r"BatchNorm1d expected input of shape \(N, C\) or \(N, C, L\), got "
                                              r"shape \(2, 3, 4, 4\)"),
    ("BatchNorm1d", (3,), ValueError, r"got shape \(3,\) \(1-D\)"),
    ("BatchNorm2d", (2, 3, 4), ValueError, r"BatchNorm2d expected input of shape \(N, C, H, W\), got "
                                           r"shape \(2, 3, 4\)"),
    ("BatchNorm1d", (4, 5), RuntimeError, r"BatchNorm1d\(3\) expected input with 3 channels \(dimension 1\), got "
                                          r"shape \(4, 5\)"),
    ("BatchNorm2d", (2, 2, 3, 3), RuntimeError, r"expected input with 3 channels"),
    ("BatchNorm1d", (1, 3), ValueError, r"more than 1 value per channel"),
])
def test_batch_norm_errors_change_nothing(cls, shape, error, match):
    m = getattr(L, cls)(3)
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    with pytest.raises(error, match=match):
        m(tg.Tensor(np.arange(np.prod(shape), dtype=float).reshape(shape)))
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_constructor_and_input_errors():
    with pytest.raises(ValueError, match=r"dropout probability has to be between 0 and 1, but got 1.5"):
        L.Dropout(1.5)
    with pytest.raises(ValueError, match=r"approximate must be 'none' or 'tanh', got 'fast'"):
        L.GELU("fast")
    with pytest.raises(ValueError, match=r"padding_idx 5 must be within num_embeddings \(-5 to 4\)"):
        L.Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match=r"padding_idx -6"):
        L.Embedding(5, 2, padding_idx=-6)
    with pytest.raises(IndexError, match=r"index 5 is out of range for num_embeddings=5"):
        L.Embedding(5, 2)(tg.Tensor([1, 5]))
    with pytest.raises(TypeError, match=r"indices must be integers"):
        L.Embedding(5, 2)(tg.Tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"normalized_shape \(4,\) does not match .* input shape \(2, 3\)"):
        L.LayerNorm(4)(tg.Tensor(np.ones((2, 3))))
    with pytest.raises(RuntimeError, match=r"Unflatten: cannot split dimension 1 of size 7 .* into \(2, 3\)"):
        L.Unflatten(1, (2, 3))(tg.Tensor(np.ones((2, 7))))
    with pytest.raises(RuntimeError, match=r"into \(-1, -1\)"):
        L.Unflatten(1, (-1, -1))(tg.Tensor(np.ones((2, 6))))
    with pytest.raises(TypeError, match=r"unflattened_size must be a tuple or list of ints, got 6"):
        L.Unflatten(1, 6)
    with pytest.raises(IndexError, match=r"dim 2 is out of range for input of shape \(2, 6\)"):
        L.Unflatten(2, (2, 3))(tg.Tensor(np.ones((2, 6))))


def test_no_torch_warning_leaks():
    """Explicit dims never warn (the legacy-dim warning is only for dim=None)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L.Softmax(0)(leaf((3,)))
        L.LogSoftmax(1)(leaf((2, 3)))
