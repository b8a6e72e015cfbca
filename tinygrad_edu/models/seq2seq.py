"""A character-level encoder-decoder Transformer for translation, its training loop, and greedy decoding
with a key/value cache.

Training uses teacher forcing: the decoder reads the true target shifted right (BOS + target) and learns
to predict each next character (target + EOS), all positions at once under a causal mask. Generation
has no target to read, so it produces one character at a time and feeds each back in. Re-running the
decoder on the whole prefix at every step costs O(t) work per step, O(T^2) in all; the cache keeps each
layer's self-attention keys and values and the projected memory of cross-attention, so a step only
computes the newest position (see ``TransformerDecoder.decode_step``).
"""

import math

import numpy as np

from ..data.translation import SPECIALS, TranslationDataset, encode_padded
from ..engine.tensor import Tensor, no_grad
from ..nn import functional as F
from ..nn.layers import Embedding, Linear
from ..nn.module import Module
from ..nn.transformer import PositionalEncoding, Transformer
from ..nn.utils import clip_grad_norm_
from ..optim import Adam
from ..optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

__all__ = ["Seq2SeqTransformer", "fit_seq2seq", "warmup_cosine"]


def _ids(x):
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


class Seq2SeqTransformer(Module):
    """Source characters -> target characters with :class:`~tinygrad_edu.nn.Transformer` (batch first).

    Embeddings (token + sinusoidal position) feed the encoder and the decoder; a Linear ``generator``
    turns the decoder's output into logits over the target characters::

        memory = encoder(embed_src(src))                          src    (B, S) ids ending in EOS
        logits = generator(decoder(embed_tgt(tgt_in), memory))    tgt_in (B, T) = BOS + target -> (B, T, V)

    ``src_vocab`` and ``tgt_vocab`` are :class:`~tinygrad_edu.data.CharVocab` s starting with the specials
    ``("<pad>", "<bos>", "<eos>")`` (as :class:`~tinygrad_edu.data.TranslationDataset` builds them); PAD
    positions are masked out of attention and ignored by the loss. Token embeddings start N(0, 1) like any
    Embedding, the scale of the positional encoding, so neither drowns the other.

    >>> ds = TranslationDataset([("one", "un"), ("two", "deux")])
    >>> model = Seq2SeqTransformer(ds.src_vocab, ds.tgt_vocab, d_model=16, nhead=2, dim_feedforward=32)
    >>> b = ds.batch([0, 1])
    >>> model(b.src, b.tgt_in).shape
    (2, 5, 8)
    >>> len(model.translate(["one", "two"], max_len=5))
    2
    """

    def __init__(self, src_vocab, tgt_vocab, d_model=128, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                 dim_feedforward=512, dropout=0.1, max_len=256):
        super().__init__()
        for name, vocab in (("src_vocab", src_vocab), ("tgt_vocab", tgt_vocab)):
            if tuple(vocab.specials[:3]) != SPECIALS:
                raise ValueError(f"Seq2SeqTransformer: {name} must start with the specials {SPECIALS}, "
                                 f"got {tuple(vocab.specials)}")
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.pad, self.bos, self.eos = range(3)
        self.src_embed = Embedding(len(src_vocab), d_model, padding_idx=self.pad)
        self.tgt_embed = Embedding(len(tgt_vocab), d_model, padding_idx=self.pad)
        self.positional = PositionalEncoding(d_model, dropout, max_len, batch_first=True)
        self.transformer = Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
                                       dropout, batch_first=True)
        self.generator = Linear(d_model, len(tgt_vocab))

    # ------------------------------------------------------------------------------------ training
    def _embed_target(self, tgt, start=0):
        """Target embeddings for positions start, start + 1, ...: the step-by-step decoder needs the
        position vector of step t alone."""
        return self.positional(self.tgt_embed(tgt), start)

    def encode(self, src):
        """memory (B, S, d_model) for source ids (B, S), and the source padding mask (B, S) (True at PAD)."""
        src = _ids(src)
        padding = src == self.pad
        memory = self.transformer.encoder(self.positional(self.src_embed(src)), src_key_padding_mask=padding)
        return memory, padding

    def forward(self, src, tgt_in):
        """Logits (B, T, V) for every position of ``tgt_in`` under teacher forcing (a causal mask lets
        position t see tgt_in[:, :t + 1] only)."""
        memory, src_padding = self.encode(src)
        tgt_in = _ids(tgt_in)
        causal = ~np.tri(tgt_in.shape[1], dtype=bool)
        out = self.transformer.decoder(self._embed_target(tgt_in), memory, tgt_mask=causal,
                                       tgt_key_padding_mask=tgt_in == self.pad,
                                       memory_key_padding_mask=src_padding)
        return self.generator(out)

    def loss(self, src, tgt_in, tgt_out, label_smoothing=0.0):
        """Mean cross-entropy of the next-character predictions, PAD targets ignored:
        ``cross_entropy(logits (B*T, V), tgt_out (B*T,), ignore_index=PAD, label_smoothing)``."""
        logits = self(src, tgt_in)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), _ids(tgt_out).reshape(-1),
                               ignore_index=self.pad, label_smoothing=label_smoothing)

    # ------------------------------------------------------------------------------------ decoding
    @no_grad()
    def greedy_decode(self, src, max_len, use_cache=True):
        """Generate up to ``max_len`` target ids per source row, each step taking the most likely one.

        Returns ``(tokens, logits)``: tokens (B, steps) int64, PAD after each row's EOS, and the logits
        (B, steps, V) they were chosen from; decoding stops once every row has produced EOS. With
        ``use_cache=False`` every step re-runs the decoder on the whole prefix (the slow baseline; same
        result). Runs in evaluation mode (no dropout) and restores the previous mode.
        """
        _check_max_len(max_len, self.positional.max_len)
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            memory, src_padding = self.encode(src)
            batch = memory.shape[0]
            decoder = self.transformer.decoder
            cache = decoder.new_cache() if use_cache else None
            tokens = np.full((batch, max_len + 1), self.bos, dtype=np.int64)
            done = np.zeros(batch, dtype=bool)
            logits = []
            for t in range(max_len):
                if use_cache:
                    out = decoder.decode_step(self._embed_target(tokens[:, t:t + 1], start=t), memory, cache,
                                              memory_key_padding_mask=src_padding)
                else:
                    prefix = tokens[:, :t + 1]
                    out = decoder(self._embed_target(prefix), memory, tgt_mask=~np.tri(t + 1, dtype=bool),
                                  memory_key_padding_mask=src_padding)[:, -1:]
                step_logits = self.generator(out)[:, 0].numpy()
                logits.append(step_logits)
                tokens[:, t + 1] = np.where(done, self.pad, step_logits.argmax(-1))
                done |= tokens[:, t + 1] == self.eos
                if done.all():
                    break
        finally:
            for module, mode in modes:
                module.training = mode
        return tokens[:, 1:len(logits) + 1], np.stack(logits, axis=1)

    def translate(self, texts, max_len=128, method="greedy"):
        """Translate a string or a list of strings; returns the same. ``method`` is "greedy" (the only
        one provided: each step takes the most likely character), decoding with the key/value cache for
        at most ``max_len`` characters.

        >>> model.translate("three hundred forty-two")  # doctest: +SKIP
        'trois cent quarante-deux'
        """
        if method != "greedy":
            raise ValueError(f"translate: method must be 'greedy', got {method!r}")
        single = isinstance(texts, str)
        texts = [texts] if single else list(texts)
        if not texts or not all(isinstance(t, str) for t in texts):
            raise TypeError(f"translate: expected a string or a non-empty list of strings, got {texts!r}")
        _check_max_len(max_len, self.positional.max_len)
        src, _ = encode_padded(texts, self.src_vocab, what="translate: text")
        tokens, _ = self.greedy_decode(src, max_len)
        outputs = [self.tgt_vocab.decode(row[:_length(row, self.eos)]) for row in tokens]
        return outputs[0] if single else outputs


