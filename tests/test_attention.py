"""Attention: scaled_dot_product_attention and MultiheadAttention. Gradients against finite differences
for every mask kind, outputs, attention weights and all gradients against PyTorch (weights copied via
load_state_dict), state_dict layout, initialization, fully masked rows, dropout and every error."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

E, H, L, S, N = 4, 2, 3, 4, 2  # tiny sizes keep the float64 finite-difference checks fast


def leaf(shape, seed=0):
    return tg.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def randomize(m, seed=1):
    """Distinct random values in every parameter (the zero biases of a fresh layer would hide mistakes)."""
    rng = np.random.default_rng(seed)
    for t in m.state_dict().values():
        t.data[...] = rng.standard_normal(t.shape) * 0.5
    return m


def padding(n, s):
    """A key padding mask (True = padding) whose every row keeps at least one key."""
    mask = np.zeros((n, s), dtype=bool)
    mask[0, -1] = True
    if n > 1:
        mask[1, -2:] = True
    return mask


BOOL_KEEP = np.array([[1, 0, 1, 1], [1, 1, 0, 0], [0, 1, 1, 1]], dtype=bool)  # (L, S), every row keeps a key
FLOAT_MASK = np.random.default_rng(5).standard_normal((L, S))


# ------------------------------------------------------------------------------------ gradcheck
SDPA_MASKS = {"none": {}, "bool": {"attn_mask": BOOL_KEEP}, "float": {"attn_mask": FLOAT_MASK},
              "causal": {"is_causal": True}, "scale": {"scale": 0.3}}


@pytest.mark.parametrize("kind", list(SDPA_MASKS))
def test_sdpa_gradients(kind):
    q, k, v = leaf((N, H, L, E), 0), leaf((N, H, S, E), 1), leaf((N, H, S, 3), 2)
    assert tg.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **SDPA_MASKS[kind]), (q, k, v))


MHA_MASKS = {"none": {}, "bool_attn_mask": {"attn_mask": ~BOOL_KEEP}, "float_attn_mask": {"attn_mask": FLOAT_MASK},
             "key_padding_mask": {"key_padding_mask": padding(N, S)},
             "per_head_mask": {"attn_mask": np.random.default_rng(6).standard_normal((N * H, L, S))},
             "is_causal": {"is_causal": True}}


@pytest.mark.parametrize("kind", list(MHA_MASKS))
def test_multihead_attention_gradients(kind):
    m = randomize(nn.MultiheadAttention(E, H, batch_first=True).double())
    q, kv = leaf((N, L, E), 0), leaf((N, S, E), 1)
    if kind == "is_causal":
        kv = leaf((N, L, E), 1)

    def f(q, kv, *params):
        out, weights = m(q, kv, kv, **MHA_MASKS[kind])
        return out, weights

    assert tg.gradcheck(f, (q, kv, *m.parameters()))


def test_self_attention_and_kdim_vdim_gradients():
    m = randomize(nn.MultiheadAttention(E, H).double())
    x = leaf((L, N, E))
    assert tg.gradcheck(lambda x, *ps: m(x, x, x, need_weights=False)[0], (x, *m.parameters()))
    m = randomize(nn.MultiheadAttention(E, H, kdim=3, vdim=5).double())
    q, k, v = leaf((L, N, E), 0), leaf((S, N, 3), 1), leaf((S, N, 5), 2)
    assert tg.gradcheck(lambda q, k, v, *ps: m(q, k, v)[0], (q, k, v, *m.parameters()))


# --------------------------------------------------------------------------------- PyTorch parity
def assert_close(ours, theirs, atol=1e-10):
    np.testing.assert_allclose(ours.numpy() if isinstance(ours, tg.Tensor) else ours,
                               theirs.detach().numpy(), rtol=1e-7, atol=atol)


@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal", "scale", "broadcast_bool"])
def test_sdpa_matches_pytorch(kind):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in ((N, H, L, E), (N, H, S, E), (N, H, S, 3))]
    kwargs = dict(SDPA_MASKS.get(kind, {}))
    if kind == "broadcast_bool":
        kwargs = {"attn_mask": np.array([[True, False, True, True]])}  # (1, S): one column masked for every query
    ours = [tg.Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    out = F.scaled_dot_product_attention(*ours, **kwargs)
    ref = torch.nn.functional.scaled_dot_product_attention(*theirs, **torch_kwargs)
    assert_close(out, ref)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad)


def mha_pair(torch, **kwargs):
    theirs = torch.nn.MultiheadAttention(E, H, **kwargs).double()
    with torch.no_grad():
        for p in theirs.parameters():  # non-zero biases, so the copy of every parameter is checked
            p.copy_(torch.tensor(np.random.default_rng(p.numel()).standard_normal(tuple(p.shape)) * 0.5))
    ours = nn.MultiheadAttention(E, H, **kwargs).double()
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def check_mha(torch, ours, theirs, arrays, call):
    """Run ``call(module, tensors, lib)`` on both sides; compare outputs, weights and every gradient."""
    ours_in = [tg.Tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, weights = call(ours, ours_in, tg)
    ref, ref_weights = call(theirs, theirs_in, torch)
    assert_close(out, ref)
    if ref_weights is None:
        assert weights is None
    else:
        assert_close(weights, ref_weights)
    rng = np.random.default_rng(3)
    g = rng.standard_normal(out.shape)
    loss, ref_loss = (out * tg.Tensor(g)).sum(), (ref * torch.tensor(g)).sum()
    if weights is not None:
        gw = rng.standard_normal(weights.shape)
        loss, ref_loss = loss + (weights * tg.Tensor(gw)).sum(), ref_loss + (ref_weights * torch.tensor(gw)).sum()
    loss.backward()
    ref_loss.backward()
    for a, b in zip(ours_in, theirs_in):
        if b.grad is not None:
            assert_close(a.grad, b.grad)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, theirs_params[name].grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_matches_pytorch(batch_first, average):
    torch = pytest.importorskip("torch")
    ours, theirs = mha_pair(torch, batch_first=batch_first)
    rng = np.random.default_rng(0)
    q_shape, kv_shape = ((N, L, E), (N, S, E)) if batch_first else ((L, N, E), (S, N, E))
    arrays = [rng.standard_normal(q_shape), rng.standard_normal(kv_shape), rng.standard_normal(kv_shape)]
    kpm = padding(N, S)

    def call(m, t, lib):
        mask = kpm if lib is tg else torch.tensor(kpm)
        return m(t[0], t[1], t[2], key_padding_mask=mask, average_attn_weights=average)

    check_mha(torch, ours, theirs, arrays, call)


MASK_CASES = {
    "bool_attn_mask": lambda: {"attn_mask": ~BOOL_KEEP},
    "float_attn_mask": lambda: {"attn_mask": FLOAT_MASK},
    "per_head_bool_mask": lambda: {"attn_mask": np.random.default_rng(7).random((N * H, L, S)) < 0.3},
    "float_key_padding_mask": lambda: {"key_padding_mask": np.where(padding(N, S), -np.inf, 0.0),
                                       "attn_mask": FLOAT_MASK},
    "both_bool": lambda: {"attn_mask": ~BOOL_KEEP, "key_padding_mask": np.array([[0, 0, 0, 1], [1, 0, 0, 0]], bool)},
}


@pytest.mark.parametrize("case", list(MASK_CASES))
def test_multihead_attention_masks_match_pytorch(case):
    torch = pytest.importorskip("torch")
    ours, theirs = mha_pair(torch)
    masks = MASK_CASES[case]()
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))]

    def call(m, t, lib):
        kwargs = masks if lib is tg else {k: torch.tensor(v) for k, v in masks.items()}
        return m(t[0], t[1], t[1], **kwargs)

    check_mha(torch, ours, theirs, arrays, call)


def test_self_attention_causal_and_need_weights_false_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = mha_pair(torch, batch_first=True)
    x = np.random.default_rng(2).standard_normal((N, L, E))
    causal = np.triu(np.ones((L, L), dtype=bool), 1)

    def call(m, t, lib):
        mask = causal if lib is tg else torch.tensor(causal)
        return m(t[0], t[0], t[0], attn_mask=mask, need_weights=False, is_causal=True)

    check_mha(torch, ours, theirs, [x], call)


def test_kdim_vdim_and_no_bias_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    for kwargs in ({"kdim": 3, "vdim": 5}, {"bias": False}):
        ours, theirs = mha_pair(torch, **kwargs)
        arrays = [rng.standard_normal((L, N, E)), rng.standard_normal((S, N, kwargs.get("kdim", E))),
                  rng.standard_normal((S, N, kwargs.get("vdim", E)))]
        check_mha(torch, ours, theirs, arrays, lambda m, t, lib: m(*t))


@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_matches_pytorch(batch_first):
    torch = pytest.importorskip("torch")
    ours, theirs = mha_pair(torch, batch_first=batch_first)
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((L, E)), rng.standard_normal((S, E))]
    kpm = np.array([False, False, True, False])

    def call(m, t, lib):
        mask = kpm if lib is tg else torch.tensor(kpm)
        return m(t[0], t[1], t[1], key_padding_mask=mask, average_attn_weights=False)

    check_mha(torch, ours, theirs, arrays, call)


# ----------------------------------------------------------------------------- layout and init
@pytest.mark.parametrize("kwargs", [{}, {"kdim": 3, "vdim": 5}, {"bias": False}])
def test_state_dict_layout_matches_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.MultiheadAttention(8, 2, **kwargs).state_dict()
    ours = nn.MultiheadAttention(8, 2, **kwargs).state_dict()
    assert [(k, tuple(v.shape)) for k, v in ours.items()] == [(k, tuple(v.shape)) for k, v in theirs.items()]


def test_initialization_like_pytorch():
    tg.manual_seed(0)
    m = nn.MultiheadAttention(64, 4)
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on the (3E, E) in_proj_weight
    w = m.in_proj_weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert not m.in_proj_bias.numpy().any() and not m.out_proj.bias.numpy().any()
    assert np.abs(m.out_proj.weight.numpy()).max() <= 1 / math.sqrt(64)  # Linear's default
    separate = nn.MultiheadAttention(64, 4, kdim=32, vdim=32)
    assert np.abs(separate.k_proj_weight.numpy()).max() <= math.sqrt(6 / (64 + 32))
    assert separate.in_proj_weight is None


# --------------------------------------------------------------------------- fully masked rows
def test_fully_masked_rows_give_zeros_not_nan():
    m = randomize(nn.MultiheadAttention(E, H).double())
    x = leaf((L, N, E))
    all_padding = np.array([[True] * L, [False] * L])  # batch element 0 may attend to nothing
    out, weights = m(x, x, x, key_padding_mask=all_padding)
    assert not np.isnan(out.numpy()).any() and not np.isnan(weights.numpy()).any()
    assert not weights.numpy()[0].any()  # no key takes part: weights 0
    np.testing.assert_allclose(out.numpy()[:, 0], np.broadcast_to(m.out_proj.bias.numpy(), (L, E)))  # out_proj(0)
    alone, _ = m(x[:, 1:], x[:, 1:], x[:, 1:])  # the other batch element is unaffected
    np.testing.assert_allclose(out.numpy()[:, 1:], alone.numpy())
    out.sum().backward()
    assert not np.isnan(x.grad.numpy()).any()
    q = leaf((1, L, E))
    sdpa = F.scaled_dot_product_attention(q, q, q, attn_mask=np.zeros((L, L), dtype=bool))
    assert not np.isnan(sdpa.numpy()).any() and not sdpa.numpy().any()


def test_padding_rows_with_an_allowed_key_match_pytorch_without_nan():
    torch = pytest.importorskip("torch")
    ours, theirs = mha_pair(torch, batch_first=True)
    x = np.random.default_rng(8).standard_normal((N, S, E))
    kpm = np.array([[False, True, True, True], [True, True, False, True]])  # one key left in each row
    out, w = ours(tg.Tensor(x), tg.Tensor(x), tg.Tensor(x), key_padding_mask=kpm)
    ref, ref_w = theirs(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm))
    assert not np.isnan(out.numpy()).any()
    assert_close(out, ref)
    assert_close(w, ref_w)


# -------------------------------------------------------------------------------------- dropout
def test_dropout_only_in_training():
    tg.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True)
    x = tg.Tensor(np.random.default_rng(0).standard_normal((2, 6, 8)).astype(np.float32))
    train_a, train_w = m(x, x, x, average_attn_weights=False)
    train_b, _ = m(x, x, x)
    assert not np.allclose(train_a.numpy(), train_b.numpy())
    dropped = train_w.numpy() == 0
    assert 0.3 < dropped.mean() < 0.7  # about half the weights zeroed, the rest scaled by 2
    m.eval()
    eval_a, eval_w = m(x, x, x)
    eval_b, _ = m(x, x, x)
    np.testing.assert_array_equal(eval_a.numpy(), eval_b.numpy())
    np.testing.assert_allclose(eval_w.numpy().sum(-1), 1, rtol=1e-6)
    q = tg.Tensor(np.ones((1, 4, 8)))
    assert F.scaled_dot_product_attention(q, q, q, dropout_p=0.0).shape == (1, 4, 8)


# --------------------------------------------------------------------------------------- errors
def test_error_messages():
    with pytest.raises(ValueError, match=r"embed_dim must be divisible by num_heads, got embed_dim=6 and num_heads=4"):
        nn.MultiheadAttention(6, 4)
    m = nn.MultiheadAttention(E, H)
    x = tg.Tensor(np.zeros((L, N, E)))
    kv = tg.Tensor(np.zeros((S, N, E)))
    with pytest.raises(ValueError, match=r"attn_mask should have shape \(L, S\) = \(3, 4\) or "
                                         r"\(N \* num_heads, L, S\) = \(4, 3, 4\), got \(4, 3\)"):
        m(x, kv, kv, attn_mask=np.zeros((S, L), dtype=bool))
    with pytest.raises(ValueError, match=r"key_padding_mask should have shape \(N, S\) = \(2, 4\), got \(4, 2\)"):
        m(x, kv, kv, key_padding_mask=np.zeros((S, N), dtype=bool))
    with pytest.raises(TypeError, match="attn_mask must be a boolean or floating point mask, got dtype int64"):
        m(x, kv, kv, attn_mask=np.zeros((L, S), dtype=np.int64))
    with pytest.raises(TypeError, match="key_padding_mask must be a boolean or floating point mask, got dtype int64"):
        m(x, kv, kv, key_padding_mask=np.zeros((N, S), dtype=np.int64))
    with pytest.raises(ValueError, match=r"expected query with 4 features \(last dimension\), got shape \(3, 2, 5\)"):
        m(tg.Tensor(np.zeros((L, N, 5))), kv, kv)
    with pytest.raises(ValueError, match=r"key and value must have the same sequence length and batch size, "
                                         r"got shapes \(4, 2, 4\) and \(3, 2, 4\)"):
        m(x, kv, x)
    with pytest.raises(ValueError, match=r"expected query, key and value all 3-D \(L, N, E\) or all 2-D"):
        m(x, tg.Tensor(np.zeros((S, E))), tg.Tensor(np.zeros((S, E))))
    with pytest.raises(ValueError, match=r"query and key have different batch sizes, shapes \(3, 2, 4\) and "
                                         r"\(4, 3, 4\)"):
        m(x, tg.Tensor(np.zeros((S, 3, E))), tg.Tensor(np.zeros((S, 3, E))))
    q = tg.Tensor(np.zeros((N, L, E)))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(2, 3\) does not broadcast to the attention scores "
                                         r"\(\.\.\., L, S\) = \(\.\.\., 3, 3\)"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="pass either attn_mask or is_causal=True, not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((L, L), dtype=bool), is_causal=True)
    with pytest.raises(ValueError, match=r"expected query \(\.\.\., L, E\), key \(\.\.\., S, E\) and value "
                                         r"\(\.\.\., S, Ev\), got shapes \(2, 3, 4\), \(2, 3, 5\), \(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, tg.Tensor(np.zeros((N, L, 5))), tg.Tensor(np.zeros((N, L, 5))))
    with pytest.raises(ValueError, match=r"need at least 2 dimensions \(\.\.\., L, E\), got shapes \(4,\)"):
        F.scaled_dot_product_attention(tg.Tensor(np.zeros(4)), q, q)


def test_second_derivatives_through_the_fused_softmax():
    q, k, v = leaf((1, L, E), 0), leaf((1, S, E), 1), leaf((1, S, E), 2)
    mask = np.array([[True, True, False, True]])  # broadcast over the queries; True = takes part
    assert tg.gradgradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), (q, k, v))


def test_a_float_tensor_mask_gets_pytorchs_gradient():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 4), (3, 5))]
    ours = [tg.Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    w = rng.standard_normal((2, 3, 4))
    (F.scaled_dot_product_attention(*ours[:3], attn_mask=ours[3]) * tg.Tensor(w)).sum().backward()
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs[:3], attn_mask=theirs[3])
    (expected * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.abs(ours[3].grad.numpy()).sum() > 0.1  # the mask's gradient is not zero
