"""Transformer layers: gradients of both layer types against finite differences, outputs and all
gradients of layers, stacks and the whole Transformer against PyTorch (weights copied via
load_state_dict), state_dict layout, the causal mask, the decoder's key/value cache against the full
causal decoder, layer cloning, positional encodings, dropout and every error."""

import doctest
import math

import numpy as np
import pytest
from test_attention import E, H, L, N, S, leaf, randomize  # the same tiny sizes and helpers

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import attention, transformer


# ------------------------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_gradients(norm_first, activation):
    layer = randomize(nn.TransformerEncoderLayer(E, H, 6, dropout=0.0, activation=activation,
                                                 norm_first=norm_first).double())
    x = leaf((L, N, E))
    kpm = np.array([[False, False, True], [False, False, False]])
    assert tg.gradcheck(lambda x, *ps: layer(x, src_key_padding_mask=kpm), (x, *layer.parameters()))


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_gradients(norm_first):
    layer = randomize(nn.TransformerDecoderLayer(E, H, 6, dropout=0.0, norm_first=norm_first,
                                                 batch_first=True).double())
    tgt, memory = leaf((N, L, E), 0), leaf((N, S, E), 1)
    causal = nn.Transformer.generate_square_subsequent_mask(L, np.float64)
    kpm = np.array([[False, False, False, True], [False, True, False, False]])
    assert tg.gradcheck(lambda t, m, *ps: layer(t, m, tgt_mask=causal, memory_key_padding_mask=kpm),
                        (tgt, memory, *layer.parameters()))


# --------------------------------------------------------------------------------- PyTorch parity
def copy_from(torch, ours, theirs):
    """Random weights (non-trivial LayerNorm and biases too) into the PyTorch module, then into ours."""
    with torch.no_grad():
        for i, p in enumerate(theirs.parameters()):
            p.copy_(torch.tensor(np.random.default_rng(i).standard_normal(tuple(p.shape)) * 0.3))
    ours.load_state_dict(theirs.state_dict())
    theirs.eval()  # dropout 0 anyway; eval also keeps PyTorch on its reference path
    return ours, theirs


def compare(torch, ours, theirs, arrays, call, atol=1e-9):
    """Outputs and the gradients of every input and parameter."""
    ours_in = [tg.Tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = call(ours, ours_in, tg), call(theirs, theirs_in, torch)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-7, atol=atol)
    g = np.random.default_rng(9).standard_normal(out.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-7, atol=atol)
    theirs_params = dict(theirs.named_parameters())
    assert len(theirs_params) == len(list(ours.parameters()))
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-7, atol=atol, err_msg=name)


LAYER_CASES = [("relu", False, False), ("gelu", False, True), ("relu", True, True), ("gelu", True, False)]


@pytest.mark.parametrize("activation,norm_first,batch_first", LAYER_CASES)
def test_encoder_layer_matches_pytorch(activation, norm_first, batch_first):
    torch = pytest.importorskip("torch")
    kwargs = dict(dim_feedforward=6, dropout=0.0, activation=activation, norm_first=norm_first, batch_first=batch_first)
    ours, theirs = copy_from(torch, nn.TransformerEncoderLayer(E, H, **kwargs).double(),
                             torch.nn.TransformerEncoderLayer(E, H, **kwargs).double())
    x = np.random.default_rng(0).standard_normal((N, S, E) if batch_first else (S, N, E))
    kpm = np.array([[False, False, True, False], [False, False, False, False]])
    compare(torch, ours, theirs, [x],
            lambda m, t, lib: m(t[0], src_key_padding_mask=kpm if lib is tg else torch.tensor(kpm)))


@pytest.mark.parametrize("activation,norm_first,batch_first", LAYER_CASES)
def test_decoder_layer_matches_pytorch(activation, norm_first, batch_first):
    torch = pytest.importorskip("torch")
    kwargs = dict(dim_feedforward=6, dropout=0.0, activation=activation, norm_first=norm_first, batch_first=batch_first)
    ours, theirs = copy_from(torch, nn.TransformerDecoderLayer(E, H, **kwargs).double(),
                             torch.nn.TransformerDecoderLayer(E, H, **kwargs).double())
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((N, L, E) if batch_first else (L, N, E)),
              rng.standard_normal((N, S, E) if batch_first else (S, N, E))]
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    kpm = np.array([[False, True, False, False], [False, False, False, True]])

    def call(m, t, lib):
        wrap = (lambda a: a) if lib is tg else torch.tensor
        return m(t[0], t[1], tgt_mask=wrap(causal), memory_key_padding_mask=wrap(kpm))

    compare(torch, ours, theirs, arrays, call)


