"""Issue 17's nn vocabulary: the activations (functional and modules), GroupNorm, normalize, cosine
similarity and pairwise distance, the SmoothL1 / Huber / KL-divergence / cosine-embedding / margin-ranking
losses, Embedding's max_norm and scale_grad_by_freq, and the Module methods PyTorch programs call (to,
cpu, cuda, type, half, requires_grad_, get_submodule ...). Values and gradients against PyTorch in
float64, gradients (first and second) against finite differences, and every error."""

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


def leaf(shape, seed=0, scale=1.0):
    return tg.Tensor(np.random.default_rng(seed).standard_normal(shape) * scale, requires_grad=True)


def check_grads(fn, inputs):
    assert tg.gradcheck(fn, inputs)
    assert tg.gradgradcheck(fn, inputs)


def values_and_grads(fn, arrays, make_tensor):
    """fn's output and the gradients of sum(output * g), g random, with respect to each of ``arrays``
    (made leaves by ``make_tensor``), all as NumPy arrays: the same recipe for tinygrad_edu and torch."""
    xs = [make_tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*xs)
    (out * make_tensor(np.random.default_rng(9).standard_normal(tuple(out.shape)))).sum().backward()
    return [out.detach().numpy()] + [np.zeros(a.shape) if x.grad is None else x.grad.numpy()
                                     for a, x in zip(arrays, xs)]


def assert_matches_torch(tg_fn, torch_fn, arrays, rtol=1e-10, atol=1e-12):
    import torch
    for got, want in zip(values_and_grads(tg_fn, arrays, tg.Tensor), values_and_grads(torch_fn, arrays, torch.tensor)):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# ------------------------------------------------------------------------------------ activations
# the kinks and branch points of every activation, a wide range, and random values
KINKS = np.array([-50.0, -30.0, -3.0, -1.0, -0.5, -0.3, 0.0, 0.2, 0.3, 1.0, 2.0, 3.0, 6.0, 30.0, 50.0])
POINTS = np.concatenate([KINKS, np.random.default_rng(1).standard_normal(20) * 4])

# celu's alpha is a power of 2 here: PyTorch's backward rounds 1 / alpha to float32 (a 1e-7 error for 1.3)
ACTIVATIONS = [("elu", {"alpha": 0.7}), ("elu", {}), ("celu", {"alpha": 0.5}), ("celu", {}), ("selu", {}),
               ("relu6", {}), ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("hardswish", {}),
               ("hardsigmoid", {}), ("mish", {}), ("logsigmoid", {}), ("softsign", {}), ("tanhshrink", {}),
               ("softshrink", {"lambd": 0.3}), ("hardshrink", {"lambd": 0.3}), ("hardshrink", {"lambd": -1.0}),
               ("threshold", {"threshold": 0.2, "value": -1.5}), ("softplus", {"beta": 2.0, "threshold": 5.0}),
               ("relu", {}), ("leaky_relu", {"negative_slope": 0.1}), ("silu", {})]


def act_id(case):
    return case[0] + "".join(f"_{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS, ids=[act_id(c) for c in ACTIVATIONS])
def test_activation_values_and_gradients_match_torch_at_kinks(name, kwargs):
    torch = pytest.importorskip("torch")
    rtol = 1e-7 if name == "hardsigmoid" else 1e-10  # PyTorch's backward multiplies by 1/6 rounded to float32
    assert_matches_torch(lambda x: getattr(F, name)(x, **kwargs),
                         lambda x: getattr(torch.nn.functional, name)(x, **kwargs), [POINTS], rtol=rtol)


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS, ids=[act_id(c) for c in ACTIVATIONS])
def test_activation_gradients_and_second_gradients(name, kwargs):
    x = leaf((3, 5), seed=2, scale=2.5)  # no value within eps of a kink
    check_grads(lambda x: getattr(F, name)(x, **kwargs), (x,))


