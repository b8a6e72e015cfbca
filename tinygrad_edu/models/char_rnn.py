"""A character-level language model: Embedding -> RNN / LSTM / GRU -> Linear, with sampling.

At every position ``t`` the model reads the characters up to ``t`` and outputs logits for the next one::

    x (B, T) ids -embedding-> (B, T, E) -rnn-> (B, T, H) -dropout-> -head-> logits (B, T, V)

and is trained by minimizing the mean cross-entropy ``-log p(x[t + 1] | x[:t + 1])`` in nats per
character (:func:`sequence_loss`). ``log V`` is the cost of a uniform guess, and
:meth:`~tinygrad_edu.data.CharDataset.unigram_loss` that of guessing from character frequencies alone.
"""

import json
import os

import numpy as np

from ..data.text import CharVocab
from ..engine.random import generator
from ..engine.serialization import atomic_write
from ..engine.tensor import Tensor, no_grad
from ..nn import Dropout, Embedding, Linear, Module
from ..nn.functional import cross_entropy, softmax
from ..nn.rnn import GRU, LSTM, RNN
from ..train import load_checkpoint, save_checkpoint

__all__ = ["CharRNN", "sequence_loss"]

RECURRENT = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def sequence_loss(output, target):
    """Mean cross-entropy over every position: ``output`` is logits ``(B, T, V)`` (or the ``(logits, state)``
    pair a :class:`CharRNN` returns), ``target`` the next-character ids ``(B, T)``.

    >>> sequence_loss(Tensor(np.zeros((2, 3, 4))), Tensor(np.zeros((2, 3), dtype=np.int64))).item()  # ln 4
    1.3862943611198906
    """
    logits = output[0] if isinstance(output, tuple) else output
    if logits.ndim != 3 or logits.shape[:2] != target.shape:
        raise ValueError(f"sequence_loss expects logits (B, T, V) and targets (B, T), got {logits.shape} "
                         f"and {target.shape}")
    return cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


