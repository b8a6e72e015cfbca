"""Transposed convolution, interpolation / Upsample, and MultiheadAttention's extra keys (add_bias_kv,
add_zero_attn): finite-difference gradients in float64, the adjoint identity, known values, layer
parameters and state_dict keys, errors; values and gradients against PyTorch when it is installed."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, gradcheck, gradgradcheck
from tinygrad_edu.nn.attention import MultiheadAttention
from tinygrad_edu.nn.conv import (
    ConvTranspose1d,
    ConvTranspose2d,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)
from tinygrad_edu.nn.functional import conv2d, conv_transpose1d, conv_transpose2d, interpolate


def leaf(shape, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# ------------------------------------------------------------------------ conv_transpose2d
CT_CASES = [  # (input shape, weight shape, keyword arguments)
    ((2, 3, 4, 5), (3, 2, 3, 3), {}),
    ((1, 2, 3, 4), (2, 3, 3, 2), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((2, 4, 3, 3), (4, 1, 2, 3), {"stride": (2, 3), "groups": 2, "dilation": (2, 1), "output_padding": (1, 2)}),
    ((1, 2, 3, 3), (2, 2, 2, 2), {"dilation": 3, "output_padding": 2}),  # output_padding >= stride, < dilation
]


@pytest.mark.parametrize("xs, ws, kw", CT_CASES)
def test_conv_transpose2d_gradcheck(xs, ws, kw):
    x, w, b = leaf(xs, 0), leaf(ws, 1), leaf((ws[1] * kw.get("groups", 1),), 2)
    assert gradcheck(lambda x, w, b: conv_transpose2d(x, w, b, **kw), (x, w, b))


def test_conv_transpose2d_gradgradcheck():
    x, w = leaf((1, 2, 3, 3), 0), leaf((2, 2, 2, 2), 1)
    assert gradgradcheck(lambda x, w: conv_transpose2d(x, w, stride=2, padding=1), (x, w))


@pytest.mark.parametrize("xs, ws, kw", CT_CASES)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(xs, ws, kw):
    """<conv2d(y, W), x> == <y, conv_transpose2d(x, W)> for every y of the output's shape (conv2d's windows past
    x's size, which output_padding >= stride makes, meet no input)."""
    x, w = leaf(xs, 0), leaf(ws, 1)
    kw_conv = {k: v for k, v in kw.items() if k != "output_padding"}
    out = conv_transpose2d(x, w, **kw)
    y = leaf(out.shape, 3)
    lhs = (conv2d(y, w, **kw_conv)[:, :, :xs[2], :xs[3]] * x).sum().item()
    assert out.shape[1] == ws[1] * kw.get("groups", 1)
    assert math.isclose(lhs, (y * out).sum().item(), rel_tol=1e-12)


def test_conv_transpose2d_stamps_the_kernel_stride_apart():
    x = Tensor(np.array([[[[1.0, 2.0]]]]))
    w = Tensor(np.array([[[[1.0, 10.0, 100.0]]]]))
    assert conv_transpose2d(x, w, stride=2).tolist() == [[[[1.0, 10.0, 102.0, 20.0, 200.0]]]]
    assert conv_transpose2d(x, w, stride=2, padding=(0, 1), output_padding=(0, 1)).tolist() == \
        [[[[10.0, 102.0, 20.0, 200.0]]]]


def test_conv_transpose1d_matches_2d_on_a_height_of_one():
    x, w, b = leaf((2, 3, 5), 0), leaf((3, 2, 3), 1), leaf((2,), 2)
    out = conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1, dilation=2)
    ref = conv_transpose2d(x.unsqueeze(2), w.unsqueeze(2), b, (1, 2), (0, 1), (0, 1), 1, (1, 2)).squeeze(2)
    assert out.shape == (2, 2, 12)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    assert gradcheck(lambda x, w, b: conv_transpose1d(x, w, b, stride=2, padding=1), (x, w, b))


@pytest.mark.parametrize("call, message", [
    (lambda: conv_transpose2d(leaf((1, 3, 4, 4)), leaf((2, 2, 3, 3))), "expects 2 input channels"),
    (lambda: conv_transpose2d(leaf((1, 2, 4, 4)), leaf((2, 2, 3, 3)), stride=2, output_padding=2),
     "output_padding must be smaller"),
    (lambda: conv_transpose2d(leaf((1, 2, 4, 4)), leaf((2, 2, 3))), "4-D weight"),
    (lambda: conv_transpose2d(leaf((1, 2, 4, 4)), leaf((2, 2, 3, 3)), leaf((3,))), "bias of shape"),
    (lambda: conv_transpose2d(leaf((1, 3, 4, 4)), leaf((3, 2, 3, 3)), groups=2), "groups=2"),
    (lambda: conv_transpose2d(leaf((1, 2, 1, 1)), leaf((2, 2, 1, 1)), padding=1), "leaves an output"),
])
def test_conv_transpose2d_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


