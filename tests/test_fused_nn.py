"""The fused training-mode batch norm and class-index cross-entropy (engine/ops/fused.py) against PyTorch:
values, batch statistics, gradients and second derivatives; and their behaviour without PyTorch (float16,
every target ignored, a weight that requires grad). tests/op_table_fused_nn.py checks them against their
reference compositions."""

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.engine.ops.fused import (
    batch_norm_train,
    batch_norm_train_reference,
    softmax_cross_entropy,
    softmax_cross_entropy_reference,
)

RTOL = {np.float32: 1e-4, np.float64: 1e-10}


def leaf(rng, shape, dtype, scale=1.0):
    return tg.Tensor((scale * rng.standard_normal(shape)).astype(dtype), requires_grad=True)


def as_torch(torch, t):
    return torch.tensor(t.numpy(), requires_grad=t.requires_grad)


# ----------------------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(32, 200), (4, 3, 5), (3, 2, 4, 4)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_train_matches_torch(shape, dtype, affine):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = leaf(rng, shape, dtype, scale=3.0)
    w, b = (leaf(rng, (shape[1],), dtype), leaf(rng, (shape[1],), dtype)) if affine else (None, None)
    y, mean, var = batch_norm_train(x, w, b, 1e-5)
    upstream = rng.standard_normal(shape).astype(dtype)
    y.backward(tg.Tensor(upstream))

    tx, tw, tb = (None if t is None else as_torch(torch, t) for t in (x, w, b))
    running_mean, running_var = torch.zeros(shape[1], dtype=tx.dtype), torch.ones(shape[1], dtype=tx.dtype)
    ty = torch.nn.functional.batch_norm(tx, running_mean, running_var, tw, tb, training=True, momentum=1.0, eps=1e-5)
    ty.backward(torch.tensor(upstream))
    tol = dict(rtol=RTOL[dtype], atol=RTOL[dtype])
    assert y.dtype == dtype and mean.shape == var.shape == (shape[1],)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), **tol)
    n = x.numel() // shape[1]  # momentum 1: the running statistics are the batch's, the variance unbiased
    np.testing.assert_allclose(mean, running_mean.numpy(), **tol)
    np.testing.assert_allclose(var * n / (n - 1), running_var.numpy(), **tol)
    for ours, theirs in zip((x, w, b), (tx, tw, tb)):
        if ours is not None:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tol)


def test_batch_norm_train_second_derivative_matches_torch():
    """d/dx of <grad_x, v>: a Hessian-vector product through the fused backward."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x, w, b = leaf(rng, (6, 3), np.float64), leaf(rng, (3,), np.float64), leaf(rng, (3,), np.float64)
    g, v = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    dx, dw = tg.grad(batch_norm_train(x, w, b, 1e-5)[0], (x, w), tg.Tensor(g), create_graph=True)
    ours = tg.grad((dx * tg.Tensor(v)).sum() + dw.sum(), (x, w))

    tx, tw, tb = (as_torch(torch, t) for t in (x, w, b))
    ty = torch.nn.functional.batch_norm(tx, None, None, tw, tb, training=True, eps=1e-5)
    tdx, tdw = torch.autograd.grad(ty, (tx, tw), torch.tensor(g), create_graph=True)
    theirs = torch.autograd.grad((tdx * torch.tensor(v)).sum() + tdw.sum(), (tx, tw))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-9, atol=1e-10)


def test_batch_norm_train_float16_computes_in_float32():
    """Deviations of 300 square to 90000 > float16's 65504: statistics in float32, the result in float16."""
    rng = np.random.default_rng(2)
    x = tg.Tensor((300 * rng.standard_normal((8, 3))).astype(np.float16), requires_grad=True)
    y, mean, var = batch_norm_train(x, None, None, 1e-5)
    exact = x.numpy().astype(np.float64)
    exact = (exact - exact.mean(0)) / np.sqrt(exact.var(0) + 1e-5)
    assert y.dtype == np.float16 and mean.dtype == var.dtype == np.float32 and np.isfinite(var).all()
    np.testing.assert_allclose(y.numpy(), exact, rtol=2e-3, atol=2e-3)
    g = rng.standard_normal((8, 3)).astype(np.float16)
    (dx,) = tg.grad(y, x, tg.Tensor(g))
    x64 = tg.Tensor(x.numpy().astype(np.float64), requires_grad=True)
    (dx64,) = tg.grad(batch_norm_train_reference(x64, None, None, 1e-5)[0], x64, tg.Tensor(g.astype(np.float64)))
    assert dx.dtype == np.float16
    np.testing.assert_allclose(dx.numpy(), dx64.numpy(), rtol=2e-2, atol=1e-5)


