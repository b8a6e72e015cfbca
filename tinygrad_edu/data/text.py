"""Text data for character-level models: a vocabulary, corpora, and (sequence, next-characters) windows.

A character language model reads ``x = text[i : i + T]`` and predicts, at every position, the next
character: ``y = text[i + 1 : i + T + 1]`` (``x`` shifted left by one). Everything here turns text into
those integer windows:

* :class:`CharVocab` maps characters (and special tokens such as ``"<pad>"``) to ids and back;
* :func:`load_text` reads any UTF-8 file; :func:`load_pydoc_corpus` returns an English corpus that ships
  with every CPython (the documentation behind ``help("assert")``), so examples run offline;
* :class:`CharDataset` encodes a corpus, holds out its tail for validation and serves batches of
  windows: random windows for training (:meth:`CharDataset.sample_batch`), or a :class:`TextWindows`
  dataset of non-overlapping windows for :class:`~tinygrad_edu.data.DataLoader`.

>>> ds = CharDataset("hello world, hello text", seq_len=4, val_fraction=0.25)
>>> x, y = ds.windows("train")[0]
>>> ds.vocab.decode(x), ds.vocab.decode(y)
('hell', 'ello')
"""

import math
import re

import numpy as np

from ..engine.random import generator as _library_generator
from ..engine.tensor import Tensor
from .loader import TensorDataset

__all__ = ["CharVocab", "load_text", "load_pydoc_corpus", "TextWindows", "CharDataset"]


def _codes(text):
    """The Unicode code points of ``text`` as a uint32 array (UTF-32 is one fixed-width unit per character)."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _few(items, limit=5):
    """``'a', 'b', 'c'`` or ``'a', 'b', ... (7 in all)`` for an error message."""
    shown = ", ".join(repr(item) for item in items[:limit])
    return shown if len(items) <= limit else f"{shown}, ... ({len(items)} in all)"


class CharVocab:
    """Ids for characters and special tokens: the specials first, then the sorted unique characters.

    ``CharVocab(chars, specials=(), unk=None)``: ``chars`` is a string (or an iterable of one-character
    strings); ``specials`` are multi-character tokens like ``"<pad>"`` that get ids ``0 .. len(specials)-1``
    in the given order and never collide with a character. Character ``c`` then gets
    ``len(specials) + rank of c`` among the sorted unique characters (sorted by code point).

    ``unk=None`` makes :meth:`encode` reject unknown characters with a ValueError naming them; ``unk`` set to
    a special or a character of the vocabulary maps every unknown character to that token instead.

    ``encode`` is vectorized: the text becomes its code points, and ``np.searchsorted`` finds each one among
    the sorted characters, so no Python loop runs over the text.

    >>> v = CharVocab.from_text("hello", specials=("<pad>",))
    >>> v.itos
    ['<pad>', 'e', 'h', 'l', 'o']
    >>> v.encode("hole")
    array([2, 4, 3, 1])
    >>> v.decode([0, 2, 1, 3, 3, 4])
    'hello'
    """

    def __init__(self, chars, specials=(), unk=None):
        if isinstance(specials, str):
            raise TypeError(f"specials must be a sequence of strings such as ('<pad>',), got the string {specials!r}")
        chars = set(chars)  # distinct first: a whole corpus may be passed
        bad = [c for c in chars if not (isinstance(c, str) and len(c) == 1)]
        if bad:
            raise TypeError(f"chars must be a string or an iterable of one-character strings, got {_few(bad)}")
        specials = tuple(specials)
        bad = [s for s in specials if not (isinstance(s, str) and len(s) >= 2)]
        if bad:
            raise ValueError(f"specials must be strings of two or more characters (such as '<pad>') so that they "
                             f"never collide with characters, got {_few(bad)}")
        if len(set(specials)) != len(specials):
            raise ValueError(f"specials must be distinct, got {specials}")
        self.specials = specials
        self.chars = "".join(sorted(chars))
        self.itos = list(specials) + list(self.chars)
        self.stoi = {token: i for i, token in enumerate(self.itos)}
        if unk is not None and unk not in self.stoi:
            raise ValueError(f"unk must be None, one of the specials {specials} or a character of the vocabulary, "
                             f"got {unk!r}")
        self.unk = unk
        self._char_codes = _codes(self.chars)
        self._tokens = np.array(self.itos, dtype=object)  # for decoding by one fancy index

    @classmethod
    def from_text(cls, text, specials=(), unk=None):
        """The vocabulary of every character that occurs in ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"from_text expects a str, got {type(text).__name__}")
        return cls(text, specials=specials, unk=unk)

    def encode(self, text):
        """The ids of the characters of ``text``: an int64 array of shape ``(len(text),)``."""
        if not isinstance(text, str):
            raise TypeError(f"encode expects a str, got {type(text).__name__}")
        codes = _codes(text)
        # where each code would sit among the sorted characters; it is in the vocabulary if that slot holds it
        pos = np.searchsorted(self._char_codes, codes)
        if self.chars:
            known = self._char_codes[np.minimum(pos, len(self.chars) - 1)] == codes
        else:
            known = np.zeros(len(codes), dtype=bool)
        ids = (pos + len(self.specials)).astype(np.int64)
        if not known.all():
            if self.unk is None:
                missing = sorted({text[i] for i in np.flatnonzero(~known)})
                first = int(np.argmin(known))
                raise ValueError(f"{len(missing)} character(s) not in the vocabulary: {_few(missing)} "
                                 f"(first at position {first}); pass unk=... to map unknown characters to a token")
            ids[~known] = self.stoi[self.unk]
        return ids

    def decode(self, ids, skip_specials=True):
        """The text of a 1-D sequence of ids (list, ndarray or Tensor); specials are dropped unless
        ``skip_specials=False``, which writes them out as their names (``"<pad>"``)."""
        ids = np.asarray(ids.numpy() if isinstance(ids, Tensor) else ids)
        if ids.size == 0:
            return ""
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise ValueError(f"decode expects a 1-D sequence of integer ids, got shape {ids.shape} "
                             f"and dtype {ids.dtype}")
        bad = ids[(ids < 0) | (ids >= len(self))]
        if bad.size:
            raise ValueError(f"ids out of range for a vocabulary of {len(self)} tokens (valid 0..{len(self) - 1}): "
                             f"{_few(sorted(set(bad.tolist())))}")
        if skip_specials:
            ids = ids[ids >= len(self.specials)]
        return "".join(self._tokens[ids])

    def index(self, token):
        """The id of a character or special token."""
        try:
            return self.stoi[token]
        except (KeyError, TypeError):
            raise KeyError(f"{token!r} is not in the vocabulary (specials {self.specials}, "
                           f"{len(self.chars)} characters)") from None

    def state(self):
        """A JSON-able description: ``CharVocab(**vocab.state())`` rebuilds the same vocabulary."""
        return {"chars": self.chars, "specials": list(self.specials), "unk": self.unk}

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return isinstance(token, str) and token in self.stoi

    def __eq__(self, other):
        if not isinstance(other, CharVocab):
            return NotImplemented
        return self.state() == other.state()

    def __repr__(self):
        chars = self.chars if len(self.chars) <= 40 else self.chars[:37] + "..."
        return f"CharVocab({len(self.chars)} chars {chars!r}, specials={self.specials}, unk={self.unk!r})"


