"""models.CNN: structure, shapes, state_dict, parameter count, gradients, PyTorch parity, and that it learns."""

import time

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.models.cnn import CNN
from tinygrad_edu.nn.functional import cross_entropy


@pytest.mark.parametrize("image_size, channels, final", [(8, (16, 32), 2), (28, (16, 32), 7), (28, (4,), 14),
                                                         ((12, 8), (3, 5), (3, 2))])
def test_output_shape(image_size, channels, final):
    tg.manual_seed(0)
    model = CNN(image_size=image_size, channels=channels, num_classes=7)
    h, w = (image_size, image_size) if isinstance(image_size, int) else image_size
    fh, fw = (final, final) if isinstance(final, int) else final
    out = model(tg.Tensor(np.zeros((3, 1, h, w), dtype=np.float32)))
    assert out.shape == (3, 7)
    assert model.classifier[-1].in_features == channels[-1] * fh * fw


def test_structure_state_dict_keys_and_parameter_count_28x28():
    model = CNN()
    kinds = [type(m).__name__ for m in model.features]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d"] * 2
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert shapes == {"features.0.weight": (16, 1, 3, 3), "features.0.bias": (16,),
                      "features.3.weight": (32, 16, 3, 3), "features.3.bias": (32,),
                      "classifier.1.weight": (10, 32 * 7 * 7), "classifier.1.bias": (10,)}
    # (1*16*9 + 16) + (16*32*9 + 32) + (1568*10 + 10)
    assert sum(p.numel() for p in model.parameters()) == 160 + 4640 + 15690 == 20490


def test_hidden_layer_dropout_and_rgb_input():
    model = CNN(in_channels=3, num_classes=5, image_size=8, channels=(4, 6), hidden=12, dropout=0.5)
    kinds = [type(m).__name__ for m in model.classifier]
    assert kinds == ["Flatten", "Linear", "ReLU", "Dropout", "Linear"]
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert shapes["features.0.weight"] == (4, 3, 3, 3) and shapes["classifier.1.weight"] == (12, 6 * 2 * 2)
    assert shapes["classifier.4.weight"] == (5, 12)
    # (3*4*9 + 4) + (4*6*9 + 6) + (24*12 + 12) + (12*5 + 5)
    assert sum(p.numel() for p in model.parameters()) == 112 + 222 + 300 + 65
    model.eval()
    x = tg.Tensor(np.random.default_rng(0).random((2, 3, 8, 8), dtype=np.float32))
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())  # eval: dropout off, deterministic


def test_gradcheck_tiny_cnn_wrt_input_and_parameters():
    tg.manual_seed(3)
    model = CNN(in_channels=1, num_classes=3, image_size=6, channels=(2,), hidden=4).double()
    x = tg.Tensor(np.random.default_rng(3).standard_normal((2, 1, 6, 6)), requires_grad=True)
    params = list(model.parameters())
    assert len(params) == 6 and all(p.numpy().dtype == np.float64 for p in params)

    def f(x, *ps):
        return model(x)

    assert tg.gradcheck(f, (x, *params))


def test_gradcheck_two_stages_through_the_loss():
    tg.manual_seed(4)
    model = CNN(in_channels=2, num_classes=3, image_size=(4, 6), channels=(2, 3)).double()
    x = tg.Tensor(np.random.default_rng(4).standard_normal((3, 2, 4, 6)), requires_grad=True)
    y = tg.Tensor(np.array([0, 2, 1]))

    def f(x, *ps):
        return cross_entropy(model(x), y)

    assert tg.gradcheck(f, (x, *model.parameters()))


def test_matches_pytorch_with_the_same_weights():
    torch = pytest.importorskip("torch")
    tg.manual_seed(5)
    model = CNN(image_size=8, channels=(3, 4), hidden=6)
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16, 6), torch.nn.ReLU(), torch.nn.Linear(6, 10))
    ours = list(model.state_dict().values())
    with torch.no_grad():
        for p, q in zip(ref.parameters(), ours, strict=True):
            assert tuple(p.shape) == q.shape
            p.copy_(torch.from_numpy(q.numpy().copy()))
    x = np.random.default_rng(5).random((4, 1, 8, 8), dtype=np.float32)
    expected = ref(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(tg.Tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match=r"too small for 3 pooling stages"):
        CNN(image_size=4, channels=(2, 2, 2))
    with pytest.raises(ValueError, match=r"channels entry must be a positive int, got 0"):
        CNN(channels=(8, 0))
    with pytest.raises(ValueError, match=r"in_channels must be a positive int"):
        CNN(in_channels=0)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        CNN(hidden=8, dropout=1.0)
    with pytest.raises(ValueError, match=r"hidden must be None or a positive int"):
        CNN(hidden=0)


def test_trains_on_digits_well_above_chance():
    from tinygrad_edu.data import DataLoader, TensorDataset
    from tinygrad_edu.data.images import load_digits
    from tinygrad_edu.optim import Adam

    tg.manual_seed(0)
    X_train, X_test, y_train, y_test = load_digits()
    model = CNN(image_size=8)
    optimizer = Adam(model.parameters(), lr=1e-2)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True, seed=0)
    start, losses = time.perf_counter(), []
    for _ in range(3):
        for xb, yb in loader:
            loss = cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with tg.no_grad():
        accuracy = (model(tg.Tensor(X_test)).numpy().argmax(axis=1) == y_test).mean()
    print(f"digits CNN: 3 epochs, test accuracy {accuracy:.3f}, {time.perf_counter() - start:.1f} s")
    assert accuracy > 0.8
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