def test_batch_norm_train_records_one_node_and_refuses_a_changed_input():
    x = tg.Tensor(np.random.default_rng(3).standard_normal((4, 2)), requires_grad=True)
    h = x * 1.0
    y = batch_norm_train(h, None, None, 1e-5)[0]
    assert y.grad_fn is not None and y.grad_fn.name() == "BatchNormTrainBackward0"
    h += 1.0  # the backward reads its input
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    with tg.no_grad():
        assert not batch_norm_train(x, None, None, 1e-5)[0].requires_grad


# ------------------------------------------------------------------------------- cross-entropy
CE_CASES = [  # (logits shape, targets, weighted, ignore_index)
    ((32, 27), None, False, -100),
    ((6, 5), [0, -100, 4, 2, -100, 1], False, -100),
    ((6, 5), [0, 3, 4, 2, 3, 1], True, 3),
    ((3, 5, 2), [[0, 1], [4, -100], [2, 2]], True, -100),
    ((5,), 3, True, -100),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape,targets,weighted,ignore_index", CE_CASES)
def test_softmax_cross_entropy_matches_torch(shape, targets, weighted, ignore_index, reduction, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    logits = leaf(rng, shape, dtype, scale=2.0)
    target = rng.integers(0, shape[0 if len(shape) == 1 else 1], 32) if targets is None else np.array(targets)
    weight = rng.uniform(0.5, 2.0, shape[0 if len(shape) == 1 else 1]).astype(dtype) if weighted else None
    loss = softmax_cross_entropy(logits, tg.Tensor(target), None if weight is None else tg.Tensor(weight),
                                 ignore_index, reduction)
    upstream = rng.standard_normal(loss.shape).astype(dtype)
    loss.backward(tg.Tensor(upstream))

    tl = as_torch(torch, logits)
    tw = None if weight is None else torch.tensor(weight)
    theirs = torch.nn.functional.cross_entropy(tl, torch.tensor(target), tw, ignore_index=ignore_index,
                                               reduction=reduction)
    theirs.backward(torch.tensor(upstream))
    tol = dict(rtol=RTOL[dtype], atol=RTOL[dtype])
    assert loss.dtype == dtype and loss.shape == tuple(theirs.shape)
    np.testing.assert_allclose(loss.numpy(), theirs.detach().numpy(), **tol)
    np.testing.assert_allclose(logits.grad.numpy(), tl.grad.numpy(), **tol)


def test_softmax_cross_entropy_second_derivative_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    logits, target, v = leaf(rng, (4, 3), np.float64), np.array([2, 0, -100, 1]), rng.standard_normal((4, 3))
    weight = np.array([0.5, 1.0, 2.0])
    (d,) = tg.grad(softmax_cross_entropy(logits, target, tg.Tensor(weight)), logits, create_graph=True)
    (ours,) = tg.grad((d * tg.Tensor(v)).sum(), logits)
    tl = as_torch(torch, logits)
    (td,) = torch.autograd.grad(torch.nn.functional.cross_entropy(tl, torch.tensor(target), torch.tensor(weight)), tl,
                                create_graph=True)
    (theirs,) = torch.autograd.grad((td * torch.tensor(v)).sum(), tl)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-12)


def test_softmax_cross_entropy_every_target_ignored_gives_nan_and_gradient_zero():
    logits = tg.Tensor(np.ones((3, 4)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = softmax_cross_entropy(logits, np.full(3, -100))
        loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(logits.grad.numpy(), np.zeros((3, 4)))  # as PyTorch


def test_softmax_cross_entropy_stays_finite_for_large_logits():
    logits = tg.Tensor(np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32), requires_grad=True)
    loss = softmax_cross_entropy(logits, np.array([1, 2]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [2e4, np.log(3)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(logits.grad.numpy(), [[1, -1, 0], [1 / 3, 1 / 3, -2 / 3]], atol=1e-6)


def test_softmax_cross_entropy_float16_matches_its_reference():
    logits = tg.Tensor(np.random.default_rng(6).standard_normal((5, 4)).astype(np.float16), requires_grad=True)
    target = np.array([0, 1, 2, 3, 0])
    ours, reference = softmax_cross_entropy(logits, target), softmax_cross_entropy_reference(logits, target)
    assert ours.dtype == reference.dtype == np.float16 and ours.item() == reference.item()
    (g_ours,), (g_ref,) = tg.grad(ours, logits), tg.grad(reference, logits)
    assert g_ours.dtype == np.float16
    np.testing.assert_allclose(g_ours.numpy(), g_ref.numpy(), atol=1e-3)


def test_softmax_cross_entropy_refuses_a_weight_that_requires_grad():
    weight = tg.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="class weight is a constant here"):
        softmax_cross_entropy(tg.Tensor(np.zeros((2, 3))), np.array([0, 1]), weight)
    with tg.no_grad():
        assert softmax_cross_entropy(tg.Tensor(np.zeros((2, 3))), np.array([0, 1]), weight).item() == pytest.approx(
            np.log(3))