# ------------------------------------------------------------------------------------------ corpora
def load_text(path, encoding="utf-8"):
    """The whole text of the file at ``path`` (e.g. a Shakespeare collection you downloaded).

    Newlines are normalized to ``"\\n"`` (Python's universal newlines), so Windows files give the same
    characters as Unix ones.
    """
    try:
        with open(path, encoding=encoding) as f:
            text = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"no text file at {str(path)!r}") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"{str(path)!r} is not valid {encoding} text (byte {e.start}: {e.reason}); "
                         f"pass encoding=... with the file's encoding, e.g. 'latin-1'") from None
    if not text:
        raise ValueError(f"{str(path)!r} is empty: a corpus needs some text")
    return text


# typographic characters of the CPython docs, spelled in ASCII so the vocabulary stays printable ASCII
_ASCII_SPELLING = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                                 "\u2014": "-", "\u2026": "..."})


def load_pydoc_corpus():
    """The English documentation that ships with CPython (``pydoc_data.topics``, the text behind
    ``help("assert")``), as one string: every topic in alphabetical order of its name, separated by a
    blank line, in printable ASCII plus newline (about 465,000 characters and 94 distinct ones on
    Python 3.11; the exact text varies a little between Python versions).

    It is on every machine with Python, so examples and tests run offline.

    >>> text = load_pydoc_corpus()
    >>> text[:22]
    'The "assert" statement'
    """
    from pydoc_data.topics import topics  # imported here: half a megabyte that `import tinygrad_edu` need not load

    text = "\n".join(topics[name] for name in sorted(topics)).translate(_ASCII_SPELLING)
    return re.sub(r"[^\x20-\x7e\n]", "", text)


# ------------------------------------------------------------------------------------------ windows
class TextWindows(TensorDataset):
    """Non-overlapping windows of an id sequence: sample ``i`` is ``(x, y)`` with
    ``x = ids[i·T : (i+1)·T]`` and ``y = ids[i·T + 1 : (i+1)·T + 1]`` (the next characters), ``T = seq_len``.

    ``len = (len(ids) - 1) // T`` windows (a tail too short for a full window is left out). A
    :class:`~tinygrad_edu.data.TensorDataset`, so a :class:`~tinygrad_edu.data.DataLoader` batches it
    with one fancy index: ``x`` and ``y`` batches of shape ``(B, T)``.

    >>> x, y = TextWindows(np.arange(7), seq_len=3)[1]
    >>> x, y
    (tensor([3, 4, 5]), tensor([4, 5, 6]))
    """

    def __init__(self, ids, seq_len):
        ids = np.asarray(ids.numpy() if isinstance(ids, Tensor) else ids)
        _check_window(len(ids), seq_len, "the id sequence")
        n = (len(ids) - 1) // seq_len
        super().__init__(ids[:n * seq_len].reshape(n, seq_len), ids[1:n * seq_len + 1].reshape(n, seq_len))
        self.seq_len = seq_len