def test_encoder_and_decoder_stacks_match_pytorch():
    torch = pytest.importorskip("torch")
    kwargs = dict(dim_feedforward=6, dropout=0.0)
    ours, theirs = copy_from(
        torch, nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, **kwargs), 2, nn.LayerNorm(E)).double(),
        torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, H, **kwargs), 2, torch.nn.LayerNorm(E),
                                    enable_nested_tensor=False).double())
    x = np.random.default_rng(2).standard_normal((S, N, E))
    compare(torch, ours, theirs, [x], lambda m, t, lib: m(t[0]))
    ours, theirs = copy_from(
        torch, nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, **kwargs), 2).double(),
        torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(E, H, **kwargs), 2).double())
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))]
    mask = rng.standard_normal((L, S))
    compare(torch, ours, theirs, arrays,
            lambda m, t, lib: m(t[0], t[1], memory_mask=mask if lib is tg else torch.tensor(mask)))


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # PyTorch's note about its fast path
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_pytorch(norm_first):
    torch = pytest.importorskip("torch")
    kwargs = dict(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=6, dropout=0.0,
                  norm_first=norm_first, batch_first=True)
    ours, theirs = copy_from(torch, nn.Transformer(**kwargs).double(), torch.nn.Transformer(**kwargs).double())
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((N, S, E)), rng.standard_normal((N, L, E))]
    src_kpm = np.array([[False, False, False, True], [False, False, False, False]])

    def call(m, t, lib):
        mask = m.generate_square_subsequent_mask(L, np.float64) if lib is tg else \
            m.generate_square_subsequent_mask(L, dtype=torch.float64)
        kpm = src_kpm if lib is tg else torch.tensor(src_kpm)
        return m(t[0], t[1], tgt_mask=mask, src_key_padding_mask=kpm, memory_key_padding_mask=kpm)

    compare(torch, ours, theirs, arrays, call)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_state_dict_layout_matches_pytorch():
    torch = pytest.importorskip("torch")
    kwargs = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16)
    for extra in ({}, {"bias": False}):
        theirs = torch.nn.Transformer(**kwargs, **extra).state_dict()
        ours = nn.Transformer(**kwargs, **extra).state_dict()
        assert [(k, tuple(v.shape)) for k, v in ours.items()] == [(k, tuple(v.shape)) for k, v in theirs.items()]


def test_square_subsequent_mask_matches_pytorch():
    torch = pytest.importorskip("torch")
    for sz in (1, 4):
        ours = nn.Transformer.generate_square_subsequent_mask(sz)
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(sz).numpy())


# ------------------------------------------------------------------------------- key/value cache
@pytest.mark.parametrize("batch_first,norm_first", [(True, False), (False, True)])
def test_decode_step_equals_the_full_causal_decoder(batch_first, norm_first):
    tg.manual_seed(0)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 4, 32, dropout=0.0, batch_first=batch_first,
                                                               norm_first=norm_first), 3, nn.LayerNorm(16))
    randomize(decoder).float()
    T, B, S_mem = 6, 3, 5
    rng = np.random.default_rng(0)
    tgt = rng.standard_normal((B, T, 16)).astype(np.float32)
    memory = tg.Tensor(rng.standard_normal((B, S_mem, 16) if batch_first else (S_mem, B, 16)).astype(np.float32))
    kpm = np.zeros((B, S_mem), dtype=bool)
    kpm[1, -2:] = True
    layout = (lambda a: a) if batch_first else (lambda a: a.transpose(1, 0, 2))
    full = layout(decoder(tg.Tensor(layout(tgt)), memory, tgt_mask=nn.Transformer.generate_square_subsequent_mask(T),
                          memory_key_padding_mask=kpm).numpy())
    cache = decoder.new_cache()
    with tg.no_grad():
        for t in range(T):
            step = decoder.decode_step(tg.Tensor(layout(tgt[:, t:t + 1])), memory, cache, memory_key_padding_mask=kpm)
            assert step.shape == ((B, 1, 16) if batch_first else (1, B, 16))
            np.testing.assert_allclose(layout(step.numpy())[:, 0], full[:, t], atol=1e-5, rtol=0)
            assert all(len(layer_cache) == t + 1 for layer_cache in cache)