# -------------------------------------------------------------------------- the layers
def test_conv_transpose2d_layer_parameters_init_and_repr():
    tg.manual_seed(0)
    m = ConvTranspose2d(8, 6, (3, 2), stride=2, padding=1, output_padding=1, groups=2)
    assert list(m.state_dict()) == ["weight", "bias"]
    assert m.weight.shape == (8, 3, 3, 2) and m.bias.shape == (6,)
    bound = 1 / math.sqrt(3 * 3 * 2)  # fan_in = weight.shape[1] * kh * kw, as PyTorch
    for p in (m.weight, m.bias):
        assert 0.8 * bound < np.abs(p.numpy()).max() <= bound
    assert repr(m) == ("ConvTranspose2d(8, 6, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), "
                       "output_padding=(1, 1), groups=2)")
    x = leaf((2, 8, 4, 5)).float()
    out = m(x)
    assert out.shape == (2, 6, 8, 9) and out.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), conv_transpose2d(x, m.weight, m.bias, 2, 1, 1, 2).numpy())
    assert ConvTranspose2d(2, 2, 3, bias=False).bias is None


def test_conv_transpose_layer_output_size_picks_the_output_padding():
    m = ConvTranspose2d(2, 3, 3, stride=3, padding=1)
    x = leaf((1, 2, 4, 4)).float()
    assert m(x).shape == (1, 3, 10, 10)
    assert m(x, output_size=(11, 12)).shape == (1, 3, 11, 12)
    assert m(x, output_size=[1, 3, 12, 10]).shape == (1, 3, 12, 10)
    with pytest.raises(ValueError, match=r"valid sizes range from \(10, 10\) to \(12, 12\)"):
        m(x, output_size=(13, 10))
    m1 = ConvTranspose1d(2, 4, 3, stride=2)
    assert m1.weight.shape == (2, 4, 3)
    assert m1(leaf((3, 2, 5)).float()).shape == (3, 4, 11)
    assert m1(leaf((3, 2, 5)).float(), output_size=(12,)).shape == (3, 4, 12)


def test_conv_transpose_layer_errors():
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="groups=3"):
        ConvTranspose2d(4, 6, 3, groups=3)
    with pytest.raises(RuntimeError, match="with C = 2"):
        ConvTranspose2d(2, 2, 3)(leaf((1, 3, 4, 4)).float())


def test_conv_transpose2d_layer_learns_to_undo_a_strided_conv():
    """A decoder's use: the layer's gradient step lowers the reconstruction loss."""
    tg.manual_seed(0)
    m = ConvTranspose2d(1, 1, 2, stride=2)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 1, 3, 3)).astype(np.float32))
    target = x.numpy().repeat(2, 2).repeat(2, 3)
    losses = []
    for _ in range(2):
        loss = ((m(x) - Tensor(target)) ** 2).mean()
        m.zero_grad()
        loss.backward()
        for p in m.parameters():
            p.data -= 0.5 * p.grad
        losses.append(loss.item())
    assert losses[1] < losses[0]


# ------------------------------------------------------------------------------- interpolate
def test_interpolate_known_values():
    x = Tensor(np.array([[[1.0, 2.0, 4.0]]]))
    assert interpolate(x, scale_factor=2).tolist() == [[[1.0, 1.0, 2.0, 2.0, 4.0, 4.0]]]
    assert interpolate(x, size=2).tolist() == [[[1.0, 2.0]]]  # floor(j * 3/2) = 0, 1: PyTorch's 'nearest'
    assert interpolate(x, size=2, mode="nearest-exact").tolist() == [[[1.0, 4.0]]]  # floor((j + 0.5) * 3/2)
    assert interpolate(x, size=5, mode="linear", align_corners=True).tolist() == [[[1.0, 1.5, 2.0, 3.0, 4.0]]]
    assert interpolate(x, scale_factor=2, mode="linear").tolist() == [[[1.0, 1.25, 1.75, 2.5, 3.5, 4.0]]]
    np.testing.assert_allclose(interpolate(x, size=1, mode="area").numpy(), [[[7 / 3]]])
    img = Tensor(np.array([[[[0.0, 1.0], [2.0, 3.0]]]]))
    up = interpolate(img, size=(3, 3), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(up.numpy()[0, 0], [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]])
    assert interpolate(img, scale_factor=(1, 2)).tolist() == [[[[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0]]]]


