"""Attention: ``scaled_dot_product_attention`` and ``MultiheadAttention``, with PyTorch's names, mask
conventions and state_dict layout.

Attention lets each of L query positions take a weighted average of S value vectors, the weights
saying how well the query matches each key:

    Attention(Q, K, V) = softmax(Q K^T * scale + M) V        Q (L, E), K (S, E), V (S, Ev), M (L, S)

M is an *additive* mask: 0 where a query may look at a key, -inf where it may not (after the
softmax those keys get weight exactly 0). Users give masks in two conventions, as in PyTorch:

- ``scaled_dot_product_attention``: a boolean mask is True where a key **takes part**;
- ``MultiheadAttention`` and the Transformer layers: a boolean mask is True where a key is **not
  allowed** (a padding position, a future token).

A float mask is added as it is in both. Every mask is turned into one float array before the
softmax, because adding a precomputed 0/-inf array is much cheaper than selecting with ``where``.
Masks are constants: no gradient flows into them.

Fully masked rows: a query that may look at no key at all would get softmax(-inf, ..., -inf) = NaN.
Here such a row gets attention weights 0 and therefore output 0 (and zero gradients), in every path;
PyTorch returns NaN in some of its paths. A row with at least one allowed key is never affected.

The computation is split into the pieces a decoder's key/value cache reuses: project the inputs into
heads (:meth:`MultiheadAttention._project`), attend (:func:`_attention`), merge the heads and apply
the output projection (:meth:`MultiheadAttention._merge`).
"""


import numpy as np

from ..engine.ops import cat, pad
from ..engine.tensor import Tensor, constant
from . import functional as F
from . import init
from .functional import _additive_mask, _attention, scaled_dot_product_attention
from .layers import Linear
from .module import Module, Parameter

__all__ = ["AttentionCache", "MultiheadAttention", "scaled_dot_product_attention"]