def test_decode_step_of_one_layer_and_projected_memory_reused():
    layer = randomize(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True))
    rng = np.random.default_rng(1)
    tgt = tg.Tensor(rng.standard_normal((2, 3, 8)).astype(np.float32))
    memory = tg.Tensor(rng.standard_normal((2, 4, 8)).astype(np.float32))
    full = layer(tgt, memory, tgt_is_causal=True)
    cache = layer.new_cache()
    for t in range(3):
        step = layer.decode_step(tgt[:, t:t + 1], memory, cache)
        np.testing.assert_allclose(step.numpy()[:, 0], full.numpy()[:, t], atol=1e-5, rtol=0)
        if t == 0:
            projected = cache.cross_attn.key
    assert cache.cross_attn.key is projected  # memory projected once, on the first step


# ---------------------------------------------------------------------------- cloning and init
def test_stack_clones_start_identical_and_are_independent():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    encoder = nn.TransformerEncoder(layer, 3)
    first, second = encoder.layers[0], encoder.layers[1]
    np.testing.assert_array_equal(first.linear1.weight.numpy(), layer.linear1.weight.numpy())
    np.testing.assert_array_equal(first.self_attn.in_proj_weight.numpy(), second.self_attn.in_proj_weight.numpy())
    first.linear1.weight.data[...] = 0
    assert second.linear1.weight.numpy().any() and layer.linear1.weight.numpy().any()
    assert len(list(encoder.parameters())) == 3 * len(list(layer.parameters()))


def test_transformer_reinitializes_matrices_xavier_uniform():
    tg.manual_seed(0)
    model = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=64)
    enc = model.encoder.layers
    assert not np.array_equal(enc[0].linear1.weight.numpy(), enc[1].linear1.weight.numpy())  # re-initialized per copy
    w = enc[0].linear1.weight.numpy()  # (64, 16): bound sqrt(6 / 80), not Linear's 1 / sqrt(16)
    bound = math.sqrt(6 / (16 + 64))
    assert bound * 0.95 < np.abs(w).max() <= bound
    assert np.array_equal(model.encoder.norm.weight.numpy(), np.ones(16))  # vectors keep their init