@pytest.mark.parametrize("shape, kw", [
    ((2, 2, 4), {"size": 7, "mode": "nearest"}),
    ((1, 2, 5), {"scale_factor": 0.6, "mode": "nearest-exact"}),
    ((2, 1, 4), {"scale_factor": 1.7, "mode": "linear"}),
    ((1, 2, 3, 4), {"size": (5, 3), "mode": "bilinear"}),
    ((1, 2, 3, 4), {"scale_factor": 2, "mode": "bilinear", "align_corners": True}),
    ((1, 1, 5, 4), {"size": (2, 3), "mode": "bilinear"}),
    ((1, 2, 3, 4), {"scale_factor": (2, 0.5), "mode": "nearest"}),
    ((1, 1, 2, 3, 2), {"size": (3, 4, 3), "mode": "trilinear"}),
    ((1, 2, 5, 6), {"size": (2, 4), "mode": "area"}),
])
def test_interpolate_gradcheck(shape, kw):
    assert gradcheck(lambda x: interpolate(x, **kw), (leaf(shape),))


def test_interpolate_keeps_float32_and_output_size_rules():
    x = leaf((1, 1, 5, 5)).float()
    assert interpolate(x, scale_factor=1.5, mode="bilinear").dtype == tg.float32
    assert interpolate(x, scale_factor=1.5).shape == (1, 1, 7, 7)  # floor(5 * 1.5)
    assert interpolate(x, scale_factor=0.5, recompute_scale_factor=True).shape == (1, 1, 2, 2)
    np.testing.assert_array_equal(interpolate(x, size=5, mode="bilinear").numpy(), x.numpy())


@pytest.mark.parametrize("kw, error, message", [
    ({"size": 4, "scale_factor": 2}, ValueError, "only one of size or scale_factor"),
    ({}, ValueError, "either size or scale_factor"),
    ({"size": 4, "align_corners": True}, ValueError, "align_corners only applies"),
    ({"size": (4, 4, 4)}, ValueError, "needs 2 values for size"),
    ({"size": 4, "mode": "linear"}, NotImplementedError, "use mode='bilinear'"),
    ({"size": 4, "mode": "bicubic"}, NotImplementedError, "mode 'bicubic' is not available"),
    ({"size": 4, "mode": "bilinear", "antialias": True}, NotImplementedError, "antialias"),
    ({"size": 4, "recompute_scale_factor": True}, ValueError, "not meaningful with an explicit size"),
    ({"scale_factor": 0.1}, RuntimeError, "greater than 0"),
    ({"size": 2.5}, TypeError, "size must be an int"),
])
def test_interpolate_errors(kw, error, message):
    with pytest.raises(error, match=message):
        interpolate(leaf((1, 1, 4, 4)), **kw)


def test_upsample_layers():
    x = Tensor(np.arange(4.0).reshape(1, 1, 2, 2))
    up = Upsample(scale_factor=2)
    assert up.scale_factor == 2.0 and repr(up) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert up(x).numpy()[0, 0].tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    assert repr(Upsample(size=(3, 5), mode="bilinear")) == "Upsample(size=(3, 5), mode='bilinear')"
    np.testing.assert_array_equal(UpsamplingNearest2d(scale_factor=2)(x).numpy(), up(x).numpy())
    bilinear = UpsamplingBilinear2d(size=3)
    assert bilinear.align_corners is True and repr(bilinear) == "UpsamplingBilinear2d(size=3, mode='bilinear')"
    np.testing.assert_allclose(bilinear(x).numpy()[0, 0], [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]])
    assert list(up.state_dict()) == []


# ------------------------------------------------------- MultiheadAttention's extra keys
def test_mha_extra_keys_parameters_and_weights():
    tg.manual_seed(0)
    m = MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight",
                                    "out_proj.bias"]
    assert m.bias_k.shape == m.bias_v.shape == (1, 1, 8) and np.abs(m.bias_k.numpy()).max() > 0
    x = leaf((3, 2, 8)).float()
    mask = np.zeros((2, 3), dtype=bool)
    mask[0, 2] = True
    out, weights = m(x, x, x, key_padding_mask=mask)
    assert out.shape == (3, 2, 8) and weights.shape == (2, 3, 5)  # S + the bias key + the zero key
    np.testing.assert_allclose(weights.numpy().sum(-1), 1, rtol=1e-6)
    assert (weights.numpy()[0, :, 2] == 0).all() and (weights.numpy()[:, :, 3:] > 0).all()
    plain = MultiheadAttention(8, 2)
    assert plain.bias_k is None and plain.bias_v is None and not plain.add_zero_attn