class CharRNN(Module):
    """``CharRNN(vocab_size, kind="lstm", embed_dim=32, hidden_size=128, num_layers=1, dropout=0.0, vocab=None)``.

    Layers (their ``state_dict`` names): ``embedding`` (V, E) -> ``rnn``, an ``nn.RNN`` (tanh), ``nn.LSTM`` or
    ``nn.GRU`` with ``batch_first=True`` (``rnn.weight_ih_l0``, ...: PyTorch's layout) -> ``dropout`` ->
    ``head`` Linear(H, V). ``dropout`` is applied between stacked recurrent layers (as PyTorch's ``dropout``
    argument does) and to the last layer's output.

    ``forward(x, state=None)`` takes ids ``(B, T)`` and returns ``(logits (B, T, V), state)``, where ``state``
    is the recurrent layer's final hidden state (``h_n``, or ``(h_n, c_n)`` for the LSTM), to pass back in to
    continue the same sequences.

    ``vocab`` (a :class:`~tinygrad_edu.data.CharVocab`) lets :meth:`generate` take and return text; with it,
    ``vocab_size`` may be left out.

    >>> vocab = CharVocab.from_text("hello world")
    >>> model = CharRNN(vocab=vocab, kind="gru", hidden_size=16)
    >>> logits, h = model(Tensor(vocab.encode("hello")[None]))
    >>> logits.shape, h.shape
    ((1, 5, 8), (1, 1, 16))
    >>> len(model.generate("he", 10, seed=0))
    12
    """

    def __init__(self, vocab_size=None, kind="lstm", embed_dim=32, hidden_size=128, num_layers=1, dropout=0.0,
                 vocab=None):
        super().__init__()
        if vocab is not None and not isinstance(vocab, CharVocab):
            raise TypeError(f"CharRNN: vocab must be a CharVocab, got {type(vocab).__name__}")
        if vocab_size is None:
            if vocab is None:
                raise ValueError("CharRNN needs vocab_size or vocab=CharVocab(...)")
            vocab_size = len(vocab)
        if vocab is not None and vocab_size != len(vocab):
            raise ValueError(f"CharRNN: vocab_size={vocab_size} does not match the {len(vocab)} tokens of vocab")
        if kind not in RECURRENT:
            raise ValueError(f"CharRNN: unknown kind {kind!r}; choose one of {sorted(RECURRENT)}")
        for name, value in [("vocab_size", vocab_size), ("embed_dim", embed_dim), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)]:
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"CharRNN: {name} must be a positive int, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"CharRNN: dropout must be in [0, 1), got {dropout}")
        self.vocab, self.kind = vocab, kind
        self.config = {"vocab_size": int(vocab_size), "kind": kind, "embed_dim": int(embed_dim),
                       "hidden_size": int(hidden_size), "num_layers": int(num_layers), "dropout": float(dropout)}
        self.embedding = Embedding(vocab_size, embed_dim)
        self.rnn = RECURRENT[kind](embed_dim, hidden_size, num_layers=num_layers, batch_first=True,
                                   dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = Dropout(dropout)
        self.head = Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        if x.ndim != 2 or x.dtype.kind not in "iu":
            raise ValueError(f"CharRNN expects integer ids of shape (batch, time), got shape {x.shape} "
                             f"and dtype {x.dtype}")
        output, state = self.rnn(self.embedding(x), state)
        return self.head(self.dropout(output)), state

    @no_grad()
    def generate(self, prompt, max_new_chars, temperature=1.0, top_k=None, seed=None):
        """``prompt`` followed by ``max_new_chars`` sampled characters.

        The prompt is run through the network once; then each new character is sampled from
        ``softmax(logits / temperature)`` (restricted to the ``top_k`` most likely characters when given;
        ``temperature=0`` always picks the most likely one) and fed back in alone, carrying the recurrent
        state, so each step costs one time step rather than a re-read of the whole text. Randomness comes
        from ``np.random.default_rng(seed)`` when ``seed`` is given (the same seed gives the same text), else
        from the library's generator. Runs in eval mode (no dropout) and restores the mode afterwards.
        """
        if self.vocab is None:
            raise ValueError("generate needs the model's vocabulary: build it with CharRNN(..., vocab=CharVocab(...))")
        if not isinstance(prompt, str) or not prompt:
            raise ValueError(f"generate needs a non-empty prompt string to start from, got {prompt!r}")
        if not isinstance(max_new_chars, (int, np.integer)) or max_new_chars < 0:
            raise ValueError(f"max_new_chars must be a non-negative int, got {max_new_chars!r}")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 means always the most likely character), got {temperature}")
        vocab_size = self.config["vocab_size"]
        if top_k is not None and not (isinstance(top_k, (int, np.integer)) and 1 <= top_k <= vocab_size):
            raise ValueError(f"top_k must be None or an int from 1 to the vocabulary size {vocab_size}, got {top_k!r}")
        try:
            ids = self.vocab.encode(prompt)
        except ValueError as error:
            raise ValueError(f"the prompt has characters the model cannot read: {error}") from None
        rng = generator() if seed is None else np.random.default_rng(seed)
        modes = [(module, module.training) for module in self.modules()]
        self.eval()
        try:
            logits, state = self(Tensor(ids[None]))
            new = []
            for step in range(max_new_chars):
                new.append(self._sample(logits.numpy()[0, -1].astype(np.float64), temperature, top_k, rng))
                if step + 1 < max_new_chars:
                    logits, state = self(Tensor(np.array([[new[-1]]], dtype=np.int64)), state)
        finally:
            for module, training in modes:
                module.training = training
        return prompt + self.vocab.decode(np.array(new, dtype=np.int64))

    @staticmethod
    def _sample(logits, temperature, top_k, rng):
        if temperature == 0:
            return int(np.argmax(logits))
        if top_k is not None:
            logits = np.where(logits < np.partition(logits, -top_k)[-top_k], -np.inf, logits)
        probs = softmax(Tensor(logits / temperature), dim=-1).numpy()
        return int(rng.choice(len(probs), p=probs))

    # ------------------------------------------------------------------------------------ checkpoints
    def save(self, path, optimizer=None, **extra):
        """:func:`~tinygrad_edu.train.save_checkpoint` to ``path`` (weights, optimizer, ``extra``), plus the
        constructor arguments and the vocabulary as JSON in ``path + ".json"``, which :meth:`load` reads."""
        path = os.fspath(path)
        save_checkpoint(path, self, optimizer, **extra)
        meta = {"config": self.config, "vocab": None if self.vocab is None else self.vocab.state()}
        atomic_write(path + ".json", lambda f: f.write(json.dumps(meta).encode("utf-8")))  # old or new, never half

    @classmethod
    def load(cls, path):
        """A model rebuilt from ``path + ".json"`` with the weights of the checkpoint ``path``. Returns
        ``(model, extra)``, ``extra`` being the keyword values :meth:`save` was given. (To resume training,
        build an optimizer over ``model.parameters()`` and ``load_checkpoint(path, model, optimizer)``.)"""
        path = os.fspath(path)
        try:
            with open(path + ".json", encoding="utf-8") as f:
                meta = json.load(f)
        except FileNotFoundError:
            raise FileNotFoundError(f"{path + '.json'!r} is missing: CharRNN.load needs the model description "
                                    "that CharRNN.save writes next to the checkpoint") from None
        vocab = None if meta["vocab"] is None else CharVocab(**meta["vocab"])
        model = cls(**meta["config"], vocab=vocab)
        extra = load_checkpoint(path, model)
        return model, extra

    def extra_repr(self):
        return f"kind={self.kind!r}" + ("" if self.vocab is None else f", vocab of {len(self.vocab)}")