# ------------------------------------------------------------------------------- multi-head attention
class AttentionCache:
    """The keys and values one :class:`MultiheadAttention` has computed so far while decoding step by
    step, each (N, num_heads, T, head_dim); both None before the first step."""

    def __init__(self):
        self.key = self.value = None

    def __len__(self):
        return 0 if self.key is None else self.key.shape[2]


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads of size d = embed_dim / num_heads, PyTorch's layer.

    Each head h projects the inputs, attends, and the heads are concatenated and projected back:

        head_h = softmax(Q W_qh^T (K W_kh^T)^T / sqrt(d) + M) V W_vh^T
        output = concat(head_1, ..., head_H) W_o^T + b_o

    Shapes (``batch_first=False``, PyTorch's default): query (L, N, E), key (S, N, kdim), value
    (S, N, vdim) -> output (L, N, E); with ``batch_first=True`` (N, L, E) etc.; unbatched (L, E) input
    is accepted too. Parameters as PyTorch's: ``in_proj_weight`` (3E, E) holding W_q, W_k, W_v stacked,
    or ``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` when kdim or vdim differ from E;
    ``in_proj_bias`` (3E,) and ``out_proj`` (a Linear(E, E)). Projection weights start
    Xavier-uniform, the biases at 0, ``out_proj.weight`` as any Linear.

    Two extra keys, as PyTorch's: ``add_bias_kv=True`` appends one learned key and value (parameters
    ``bias_k``, ``bias_v`` of shape (1, 1, E), Xavier-normal, in the projected space) to every sequence;
    ``add_zero_attn=True`` appends a key and value of zeros (score 0: a place to put attention that
    changes nothing). Masks get a column of zeros (allowed) for each, and the weights have S + 1 or
    S + 2 columns.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns (output, weights): the weights (N, L, S)
    averaged over heads, (N, num_heads, L, S) with ``average_attn_weights=False``, or None when
    ``need_weights=False``. Masks: boolean True = **not allowed**, float = added. ``attn_mask`` is
    (L, S) or (N * num_heads, L, S); ``key_padding_mask`` is (N, S) (True at padding keys).
    ``is_causal=True`` without an ``attn_mask`` applies the causal mask (PyTorch requires the mask as
    well and treats the flag as a hint; with a mask given, the mask is used). Dropout on the weights
    acts only in training mode.

    >>> mha = MultiheadAttention(8, 2, batch_first=True)
    >>> x = Tensor(np.ones((3, 5, 8), dtype=np.float32))
    >>> out, weights = mha(x, x, x)
    >>> out.shape, weights.shape
    ((3, 5, 8), (3, 5, 5))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False):
        super().__init__()
        if num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim={embed_dim} "
                             f"and num_heads={num_heads}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=np.float32))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(np.empty((embed_dim, embed_dim), dtype=np.float32))
            self.k_proj_weight = Parameter(np.empty((embed_dim, self.kdim), dtype=np.float32))
            self.v_proj_weight = Parameter(np.empty((embed_dim, self.vdim), dtype=np.float32))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * embed_dim, dtype=np.float32))
        else:
            self.register_parameter("in_proj_bias", None)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, embed_dim), dtype=np.float32))
            self.bias_v = Parameter(np.empty((1, 1, embed_dim), dtype=np.float32))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's initialization: Xavier-uniform projections, zero biases."""
        weights = [self.in_proj_weight] if self._qkv_same_embed_dim else \
            [self.q_proj_weight, self.k_proj_weight, self.v_proj_weight]
        for w in weights:
            init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    # ---------------------------------------------------------------------------------- pieces
    def _heads(self, x, first, count):
        """Project x (T, N, in) or (N, T, in) with ``count`` consecutive parts of the input projection
        (0: query, 1: key, 2: value), in one matmul, and return ``count`` tensors (N, heads, T, d)."""
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            weight = self.in_proj_weight if count == 3 else self.in_proj_weight[first * E:(first + count) * E]
        else:
            weight = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[first]
        bias = self.in_proj_bias
        if bias is not None and count != 3:
            bias = bias[first * E:(first + count) * E]
        # on (T * N, in) rows: NumPy runs a 2-D product as one BLAS call, a 3-D one as a loop of smaller ones
        y = F.linear(x.reshape(-1, x.shape[-1]), weight, bias)
        y = y.reshape(x.shape[0], x.shape[1], count, self.num_heads, self.head_dim)
        y = y.permute((2, 0, 3, 1, 4) if self.batch_first else (2, 1, 3, 0, 4))
        return [y[i] for i in range(count)] if count > 1 else [y.squeeze(0)]

    def _key_value(self, key, value):
        """Key and value heads, from one matmul when they are the same tensor and the weights are packed."""
        if key is value and self._qkv_same_embed_dim:
            return self._heads(key, 1, 2)
        return self._heads(key, 1, 1) + self._heads(value, 2, 1)

    def _project(self, query, key, value):
        """Query, key and value heads (N, heads, T, d); self-attention (query is key is value) takes one matmul."""
        if query is key is value and self._qkv_same_embed_dim:
            return self._heads(query, 0, 3)
        return self._heads(query, 0, 1) + self._key_value(key, value)

    def _extra_keys(self, k, v):
        """Append the learned key/value (add_bias_kv) and a zero key/value (add_zero_attn) to k, v (N, heads, S, d)."""
        shape = (1, self.num_heads, 1, self.head_dim)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.reshape(shape).expand(k.shape[0], -1, -1, -1)], 2)
            v = cat([v, self.bias_v.reshape(shape).expand(v.shape[0], -1, -1, -1)], 2)
        if self.add_zero_attn:
            zeros = constant(np.zeros((k.shape[0], *shape[1:]), dtype=k.dtype))
            k, v = cat([k, zeros], 2), cat([v, zeros], 2)
        return k, v

    def _merge(self, out):
        """Heads (N, heads, L, d) -> concatenated (N, L, E) or (L, N, E), then the output projection."""
        out = out.permute((0, 2, 1, 3) if self.batch_first else (2, 0, 1, 3))
        rows = self.out_proj(out.reshape(-1, self.embed_dim))  # 2-D, as in _heads
        return rows.reshape(out.shape[0], out.shape[1], self.embed_dim)

    def _mask(self, attn_mask, key_padding_mask, is_causal, N, L, S, dtype):
        """One additive float array broadcastable to (N, heads, L, S), or None when nothing is masked."""
        mask = None
        if attn_mask is None and is_causal:
            attn_mask = ~np.tri(L, S, dtype=bool)
        if attn_mask is not None:
            mask = _additive_mask(attn_mask, "attn_mask", True, dtype)
            if mask.shape == (L, S):
                mask = mask[None, None]
            elif mask.shape == (N * self.num_heads, L, S):
                mask = mask.reshape(N, self.num_heads, L, S)
            else:
                raise ValueError(f"MultiheadAttention: attn_mask should have shape (L, S) = {(L, S)} or "
                                 f"(N * num_heads, L, S) = {(N * self.num_heads, L, S)}, got {mask.shape}")
        if key_padding_mask is not None:
            padding = _additive_mask(key_padding_mask, "key_padding_mask", True, dtype)
            if padding.shape != (N, S):
                raise ValueError(f"MultiheadAttention: key_padding_mask should have shape (N, S) = {(N, S)}, "
                                 f"got {padding.shape}")
            padding = padding[:, None, None, :]
            mask = padding if mask is None else mask + padding
        extra = (self.bias_k is not None) + bool(self.add_zero_attn)
        if mask is not None and extra:  # the appended keys are allowed everywhere
            mask = pad(mask, (0, extra)) if isinstance(mask, Tensor) else \
                np.pad(mask, [(0, 0)] * (mask.ndim - 1) + [(0, extra)])
        return mask

    # --------------------------------------------------------------------------------- calling
    def _check(self, query, key, value):
        """Validate the shapes; returns True for batched (3-D) input."""
        batched = query.ndim == 3
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"MultiheadAttention: expected query, key and value all 3-D {layout} or all 2-D "
                             f"(L, E), got shapes {query.shape}, {key.shape}, {value.shape}")
        for name, t, size in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.shape[-1] != size:
                raise ValueError(f"MultiheadAttention: expected {name} with {size} features (last dimension), "
                                 f"got shape {t.shape}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"MultiheadAttention: key and value must have the same sequence length and batch "
                             f"size, got shapes {key.shape} and {value.shape}")
        batch_dim = 0 if self.batch_first else 1
        if batched and query.shape[batch_dim] != key.shape[batch_dim]:
            raise ValueError(f"MultiheadAttention: query and key have different batch sizes, shapes {query.shape} "
                             f"and {key.shape} ({layout})")
        return batched

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = self._check(query, key, value)
        if not batched:  # add a batch dimension of 1, removed at the end; `is` between inputs is kept
            lifted = {id(t): t.unsqueeze(0 if self.batch_first else 1) for t in (query, key, value)}
            query, key, value = lifted[id(query)], lifted[id(key)], lifted[id(value)]
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(key_padding_mask.numpy() if isinstance(key_padding_mask, Tensor)
                                              else key_padding_mask)[None]
        seq = 1 if self.batch_first else 0
        N, L, S = query.shape[1 - seq], query.shape[seq], key.shape[seq]
        mask = self._mask(attn_mask, key_padding_mask, is_causal, N, L, S, query.dtype)
        q, k, v = self._project(query, key, value)
        k, v = self._extra_keys(k, v)
        out, weights = _attention(q, k, v, mask, self.dropout if self.training else 0.0)
        out = self._merge(out)
        if not need_weights:
            weights = None
        elif average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            weights = None if weights is None else weights.squeeze(0)
        return out, weights

    def forward_step(self, query, cache, memory=None, key_padding_mask=None):
        """One decoding step with a key/value ``cache`` (an :class:`AttentionCache`); returns the output
        for the newest position, in query's layout: (N, 1, E) if batch_first else (1, N, E).

        Self-attention (``memory`` None): the step's keys and values are appended to the cache and the
        query attends over every cached position, all of them in its past, so no causal mask is needed.
        Cross-attention: ``memory`` is projected into keys and values on the first call and the cached
        ones are reused after; ``key_padding_mask`` (N, S) masks its padding.
        """
        if memory is None:
            q, k, v = self._project(query, query, query)
            if cache.key is not None:
                k, v = cat([cache.key, k], 2), cat([cache.value, v], 2)
            cache.key, cache.value = k, v
            mask = None
        else:
            if cache.key is None:
                cache.key, cache.value = self._key_value(memory, memory)
            (q,) = self._heads(query, 0, 1)
            mask = self._mask(None, key_padding_mask, False, q.shape[0], 1, cache.key.shape[2], query.dtype)
        k, v = self._extra_keys(cache.key, cache.value)
        out, _ = _attention(q, k, v, mask, self.dropout if self.training else 0.0)
        return self._merge(out)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, " \
               f"batch_first={self.batch_first}"
