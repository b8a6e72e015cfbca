"""models.MLP: structure, PyTorch-compatible state_dict, gradients, errors, and that it learns."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.models import MLP


def test_structure_and_state_dict_keys():
    model = MLP([2, 8, 4, 3], activation="tanh", batchnorm=True, dropout=0.1)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear"]
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert shapes["layers.0.weight"] == (8, 2) and shapes["layers.8.weight"] == (3, 4)
    assert shapes["layers.1.running_var"] == (8,) and shapes["layers.1.num_batches_tracked"] == ()
    assert sum(p.numel() for p in model.parameters()) == (2 * 8 + 8) + 2 * 8 + (8 * 4 + 4) + 2 * 4 + (4 * 3 + 3)


def test_forward_matches_the_layers_by_hand():
    tg.manual_seed(0)
    model = MLP([3, 5, 2], activation="relu")
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    w1, b1, w2, b2 = (p.numpy() for p in model.parameters())
    expected = np.maximum(x @ w1.T + b1, 0) @ w2.T + b2
    np.testing.assert_allclose(model(tg.Tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "gelu", "sigmoid", "tanh", "leaky_relu", "silu"])
def test_gradcheck_every_activation(activation):
    tg.manual_seed(1)
    model = MLP([3, 4, 2], activation=activation, batchnorm=True).double()
    x = tg.Tensor(np.random.default_rng(1).standard_normal((5, 3)), requires_grad=True)
    params = list(model.parameters())

    def f(x, *ps):
        return model(x)

    assert tg.gradcheck(f, (x, *params))


def test_errors():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; choose one of \['gelu', "):
        MLP([2, 3, 1], activation="swish")
    with pytest.raises(ValueError, match=r"at least an input and an output size"):
        MLP([2])
    with pytest.raises(RuntimeError, match="Linear expected input with 2 features"):
        MLP([2, 3, 1])(tg.Tensor(np.ones((4, 5), dtype=np.float32)))


def test_learns_moons_to_full_training_accuracy():
    from tinygrad_edu.demo import train_moons

    _, history, accuracy = train_moons(epochs=100)
    assert accuracy == 1.0
    assert history["loss"][-1] < 0.05 * history["loss"][0]