def test_activation_values_without_torch():
    x = tg.Tensor(np.array([-4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 7.0]))
    np.testing.assert_allclose(F.elu(x).numpy(), [np.expm1(-4), np.expm1(-3), np.expm1(-1), 0, 1, 3, 7])
    np.testing.assert_allclose(F.selu(x).numpy()[-1], 1.0507009873554805 * 7)
    assert F.relu6(x).tolist() == [0, 0, 0, 0, 1, 3, 6]
    assert F.hardtanh(x).tolist() == [-1, -1, -1, 0, 1, 1, 1]
    np.testing.assert_allclose(F.hardsigmoid(x).numpy(), [0, 0, 1 / 3, 0.5, 2 / 3, 1, 1])
    np.testing.assert_allclose(F.hardswish(x).numpy(), [0, 0, -1 / 3, 0, 2 / 3, 3, 7])
    np.testing.assert_allclose(F.logsigmoid(x).numpy(), -np.log1p(np.exp(-x.numpy())))
    np.testing.assert_allclose(F.softsign(x).numpy(), x.numpy() / (1 + abs(x.numpy())))
    np.testing.assert_allclose(F.mish(x).numpy(), x.numpy() * np.tanh(np.log1p(np.exp(x.numpy()))))
    np.testing.assert_allclose(F.softmin(x, 0).numpy(), np.exp(-x.numpy()) / np.exp(-x.numpy()).sum())
    assert F.softshrink(x, 1.0).tolist() == [-3, -2, 0, 0, 0, 2, 6]
    assert F.hardshrink(x, 1.0).tolist() == [-4, -3, 0, 0, 0, 3, 7]
    assert F.threshold(x, 0.5, -9.0).tolist() == [-9, -9, -9, -9, 1, 3, 7]
    assert F.prelu(x, tg.Tensor(np.array([0.5]))).tolist() == [-2, -1.5, -0.5, 0, 1, 3, 7]


def test_hardtanh_family_gradient_is_zero_on_the_bounds_as_pytorch():
    x = tg.Tensor(np.array([-1.0, 1.0, 0.0, 6.0, -3.0, 3.0]), requires_grad=True)
    (F.hardtanh(x[:2]).sum() + F.relu6(x[2:4]).sum() + F.hardsigmoid(x[4:]).sum()).backward()
    assert x.grad.tolist() == [0, 0, 0, 0, 0, 0]
    x = tg.Tensor(np.array([-3.0, 3.0, 0.0]), requires_grad=True)
    F.hardswish(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.5]


def test_inplace_is_accepted_and_the_result_is_a_new_tensor():
    x = tg.Tensor(np.array([-1.0, 2.0]))
    for fn in (F.elu, F.celu, F.selu, F.relu6, F.hardtanh, F.hardswish, F.hardsigmoid, F.mish, F.relu, F.silu):
        y = fn(x, inplace=True)
        assert y is not x and x.tolist() == [-1.0, 2.0]
        np.testing.assert_array_equal(y.numpy(), fn(x).numpy())
    assert F.leaky_relu(x, 0.5, inplace=True).tolist() == [-0.5, 2.0]
    assert F.threshold(x, 0.0, 5.0, True).tolist() == [5.0, 2.0]
    assert F.dropout(x, 0.5, False, True).tolist() == [-1.0, 2.0]


def test_logsigmoid_and_elu_do_not_overflow():
    x = tg.Tensor(np.array([-1000.0, 1000.0], dtype=np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning either
        (F.logsigmoid(x).sum() + F.elu(x).sum() + F.celu(x, 0.5).sum()).backward()
        assert F.logsigmoid(x).tolist() == [-1000.0, 0.0]
    assert np.isfinite(x.grad.numpy()).all()


def test_softmin_dim_none_warns_and_picks_the_legacy_dimension():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        y = F.softmin(x)
    np.testing.assert_allclose(y.numpy(), F.softmin(x, 1).numpy())
    with pytest.warns(UserWarning, match="softmin") as record:
        nn.Softmin()(x)
    assert record[0].filename == __file__  # the warning names the caller's line, as PyTorch's
    assert F.softmin(x, 0, dtype=tg.float32).dtype == tg.float32


@pytest.mark.parametrize("shape,weight_shape", [((4, 3), (3,)), ((2, 3, 5), (3,)), ((2, 3, 2, 2), (1,)), ((5,), (1,)),
                                                ((2, 3, 2, 2), (3,))])
def test_prelu_gradients_and_parity(shape, weight_shape):
    x, w = leaf(shape, 1), leaf(weight_shape, 2, 0.3)
    check_grads(F.prelu, (x, w))
    torch = pytest.importorskip("torch")
    assert_matches_torch(F.prelu, torch.nn.functional.prelu, [x.numpy(), w.numpy()])


def test_activation_errors():
    x = tg.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"min_val \(2\) cannot be greater than max_val \(1\)"):
        F.hardtanh(x, 2, 1)
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(2, 1)
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="lambd must be >= 0, got -1"):
        F.softshrink(x, -1.0)
    with pytest.raises(RuntimeError, match=r"weight of shape \(2,\).*input of shape \(2, 3\) has 3 channel"):
        F.prelu(x, tg.Tensor(np.ones(2)))
    with pytest.raises(RuntimeError, match="prelu"):
        F.prelu(x, tg.Tensor(np.ones((3, 1))))
    with pytest.raises(ValueError, match="num_parameters must be"):
        nn.PReLU(0)


