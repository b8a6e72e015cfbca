"""Transformer layers with PyTorch's names, defaults, mask conventions and state_dict layout, plus
positional encodings (sinusoidal and learned).

An encoder layer is self-attention followed by a position-wise feed-forward network, each wrapped in
a residual connection and a LayerNorm; a decoder layer adds cross-attention over the encoder's output
(the "memory") between the two:

    post-norm (norm_first=False, "Attention Is All You Need"):  x = norm(x + block(x))
    pre-norm  (norm_first=True, trains more stably when deep):  x = x + block(norm(x))
    feed-forward block: linear2(dropout(activation(linear1(x))))

Masks follow MultiheadAttention: boolean True = **not allowed**, float = added to the scores.
Decoding one token at a time reuses earlier work through a key/value cache:
``cache = decoder.new_cache()`` then ``decoder.decode_step(tgt_step, memory, cache)`` per position.
"""

import copy
import math

import numpy as np

from ..engine.tensor import Tensor
from . import functional as F
from . import init
from .attention import AttentionCache, MultiheadAttention
from .layers import Dropout, LayerNorm, Linear
from .module import Module, ModuleList, Parameter

__all__ = ["LearnedPositionalEmbedding", "PositionalEncoding", "Transformer", "TransformerDecoder",
           "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer"]

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(activation):
    if callable(activation):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation should be 'relu' or 'gelu' (or a callable), got {activation!r}")
    return _ACTIVATIONS[activation]


class _FeedForward(Module):
    """What both layer types share: the feed-forward block and the layer's settings."""

    def _init_feed_forward(self, d_model, dim_feedforward, dropout, activation, batch_first, norm_first, bias):
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first, self.batch_first = norm_first, batch_first
        self.activation = _activation(activation)

    def _ff_block(self, x):
        # on (T * N, E) rows: NumPy runs a 2-D product as one BLAS call, a 3-D one as a loop of smaller ones
        rows = x.reshape(-1, x.shape[-1])
        return self.linear2(self.dropout(self.activation(self.linear1(rows)))).reshape(x.shape)


class TransformerEncoderLayer(_FeedForward):
    """Self-attention and feed-forward, each with a residual connection and LayerNorm (PyTorch's layer).

    src (S, N, E), or (N, S, E) with ``batch_first``, or unbatched (S, E) -> the same shape.
    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``: ``src_mask`` (S, S)
    or (N * nhead, S, S) and ``src_key_padding_mask`` (N, S) as in :class:`MultiheadAttention`
    (True = not allowed). ``activation`` is "relu", "gelu" or a callable. Submodules and state_dict
    keys as PyTorch's: self_attn, linear1, linear2, norm1, norm2 (dropout, dropout1, dropout2 hold no
    weights).

    >>> layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> layer(Tensor(np.ones((3, 5, 8), dtype=np.float32))).shape
    (3, 5, 8)
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self._init_feed_forward(d_model, dim_feedforward, dropout, activation, batch_first, norm_first, bias)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        def self_attention(x):
            return self.dropout1(self.self_attn(x, x, x, attn_mask=src_mask, key_padding_mask=src_key_padding_mask,
                                                need_weights=False, is_causal=is_causal)[0])

        x = src
        if self.norm_first:
            x = x + self_attention(self.norm1(x))
            return x + self.dropout2(self._ff_block(self.norm2(x)))
        x = self.norm1(x + self_attention(x))
        return self.norm2(x + self.dropout2(self._ff_block(x)))


class DecoderLayerCache:
    """The key/value caches of one decoder layer: ``self_attn`` grows by one position per step,
    ``cross_attn`` holds the projected memory."""

    def __init__(self):
        self.self_attn, self.cross_attn = AttentionCache(), AttentionCache()

    def __len__(self):
        return len(self.self_attn)


class TransformerDecoderLayer(_FeedForward):
    """Self-attention, cross-attention over ``memory`` and feed-forward, each with a residual
    connection and LayerNorm (PyTorch's layer).

    tgt (T, N, E) and memory (S, N, E), or batch-first / unbatched like
    :class:`TransformerEncoderLayer`, -> tgt's shape. ``forward(tgt, memory, tgt_mask=None,
    memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=False,
    memory_is_causal=False)``; masks as in :class:`MultiheadAttention`. Submodules as PyTorch's:
    self_attn, multihead_attn, linear1, linear2, norm1, norm2, norm3.

    ``decode_step(tgt_step, memory, layer_cache, memory_key_padding_mask=None)`` computes the output
    for the newest position only, (N, 1, E) or (1, N, E), from a :class:`DecoderLayerCache`
    (``new_cache()``) that remembers the earlier positions' keys and values: equal to ``forward`` on
    the whole prefix with a causal mask, at the newest position.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self._init_feed_forward(d_model, dim_feedforward, dropout, activation, batch_first, norm_first, bias)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        def self_attention(x):
            return self.self_attn(x, x, x, attn_mask=tgt_mask, key_padding_mask=tgt_key_padding_mask,
                                  need_weights=False, is_causal=tgt_is_causal)[0]

        def cross_attention(x):
            return self.multihead_attn(x, memory, memory, attn_mask=memory_mask,
                                       key_padding_mask=memory_key_padding_mask, need_weights=False,
                                       is_causal=memory_is_causal)[0]

        return self._blocks(tgt, self_attention, cross_attention)

    def new_cache(self):
        """An empty :class:`DecoderLayerCache` for :meth:`decode_step`."""
        return DecoderLayerCache()

    def decode_step(self, tgt_step, memory, layer_cache, memory_key_padding_mask=None):
        """The layer's output for the newest position ``tgt_step`` ((N, 1, E) or (1, N, E)), attending
        over the positions cached in ``layer_cache`` (which this call extends) and over ``memory``."""
        return self._blocks(
            tgt_step, lambda x: self.self_attn.forward_step(x, layer_cache.self_attn),
            lambda x: self.multihead_attn.forward_step(x, layer_cache.cross_attn, memory, memory_key_padding_mask))

    def _blocks(self, x, self_attention, cross_attention):
        """The residual structure, shared by ``forward`` and ``decode_step``."""
        if self.norm_first:
            x = x + self.dropout1(self_attention(self.norm1(x)))
            x = x + self.dropout2(cross_attention(self.norm2(x)))
            return x + self.dropout3(self._ff_block(self.norm3(x)))
        x = self.norm1(x + self.dropout1(self_attention(x)))
        x = self.norm2(x + self.dropout2(cross_attention(x)))
        return self.norm3(x + self.dropout3(self._ff_block(x)))


