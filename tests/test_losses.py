"""nn.loss: gradients (first and second) against finite differences for every option, values and
input gradients against PyTorch over a grid of options, known values, extreme logits, modules, errors."""

import itertools
import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.nn import loss as L

REDUCTIONS = ["none", "mean", "sum"]


def leaf(shape, seed=0, scale=1.0, dtype=np.float64):
    return tg.Tensor((np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype), requires_grad=True)


def const(shape, seed, low=0.0, high=1.0):
    return tg.Tensor(np.random.default_rng(seed).uniform(low, high, shape))


def labels(shape, n_classes, seed=5, ignored=()):
    """Class indices with ``ignore_index`` -100 at the flat positions ``ignored``."""
    t = np.random.default_rng(seed).integers(0, n_classes, shape)
    t.flat[list(ignored)] = -100
    return tg.Tensor(t)


def probabilities(shape, seed=6):
    p = np.random.default_rng(seed).uniform(0.1, 1.0, shape)
    return tg.Tensor(p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True))


# --------------------------------------------------------------------------------------- gradients
# (input shape, target kind, weight, label_smoothing); index targets ignore two positions
CE_CASES = list(itertools.product([(4, 3), (2, 3, 2, 2), (3,)], ["index", "prob"], [False, True], [0.0, 0.2]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,kind,weighted,smoothing", CE_CASES)
def test_cross_entropy_gradcheck(shape, kind, weighted, smoothing, reduction):
    x, w = leaf(shape), const((shape[0 if len(shape) == 1 else 1],), 7, 0.5, 2.0)
    if kind == "index":
        t = labels(shape[:1] + shape[2:] if len(shape) > 1 else (), shape[0 if len(shape) == 1 else 1],
                   ignored=(1, 3) if len(shape) > 1 else ())
        inputs = (x,)
    else:
        t = probabilities(shape).requires_grad_()
        inputs = (x, t)

    def fn(x, t=t):
        return L.cross_entropy(x, t, w if weighted else None, reduction=reduction, label_smoothing=smoothing)

    assert tg.gradcheck(fn, inputs)


@pytest.mark.parametrize("kind", ["index", "prob"])
def test_cross_entropy_gradgradcheck(kind):
    x, w = leaf((3, 4)), const((4,), 7, 0.5, 2.0)
    t = labels((3,), 4, ignored=(1,)) if kind == "index" else probabilities((3, 4))
    assert tg.gradgradcheck(lambda x: L.cross_entropy(x, t, w, label_smoothing=0.1), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,weighted", [((4, 3), False), ((4, 3), True), ((2, 3, 2), True), ((3,), False)])
def test_nll_loss_gradcheck(shape, weighted, reduction):
    x = leaf(shape)
    cd = 0 if len(shape) == 1 else 1
    t = labels(shape[:cd] + shape[cd + 1:], shape[cd], ignored=(0,) if len(shape) > 1 else ())
    w = const((shape[cd],), 7, 0.5, 2.0) if weighted else None
    assert tg.gradcheck(lambda x: L.nll_loss(x.log_softmax(cd), t, w, reduction=reduction), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fn", [L.mse_loss, L.l1_loss], ids=["mse", "l1"])
def test_regression_losses_gradcheck(fn, reduction):
    x, y = leaf((3, 4)), leaf((3, 4), 1)
    assert tg.gradcheck(lambda x, y: fn(x, y, reduction=reduction), (x, y))


def test_mse_gradgradcheck():
    assert tg.gradgradcheck(lambda x, y: L.mse_loss(x, y), (leaf((3, 4)), leaf((3, 4), 1)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_gradcheck(weighted, reduction):
    p = tg.Tensor(np.random.default_rng(0).uniform(0.05, 0.95, (3, 4)), requires_grad=True)
    y, w = const((3, 4), 1).requires_grad_(), const((4,), 2, 0.5, 2.0) if weighted else None
    assert tg.gradcheck(lambda p, y: L.binary_cross_entropy(p, y, w, reduction=reduction), (p, y))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,pos_weighted", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits_gradcheck(weighted, pos_weighted, reduction):
    x, y = leaf((3, 4), scale=3.0), const((3, 4), 1).requires_grad_()
    w = const((3, 1), 2, 0.5, 2.0) if weighted else None
    pw = const((4,), 3, 0.5, 3.0).requires_grad_() if pos_weighted else None

    def fn(x, y, pw=pw):
        return L.binary_cross_entropy_with_logits(x, y, w, reduction, pos_weight=pw)

    assert tg.gradcheck(fn, (x, y, pw) if pos_weighted else (x, y))


@pytest.mark.parametrize("pos_weighted", [False, True])
def test_bce_with_logits_gradgradcheck(pos_weighted):
    x, y, pw = leaf((3, 4), scale=3.0), const((3, 4), 1), const((4,), 3, 0.5, 3.0) if pos_weighted else None
    assert tg.gradgradcheck(lambda x: L.binary_cross_entropy_with_logits(x, y, pos_weight=pw), (x,))


# ---------------------------------------------------------------------------------- known values
def test_known_values():
    assert L.mse_loss(tg.Tensor([1.0, 3.0]), tg.Tensor([0.0, 0.0])).item() == 5.0
    assert L.l1_loss(tg.Tensor([1.0, -3.0]), tg.Tensor([0.0, 0.0]), reduction="sum").item() == 4.0
    assert math.isclose(L.binary_cross_entropy_with_logits(tg.Tensor([0.0]), tg.Tensor([1.0])).item(), math.log(2),
                        rel_tol=1e-6)
    assert math.isclose(L.binary_cross_entropy(tg.Tensor([0.25]), tg.Tensor([0.0])).item(), -math.log(0.75),
                        rel_tol=1e-6)
    for c in (2, 5, 10):
        value = L.cross_entropy(tg.Tensor(np.full((3, c), 1.5)), tg.Tensor([0, 1, 1])).item()
        assert math.isclose(value, math.log(c), rel_tol=1e-12)


def test_cross_entropy_by_hand():
    """Ignored targets, weights and label smoothing against the formulas computed with NumPy."""
    x = np.random.default_rng(0).standard_normal((5, 4))
    t, w, eps = np.array([0, 3, -100, 2, 3]), np.array([0.5, 1.0, 2.0, 3.0]), 0.3
    log_p = x - np.log(np.exp(x).sum(1, keepdims=True))
    kept = t != -100
    rows = np.arange(5)[kept]
    per = (1 - eps) * w[t[kept]] * -log_p[rows, t[kept]] + eps / 4 * (w * -log_p[rows]).sum(1)
    got = L.cross_entropy(tg.Tensor(x), tg.Tensor(t), tg.Tensor(w), label_smoothing=eps)
    np.testing.assert_allclose(got.item(), per.sum() / w[t[kept]].sum(), rtol=1e-12)
    none = L.cross_entropy(tg.Tensor(x), tg.Tensor(t), tg.Tensor(w), reduction="none", label_smoothing=eps).numpy()
    np.testing.assert_allclose(none[kept], per, rtol=1e-12)
    assert none[2] == 0.0
    probs = np.random.default_rng(1).dirichlet(np.ones(4), 5)
    q = (1 - eps) * probs + eps / 4
    got = L.cross_entropy(tg.Tensor(x), tg.Tensor(probs), tg.Tensor(w), label_smoothing=eps)
    np.testing.assert_allclose(got.item(), -(w * q * log_p).sum() / 5, rtol=1e-12)


def test_ignored_targets_get_zero_gradient_and_all_ignored_mean_is_nan():
    x = leaf((3, 4))
    L.cross_entropy(x, tg.Tensor([1, -100, 2]), label_smoothing=0.2).backward()
    assert np.all(x.grad.numpy()[1] == 0) and np.all(x.grad.numpy()[[0, 2]] != 0)
    with np.errstate(invalid="ignore"):  # 0 / 0, as in PyTorch
        assert np.isnan(L.cross_entropy(x, tg.Tensor([-100, -100, -100])).item())
    assert L.nll_loss(x, tg.Tensor([5, 5, 5]), ignore_index=5, reduction="sum").item() == 0.0


def test_bce_clamps_log_at_minus_100_with_finite_gradient():
    p = tg.Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    y = tg.Tensor(np.array([1.0, 0.0, 0.0, 1.0]))
    loss = L.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.numpy()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_are_finite_and_correct(dtype):
    x = tg.Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype=dtype), requires_grad=True)
    ce = L.cross_entropy(x, tg.Tensor([1, 2]), reduction="none")
    assert ce.dtype == dtype
    np.testing.assert_allclose(ce.numpy(), [2e4, 0.0], rtol=1e-6)
    ce.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, -1, 0], [0, 0, 0]], atol=1e-6)

    z = tg.Tensor(np.array([1e4, -1e4, 1e4, -1e4], dtype=dtype), requires_grad=True)
    bce = L.binary_cross_entropy_with_logits(z, tg.Tensor(np.array([0.0, 1.0, 1.0, 0.0], dtype=dtype)),
                                             reduction="none", pos_weight=tg.Tensor(np.array(2.0, dtype=dtype)))
    assert bce.dtype == dtype
    np.testing.assert_allclose(bce.numpy(), [1e4, 2e4, 0.0, 0.0], rtol=1e-6)
    bce.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [1, -2, 0, 0], atol=1e-6)


