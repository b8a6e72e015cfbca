"""Convolution and pooling: gradcheck, PyTorch parity, output shapes, dropout2d and errors."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, gradcheck, gradgradcheck, manual_seed
from tinygrad_edu.nn import conv as C

rng = np.random.default_rng(0)


def t64(*shape, grad=True):
    return Tensor(rng.standard_normal(shape), requires_grad=grad)


def distinct(*shape):
    """float64 values with no ties (a permutation), so max pooling's argmax is unique."""
    return Tensor(rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0, requires_grad=True)


CONV_CASES = [  # (input shape, weight shape, kwargs)
    ((2, 3, 5, 6), (4, 3, 3, 3), {}),
    ((1, 2, 7, 5), (3, 2, 3, 2), {"stride": 2, "padding": 1}),
    ((2, 2, 6, 7), (2, 2, 2, 3), {"stride": (2, 1), "padding": (2, 1)}),
    ((1, 2, 7, 7), (3, 2, 3, 3), {"dilation": 2, "padding": 1}),
    ((2, 4, 5, 5), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((1, 4, 6, 5), (4, 1, 2, 3), {"groups": 4, "stride": (1, 2), "dilation": (2, 1)}),
    ((1, 2, 5, 6), (3, 2, 2, 3), {"padding": "same"}),
    ((1, 2, 6, 5), (3, 2, 4, 2), {"padding": "same", "dilation": (1, 2)}),
    ((1, 2, 5, 6), (3, 2, 3, 2), {"padding": "valid"}),
]


@pytest.mark.parametrize("xs, ws, kw", CONV_CASES)
def test_conv2d_gradcheck(xs, ws, kw):
    x, w, b = t64(*xs), t64(*ws), t64(ws[0])
    assert gradcheck(lambda x, w, b: C.conv2d(x, w, b, **kw), (x, w, b))


@pytest.mark.parametrize("xs, ws, kw", CONV_CASES)
def test_conv2d_matches_torch(xs, ws, kw):
    torch = pytest.importorskip("torch")
    x, w, b = t64(*xs), t64(*ws), t64(ws[0])
    out = C.conv2d(x, w, b, **kw)
    g = rng.standard_normal(out.shape)
    out.backward(Tensor(g))
    tx, tw, tb = (torch.tensor(a.numpy(), requires_grad=True) for a in (x, w, b))
    ref = torch.nn.functional.conv2d(tx, tw, tb, **kw)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-10)
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-10)


def test_conv2d_naive_loop_reference():
    """Independent of torch: the definition, with explicit loops over every output element."""
    x, w = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 2, 3))
    s, p, d = 2, 1, (1, 2)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    ho, wo = (5 + 2 - 1 - 1) // 2 + 1, (4 + 2 - 4 - 1) // 2 + 1
    ref = np.zeros((2, 3, ho, wo))
    for n in range(2):
        for o in range(3):
            for r in range(ho):
                for c in range(wo):
                    win = xp[n, :, r * s:r * s + 2 * d[0]:d[0], c * s:c * s + 3 * d[1]:d[1]]
                    ref[n, o, r, c] = np.sum(win[:, :2, :3] * w[o])
    np.testing.assert_allclose(C.conv2d(Tensor(x), Tensor(w), stride=s, padding=p, dilation=d).numpy(), ref, atol=1e-12)