def _clones(layer, num_layers):
    """``num_layers`` deep copies of ``layer``: they start with identical weights, as in PyTorch."""
    if not isinstance(layer, Module):
        raise TypeError(f"expected a layer Module to copy, got {type(layer).__name__}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` applied in turn, then ``norm`` if given.

    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)``: the masks are passed to
    every layer. The copies are deep copies, so they start with identical weights (PyTorch's
    behaviour; :class:`Transformer` re-initializes them).
    """

    def __init__(self, encoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` applied in turn, then ``norm`` if given.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)``.

    Step-by-step decoding with a key/value cache, for generation:

    >>> cache = decoder.new_cache()                                  # doctest: +SKIP
    >>> y_t = decoder.decode_step(tgt_t, memory, cache)              # doctest: +SKIP

    ``tgt_t`` holds the embeddings of the newest position only, (N, 1, E) if batch_first else
    (1, N, E); ``y_t`` is the decoder's output for it (after ``norm``), equal to
    ``decoder(tgt[:, :t + 1], memory, tgt_mask=causal)[:, t]`` but computed in time linear in t.
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=bool(tgt_is_causal),
                      memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)

    def new_cache(self):
        """A list with one empty :class:`DecoderLayerCache` per layer, for :meth:`decode_step`."""
        return [layer.new_cache() for layer in self.layers]

    def decode_step(self, tgt_step, memory, cache, memory_key_padding_mask=None):
        """The decoder's output for the newest position ``tgt_step``, extending ``cache`` (from
        :meth:`new_cache`) by that position."""
        if len(cache) != len(self.layers):
            raise ValueError(f"decode_step: the cache has {len(cache)} entries but the decoder has "
                             f"{len(self.layers)} layers; create it with decoder.new_cache()")
        step_dim = 1 if self.layers[0].batch_first else 0
        if tgt_step.ndim != 3 or tgt_step.shape[step_dim] != 1:
            layout = "(N, 1, E)" if step_dim else "(1, N, E)"
            raise ValueError(f"decode_step: expected the newest position only, shape {layout}, "
                             f"got {tgt_step.shape}")
        x = tgt_step
        for layer, layer_cache in zip(self.layers, cache):
            x = layer.decode_step(x, memory, layer_cache, memory_key_padding_mask)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The encoder-decoder Transformer of "Attention Is All You Need", PyTorch's ``nn.Transformer``.

    ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
    memory_is_causal=False)``: src (S, N, E), tgt (T, N, E) (batch first with ``batch_first``) ->
    (T, N, E). The encoder and decoder end with a LayerNorm each; every parameter with more than one
    dimension is re-initialized Xavier-uniform, as PyTorch does. Embeddings, positional encodings and
    the output head are the user's (see :class:`PositionalEncoding`).

    >>> model = Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    >>> src, tgt = Tensor(np.ones((5, 2, 8), dtype=np.float32)), Tensor(np.ones((3, 2, 8), dtype=np.float32))
    >>> model(src, tgt, tgt_mask=Transformer.generate_square_subsequent_mask(3)).shape
    (3, 2, 8)
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True):
        super().__init__()
        settings = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                        layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first, bias=bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(d_model, nhead, **settings), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(d_model, nhead, **settings), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batch_dim = 0 if self.batch_first else 1
        if src.ndim != tgt.ndim or (src.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]):
            raise ValueError(f"Transformer: the batch sizes of src and tgt must be equal, got shapes {src.shape} "
                             f"and {tgt.shape}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer: the feature size of src and tgt must equal d_model={self.d_model}, "
                             f"got shapes {src.shape} and {tgt.shape}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, dtype=np.float32):
        """The causal mask for ``sz`` positions: a float (sz, sz) Tensor with -inf above the diagonal
        (position i may not look at j > i) and 0 on and below it.

        >>> Transformer.generate_square_subsequent_mask(3).tolist()
        [[0.0, -inf, -inf], [0.0, 0.0, -inf], [0.0, 0.0, 0.0]]
        """
        return Tensor(np.triu(np.full((sz, sz), -np.inf), k=1).astype(dtype))


# --------------------------------------------------------------------------------- positions
class _Positions(Module):
    """Adds a (max_len, d_model) table of position vectors to (T, N, E) or (N, T, E) input, then dropout.
    ``start``: the position of the first step (a decoder fed one step at a time passes t)."""

    def _add(self, x, table, start):
        T = x.shape[1 if self.batch_first else 0]
        if not 0 <= start <= self.max_len - T:
            what = f"a sequence of length {T} does" if start == 0 else f"positions {start}..{start + T - 1} do"
            raise ValueError(f"{type(self).__name__}: {what} not fit max_len={self.max_len} "
                             f"(input shape {x.shape})")
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            layout = "(N, T, d_model)" if self.batch_first else "(T, N, d_model)"
            raise ValueError(f"{type(self).__name__}: expected input {layout} with d_model={self.d_model}, "
                             f"got shape {x.shape}")
        positions = table[start:start + T]
        return self.dropout(x + (positions if self.batch_first else positions.unsqueeze(1)))

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"


class PositionalEncoding(_Positions):
    """Adds the fixed sinusoidal position vectors of "Attention Is All You Need", then dropout:

        PE[t, 2i] = sin(t / 10000^(2i / d_model)),   PE[t, 2i + 1] = cos(t / 10000^(2i / d_model))

    Input (T, N, d_model), or (N, T, d_model) with ``batch_first``. The table is a non-persistent
    buffer: it is recomputed, not saved in the state_dict.

    >>> PositionalEncoding(4, dropout=0.0)(Tensor(np.zeros((2, 1, 4)))).numpy()[1, 0].round(3).tolist()  # position 1
    [0.841, 0.54, 0.01, 1.0]
    """

    def __init__(self, d_model, dropout=0.1, max_len=5000, batch_first=False):
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.dropout = Dropout(dropout)
        position = np.arange(max_len)[:, None]
        frequency = np.exp(np.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = np.zeros((max_len, d_model), dtype=np.float32)
        pe[:, 0::2] = np.sin(position * frequency)
        pe[:, 1::2] = np.cos(position * frequency[:d_model // 2])
        self.register_buffer("pe", Tensor(pe), persistent=False)

    def forward(self, x, start=0):
        return self._add(x, self.pe.astype(x.dtype), start)


class LearnedPositionalEmbedding(_Positions):
    """Adds a learned vector per position (BERT's and GPT's choice), then dropout: ``weight``
    (max_len, d_model), initialized N(0, 1) like an Embedding, the row for position t added to every
    token at position t. Input (T, N, d_model), or (N, T, d_model) with ``batch_first``.

    >>> LearnedPositionalEmbedding(4, max_len=16)(Tensor(np.zeros((3, 2, 4), dtype=np.float32))).shape
    (3, 2, 4)
    """

    def __init__(self, d_model, dropout=0.1, max_len=512, batch_first=False):
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.weight = Parameter(np.empty((max_len, d_model), dtype=np.float32))
        self.dropout = Dropout(dropout)
        init.normal_(self.weight)

    def forward(self, x, start=0):
        return self._add(x, self.weight, start)