MODULES = [("ELU", {"alpha": 0.5}), ("ELU", {"inplace": True}), ("CELU", {}), ("SELU", {"inplace": True}),
           ("ReLU6", {}), ("ReLU6", {"inplace": True}), ("Hardtanh", {"min_val": -2.0, "max_val": 0.5}),
           ("Hardswish", {}), ("Hardsigmoid", {"inplace": True}), ("Mish", {}), ("LogSigmoid", {}),
           ("Softsign", {}), ("Tanhshrink", {}), ("Softshrink", {"lambd": 0.2}), ("Hardshrink", {}),
           ("Threshold", {"threshold": 0.1, "value": 20.0}), ("Softplus", {"beta": 0.5}), ("Softmin", {"dim": 1}),
           ("PReLU", {}), ("PReLU", {"num_parameters": 3, "init": 0.1}), ("ReLU", {"inplace": True}),
           ("LeakyReLU", {"negative_slope": 0.2, "inplace": True}), ("SiLU", {"inplace": True}),
           ("Dropout", {"p": 0.2, "inplace": True}), ("GroupNorm", {"num_groups": 3, "num_channels": 3}),
           ("GroupNorm", {"num_groups": 1, "num_channels": 3, "affine": False}), ("CosineSimilarity", {}),
           ("PairwiseDistance", {"p": 1.0}), ("Embedding", {"num_embeddings": 4, "embedding_dim": 3, "max_norm": 1.0,
                                                            "norm_type": 1.0, "scale_grad_by_freq": True})]


@pytest.mark.parametrize("name,kwargs", MODULES, ids=[act_id(c) for c in MODULES])
def test_modules_repr_state_dict_and_forward_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    state = {k: v.detach().numpy() * 1.5 for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    ours.eval(), theirs.eval()
    ours.double(), theirs.double()
    if name == "Embedding":
        inputs = [np.array([[0, 2, 2], [3, 0, 1]])]
    elif name in ("CosineSimilarity", "PairwiseDistance"):
        inputs = [np.random.default_rng(s).standard_normal((4, 3)) for s in (1, 2)]
    else:
        inputs = [np.random.default_rng(1).standard_normal((2, 3, 4)) * 3]
    got = ours(*[tg.Tensor(a) for a in inputs])
    want = theirs(*[torch.tensor(a) for a in inputs])
    np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-14)
    for key, value in theirs.state_dict().items():  # Embedding's max_norm renormalized both tables alike
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-12)


def test_prelu_learns_its_slope_as_a_parameter():
    m = nn.PReLU(2)
    assert [n for n, _ in m.named_parameters()] == ["weight"] and m.weight.tolist() == [0.25, 0.25]
    assert m.weight.dtype == tg.float32
    x = tg.Tensor(np.array([[-2.0, -4.0], [1.0, -1.0]], dtype=np.float32))
    m(x).sum().backward()
    assert m.weight.grad.tolist() == [-2.0, -5.0]


def test_hardtanh_deprecated_bound_names():
    with pytest.warns(FutureWarning, match="min_value and max_value are deprecated"):
        m = nn.Hardtanh(min_value=-2.0, max_value=3.0)
    assert (m.min_val, m.max_val) == (-2.0, 3.0)


# ------------------------------------------------------------------------------- group norm
@pytest.mark.parametrize("shape,groups", [((3, 6, 4, 5), 3), ((2, 4), 2), ((2, 6, 7), 6), ((2, 6, 7), 1)])
def test_group_norm_matches_torch(shape, groups):
    torch = pytest.importorskip("torch")
    arrays = [np.random.default_rng(s).standard_normal(n) * 2 + 1 for s, n in ((1, shape), (2, shape[1]),
                                                                                  (3, shape[1]))]
    assert_matches_torch(lambda x, w, b: F.group_norm(x, groups, w, b, 1e-3),
                         lambda x, w, b: torch.nn.functional.group_norm(x, groups, w, b, 1e-3), arrays)
    assert_matches_torch(lambda x: F.group_norm(x, groups), lambda x: torch.nn.functional.group_norm(x, groups),
                         arrays[:1])