# ------------------------------------------------------------------------------ positional encodings
def test_sinusoidal_positional_encoding_closed_form():
    d = 6
    pe = nn.PositionalEncoding(d, dropout=0.0, max_len=10)
    x = np.random.default_rng(0).standard_normal((4, 2, d)).astype(np.float32)
    out = pe(tg.Tensor(x)).numpy()
    for t in range(4):
        for i in range(d // 2):
            angle = t / 10000 ** (2 * i / d)
            np.testing.assert_allclose(out[t, :, 2 * i] - x[t, :, 2 * i], math.sin(angle), atol=1e-6)
            np.testing.assert_allclose(out[t, :, 2 * i + 1] - x[t, :, 2 * i + 1], math.cos(angle), atol=1e-6)
    batch_first = nn.PositionalEncoding(d, dropout=0.0, max_len=10, batch_first=True)
    np.testing.assert_allclose(batch_first(tg.Tensor(x.transpose(1, 0, 2))).numpy(), out.transpose(1, 0, 2))
    assert "pe" not in pe.state_dict()
    later = pe(tg.Tensor(x[1:3]), start=5).numpy()  # positions 5 and 6, as a step-by-step decoder needs them
    for t in (5, 6):
        angle = t / 10000 ** (np.arange(0, d, 2) / d)  # the closed form, broadcast over the batch
        added = later[t - 5] - x[t - 4]
        np.testing.assert_allclose(added[:, 0::2], np.sin(angle)[None].repeat(2, 0), atol=1e-6)
        np.testing.assert_allclose(added[:, 1::2], np.cos(angle)[None].repeat(2, 0), atol=1e-6)
    odd = nn.PositionalEncoding(5, dropout=0.0, max_len=3)
    np.testing.assert_allclose(odd.pe.numpy()[2, 4], math.sin(2 / 10000 ** (4 / 5)), atol=1e-6)


def test_learned_positional_embedding_gradient_and_layout():
    tg.manual_seed(0)
    pos = nn.LearnedPositionalEmbedding(E, dropout=0.0, max_len=5, batch_first=True).double()
    x = leaf((N, L, E))
    assert tg.gradcheck(lambda x, w: pos(x), (x, pos.weight))
    pos(x).sum().backward()
    np.testing.assert_allclose(pos.weight.grad.numpy()[:L], N)  # each used row gets one gradient per batch element
    assert not pos.weight.grad.numpy()[L:].any()
    assert list(pos.state_dict()) == ["weight"]
    seq_first = nn.LearnedPositionalEmbedding(E, dropout=0.0, max_len=5)
    seq_first.load_state_dict(pos.state_dict())
    np.testing.assert_allclose(seq_first(tg.Tensor(x.numpy().transpose(1, 0, 2))).numpy(),
                               pos(x).numpy().transpose(1, 0, 2))


# -------------------------------------------------------------------------------------- dropout
def test_dropout_only_in_training():
    tg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, batch_first=True)
    x = tg.Tensor(np.random.default_rng(0).standard_normal((2, 5, 8)).astype(np.float32))
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())
    no_dropout = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    no_dropout.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(layer(x).numpy(), no_dropout(x).numpy())
    pe = nn.PositionalEncoding(8, dropout=0.5)
    assert (pe(tg.Tensor(np.zeros((3, 1, 8), dtype=np.float32))).numpy() == 0).mean() > 0.2
    pe.eval()
    np.testing.assert_allclose(pe(tg.Tensor(np.zeros((3, 1, 8), dtype=np.float32))).numpy()[:, 0], pe.pe.numpy()[:3])


# --------------------------------------------------------------------------------------- errors
def test_error_messages():
    with pytest.raises(ValueError, match=r"activation should be 'relu' or 'gelu' \(or a callable\), got 'tanh'"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads, got embed_dim=8 and num_heads=3"):
        nn.TransformerDecoderLayer(8, 3)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, batch_first=True), 2)
    memory = tg.Tensor(np.zeros((2, 4, 8), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected the newest position only, shape \(N, 1, E\), got \(2, 3, 8\)"):
        decoder.decode_step(tg.Tensor(np.zeros((2, 3, 8), dtype=np.float32)), memory, decoder.new_cache())
    with pytest.raises(ValueError, match="the cache has 1 entries but the decoder has 2 layers"):
        decoder.decode_step(tg.Tensor(np.zeros((2, 1, 8), dtype=np.float32)), memory, [decoder.layers[0].new_cache()])
    with pytest.raises(TypeError, match="expected a layer Module to copy, got str"):
        nn.TransformerEncoder("layer", 2)
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    with pytest.raises(ValueError, match=r"batch sizes of src and tgt must be equal, got shapes \(5, 2, 8\) and "
                                         r"\(3, 3, 8\)"):
        model(tg.Tensor(np.zeros((5, 2, 8))), tg.Tensor(np.zeros((3, 3, 8))))
    with pytest.raises(ValueError, match=r"feature size of src and tgt must equal d_model=8, got shapes \(5, 2, 6\)"):
        model(tg.Tensor(np.zeros((5, 2, 6))), tg.Tensor(np.zeros((3, 2, 8))))
    pe = nn.PositionalEncoding(8, max_len=4)
    with pytest.raises(ValueError, match=r"a sequence of length 5 does not fit max_len=4 \(input shape \(5, 1, 8\)\)"):
        pe(tg.Tensor(np.zeros((5, 1, 8), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"positions 3..4 do not fit max_len=4 \(input shape \(2, 1, 8\)\)"):
        pe(tg.Tensor(np.zeros((2, 1, 8), dtype=np.float32)), start=3)
    with pytest.raises(ValueError, match=r"expected input \(T, N, d_model\) with d_model=8, got shape \(3, 1, 6\)"):
        pe(tg.Tensor(np.zeros((3, 1, 6), dtype=np.float32)))


def test_docstring_examples():
    for module in (attention, transformer):
        assert doctest.testmod(module).failed == 0