def _length(row, eos):
    """The number of ids before the first EOS (the whole row if there is none)."""
    hits = np.flatnonzero(row == eos)
    return hits[0] if hits.size else len(row)


def _check_max_len(max_len, limit):
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or not 0 < max_len <= limit:
        raise ValueError(f"max_len must be an integer between 1 and the model's max_len={limit}, got {max_len!r}")


# ---------------------------------------------------------------------------------------- fitting
def warmup_cosine(optimizer, warmup_steps, total_steps):
    """Per-step schedule: the lr rises linearly from lr/100 to lr over ``warmup_steps`` (large early
    updates destabilize attention), then follows a cosine down to 0 at ``total_steps``. A
    :class:`~tinygrad_edu.optim.lr_scheduler.SequentialLR` of LinearLR and CosineAnnealingLR; call
    ``step()`` after every optimizer step."""
    if not 0 < warmup_steps < total_steps:
        raise ValueError(f"warmup_steps must be between 1 and total_steps - 1 = {total_steps - 1}, got {warmup_steps}")
    warmup = LinearLR(optimizer, start_factor=0.01, total_iters=warmup_steps)
    cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps)
    return SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])


def fit_seq2seq(model, dataset, steps, batch_size=64, lr=1e-3, warmup_steps=None, label_smoothing=0.1,
                max_grad_norm=1.0, seed=0, callback=None):
    """Train ``model`` on a :class:`~tinygrad_edu.data.TranslationDataset` for ``steps`` mini-batches of
    ``batch_size`` random pairs: teacher-forced cross-entropy with ``label_smoothing`` (PAD ignored),
    gradients clipped to norm ``max_grad_norm``, Adam (betas 0.9, 0.98 as in "Attention Is All You Need")
    with :func:`warmup_cosine` (``warmup_steps`` defaults to 5% of the steps). ``callback(step, loss, lr)``
    is called after each step with the lr that step used. Returns the list of per-step losses.

    >>> losses = fit_seq2seq(model, TranslationDataset(pairs), steps=1000)  # doctest: +SKIP
    """
    if not isinstance(dataset, TranslationDataset):
        raise TypeError(f"fit_seq2seq: dataset must be a TranslationDataset, got {type(dataset).__name__}")
    if dataset.src_vocab != model.src_vocab or dataset.tgt_vocab != model.tgt_vocab:
        raise ValueError("fit_seq2seq: the dataset's vocabularies differ from the model's; build the model with "
                         "dataset.src_vocab and dataset.tgt_vocab")
    if not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"fit_seq2seq: steps must be an integer >= 2, got {steps!r}")
    warmup_steps = max(1, steps // 20) if warmup_steps is None else warmup_steps
    optimizer = Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    scheduler = warmup_cosine(optimizer, warmup_steps, steps)
    rng = np.random.default_rng(seed)
    model.train()
    losses = []
    for step in range(1, steps + 1):
        batch = dataset.batch(rng.choice(len(dataset), size=min(batch_size, len(dataset)), replace=False))
        optimizer.zero_grad()
        loss = model.loss(batch.src, batch.tgt_in, batch.tgt_out, label_smoothing)
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"fit_seq2seq: loss became {value} at step {step}; try a smaller lr")
        loss.backward()
        clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        lr_used = scheduler.get_last_lr()[0]
        scheduler.step()
        losses.append(value)
        if callback is not None:
            callback(step, value, lr_used)
    return losses