def test_group_norm_gradients_and_values():
    x, w, b = leaf((2, 4, 3), 1), leaf((4,), 2), leaf((4,), 3)
    check_grads(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    y = F.group_norm(x, 2).numpy().reshape(2, 2, 6)
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(-1), 1, rtol=1e-4)  # eps = 1e-5 inside the root
    # one group is LayerNorm over (C, L); as many groups as channels normalizes each channel alone
    np.testing.assert_allclose(F.group_norm(x, 1).numpy(), F.layer_norm(x, (4, 3)).numpy(), rtol=1e-12)
    m = nn.GroupNorm(2, 4)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert m.weight.tolist() == [1.0] * 4 and m.bias.tolist() == [0.0] * 4
    assert nn.GroupNorm(2, 4, bias=False).bias is None and nn.GroupNorm(2, 4, affine=False).weight is None
    half = F.group_norm(tg.Tensor(np.array([[300.0, -300.0, 1.0, 2.0]], dtype=np.float16)), 2)
    assert half.dtype == tg.float16 and np.isfinite(half.numpy()).all()


def test_group_norm_errors():
    with pytest.raises(ValueError, match=r"num_channels \(3\) must be divisible by num_groups \(2\)"):
        nn.GroupNorm(2, 3)
    with pytest.raises(RuntimeError, match=r"3 channels .* shape \(2, 3, 4\) must divide into num_groups=2"):
        F.group_norm(tg.Tensor(np.ones((2, 3, 4))), 2)
    with pytest.raises(RuntimeError, match=r"expected an input of shape \(N, C, \.\.\.\)"):
        F.group_norm(tg.Tensor(np.ones(4)), 2)
    with pytest.raises(RuntimeError, match=r"weight has shape \(3,\), expected \(4,\)"):
        F.group_norm(tg.Tensor(np.ones((2, 4))), 2, tg.Tensor(np.ones(3)))


# --------------------------------------------------------------------------------- distances
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 1), (3.0, 0), (2.0, -1)])
def test_normalize_matches_torch_including_a_zero_vector(p, dim):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((4, 5))
    x[2] = 0.0
    x[:, 3] = 0.0
    assert_matches_torch(lambda x: F.normalize(x, p, dim), lambda x: torch.nn.functional.normalize(x, p, dim), [x])


def test_normalize_values_and_gradients():
    x = leaf((3, 4), 1)
    check_grads(lambda x: F.normalize(x, dim=1), (x,))
    np.testing.assert_allclose(np.linalg.norm(F.normalize(x).numpy(), axis=1), 1.0)
    assert F.normalize(tg.Tensor(np.zeros((1, 3)))).tolist() == [[0.0, 0.0, 0.0]]


@pytest.mark.parametrize("shapes,dim", [(((4, 5), (4, 5)), 1), (((1, 5), (4, 5)), 1), (((2, 3, 4), (2, 3, 4)), -1),
                                        (((4, 1), (4, 5)), 1), (((5,), (5,)), 0)])
def test_cosine_similarity_matches_torch(shapes, dim):
    torch = pytest.importorskip("torch")
    arrays = [np.random.default_rng(s).standard_normal(shape) for s, shape in enumerate(shapes)]
    assert_matches_torch(lambda a, b: F.cosine_similarity(a, b, dim),
                         lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim), arrays)


def test_cosine_similarity_values_gradients_and_errors():
    a, b = leaf((3, 4), 1), leaf((3, 4), 2)
    check_grads(F.cosine_similarity, (a, b))
    np.testing.assert_allclose(F.cosine_similarity(a, a * 3.0).numpy(), 1.0)
    np.testing.assert_allclose(F.cosine_similarity(a, -a).numpy(), -1.0)
    assert F.cosine_similarity(tg.Tensor(np.zeros((1, 2))), tg.Tensor(np.ones((1, 2)))).tolist() == [0.0]
    with pytest.raises(RuntimeError, match=r"x1 of shape \(2, 3\) and x2 of shape \(2, 4\) do not broadcast"):
        F.cosine_similarity(tg.Tensor(np.ones((2, 3))), tg.Tensor(np.ones((2, 4))))


@pytest.mark.parametrize("p,keepdim,shape", [(2.0, False, (4, 5)), (1.0, True, (4, 5)), (3.0, False, (5,))])
def test_pairwise_distance_matches_torch(p, keepdim, shape):
    a, b = leaf(shape, 1), leaf(shape, 2)
    check_grads(lambda a, b: F.pairwise_distance(a, b, p, keepdim=keepdim), (a, b))
    torch = pytest.importorskip("torch")
    assert_matches_torch(lambda a, b: F.pairwise_distance(a, b, p, keepdim=keepdim),
                         lambda a, b: torch.nn.functional.pairwise_distance(a, b, p, keepdim=keepdim),
                         [a.numpy(), b.numpy()])