def test_float32_input_stays_float32_with_python_targets():
    x = tg.Tensor(np.array([0.2, 0.7], dtype=np.float32), requires_grad=True)
    out = L.mse_loss(x, [0.0, 1.0])
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(out.item(), (0.04 + 0.09) / 2, rtol=1e-6)


# --------------------------------------------------------------------------------------- modules
def test_modules_call_the_functions_and_repr():
    x, t = leaf((4, 3)), labels((4,), 3, ignored=(2,))
    w = tg.Tensor(np.array([1.0, 2.0, 0.5]))
    m = L.CrossEntropyLoss(weight=w, label_smoothing=0.1, reduction="sum")
    assert m(x, t).item() == L.cross_entropy(x, t, w, reduction="sum", label_smoothing=0.1).item()
    assert repr(m) == "CrossEntropyLoss(ignore_index=-100, reduction='sum', label_smoothing=0.1)"
    assert list(m.state_dict()) == ["weight"]
    t2 = labels((4,), 3, seed=8)
    assert L.NLLLoss(ignore_index=1)(x, t2).item() == L.nll_loss(x, t2, ignore_index=1).item()
    assert repr(L.NLLLoss()) == "NLLLoss(ignore_index=-100, reduction='mean')"
    y = leaf((4, 3), 1)
    assert L.MSELoss(reduction="sum")(x, y).item() == L.mse_loss(x, y, "sum").item()
    assert L.L1Loss()(x, y).item() == L.l1_loss(x, y).item()
    assert repr(L.L1Loss(reduction="none")) == "L1Loss(reduction='none')"
    p, q = const((4, 3), 1, 0.1, 0.9), const((4, 3), 2)
    assert L.BCELoss(weight=w)(p, q).item() == L.binary_cross_entropy(p, q, w).item()
    m = L.BCEWithLogitsLoss(pos_weight=w)
    assert m(x, q).item() == L.binary_cross_entropy_with_logits(x, q, pos_weight=w).item()
    assert list(m.state_dict()) == ["pos_weight"] and repr(m) == "BCEWithLogitsLoss(reduction='mean')"
    assert sorted(L.__all__) == sorted(["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
                                        "binary_cross_entropy_with_logits", "CrossEntropyLoss", "NLLLoss", "MSELoss",
                                        "L1Loss", "BCELoss", "BCEWithLogitsLoss"])