def _conv_by_offsets(x, w, stride, padding, dilation, groups):
    """Reference convolution from the definition, a sum over kernel offsets and groups of strided slices."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    o, cg, kh, kw = w.shape
    ho, wo = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1, (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], o, ho, wo))
    og = o // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
                part = xp[:, g * cg:(g + 1) * cg, rows, j * dw:j * dw + sw * (wo - 1) + 1:sw]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", part, w[g * og:(g + 1) * og, :, i, j])
    return out


@pytest.mark.parametrize("seed", range(16))
def test_conv2d_random_geometries_against_the_definition(seed):
    """Random strides (also ones that do not divide the padded width), dilations, paddings, kernels and
    groups. Forward against the definition; both gradients through the adjoint identities
    <G, conv(x', W)> = <dL/dx, x'> and <G, conv(x, W')> = <dL/dW, W'> (the convolution is linear in each)."""
    r = np.random.default_rng(seed)
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = (tuple(int(v) for v in r.integers(lo, hi, 2))
                                              for lo, hi in ((1, 4), (1, 4), (1, 3), (0, 3)))
    groups = int(r.choice([1, 2]))
    h, w = int(dh * (kh - 1) + r.integers(1, 8)), int(dw * (kw - 1) + r.integers(1, 8))
    kw_ = dict(stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=groups)
    x, weight = r.standard_normal((2, 2 * groups, h, w)), r.standard_normal((3 * groups, 2, kh, kw))
    tx, tw = Tensor(x, requires_grad=True), Tensor(weight, requires_grad=True)
    out = C.conv2d(tx, tw, **kw_)
    geometry = ((sh, sw), (ph, pw), (dh, dw), groups)
    np.testing.assert_allclose(out.numpy(), _conv_by_offsets(x, weight, *geometry), atol=1e-12)
    g = r.standard_normal(out.shape)
    out.backward(Tensor(g))
    x2, w2 = r.standard_normal(x.shape), r.standard_normal(weight.shape)
    assert np.isclose(np.sum(g * _conv_by_offsets(x2, weight, *geometry)), np.sum(tx.grad.numpy() * x2))
    assert np.isclose(np.sum(g * _conv_by_offsets(x, w2, *geometry)), np.sum(tw.grad.numpy() * w2))


@pytest.mark.parametrize("xs, ws, kw", CONV_CASES)
def test_conv2d_gradgradcheck(xs, ws, kw):
    """The three convolution primitives (forward, input gradient, weight gradient) differentiate into each
    other; the second derivative checks all of them for every geometry."""
    x, w = t64(*xs), t64(*ws)
    assert gradgradcheck(lambda x, w: C.conv2d(x, w, **kw), (x, w))


def test_conv2d_third_derivative():
    x, w = t64(1, 2, 4, 4), t64(2, 2, 2, 2)
    assert gradgradcheck(lambda x, w: tg.grad(C.conv2d(x, w, padding=1).pow(2).sum(), (x, w), create_graph=True)[0],
                         (x, w))


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv2d_module_padding_modes_gradcheck_and_torch(mode):
    m = C.Conv2d(2, 3, (3, 2), padding=(2, 1), padding_mode=mode).double()
    x = t64(2, 2, 5, 4)
    assert gradcheck(lambda x, w, b: (setattr(m, "weight", w), setattr(m, "bias", b), m(x))[2],
                     (x, m.weight, m.bias))
    torch = pytest.importorskip("torch")
    tm = torch.nn.Conv2d(2, 3, (3, 2), padding=(2, 1), padding_mode=mode).double()
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    tx = torch.tensor(x.numpy(), requires_grad=True)
    out, ref = m(x), tm(tx)
    g = rng.standard_normal(out.shape)
    out.backward(Tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(m.weight.grad.numpy(), tm.weight.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("kw", [dict(padding="same", dilation=2), dict(stride=2, groups=2, bias=False)])
def test_conv2d_module_matches_torch(kw):
    torch = pytest.importorskip("torch")
    m = C.Conv2d(4, 6, 3, **kw)
    tm = torch.nn.Conv2d(4, 6, 3, **kw)
    assert set(m.state_dict()) == set(tm.state_dict())
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    x = rng.standard_normal((2, 4, 9, 8)).astype(np.float32)
    np.testing.assert_allclose(m(Tensor(x)).numpy(), tm(torch.tensor(x)).detach().numpy(), atol=1e-5)


def test_conv2d_init_bounds_and_shapes():
    manual_seed(0)
    m = C.Conv2d(4, 8, (3, 2), groups=2)
    assert m.weight.shape == (8, 2, 3, 2) and m.bias.shape == (8,)
    bound = 1 / np.sqrt(2 * 3 * 2)
    assert np.abs(m.weight.numpy()).max() <= bound and np.abs(m.weight.numpy()).max() > 0.8 * bound
    assert np.abs(m.bias.numpy()).max() <= bound


def test_conv1d_matches_torch():
    torch = pytest.importorskip("torch")
    m = C.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2)
    tm = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2)
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    x = rng.standard_normal((2, 4, 11)).astype(np.float32)
    np.testing.assert_allclose(m(Tensor(x)).numpy(), tm(torch.tensor(x)).detach().numpy(), atol=1e-5)


def test_conv1d_gradcheck():
    assert gradcheck(lambda x, w: C.conv1d(x, w, padding="same"), (t64(2, 2, 6), t64(3, 2, 4)))


# ------------------------------------------------------------------------------------- unfold/fold
UNFOLD = [dict(kernel_size=2), dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))]


@pytest.mark.parametrize("kw", UNFOLD)
def test_unfold_fold_gradcheck_and_gradgradcheck(kw):
    x = t64(2, 2, 5, 6)
    assert gradcheck(lambda x: C.unfold(x, **kw), (x,))
    assert gradgradcheck(lambda x: C.unfold(x, **kw), (x,))
    cols = C.unfold(x, **kw).detach().requires_grad_()
    assert gradcheck(lambda c: C.fold(c, (5, 6), **kw), (cols,))
    assert gradgradcheck(lambda c: C.fold(c, (5, 6), **kw), (cols,))


@pytest.mark.parametrize("kw", UNFOLD)
def test_unfold_fold_match_torch(kw):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 5, 6))
    u = C.unfold(Tensor(x), **kw)
    tu = torch.nn.functional.unfold(torch.tensor(x), **kw)
    np.testing.assert_allclose(u.numpy(), tu.numpy())
    np.testing.assert_allclose(C.fold(u, (5, 6), **kw).numpy(), torch.nn.functional.fold(tu, (5, 6), **kw).numpy())


def test_fold_is_adjoint_of_unfold():
    """<unfold(x), y> == <x, fold(y)>, computed without torch."""
    x, kw = rng.standard_normal((1, 2, 5, 4)), dict(kernel_size=(3, 2), padding=1, stride=2)
    u = C.unfold(Tensor(x), **kw)
    y = rng.standard_normal(u.shape)
    assert np.isclose(np.sum(u.numpy() * y), np.sum(x * C.fold(Tensor(y), (5, 4), **kw).numpy()))


# ---------------------------------------------------------------------------------------- pooling
MAX_CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
             dict(kernel_size=(3, 2), stride=(2, 3), padding=1, dilation=2), dict(kernel_size=2, stride=1),
             dict(kernel_size=(2, 3)), dict(kernel_size=(3, 2), ceil_mode=True)]  # tiling windows (a reshape)


@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool2d_gradcheck(kw):
    assert gradcheck(lambda x: C.max_pool2d(x, **kw), (distinct(2, 2, 7, 6),))


@pytest.mark.parametrize("kw", MAX_CASES[:3:2])
def test_max_pool2d_gradgradcheck(kw):
    assert gradgradcheck(lambda x: C.max_pool2d(x, **kw) ** 2, (distinct(1, 2, 7, 6),))


@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool2d_matches_torch_with_indices(kw):
    torch = pytest.importorskip("torch")
    x = distinct(2, 3, 7, 6)
    out, idx = C.max_pool2d(x, return_indices=True, **kw)
    g = rng.standard_normal(out.shape)
    out.backward(Tensor(g))
    tx = torch.tensor(x.numpy(), requires_grad=True)
    ref, tidx = torch.nn.functional.max_pool2d(tx, return_indices=True, **kw)
    ref.backward(torch.tensor(g))
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_max_pool2d_gradient_goes_to_the_argmax():
    x = Tensor(np.array([[[[1.0, 5.0], [3.0, 2.0]]]]), requires_grad=True)
    C.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 1.0], [0.0, 0.0]]]])


AVG_CASES = [dict(kernel_size=2), dict(kernel_size=(2, 3)), dict(kernel_size=3, stride=2, padding=1),
             dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
             dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
             dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
             dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), divisor_override=5)]


@pytest.mark.parametrize("kw", AVG_CASES)
def test_avg_pool2d_gradcheck(kw):
    assert gradcheck(lambda x: C.avg_pool2d(x, **kw), (t64(2, 2, 7, 6),))


@pytest.mark.parametrize("kw", AVG_CASES[:3:2])  # tiling windows (a reshape), and padded strided ones (im2col)
def test_avg_pool2d_gradgradcheck(kw):
    assert gradgradcheck(lambda x: C.avg_pool2d(x, **kw) ** 2, (t64(1, 2, 7, 6),))


@pytest.mark.parametrize("kw", AVG_CASES)
def test_avg_pool2d_matches_torch(kw):
    torch = pytest.importorskip("torch")
    x = t64(2, 3, 7, 6)
    out = C.avg_pool2d(x, **kw)
    g = rng.standard_normal(out.shape)
    out.backward(Tensor(g))
    tx = torch.tensor(x.numpy(), requires_grad=True)
    ref = torch.nn.functional.avg_pool2d(tx, **kw)
    ref.backward(torch.tensor(g))
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)


def test_avg_pool2d_count_include_pad_by_hand():
    x = Tensor(np.ones((1, 1, 2, 2)))
    np.testing.assert_allclose(C.avg_pool2d(x, 2, 2, padding=1).numpy(), np.full((1, 1, 2, 2), 0.25))
    np.testing.assert_allclose(C.avg_pool2d(x, 2, 2, padding=1, count_include_pad=False).numpy(), np.ones((1, 1, 2, 2)))


@pytest.mark.parametrize("size", [(2, 3), (3, 4), 1, (5, None), (7, 6)])
def test_adaptive_avg_pool2d_gradcheck_and_torch(size):
    x = t64(2, 2, 6, 9)
    assert gradcheck(lambda x: C.adaptive_avg_pool2d(x, size), (x,))
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(C.adaptive_avg_pool2d(x, size).numpy(),
                               torch.nn.functional.adaptive_avg_pool2d(torch.tensor(x.numpy()), size).numpy(),
                               atol=1e-12)


def test_adaptive_avg_pool2d_by_hand():
    x = np.arange(5.0).reshape(1, 1, 1, 5)  # windows [0:2], [1:4], [3:5] for 5 -> 3
    np.testing.assert_allclose(C.adaptive_avg_pool2d(Tensor(x), (1, 3)).numpy(), [[[[0.5, 2.0, 3.5]]]])


@pytest.mark.parametrize("hw", [(7, 7), (8, 5), (9, 10), (5, 6)])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pool_output_shapes_match_torch(hw, ceil_mode):
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 2, *hw))
    for kw in (dict(kernel_size=3, stride=2), dict(kernel_size=2, stride=2, padding=1), dict(kernel_size=3, stride=3)):
        ref = torch.nn.functional.max_pool2d(torch.tensor(x), ceil_mode=ceil_mode, **kw).shape
        assert C.max_pool2d(Tensor(x), ceil_mode=ceil_mode, **kw).shape == tuple(ref)
        ref = torch.nn.functional.avg_pool2d(torch.tensor(x), ceil_mode=ceil_mode, **kw).shape
        assert C.avg_pool2d(Tensor(x), ceil_mode=ceil_mode, **kw).shape == tuple(ref)


def test_pool_modules_match_torch():
    torch = pytest.importorskip("torch")
    x = distinct(2, 3, 9, 7).numpy()
    pairs = [(C.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
             (C.AvgPool2d(2, count_include_pad=False, padding=1), torch.nn.AvgPool2d(2, count_include_pad=False,
                                                                                      padding=1)),
             (C.AdaptiveAvgPool2d((4, 3)), torch.nn.AdaptiveAvgPool2d((4, 3)))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), atol=1e-12)


# ---------------------------------------------------------------------------------------- dropout2d
def test_dropout2d_zeroes_whole_channels_and_keeps_the_mean():
    manual_seed(0)
    x = Tensor(np.ones((200, 50, 3, 4), dtype=np.float32))
    out = C.dropout2d(x, p=0.3).numpy()
    per_channel = out.reshape(200, 50, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # each plane is all zero or all kept
    assert set(np.unique(per_channel)) == {0.0, np.float32(1 / 0.7)}
    assert abs((per_channel[..., 0] == 0).mean() - 0.3) < 0.02
    assert abs(out.mean() - 1.0) < 0.03


def test_dropout2d_module_eval_is_identity_and_gradient_is_the_mask():
    m = C.Dropout2d(0.5)
    x = t64(4, 6, 2, 2)
    out = m(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.numpy() / x.numpy())
    m.eval()
    assert m(x) is x


# ------------------------------------------------------------------------------------------- errors
def test_errors():
    x = Tensor(np.zeros((1, 3, 5, 5)))
    with pytest.raises(RuntimeError, match=r"\(N, C, H, W\).*\(3, 5, 5\)"):
        C.conv2d(Tensor(np.zeros((3, 5, 5))), Tensor(np.zeros((2, 3, 3, 3))))
    with pytest.raises(RuntimeError, match=r"\(N, C, H, W\).*\(3, 5, 5\)"):
        C.Conv2d(3, 2, 3)(Tensor(np.zeros((3, 5, 5), dtype=np.float32)))
    with pytest.raises(RuntimeError, match=r"expected a 4-D input \(N, C, H, W\) with C = 4, got \(1, 3, 5, 5\)"):
        C.Conv2d(4, 2, 3)(x)
    with pytest.raises(RuntimeError, match="channels"):
        C.conv2d(x, Tensor(np.zeros((2, 2, 3, 3))))
    with pytest.raises(RuntimeError, match="larger than the padded input"):
        C.conv2d(x, Tensor(np.zeros((2, 3, 6, 3))))
    with pytest.raises(RuntimeError, match="larger than the padded input"):
        C.conv2d(x, Tensor(np.zeros((2, 3, 3, 3))), dilation=3)
    with pytest.raises(RuntimeError, match="larger than the padded input"):
        C.max_pool2d(Tensor(np.zeros((1, 1, 2, 2))), 3)
    with pytest.raises(ValueError, match="groups"):
        C.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(RuntimeError, match="groups"):
        C.conv2d(Tensor(np.zeros((1, 4, 5, 5))), Tensor(np.zeros((3, 2, 3, 3))), groups=2)
    with pytest.raises(ValueError, match="strided"):
        C.conv2d(x, Tensor(np.zeros((2, 3, 3, 3))), stride=2, padding="same")
    with pytest.raises(ValueError, match="strided"):
        C.Conv2d(3, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        C.Conv2d(3, 2, 3, padding_mode="mirror")
    with pytest.raises(RuntimeError, match="at most half"):
        C.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match=r"\(N, C, H, W\)"):
        C.max_pool2d(Tensor(np.zeros((5, 5))), 2)
    with pytest.raises(RuntimeError, match="does not fit"):
        C.fold(Tensor(np.zeros((1, 8, 5))), (4, 4), 2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        C.dropout2d(x, p=1.5)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=2, ceil_mode=True)])
def test_max_pool2d_ties_go_to_the_first_maximum_like_torch(kw):
    """After a ReLU most windows hold tied zeros: values, indices and gradients must still equal PyTorch's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((2, 3, 7, 7)), 0)
    a = Tensor(x, requires_grad=True)
    out, idx = C.max_pool2d(a, return_indices=True, **kw)
    t = torch.tensor(x, requires_grad=True)
    tout, tidx = torch.nn.functional.max_pool2d(t, return_indices=True, **kw)
    g = rng.standard_normal(tuple(tout.shape))
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=0)