def test_mha_zero_attn_adds_a_zero_score_key():
    """With every real score equal to 0 (zero query weights), the zero key takes an equal share, 1 / (S + 1)."""
    m = MultiheadAttention(4, 1, add_zero_attn=True).double()
    m.in_proj_weight.data[:4] = 0.0
    x = leaf((2, 1, 4))
    _, weights = m(x, x, x)
    np.testing.assert_allclose(weights.numpy(), np.full((1, 2, 3), 1 / 3))


def test_mha_extra_keys_gradcheck():
    m = MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5, batch_first=True).double()
    for p in m.parameters():
        p.data[...] = np.random.default_rng(p.numel()).standard_normal(p.shape) * 0.5
    q, k, v = leaf((2, 3, 4), 0), leaf((2, 2, 3), 1), leaf((2, 2, 5), 2)
    causal = ~np.tri(3, 2, dtype=bool)
    assert gradcheck(lambda q, k, v, bk: m(q, k, v, attn_mask=causal)[0], (q, k, v, m.bias_k))


def test_mha_extra_keys_in_step_by_step_decoding():
    """forward_step with a cache appends the same extra keys as forward with a causal mask."""
    from tinygrad_edu.nn.attention import AttentionCache

    m = MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True, batch_first=True).double()
    x = leaf((2, 3, 4))
    full, _ = m(x, x, x, attn_mask=~np.tri(3, 3, dtype=bool))
    cache = AttentionCache()
    steps = [m.forward_step(x[:, t:t + 1], cache) for t in range(3)]
    np.testing.assert_allclose(np.concatenate([s.numpy() for s in steps], 1), full.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------- PyTorch parity
def assert_close(ours, theirs, rtol=1e-10, atol=1e-12):
    ours = ours.numpy() if isinstance(ours, Tensor) else ours
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("xs, ws, kw", CT_CASES + [((2, 4, 5, 4), (4, 3, 3, 3), {"stride": 2, "groups": 2})])
def test_conv_transpose2d_matches_pytorch(xs, ws, kw):
    torch = pytest.importorskip("torch")
    ours = [leaf(xs, 0), leaf(ws, 1), leaf((ws[1] * kw.get("groups", 1),), 2)]
    theirs = [torch.tensor(t.numpy(), requires_grad=True) for t in ours]
    out, ref = conv_transpose2d(*ours, **kw), torch.nn.functional.conv_transpose2d(*theirs, **kw)
    assert_close(out, ref)
    g = np.random.default_rng(9).standard_normal(out.shape)
    out.backward(Tensor(g))
    ref.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad)


def test_conv_transpose_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    for ours, theirs, shape in [
        (ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
         torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5, 3)),
        (ConvTranspose1d(3, 2, 4, stride=3, dilation=2), torch.nn.ConvTranspose1d(3, 2, 4, stride=3, dilation=2),
         (2, 3, 6)),
    ]:
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        assert repr(ours) == repr(theirs)
        ours.load_state_dict(theirs.state_dict())
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        assert_close(ours(Tensor(x)), theirs(torch.tensor(x)), rtol=1e-5, atol=1e-6)


INTERP_MODES = [(3, "nearest"), (3, "nearest-exact"), (3, "linear"), (3, "area"), (4, "nearest"),
                (4, "nearest-exact"), (4, "bilinear"), (4, "area"), (5, "nearest"), (5, "trilinear")]
INTERP_SIZES = [{"size": 1}, {"size": 7}, {"size": 4}, {"scale_factor": 2}, {"scale_factor": 0.5},
                {"scale_factor": 1.7}, {"scale_factor": 1.3}, {"scale_factor": 2.6, "recompute_scale_factor": True}]


