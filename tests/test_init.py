"""nn.init: each initializer's statistics against its formula, fans and gains against PyTorch,
orthogonality, reproducibility and errors."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.nn import init


def tensor(*shape, dtype=np.float64):
    return tg.Tensor(np.full(shape, np.nan, dtype=dtype))


def assert_uniform(data, lo, hi):
    assert data.min() >= lo and data.max() <= hi
    # a large sample fills the interval and has the uniform's mean and std within a few percent
    width = hi - lo
    assert data.min() < lo + 0.01 * width and data.max() > hi - 0.01 * width
    assert abs(data.mean() - (lo + hi) / 2) < 0.02 * width
    assert abs(data.std() / (width / math.sqrt(12)) - 1) < 0.03


def assert_normal(data, mean, std):
    assert abs(data.mean() - mean) < 0.03 * std
    assert abs(data.std() / std - 1) < 0.03
    assert abs((np.abs(data - mean) < std).mean() - 0.6827) < 0.01  # shape, not just two moments


def test_uniform_and_normal_keep_the_tensor_and_its_array():
    t = tensor(200, 300, dtype=np.float32)
    array = t.numpy()
    assert init.uniform_(t, -2.0, 3.0) is t and t.numpy() is array and t.dtype == np.float32
    assert_uniform(t.numpy(), -2.0, 3.0)
    assert init.normal_(t, 1.5, 0.5) is t and t.numpy() is array
    assert_normal(t.numpy(), 1.5, 0.5)


def test_constant_zeros_ones():
    t = tensor(3, 4)
    np.testing.assert_array_equal(init.constant_(t, 2.5).numpy(), np.full((3, 4), 2.5))
    np.testing.assert_array_equal(init.zeros_(t).numpy(), np.zeros((3, 4)))
    np.testing.assert_array_equal(init.ones_(t).numpy(), np.ones((3, 4)))


def test_init_records_no_graph_on_a_parameter():
    t = tg.Tensor(np.zeros((4, 5)), requires_grad=True)
    init.kaiming_uniform_(t)
    assert t.is_leaf and t.requires_grad and t.grad is None
    assert np.all(t.numpy() != 0)


@pytest.mark.parametrize("shape", [(300, 400), (64, 32, 5, 5)])
def test_xavier(shape):
    t = tensor(*shape)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    bound = 0.8 * math.sqrt(6 / (fan_in + fan_out))
    assert_uniform(init.xavier_uniform_(t, gain=0.8).numpy(), -bound, bound)
    assert_normal(init.xavier_normal_(t, gain=2.0).numpy(), 0.0, 2.0 * math.sqrt(2 / (fan_in + fan_out)))


def test_kaiming_defaults_and_modes():
    t = tensor(500, 20, 3, 3)  # fan_in 180, fan_out 4500
    gain = math.sqrt(2 / (1 + 0.0 ** 2))  # leaky_relu with a=0
    bound = gain * math.sqrt(3 / 180)
    assert_uniform(init.kaiming_uniform_(t).numpy(), -bound, bound)
    std = math.sqrt(2) / math.sqrt(4500)
    assert_normal(init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu").numpy(), 0.0, std)
    bound = math.sqrt(2 / (1 + 0.2 ** 2)) * math.sqrt(3 / 4500)
    assert_uniform(init.kaiming_uniform_(t, a=0.2, mode="fan_out").numpy(), -bound, bound)
    assert_normal(init.kaiming_normal_(t, nonlinearity="tanh").numpy(), 0.0, 5 / 3 / math.sqrt(180))


@pytest.mark.parametrize("shape,gain", [((6, 6), 1.0), ((10, 4), 2.0), ((4, 10), 0.5), ((3, 2, 2, 2), 1.5)])
def test_orthogonal(shape, gain):
    t = init.orthogonal_(tensor(*shape), gain=gain)
    q = t.numpy().reshape(shape[0], -1)
    # the smaller Gram matrix is gain^2 I: orthonormal columns (tall) or rows (wide)
    gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(q.shape)), atol=1e-12)


def test_orthogonal_is_pytorchs_algorithm():
    tg.manual_seed(4)
    t = init.orthogonal_(tensor(3, 5))
    flattened = np.random.default_rng(4).normal(0.0, 1.0, (3, 5)).T  # the same draw, made tall
    q, r = np.linalg.qr(flattened)
    np.testing.assert_allclose(t.numpy(), (q * np.sign(np.diag(r))).T, rtol=1e-12)
    # the sign correction makes R's diagonal positive: Q^T A has a positive diagonal
    assert np.all(np.diag(t.numpy() @ flattened) > 0)


def test_reproducible_with_manual_seed():
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_):
        tg.manual_seed(11)
        a = fn(tensor(5, 6)).numpy().copy()
        tg.manual_seed(11)
        b = fn(tensor(5, 6)).numpy().copy()
        c = fn(tensor(5, 6)).numpy()
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c), fn.__name__


def test_fans_by_hand():
    assert init._calculate_fan_in_and_fan_out(tensor(7, 3)) == (3, 7)
    assert init._calculate_fan_in_and_fan_out(tensor(8, 4, 3, 5)) == (60, 120)


@pytest.mark.parametrize("shape", [(7, 3), (8, 4, 3), (8, 4, 3, 5), (2, 3, 1, 4, 2), (5, 0)])
def test_fans_match_torch(shape):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(tensor(*shape)) == expected


GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
         ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
         ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu", None)]


@pytest.mark.parametrize("name,param", GAINS)
def test_gain_matches_torch(name, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-15)


def test_gain_values_by_hand():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / 1.0001))
    assert init.calculate_gain("selu") == 0.75


def test_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'; valid ones are linear, .*relu.*selu"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope True is not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(got shape \(5,\)\)"):
        init.xavier_uniform_(tensor(5))
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tensor())
    with pytest.raises(ValueError, match=r"2 or more dimensions are supported, got shape \(4,\)"):
        init.orthogonal_(tensor(4))
    t = tensor(3, 4)
    with pytest.raises(ValueError, match="mode 'fan_avg' is not supported"):
        init.kaiming_uniform_(t, mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        init.kaiming_normal_(t, nonlinearity="gelu")
    assert np.all(np.isnan(t.numpy()))  # the failed calls left the tensor alone


def test_init_functions_draw_from_a_given_generator_only():
    w = tg.Tensor(np.zeros((3, 4), np.float32))
    draws = []
    for seed in (5, 5, 6):
        tg.manual_seed(seed + 100)  # the global seed must not matter
        draws.append(init.kaiming_uniform_(w, generator=tg.Generator().manual_seed(seed)).numpy().copy())
    np.testing.assert_array_equal(draws[0], draws[1])
    assert not np.array_equal(draws[0], draws[2])
    g = tg.Generator().manual_seed(3)
    a = init.normal_(w, generator=g).numpy().copy()
    b = init.normal_(w, generator=g).numpy().copy()
    assert not np.array_equal(a, b)  # the generator's stream moves on


def test_a_dataloader_shuffles_with_a_given_generator():
    ds = tg.data.TensorDataset(np.arange(20))
    orders = [[int(v) for (b,) in tg.data.DataLoader(ds, 5, shuffle=True, generator=tg.Generator().manual_seed(s))
               for v in b.numpy()] for s in (1, 1, 2)]
    assert orders[0] == orders[1] != orders[2] and sorted(orders[0]) == list(range(20))
    with pytest.raises(ValueError, match="seed or generator"):
        tg.data.DataLoader(ds, 5, seed=1, generator=tg.Generator())