def _check_window(length, seq_len, what):
    if not isinstance(seq_len, (int, np.integer)) or seq_len < 1:
        raise ValueError(f"seq_len must be a positive integer, got {seq_len!r}")
    if length == 0:
        raise ValueError(f"{what} is empty: a corpus needs some text")
    if length < seq_len + 1:
        raise ValueError(f"{what} has {length} characters, too short for one window: a window of seq_len={seq_len} "
                         f"inputs needs seq_len + 1 = {seq_len + 1} characters (the targets are shifted by one)")


class CharDataset:
    """A corpus encoded with a :class:`CharVocab`, split into training text and a held-out contiguous tail
    for validation, served as (sequence, next-characters) windows of length ``seq_len``.

    ``CharDataset(text, seq_len, val_fraction=0.1, vocab=None)``: the last ``ceil(val_fraction · n)``
    characters are the validation part (a contiguous tail, so no validation window overlaps a training
    one); ``vocab`` defaults to every character of the whole text. Both parts need at least
    ``seq_len + 1`` characters.

    * ``sample_batch(batch_size, split="train")``: ``batch_size`` windows at random offsets, as int64
      Tensors ``x, y`` of shape ``(batch_size, seq_len)``: the usual way to train a character model;
    * ``windows(split)``: a :class:`TextWindows` dataset of the non-overlapping windows of a part (for
      a DataLoader, or to evaluate on the whole validation text);
    * ``unigram_loss()``: the baseline a model must beat.

    >>> ds = CharDataset(load_pydoc_corpus(), seq_len=64)
    >>> x, y = ds.sample_batch(32)
    >>> x.shape, len(ds.vocab)
    ((32, 64), 94)
    """

    def __init__(self, text, seq_len, val_fraction=0.1, vocab=None):
        if not isinstance(text, str):
            raise TypeError(f"CharDataset expects the corpus as a str, got {type(text).__name__}")
        _check_window(len(text), seq_len, "the corpus")
        if not 0 < val_fraction < 1:
            raise ValueError(f"val_fraction must be in the open interval (0, 1), got {val_fraction}")
        n_val = math.ceil(val_fraction * len(text))
        if min(n_val, len(text) - n_val) < seq_len + 1:
            raise ValueError(f"val_fraction={val_fraction} splits the {len(text)} characters of the corpus into "
                             f"{len(text) - n_val} for training and {n_val} for validation; each part needs at "
                             f"least seq_len + 1 = {seq_len + 1}")
        self.vocab = CharVocab.from_text(text) if vocab is None else vocab
        ids = self.vocab.encode(text)
        self.seq_len = seq_len
        self.train_ids, self.val_ids = ids[:len(ids) - n_val], ids[len(ids) - n_val:]

    def _ids(self, split):
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        return self.train_ids if split == "train" else self.val_ids

    def sample_batch(self, batch_size, split="train", generator=None):
        """``batch_size`` windows starting at uniformly random offsets of ``split``: ``(x, y)`` of shape
        ``(batch_size, seq_len)`` with ``y[:, t] = x[:, t + 1]`` and ``y[:, -1]`` the character after the
        window. Offsets come from ``generator`` (a NumPy Generator) or else the library's generator."""
        ids = self._ids(split)
        rng = _library_generator() if generator is None else generator
        starts = rng.integers(0, len(ids) - self.seq_len, size=batch_size)
        rows = ids[starts[:, None] + np.arange(self.seq_len + 1)]  # (B, T + 1): one fancy index for the batch
        return Tensor(rows[:, :-1]), Tensor(rows[:, 1:])

    def windows(self, split="train"):
        """The non-overlapping windows of ``split`` as a :class:`TextWindows` dataset."""
        return TextWindows(self._ids(split), self.seq_len)

    def unigram_loss(self):
        """The validation cross-entropy (nats per character) of the unigram model, which predicts every
        character with its training frequency and ignores context:
        ``-mean_v log p(v)`` with ``p(c) = (count_train(c) + 1) / (n_train + V)`` (add-one smoothing, so a
        character unseen in training costs ``log(n_train + V)`` rather than infinity). A language model that
        uses context must get clearly below it; the uniform guess costs ``log V``."""
        counts = np.bincount(self.train_ids, minlength=len(self.vocab)) + 1.0
        return float(-np.mean(np.log(counts[self.val_ids] / counts.sum())))

    def __repr__(self):
        return (f"CharDataset({len(self.train_ids)} train + {len(self.val_ids)} val characters, "
                f"seq_len={self.seq_len}, vocab of {len(self.vocab)})")