@pytest.mark.parametrize("ndim, mode", INTERP_MODES)
def test_interpolate_matches_pytorch(ndim, mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    corners = [False, True] if mode in ("linear", "bilinear", "trilinear") else [None]
    for spatial in (3, 4, 10):
        shape = (2, 3) + (spatial, spatial - 1, 3)[:ndim - 2]
        for kw in INTERP_SIZES:
            for align_corners in corners:
                x = rng.standard_normal(shape)
                ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
                out = interpolate(ours, mode=mode, align_corners=align_corners, **kw)
                ref = torch.nn.functional.interpolate(theirs, mode=mode, align_corners=align_corners, **kw)
                assert out.shape == tuple(ref.shape), (shape, kw)
                assert_close(out, ref)
                g = rng.standard_normal(out.shape)
                out.backward(Tensor(g))
                ref.backward(torch.tensor(g))
                if not (mode == "nearest" and ndim != 4 and "scale_factor" in kw
                        and any(o == n for o, n in zip(out.shape[2:], shape[2:]))):
                    # (PyTorch's 1-D and 3-D nearest backward copies an axis whose size a scale factor kept, while
                    # its forward reads floor(j / scale_factor): not the forward's gradient; ours is)
                    assert_close(ours.grad, theirs.grad)
                x32 = x.astype(np.float32)  # float32 coordinates pick the same input positions as PyTorch's
                out32 = interpolate(Tensor(x32), mode=mode, align_corners=align_corners, **kw)
                ref32 = torch.nn.functional.interpolate(torch.tensor(x32), mode=mode, align_corners=align_corners, **kw)
                assert_close(out32, ref32, rtol=1e-5, atol=1e-6)


def test_upsample_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    bilinear = {"scale_factor": 2, "mode": "bilinear"}
    for ours, theirs in [(Upsample(**bilinear), torch.nn.Upsample(**bilinear)),
                         (Upsample(size=(3, 7)), torch.nn.Upsample(size=(3, 7))),
                         (UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
                         (UpsamplingBilinear2d(size=(6, 9)), torch.nn.UpsamplingBilinear2d(size=(6, 9)))]:
        assert repr(ours) == repr(theirs)
        assert_close(ours(Tensor(x)), theirs(torch.tensor(x)), rtol=1e-5, atol=1e-6)


MHA_E, MHA_H, MHA_L, MHA_S, MHA_N = 4, 2, 3, 4, 2


@pytest.mark.parametrize("kwargs", [{"add_bias_kv": True}, {"add_zero_attn": True},
                                    {"add_bias_kv": True, "add_zero_attn": True},
                                    {"add_bias_kv": True, "add_zero_attn": True, "kdim": 3, "vdim": 5},
                                    {"add_bias_kv": True, "batch_first": True, "bias": False}])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "padding", "both"])
def test_mha_extra_keys_match_pytorch(kwargs, masks):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.MultiheadAttention(MHA_E, MHA_H, **kwargs).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(np.random.default_rng(p.numel()).standard_normal(tuple(p.shape)) * 0.5))
    ours = MultiheadAttention(MHA_E, MHA_H, **kwargs).double()
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(1)
    batch_first = kwargs.get("batch_first", False)
    lay = (lambda t, n: (n, t) if batch_first else (t, n))
    arrays = [rng.standard_normal((*lay(MHA_L, MHA_N), MHA_E)),
              rng.standard_normal((*lay(MHA_S, MHA_N), kwargs.get("kdim", MHA_E))),
              rng.standard_normal((*lay(MHA_S, MHA_N), kwargs.get("vdim", MHA_E)))]
    mask_kw = {}
    if masks in ("bool", "both"):
        mask_kw["attn_mask"] = np.array([[0, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0]], dtype=bool)
    if masks == "float":
        mask_kw["attn_mask"] = rng.standard_normal((MHA_L, MHA_S))
    if masks in ("padding", "both"):
        mask_kw["key_padding_mask"] = np.array([[0, 0, 0, 1], [0, 0, 1, 1]], dtype=bool)
    ours_in = [Tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, weights = ours(*ours_in, **mask_kw)
    ref, ref_weights = theirs(*theirs_in, **{k: torch.tensor(v) for k, v in mask_kw.items()})
    assert_close(out, ref)
    assert_close(weights, ref_weights)
    g, gw = rng.standard_normal(out.shape), rng.standard_normal(weights.shape)
    ((out * Tensor(g)).sum() + (weights * Tensor(gw)).sum()).backward()
    ((ref * torch.tensor(g)).sum() + (ref_weights * torch.tensor(gw)).sum()).backward()
    for a, b in zip(ours_in, theirs_in):
        assert_close(a.grad, b.grad)
    theirs_grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, theirs_grads[name].grad)