# ---------------------------------------------------------------------------------------- errors
def test_errors():
    x, y = leaf((4, 3)), leaf((4, 3), 1)
    with pytest.raises(ValueError, match="reduction must be 'none', 'mean' or 'sum', got 'avg'"):
        L.mse_loss(x, y, reduction="avg")
    with pytest.raises(ValueError, match="'avg'"):
        L.CrossEntropyLoss(reduction="avg")
    with pytest.raises(IndexError, match=r"target 3 is out of bounds for 3 classes \(expected 0 to 2"):
        L.cross_entropy(x, tg.Tensor([0, 3, -100, 1]))
    with pytest.raises(IndexError, match="target -1 is out of bounds for 3 classes"):
        L.nll_loss(x, tg.Tensor([0, -1, 1, 1]))
    with pytest.raises(ValueError, match=r"shape \(4, 3\) .* needs a target of shape \(4,\), got \(5,\)"):
        L.cross_entropy(x, tg.Tensor([0, 1, 1, 1, 0]))
    with pytest.raises(TypeError, match=r"integers, got dtype float64 with shape \(4,\).*input's shape \(4, 3\)"):
        L.cross_entropy(x, tg.Tensor(np.zeros(4)))
    with pytest.raises(TypeError, match=r"class probabilities and must be floating point, got dtype \S*int64"):
        L.cross_entropy(x, tg.Tensor(np.zeros((4, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\) .* got \(4,\)"):
        L.cross_entropy(x, tg.Tensor([0, 1, 2, 0]), weight=tg.Tensor(np.ones(4)))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0, got 1.5"):
        L.cross_entropy(x, tg.Tensor([0, 1, 2, 0]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="got a 0-d tensor"):
        L.cross_entropy(tg.Tensor(1.0), tg.Tensor(0))
    with pytest.raises(TypeError, match="input must be floating point, got dtype (tinygrad_edu.)?int64"):
        L.cross_entropy(tg.Tensor([[1, 2]]), tg.Tensor([0]))
    with pytest.raises(TypeError, match="input must be a Tensor, got list"):
        L.mse_loss([1.0], [1.0])
    with pytest.raises(ValueError, match=r"input shape \(4, 3\) and target shape \(3,\) must be equal"):
        L.mse_loss(x, tg.Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"input shape \(4, 3\) and target shape \(4, 1\) must be equal"):
        L.binary_cross_entropy_with_logits(x, tg.Tensor(np.zeros((4, 1))))
    with pytest.raises(TypeError, match="target must be floating point, got dtype (tinygrad_edu.)?int64"):
        L.l1_loss(x, tg.Tensor(np.zeros((4, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\) does not broadcast to the input's shape"):
        L.binary_cross_entropy_with_logits(x, y, pos_weight=tg.Tensor(np.ones(2)))
    with pytest.raises(ValueError, match=r"weight of shape \(5, 1\) does not broadcast"):
        L.binary_cross_entropy(const((4, 3), 0), const((4, 3), 1), weight=tg.Tensor(np.ones((5, 1))))
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\], got 1.5"):
        L.binary_cross_entropy(tg.Tensor([0.5, 1.5]), tg.Tensor([0.0, 1.0]))


# -------------------------------------------------------------------------------- PyTorch parity
def assert_parity(ours, theirs, x, tx):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-14)
    v = np.random.default_rng(9).standard_normal(ours.shape)
    ours.backward(tg.Tensor(v))
    theirs.backward(tx.new_tensor(v))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,kind,weighted,smoothing", CE_CASES)
def test_cross_entropy_matches_torch(shape, kind, weighted, smoothing, reduction):
    torch = pytest.importorskip("torch")
    cd = 0 if len(shape) == 1 else 1
    x, w = leaf(shape, scale=3.0), const((shape[cd],), 7, 0.5, 2.0)
    t = (labels(shape[:cd] + shape[cd + 1:], shape[cd], ignored=(1, 3) if cd else ()) if kind == "index"
         else probabilities(shape))
    tx = torch.tensor(x.numpy(), requires_grad=True)
    ours = L.cross_entropy(x, t, w if weighted else None, reduction=reduction, label_smoothing=smoothing)
    weight = torch.tensor(w.numpy()) if weighted else None
    theirs = torch.nn.functional.cross_entropy(tx, torch.tensor(t.numpy()), weight,
                                               reduction=reduction, label_smoothing=smoothing)
    assert_parity(ours, theirs, x, tx)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_matches_torch(weighted, reduction):
    torch = pytest.importorskip("torch")
    x, t, w = leaf((3, 4, 2)), labels((3, 2), 4, ignored=(2,)), const((4,), 7, 0.5, 2.0)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    ours = L.nll_loss(x, t, w if weighted else None, reduction=reduction)
    theirs = torch.nn.functional.nll_loss(tx, torch.tensor(t.numpy()), torch.tensor(w.numpy()) if weighted else None,
                                          reduction=reduction)
    assert_parity(ours, theirs, x, tx)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_losses_match_torch(name, reduction):
    torch = pytest.importorskip("torch")
    x, y = leaf((3, 4)), leaf((3, 4), 1)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    assert_parity(getattr(L, name)(x, y, reduction=reduction),
                  getattr(torch.nn.functional, name)(tx, torch.tensor(y.numpy()), reduction=reduction), x, tx)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_matches_torch(weighted, reduction):
    torch = pytest.importorskip("torch")
    p = tg.Tensor(np.random.default_rng(0).uniform(0.02, 0.98, (3, 4)), requires_grad=True)
    y, w = const((3, 4), 1), const((4,), 2, 0.5, 2.0)
    tp = torch.tensor(p.numpy(), requires_grad=True)
    ours = L.binary_cross_entropy(p, y, w if weighted else None, reduction)
    theirs = torch.nn.functional.binary_cross_entropy(tp, torch.tensor(y.numpy()), torch.tensor(w.numpy()) if weighted
                                                      else None, reduction=reduction)
    assert_parity(ours, theirs, p, tp)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,pos_weighted", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits_matches_torch(weighted, pos_weighted, reduction):
    torch = pytest.importorskip("torch")
    x, y = leaf((3, 4), scale=4.0), const((3, 4), 1)
    w, pw = const((3, 1), 2, 0.5, 2.0), const((4,), 3, 0.5, 3.0)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    ours = L.binary_cross_entropy_with_logits(x, y, w if weighted else None, reduction, pw if pos_weighted else None)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        tx, torch.tensor(y.numpy()), torch.tensor(w.numpy()) if weighted else None, reduction=reduction,
        pos_weight=torch.tensor(pw.numpy()) if pos_weighted else None)
    assert_parity(ours, theirs, x, tx)