# ------------------------------------------------------------------------------------- losses
REDUCTIONS = ["none", "mean", "sum"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1_loss_matches_torch(reduction, beta):
    torch = pytest.importorskip("torch")
    x, y = (np.random.default_rng(s).standard_normal((4, 5)) for s in (1, 2))
    assert_matches_torch(lambda x, y: F.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
                         lambda x, y: torch.nn.functional.smooth_l1_loss(x, y, reduction=reduction, beta=beta), [x, y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta,weighted", [(1.0, False), (0.7, False), (0.7, True)])
def test_huber_loss_matches_torch(reduction, delta, weighted):
    torch = pytest.importorskip("torch")
    x, y, w = (np.random.default_rng(s).standard_normal((4, 5)) for s in (1, 2, 3))
    if weighted:
        assert_matches_torch(lambda x, y, w: F.huber_loss(x, y, reduction, delta, w),
                             lambda x, y, w: torch.nn.functional.huber_loss(x, y, reduction, delta, w), [x, y, w])
    else:
        assert_matches_torch(lambda x, y: F.huber_loss(x, y, reduction, delta),
                             lambda x, y: torch.nn.functional.huber_loss(x, y, reduction, delta), [x, y])


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    log_q = rng.standard_normal((3, 4))
    log_q -= np.log(np.exp(log_q).sum(1, keepdims=True))
    p = rng.dirichlet(np.ones(4), 3)
    p[0, 1] = 0.0  # a zero-probability target: its term is 0, not NaN
    target = np.log(p + 1e-3) if log_target else p
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about 'mean'
        assert_matches_torch(lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
                             lambda x, t: torch.nn.functional.kl_div(x, t, reduction=reduction, log_target=log_target),
                             [log_q, target])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [((4, 5), (4,)), ((5,), ())], ids=["batch", "single"])
def test_cosine_embedding_and_margin_ranking_losses_match_torch(reduction, shapes):
    torch = pytest.importorskip("torch")
    x1, x2 = (np.random.default_rng(s).standard_normal(shapes[0]) for s in (1, 2))
    target = np.array([1.0, -1.0, -1.0, 1.0]) if shapes[1] else np.array(-1.0)
    assert_matches_torch(lambda a, b: F.cosine_embedding_loss(a, b, tg.Tensor(target), 0.1, reduction=reduction),
                         lambda a, b: torch.nn.functional.cosine_embedding_loss(a, b, torch.tensor(target), 0.1,
                                                                                reduction=reduction), [x1, x2])
    s1, s2 = x1.reshape(-1)[:4], x2.reshape(-1)[:4]
    t = np.array([1.0, -1.0, -1.0, 1.0])
    assert_matches_torch(lambda a, b: F.margin_ranking_loss(a, b, tg.Tensor(t), 0.3, reduction=reduction),
                         lambda a, b: torch.nn.functional.margin_ranking_loss(a, b, torch.tensor(t), 0.3,
                                                                              reduction=reduction), [s1, s2])


def test_loss_values_and_gradients_without_torch():
    x, y = leaf((3, 4), 1), leaf((3, 4), 2)
    for fn in (lambda x: F.smooth_l1_loss(x, y, beta=0.5), lambda x: F.huber_loss(x, y, delta=0.5),
               lambda x: F.kl_div(x, y.detach().softmax(1), reduction="batchmean"),
               lambda x: F.kl_div(x, y.detach(), reduction="sum", log_target=True),
               lambda x: F.cosine_embedding_loss(x, y, tg.Tensor(np.array([1.0, -1.0, 1.0])), 0.1),
               lambda x: F.margin_ranking_loss(x, y, tg.Tensor(np.ones((3, 4)))),
               lambda x: F.smooth_l1_loss(x, y, reduction="none")):
        check_grads(fn, (x,))
    a, b = tg.Tensor(np.array([0.5, 3.0])), tg.Tensor(np.zeros(2))
    assert F.smooth_l1_loss(a, b, reduction="none").tolist() == [0.125, 2.5]
    assert F.smooth_l1_loss(a, b, beta=0.0).item() == F.l1_loss(a, b).item() == 1.75
    assert F.huber_loss(a, b, delta=2.0, reduction="none").tolist() == [0.125, 4.0]
    p = tg.Tensor(np.array([[0.25, 0.75], [0.5, 0.5]]))
    kl = (0.25 * np.log(0.25 / 0.5) + 0.75 * np.log(0.75 / 0.5)) / 2  # KL(p || uniform) averaged over the batch
    np.testing.assert_allclose(F.kl_div(tg.Tensor(np.full((2, 2), np.log(0.5))), p, reduction="batchmean").item(), kl)
    np.testing.assert_allclose(F.kl_div(tg.Tensor(np.full((2, 2), np.log(0.5))), p).item(), kl / 2)
    assert F.margin_ranking_loss(tg.Tensor([1.0, 3.0]), tg.Tensor([2.0, 0.0]), tg.Tensor([1.0, -1.0]),
                                 reduction="none").tolist() == [1.0, 3.0]


def test_loss_modules():
    x, y = leaf((3, 4), 1), leaf((3, 4), 2)
    assert nn.SmoothL1Loss(beta=0.5)(x, y).item() == F.smooth_l1_loss(x, y, beta=0.5).item()
    assert nn.HuberLoss("sum", 0.3)(x, y).item() == F.huber_loss(x, y, "sum", 0.3).item()
    m = nn.KLDivLoss(reduction="batchmean", log_target=True)
    assert m(x, y).item() == F.kl_div(x, y, reduction="batchmean", log_target=True).item()
    t = tg.Tensor(np.array([1.0, -1.0, 1.0]))
    assert nn.CosineEmbeddingLoss(0.2)(x, y, t).item() == F.cosine_embedding_loss(x, y, t, 0.2).item()
    assert nn.MarginRankingLoss(0.5)(x[0], y[0], t[:1]).item() == F.margin_ranking_loss(x[0], y[0], t[:1], 0.5).item()
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean')"
    with pytest.warns(UserWarning, match="size_average and reduce are deprecated"):
        assert nn.SmoothL1Loss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert nn.KLDivLoss(reduce=False).reduction == "none"
    with pytest.warns(UserWarning):
        assert F.smooth_l1_loss(x, y, True, True).item() == F.smooth_l1_loss(x, y).item()


def test_loss_errors():
    x = tg.Tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="beta must be >= 0, got -1"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="delta must be > 0, got 0"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) must have the input's shape \(2, 3\)"):
        F.huber_loss(x, x, weight=tg.Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="reduction must be 'none', 'mean', 'sum' or 'batchmean', got 'avg'"):
        F.kl_div(x, x, reduction="avg")
    with pytest.raises(ValueError, match="'batchmean'"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction must be 'none', 'mean' or 'sum', got 'batchmean'"):
        nn.HuberLoss("batchmean")
    with pytest.raises(ValueError, match=r"input shape \(2, 3\) and target shape \(3,\)"):
        F.smooth_l1_loss(x, tg.Tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match=r"got input1 \(2, 3\), input2 \(2, 3\) and target \(\)"):
        F.cosine_embedding_loss(x, x, tg.Tensor(1.0))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.margin_ranking_loss(x, x, tg.Tensor(np.ones(3)))


# ---------------------------------------------------------------------------------- embedding
def test_embedding_max_norm_renormalizes_looked_up_rows_in_place():
    m = nn.Embedding(5, 3, max_norm=1.0)
    m.weight.numpy()[...] = np.arange(15.0).reshape(5, 3)
    before = m.weight.numpy().copy()
    version = m.weight._version  # PyTorch's name for the in-place version counter
    out = m(tg.Tensor(np.array([[1, 3], [3, 0]])))
    norms = np.linalg.norm(m.weight.numpy(), axis=1)
    np.testing.assert_allclose(norms[[0, 1, 3]], 1.0, rtol=1e-6)  # max_norm / (norm + 1e-7) times the norm
    np.testing.assert_array_equal(m.weight.numpy()[[2, 4]], before[[2, 4]])  # rows not looked up keep theirs
    np.testing.assert_array_equal(out.numpy()[0, 1], m.weight.numpy()[3])  # the lookup sees the new rows
    assert m.weight.is_leaf and m.weight.requires_grad and out.requires_grad
    out.sum().backward()
    assert m.weight.grad.tolist()[3] == [2.0, 2.0, 2.0]
    assert m.weight._version > version
    short = nn.Embedding(2, 2, max_norm=100.0)
    kept = short.weight.numpy().copy()
    short(tg.Tensor(np.array([0, 1])))
    np.testing.assert_array_equal(short.weight.numpy(), kept)
    l1 = nn.Embedding(2, 2, max_norm=0.5, norm_type=1.0)
    l1.weight.numpy()[...] = [[0.1, -0.2], [3.0, -1.0]]
    l1(tg.Tensor(np.array([0, 1])))
    np.testing.assert_allclose(np.abs(l1.weight.numpy()).sum(1), [0.3, 0.5], rtol=1e-6)


def test_embedding_scale_grad_by_freq_divides_each_rows_gradient_by_its_count():
    # deliberately not the derivative of the lookup (so no gradcheck): each row's gradient is averaged
    m = nn.Embedding(4, 2, scale_grad_by_freq=True, padding_idx=0)
    m(tg.Tensor(np.array([[1, 1, 2], [1, 0, 0]]))).sum().backward()
    assert m.weight.grad.tolist() == [[0, 0], [1, 1], [1, 1], [0, 0]]
    w = leaf((4, 3), 1)
    out = F.embedding(np.array([[1, 1, 2], [3, 1, 0]]), w, scale_grad_by_freq=True)
    np.testing.assert_array_equal(out.numpy(), w.numpy()[[[1, 1, 2], [3, 1, 0]]])
    (out * out).sum().backward()  # d/dw of sum(w[i]^2) over the 3 uses of row 1 is 6 w[1]; divided by 3
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy(), rtol=1e-12)


@pytest.mark.parametrize("kwargs", [{"max_norm": 1.0}, {"max_norm": 0.5, "norm_type": 1.0, "padding_idx": 1},
                                    {"scale_grad_by_freq": True}, {"scale_grad_by_freq": True, "max_norm": 2.0}])
def test_embedding_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    table = np.random.default_rng(1).standard_normal((5, 3)) * 2
    idx = np.array([[1, 3, 3], [4, 1, 1]])
    ours = tg.Tensor(table.copy(), requires_grad=True)
    theirs = torch.tensor(table.copy(), requires_grad=True)
    g = np.random.default_rng(2).standard_normal((2, 3, 3))
    (F.embedding(tg.Tensor(idx), ours, **kwargs) * tg.Tensor(g)).sum().backward()
    (torch.nn.functional.embedding(torch.tensor(idx), theirs, **kwargs) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_embedding_from_pretrained_and_constructor_options():
    table = tg.Tensor(np.arange(6.0, dtype=np.float32).reshape(3, 2))
    m = nn.Embedding.from_pretrained(table)
    assert not m.weight.requires_grad and m.weight.tolist() == table.tolist()
    assert m(tg.Tensor(np.array([2]))).tolist() == [[4.0, 5.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0).weight.requires_grad
    assert nn.Embedding(3, 2, dtype=tg.float64).weight.dtype == tg.float64
    assert nn.Embedding(3, 2, sparse=True).sparse
    with pytest.raises(ValueError, match=r"_weight has shape \(3, 2\), expected .* \(4, 2\)"):
        nn.Embedding(4, 2, _weight=table)
    with pytest.raises(ValueError, match="must be 2-D"):
        nn.Embedding.from_pretrained(tg.Tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match="cuda"):
        nn.Embedding(3, 2, device="cuda")


# ------------------------------------------------------------------------------------- Module
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 3)
        self.norm = nn.BatchNorm1d(3)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(3, 2)
        self.alias = self.block  # the same module under two names

    def forward(self, x):
        return self.head(self.block.norm(self.block.fc(x)))


def test_to_accepts_a_device_a_dtype_a_tensor_and_non_blocking():
    net = Net()
    params = list(net.parameters())
    assert net.to("cpu") is net and net.to(tg.device("cpu")) is net and net.cpu() is net
    assert net.to(device="cpu", non_blocking=True) is net
    net(tg.Tensor(np.ones((4, 2), dtype=np.float32))).sum().backward()
    assert net.to("cpu", tg.float64) is net
    assert list(net.parameters()) == params  # the same Parameter objects: an optimizer keeps working
    assert all(p.dtype == tg.float64 and p.grad.dtype == tg.float64 for p in net.parameters())
    assert net.block.norm.running_mean.dtype == tg.float64
    assert net.block.norm.num_batches_tracked.dtype == tg.int64  # integer buffers keep their dtype
    net.to(tg.Tensor(np.zeros(1, dtype=np.float32)), True)
    assert net.head.weight.dtype == tg.float32
    net.to(dtype=np.float64, memory_format=None)
    assert net.head.bias.dtype == tg.float64
    assert net.half().head.weight.dtype == tg.float16 and net.float().head.weight.dtype == tg.float32


def test_to_a_gpu_is_an_error_raised_before_anything_changes():
    net = Net()
    for call in (lambda: net.to("cuda", tg.float64), lambda: net.to(tg.device("cuda", 0), tg.float64),
                 lambda: net.to("mps"), lambda: net.to(0), lambda: net.to(device="cuda:1", dtype=tg.float64),
                 lambda: net.cuda(), lambda: net.cuda(0)):
        with pytest.raises(RuntimeError, match="no GPU backend.*device '(cuda|mps)"):
            call()
        assert all(p.dtype == tg.float32 for p in net.parameters())
    with pytest.raises(TypeError, match="only accepts floating point dtypes.*int64"):
        net.to(tg.int64)
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['copy'\]"):
        net.to(copy=True)
    assert all(p.dtype == tg.float32 for p in net.parameters())


def test_type_converts_every_parameter_and_buffer_as_pytorch():
    net = Net()
    assert net.type(tg.float64) is net
    assert {t.dtype for t in [*net.parameters(), *net.buffers()]} == {tg.float64}
    net.type("torch.FloatTensor")
    assert {t.dtype for t in [*net.parameters(), *net.buffers()]} == {tg.float32}


def test_requires_grad_and_zero_grad():
    net = Net()
    assert net.requires_grad_(False) is net and not any(p.requires_grad for p in net.parameters())
    net.head.requires_grad_()
    assert [n for n, p in net.named_parameters() if p.requires_grad] == ["head.weight", "head.bias"]
    net.requires_grad_(True)
    net(tg.Tensor(np.ones((4, 2), dtype=np.float32))).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_registration_and_lookup_by_dotted_name():
    net = Net()
    net.register_module("extra", nn.ReLU())
    net.register_parameter("scale", nn.Parameter(np.ones(1)))
    assert isinstance(net.extra, nn.ReLU) and "scale" in dict(net.named_parameters())
    assert net.get_submodule("block.fc") is net.block.fc and net.get_submodule("") is net
    assert net.get_parameter("block.fc.bias") is net.block.fc.bias and net.get_parameter("scale") is net.scale
    assert net.get_buffer("block.norm.running_var") is net.block.norm.running_var
    with pytest.raises(AttributeError, match=r"Block has no sub-module `conv` \(in 'block.conv'\)"):
        net.get_parameter("block.conv.weight")
    with pytest.raises(AttributeError, match="`running_mean` .* is not a Parameter"):
        net.get_parameter("block.norm.running_mean")
    with pytest.raises(AttributeError, match="Linear has no attribute `gain`"):
        net.get_parameter("head.gain")
    with pytest.raises(AttributeError, match="is not a buffer"):
        net.get_buffer("head.weight")
    for register in (net.add_module, net.register_module, net.register_buffer, net.register_parameter):
        with pytest.raises(KeyError, match="cannot contain '.'"):
            register("a.b", None)
        with pytest.raises(KeyError, match="non-empty"):
            register("", None)
        with pytest.raises(TypeError, match="name should be a string, got int"):
            register(1, None)


def test_walking_shared_modules_and_parameters():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.norm", "head"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == \
        ["", "block", "block.fc", "block.norm", "head", "alias", "alias.fc", "alias.norm"]
    assert [n for n, _ in net.named_modules(prefix="net")][:2] == ["net", "net.block"]
    memo = {net.head}
    assert [n for n, _ in net.named_modules(memo)] == ["", "block", "block.fc", "block.norm"]
    assert net.head in memo and net.block in memo
    assert [n for n, _ in net.named_parameters(remove_duplicate=False)] == \
        ["block.fc.weight", "block.fc.bias", "block.norm.weight", "block.norm.bias", "head.weight", "head.bias",
         "alias.fc.weight", "alias.fc.bias", "alias.norm.weight", "alias.norm.bias"]
    assert len(list(net.named_buffers(remove_duplicate=False))) == 6


def test_walking_matches_torch():
    torch = pytest.importorskip("torch")

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
            self.head = torch.nn.Linear(3, 2)
            self.alias = self.block

    class OurNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
            self.head = nn.Linear(3, 2)
            self.alias = self.block

    ours, theirs = OurNet(), TorchNet()
    for call in (lambda m: m.named_children(), lambda m: m.named_modules(), lambda m: m.named_parameters(),
                 lambda m: m.named_modules(remove_duplicate=False), lambda m: m.named_buffers(remove_duplicate=False),
                 lambda m: m.named_parameters(prefix="p", remove_duplicate=False)):
        assert [n for n, _ in call(ours)] == [n for n, _ in call(theirs)]
