"""nn.functional: silu, dropout, batch_norm, layer_norm, embedding and one_hot. Gradients (first and
second) against finite differences, forward values, gradients and running statistics against PyTorch,
and every error."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F


def leaf(shape, seed=0, scale=1.0):
    return tg.Tensor(np.random.default_rng(seed).standard_normal(shape) * scale, requires_grad=True)


def check_grads(fn, inputs):
    assert tg.gradcheck(fn, inputs)
    assert tg.gradgradcheck(fn, inputs)


# --------------------------------------------------------------------------------------- gradients
def test_silu_gradients_and_values():
    x = leaf((3, 4))
    np.testing.assert_allclose(F.silu(x).numpy(), x.numpy() / (1 + np.exp(-x.numpy())), rtol=1e-12)
    check_grads(F.silu, (x,))


BN_SHAPES = [(4, 3), (3, 2, 4), (2, 3, 2, 2)]


@pytest.mark.parametrize("shape", BN_SHAPES, ids=["2d", "3d", "4d"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batch_norm_gradients(shape, affine, training):
    c = shape[1]
    x, w, b = leaf(shape), leaf((c,), 1), leaf((c,), 2)
    rm, rv = np.random.default_rng(3).standard_normal(c), np.random.default_rng(4).uniform(0.5, 2.0, c)

    def fn(x, w=None, b=None):
        # copies: the check calls fn many times and training updates the running statistics in place
        return F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=training)

    check_grads(fn, (x, w, b) if affine else (x,))


@pytest.mark.parametrize("normalized_shape,with_weight", [((4,), True), ((4,), False), ((3, 4), True),
                                                          ((3, 4), False)])
def test_layer_norm_gradients(normalized_shape, with_weight):
    x, w, b = leaf((2, 3, 4)), leaf(normalized_shape, 1), leaf(normalized_shape, 2)
    if with_weight:
        check_grads(lambda x, w, b: F.layer_norm(x, normalized_shape, w, b), (x, w, b))
    else:
        check_grads(lambda x: F.layer_norm(x, normalized_shape), (x,))


def test_embedding_gradients_padding_row_is_exactly_zero():
    w = leaf((5, 3))
    idx = tg.Tensor(np.array([[1, 4, 1], [0, 4, 2]]))
    # gradcheck with padding_idx would (rightly) fail: the output depends on the padding row, whose
    # gradient is zero by definition. The other rows are checked here, the padding row exactly below.
    check_grads(lambda w: F.embedding(idx, w), (w,))
    F.embedding(idx, w, padding_idx=4).sum().backward()
    # row 1 used twice, rows 0 and 2 once, row 3 never, row 4 is padding (used twice, still 0)
    np.testing.assert_array_equal(w.grad.numpy(), np.repeat([[1.0], [2.0], [1.0], [0.0], [0.0]], 3, axis=1))


def test_embedding_repeated_indices_accumulate_weighted_gradients():
    w = leaf((4, 2))
    idx = np.array([2, 2, 2, 0])
    g = np.arange(8.0).reshape(4, 2)
    F.embedding(tg.Tensor(idx), w).backward(tg.Tensor(g))
    np.testing.assert_array_equal(w.grad.numpy(), [[6.0, 7.0], [0.0, 0.0], [0 + 2 + 4, 1 + 3 + 5], [0.0, 0.0]])
    np.testing.assert_array_equal(F.embedding(tg.Tensor(idx), w).numpy(), w.numpy()[idx])


def test_embedding_negative_padding_idx_means_from_the_end():
    w = leaf((3, 2))
    F.embedding(tg.Tensor([0, 2]), w, padding_idx=-1).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])


def test_dropout_gradients_with_fixed_mask():
    x = leaf((4, 5))

    def fn(x):
        tg.manual_seed(7)  # the same mask on every call of the check
        return F.dropout(x, p=0.3, training=True)

    check_grads(fn, (x,))
    out = fn(x)
    kept = out.numpy() != 0
    assert 0 < kept.sum() < x.numel()
    x.grad = None
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-15)


# ---------------------------------------------------------------------------------------- dropout
def test_dropout_values_are_zero_or_scaled_and_mean_is_kept():
    tg.manual_seed(0)
    p, n = 0.25, 400_000
    x = tg.Tensor(np.full(n, 3.0))
    out = F.dropout(x, p=p).numpy()
    assert set(np.unique(out)) == {0.0, 4.0}
    # E[out] = 3; std of the mean of n values that are 4 w.p. 0.75 and 0 else: 4 sqrt(p (1-p) / n)
    assert abs(out.mean() - 3.0) < 5 * 4 * np.sqrt(p * (1 - p) / n)
    assert abs((out == 0).mean() - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_dropout_reproducible_with_manual_seed_and_differs_otherwise():
    x = tg.Tensor(np.ones((50, 50)))
    tg.manual_seed(3)
    a = F.dropout(x).numpy()
    tg.manual_seed(3)
    b = F.dropout(x).numpy()
    c = F.dropout(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dropout_identity_cases_and_p_one():
    x = leaf((3, 4))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    out = F.dropout(x, 1.0)
    np.testing.assert_array_equal(out.numpy(), np.zeros((3, 4)))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match=f"p must be in \\[0, 1\\], got {p}"):
        F.dropout(tg.Tensor([1.0]), p)


# ------------------------------------------------------------------------- normalization: values
def test_batch_norm_training_values_and_running_stats_by_hand():
    x = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 16.0]])
    rm, rv = np.zeros(2), np.ones(2)
    out = F.batch_norm(tg.Tensor(x), rm, rv, training=True, momentum=0.5, eps=0.0)
    # channel 0: mean 3, biased var 8/3; channel 1: mean 12, biased var 8
    np.testing.assert_allclose(out.numpy()[:, 0], np.array([-2.0, 0.0, 2.0]) / np.sqrt(8 / 3), rtol=1e-12)
    np.testing.assert_allclose(out.numpy()[:, 1], np.array([-2.0, -2.0, 4.0]) / np.sqrt(8), rtol=1e-12)
    np.testing.assert_allclose(rm, [1.5, 6.0], rtol=1e-12)
    np.testing.assert_allclose(rv, [0.5 + 0.5 * 4.0, 0.5 + 0.5 * 12.0], rtol=1e-12)  # unbiased var 4 and 12


def test_batch_norm_eval_uses_running_stats_given_as_tensors():
    x = leaf((2, 3, 2))
    rm, rv = tg.Tensor(np.array([1.0, -1.0, 0.5])), tg.Tensor(np.array([4.0, 1.0, 0.25]))
    w, b = tg.Tensor(np.array([2.0, 1.0, -1.0])), tg.Tensor(np.array([0.0, 1.0, 3.0]))
    before = rm.numpy().copy(), rv.numpy().copy()
    out = F.batch_norm(x, rm, rv, w, b, eps=0.0)
    expected = (x.numpy() - before[0][:, None]) / np.sqrt(before[1][:, None]) * w.numpy()[:, None] + b.numpy()[:, None]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    np.testing.assert_array_equal(rm.numpy(), before[0])
    np.testing.assert_array_equal(rv.numpy(), before[1])


def test_batch_norm_updates_tensor_buffers_in_place_without_a_graph():
    rm, rv = tg.Tensor(np.zeros(3)), tg.Tensor(np.ones(3))
    arrays = rm.numpy(), rv.numpy()
    x = leaf((4, 3))
    F.batch_norm(x, rm, rv, training=True)
    assert rm.numpy() is arrays[0] and rv.numpy() is arrays[1]
    assert rm.is_leaf and not rm.requires_grad and rv.is_leaf
    np.testing.assert_allclose(rm.numpy(), 0.1 * x.numpy().mean(0), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * x.numpy().var(0, ddof=1), rtol=1e-12)


def test_layer_norm_values_by_hand():
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    w, b = np.linspace(0.5, 2, 12).reshape(3, 4), np.linspace(-1, 1, 12).reshape(3, 4)
    out = F.layer_norm(tg.Tensor(x), [3, 4], tg.Tensor(w), tg.Tensor(b), eps=1e-3)
    m, v = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(out.numpy(), (x - m) / np.sqrt(v + 1e-3) * w + b, rtol=1e-12)


def test_one_hot_values():
    out = F.one_hot(tg.Tensor(np.array([[0, 2], [1, 1]])))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy(), [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 1, 0]]])
    np.testing.assert_array_equal(F.one_hot(tg.Tensor([1]), num_classes=4).numpy(), [[0, 1, 0, 0]])


# ---------------------------------------------------------------------------------------- errors
def test_batch_norm_errors_name_shapes_and_change_nothing():
    rm, rv = np.zeros(3), np.ones(3)
    with pytest.raises(ValueError, match=r"got shape \(2, 3, 2, 2, 2\) \(5 dimensions\)"):
        F.batch_norm(tg.Tensor(np.ones((2, 3, 2, 2, 2))), rm, rv, training=True)
    with pytest.raises(RuntimeError, match=r"running_var has shape \(4,\), expected \(3,\).*3 channels"):
        F.batch_norm(leaf((5, 3)), rm, np.ones(4), training=True)
    with pytest.raises(RuntimeError, match=r"weight has shape \(2,\), expected \(3,\)"):
        F.batch_norm(leaf((5, 3)), rm, rv, tg.Tensor(np.ones(2)), training=True)
    np.testing.assert_array_equal(rm, np.zeros(3))  # the failed calls updated nothing
    np.testing.assert_array_equal(rv, np.ones(3))
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        F.batch_norm(leaf((1, 3)), rm, rv, training=True)
    with pytest.raises(ValueError, match="must be given in evaluation mode"):
        F.batch_norm(leaf((2, 3)), None, None)


def test_layer_norm_errors_name_both_shapes():
    with pytest.raises(RuntimeError, match=r"normalized_shape \(3,\) does not match .* input shape \(2, 3, 4\)"):
        F.layer_norm(leaf((2, 3, 4)), 3)
    with pytest.raises(RuntimeError, match=r"normalized_shape \(2, 3, 4, 5\)"):
        F.layer_norm(leaf((3, 4, 5)), (2, 3, 4, 5))
    with pytest.raises(RuntimeError, match=r"weight has shape \(3,\), expected normalized_shape \(4,\)"):
        F.layer_norm(leaf((2, 4)), (4,), leaf((3,)))


def test_embedding_errors():
    w = leaf((5, 2))
    with pytest.raises(IndexError, match="index 5 is out of range for num_embeddings=5"):
        F.embedding(tg.Tensor([0, 5]), w)
    with pytest.raises(IndexError, match="index -1 is out of range for num_embeddings=5"):
        F.embedding(tg.Tensor([-1]), w)
    with pytest.raises(TypeError, match="indices must be integers, got dtype float32"):
        F.embedding(tg.Tensor([1.0]), w)
    with pytest.raises(ValueError, match="padding_idx 7 is out of range for num_embeddings=5"):
        F.embedding(tg.Tensor([1]), w, padding_idx=7)


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="class value 3 is out of range for num_classes=3"):
        F.one_hot(tg.Tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="class value -1 is out of range"):
        F.one_hot(tg.Tensor([-1, 0]))
    with pytest.raises(TypeError, match="must be integers"):
        F.one_hot(tg.Tensor([0.0]))
    with pytest.raises(RuntimeError, match="empty tensor"):
        F.one_hot(tg.Tensor(np.zeros(0, dtype=np.int64)))


# ------------------------------------------------------------------------------ PyTorch parity
def _torch_grads(torch, fn, arrays, upstream):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.tensor(upstream))
    return out.detach().numpy(), [np.zeros_like(a) if t.grad is None else t.grad.numpy() for a, t in zip(arrays, ts)]


def _tg_grads(fn, arrays, upstream):
    ts = [tg.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(tg.Tensor(upstream))
    return out.numpy(), [np.zeros_like(a) if t.grad is None else t.grad.numpy() for a, t in zip(arrays, ts)]


def _assert_parity(got, expected):
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-10, atol=1e-12)
    for g, e in zip(got[1], expected[1]):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)


def _both(torch, tg_fn, torch_fn, arrays, seed=0):
    upstream = np.random.default_rng(seed + 100).standard_normal(np.shape(tg_fn(*map(tg.Tensor, arrays))))
    _assert_parity(_tg_grads(tg_fn, arrays, upstream), _torch_grads(torch, torch_fn, arrays, upstream))


def test_silu_and_layer_norm_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    _both(torch, F.silu, torch.nn.functional.silu, [x])
    _both(torch, lambda x, w, b: F.layer_norm(x, (3, 4), w, b, eps=1e-3),
          lambda x, w, b: torch.nn.functional.layer_norm(x, (3, 4), w, b, eps=1e-3), [x, w, b])
    _both(torch, lambda x: F.layer_norm(x, 4), lambda x: torch.nn.functional.layer_norm(x, (4,)), [x])


def test_embedding_matches_torch():
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(1).standard_normal((6, 3))
    idx = np.array([[0, 5, 5], [2, 0, 1]])
    _both(torch, lambda w: F.embedding(tg.Tensor(idx), w, padding_idx=5),
          lambda w: torch.nn.functional.embedding(torch.tensor(idx), w, padding_idx=5), [w])


@pytest.mark.parametrize("shape", BN_SHAPES, ids=["2d", "3d", "4d"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_batch_norm_matches_torch_over_three_training_steps_then_eval(shape, affine):
    torch = pytest.importorskip("torch")
    c = shape[1]
    rng = np.random.default_rng(2)
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    rm, rv = np.zeros(c), np.ones(c)
    trm, trv = torch.zeros(c, dtype=torch.float64), torch.ones(c, dtype=torch.float64)
    for step in range(3):
        x = rng.standard_normal(shape) * (step + 1) + step

        def ours(x, w, b):
            return F.batch_norm(x, rm, rv, w if affine else None, b if affine else None, training=True, momentum=0.2)

        def theirs(x, w, b):
            return torch.nn.functional.batch_norm(x, trm, trv, w if affine else None, b if affine else None,
                                                  training=True, momentum=0.2)

        upstream = rng.standard_normal(shape)
        got, expected = _tg_grads(ours, [x, w, b], upstream), _torch_grads(torch, theirs, [x, w, b], upstream)
        _assert_parity(got, expected)
        np.testing.assert_allclose(rm, trm.numpy(), rtol=1e-12)
        np.testing.assert_allclose(rv, trv.numpy(), rtol=1e-12)
    x = rng.standard_normal(shape)
    _both(torch, lambda x, w, b: F.batch_norm(x, rm, rv, w, b), lambda x, w, b: torch.nn.functional.batch_norm(
        x, trm, trv, w, b), [x, w, b])


def test_one_hot_matches_torch():
    torch = pytest.importorskip("torch")
    idx = np.array([[3, 0], [1, 3]])
    np.testing.assert_array_equal(F.one_hot(tg.Tensor(idx)).numpy(), torch.nn.functional.one_hot(torch.tensor(idx)))
    np.testing.assert_array_equal(F.one_hot(tg.Tensor(idx), 6).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(idx), 6).numpy())
