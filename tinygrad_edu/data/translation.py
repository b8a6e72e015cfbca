"""Translation pairs for sequence-to-sequence models: number names (English -> French) generated from the
rules of both languages, tab-separated sentence-pair files, and a dataset that serves padded batches of
character ids with BOS/EOS and padding masks.

>>> english_number(342071), french_number(342071)
('three hundred forty-two thousand seventy-one', 'trois cent quarante-deux mille soixante et onze')
>>> train, test = number_pairs(n_train=1000, n_test=100, seed=0)
>>> batch = TranslationDataset(train).batch(np.arange(4))
>>> batch.src.shape[0], batch.tgt_in.shape == batch.tgt_out.shape
(4, True)
"""

from collections import namedtuple

import numpy as np

from ..engine.tensor import Tensor
from .text import CharVocab

__all__ = ["PAD", "BOS", "EOS", "SPECIALS", "english_number", "french_number", "number_pairs", "load_pairs",
           "Batch", "TranslationDataset", "encode_padded", "character_error_rate"]

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = (PAD, BOS, EOS)  # ids 0, 1, 2 in every vocabulary built here: padding is id 0
MAX_NUMBER = 999_999

# ---------------------------------------------------------------------------------------- English
_EN_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
             "sixteen seventeen eighteen nineteen").split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _check_number(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"number names are defined for integers, got {type(n).__name__} {n!r}")
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"number names are defined for 0 to {MAX_NUMBER:,}, got {n:,}")


def _english_below_1000(n):
    hundreds, rest = divmod(n, 100)
    words = [_EN_SMALL[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        tens, unit = divmod(rest, 10)
        words.append(_EN_TENS[tens] + (f"-{_EN_SMALL[unit]}" if unit else ""))
    elif rest:
        words.append(_EN_SMALL[rest])
    return " ".join(words)


def english_number(n):
    """The American English name of an integer 0 <= n <= 999,999: no "and", tens and units joined by a
    hyphen, "one hundred" and "one thousand" with their "one".

    >>> english_number(342071)
    'three hundred forty-two thousand seventy-one'
    """
    _check_number(n)
    if n == 0:
        return "zero"
    thousands, rest = divmod(int(n), 1000)
    parts = [f"{_english_below_1000(thousands)} thousand"] if thousands else []
    return " ".join(parts + ([_english_below_1000(rest)] if rest else []))


# ----------------------------------------------------------------------------------------- French
_FR_SMALL = "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize".split()
_FR_TENS = "_ _ vingt trente quarante cinquante soixante soixante quatre-vingt quatre-vingt".split()


def _french_below_100(n, final):
    """0 < n < 100. 70-79 and 90-99 count on from 60 and 80 (soixante-dix, quatre-vingt-onze); "et" joins
    un and onze to the tens except after quatre-vingt; quatre-vingt takes an s when it ends the number."""
    if n <= 16:
        return _FR_SMALL[n]
    if n < 20:
        return f"dix-{_FR_SMALL[n - 10]}"
    tens = n // 10
    rest = n - (60 if tens == 7 else 80) if tens in (7, 9) else n % 10  # 71 = 60 + 11, 95 = 80 + 15
    base = _FR_TENS[tens]
    if rest == 0:
        return base + ("s" if tens == 8 and final else "")
    if rest in (1, 11) and tens < 8:
        return f"{base} et {_FR_SMALL[rest]}"
    return f"{base}-{_french_below_100(rest, final)}"


def _french_below_1000(n, final):
    """0 < n < 1000. Cent takes an s when multiplied and ending the number (deux cents, deux cent un);
    ``final`` is False before mille, which is a number too: deux cent mille, quatre-vingt mille."""
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        words.append("cent" if hundreds == 1 else f"{_FR_SMALL[hundreds]} cent" + ("s" if final and not rest else ""))
    if rest:
        words.append(_french_below_100(rest, final))
    return " ".join(words)


def french_number(n):
    """The French name of an integer 0 <= n <= 999,999 in the traditional spelling: hyphens within the
    tens and units, "et un" / "et onze" up to 71 (vingt et un, soixante et onze, but quatre-vingt-un),
    quatre-vingts and deux cents with an s only at the end of the number, mille invariable and without
    "un" (mille, deux mille).

    >>> french_number(342071)
    'trois cent quarante-deux mille soixante et onze'
    >>> french_number(280), french_number(80200)
    ('deux cent quatre-vingts', 'quatre-vingt mille deux cents')
    """
    _check_number(n)
    if n == 0:
        return "zéro"
    thousands, rest = divmod(int(n), 1000)
    parts = []
    if thousands:
        parts.append("mille" if thousands == 1 else f"{_french_below_1000(thousands, final=False)} mille")
    if rest:
        parts.append(_french_below_1000(rest, final=True))
    return " ".join(parts)


def number_pairs(n_train=50_000, n_test=2_000, held_out=0.01, seed=0):
    """(English, French) number-name pairs for training and for testing on numbers never seen in training.

    A fraction ``held_out`` of all the integers 0..999,999, chosen at random, is set aside; the test pairs
    are ``n_test`` of those (uniform, so most have six digits). Training numbers come from the rest: each
    draws its digit count k from 1..6 with probability proportional to k, then is uniform among the
    k-digit numbers not held out, so short numbers (and their irregular names) are seen too.
    Returns ``(train_pairs, test_pairs)``, lists of ``(english, french)`` tuples.

    >>> train, test = number_pairs(n_train=3, n_test=1, seed=0)
    >>> len(train), len(test)
    (3, 1)
    """
    if not 0 < held_out < 1:
        raise ValueError(f"held_out must be a fraction in (0, 1), got {held_out}")
    n_held = int(round(held_out * (MAX_NUMBER + 1)))
    if not 0 <= n_test <= n_held:
        raise ValueError(f"n_test must be between 0 and the {n_held} held-out numbers, got {n_test}")
    if n_train < 0:
        raise ValueError(f"n_train must be non-negative, got {n_train}")
    rng = np.random.default_rng(seed)
    held = rng.choice(MAX_NUMBER + 1, size=n_held, replace=False)
    is_held = np.zeros(MAX_NUMBER + 1, dtype=bool)
    is_held[held] = True
    digits = np.arange(1, 7)
    train = np.empty(0, dtype=np.int64)
    while len(train) < n_train:  # redraw the few that landed on held-out numbers
        k = rng.choice(digits, size=n_train - len(train), p=digits / digits.sum())
        low = np.where(k == 1, 0, 10 ** (k - 1))
        draws = rng.integers(low, 10 ** k)
        train = np.concatenate([train, draws[~is_held[draws]]])
    return ([(english_number(n), french_number(n)) for n in train.tolist()],
            [(english_number(n), french_number(n)) for n in held[:n_test].tolist()])


# ----------------------------------------------------------------------------------------- files
def load_pairs(path, max_pairs=None):
    """Sentence pairs from a UTF-8 text file with one pair per line: ``source<TAB>target[<TAB>anything]``,
    the layout of the Tatoeba / Anki (manythings.org) exports, whose third column is attribution. Blank
    lines are skipped; a line without two non-empty fields raises ValueError naming its line number.

    >>> load_pairs("fra.txt", max_pairs=2)  # doctest: +SKIP
    [('Go.', 'Va !'), ('Hi.', 'Salut !')]
    """
    if max_pairs is not None and max_pairs < 1:
        raise ValueError(f"max_pairs must be None or a positive integer, got {max_pairs}")
    pairs = []
    with open(path, encoding="utf-8-sig") as file:
        for number, line in enumerate(file, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
                raise ValueError(f"{path}, line {number}: expected 'source<TAB>target[<TAB>...]' with two "
                                 f"non-empty fields, got {line[:80]!r}")
            pairs.append((fields[0].strip(), fields[1].strip()))
            if len(pairs) == max_pairs:
                break
    if not pairs:
        raise ValueError(f"{path}: no sentence pairs found")
    return pairs


# --------------------------------------------------------------------------------------- dataset
Batch = namedtuple("Batch", ["src", "tgt_in", "tgt_out", "src_padding_mask", "tgt_padding_mask"])
Batch.__doc__ = """A padded batch: ``src`` (B, S) source ids ending in EOS; ``tgt_in`` (B, T) = BOS + target ids
(the decoder's input under teacher forcing) and ``tgt_out`` (B, T) = target ids + EOS (what it must predict),
all int64 Tensors padded with PAD = 0 (a shorter target's EOS stays in its ``tgt_in``, where the matching
``tgt_out`` is padding, which the loss ignores); ``src_padding_mask`` (B, S) and ``tgt_padding_mask`` (B, T) are bool
Tensors, True at padding, the convention of PyTorch's ``key_padding_mask``."""


def encode_padded(texts, vocab, bos=False, eos=True, what="text"):
    """Encode ``texts`` with ``vocab`` into one (N, L) int64 array padded with PAD = 0, each row
    ``[BOS] + ids + [EOS]`` (BOS and EOS as asked), and the row lengths (N,). All the texts are encoded by
    one ``vocab.encode`` call and placed by one boolean-mask assignment, not a loop over rows; a character
    outside the vocabulary raises ValueError naming the text (``what`` says what a text is).

    >>> ids, lengths = encode_padded(["ab", "b"], CharVocab("ab", specials=SPECIALS))
    >>> ids.tolist(), lengths.tolist()
    ([[3, 4, 2], [4, 2, 0]], [3, 2])
    """
    texts = list(texts)
    try:
        flat = vocab.encode("".join(texts))
    except ValueError:
        for i, text in enumerate(texts):  # only to name the first text with an unknown character
            try:
                vocab.encode(text)
            except ValueError as e:
                raise ValueError(f"{what} {i} ({text!r}): {e}") from None
        raise
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    start = int(bos)
    total = lengths + start + int(eos)
    out = np.zeros((len(texts), total.max()), dtype=np.int64)
    columns = np.arange(total.max())
    out[(columns >= start) & (columns < start + lengths[:, None])] = flat
    if bos:
        out[:, 0] = vocab.index(BOS)
    if eos:
        out[np.arange(len(texts)), start + lengths] = vocab.index(EOS)
    return out, total


class TranslationDataset:
    """(source, target) string pairs as character ids, served as padded :class:`Batch` es.

    Vocabularies are :class:`CharVocab` s with the specials ``("<pad>", "<bos>", "<eos>")`` (ids 0, 1, 2),
    built from the pairs unless given (pass the training set's vocabularies to a test set: a character
    they lack raises ValueError naming the pair). Each batch is cut to its own longest sequence.

    >>> ds = TranslationDataset([("one", "un"), ("two", "deux")])
    >>> ds.batch([0, 1]).tgt_out.tolist()          # u n <eos> <pad> <pad> / d e u x <eos>
    [[6, 5, 2, 0, 0], [3, 4, 6, 7, 2]]
    """

    def __init__(self, pairs, src_vocab=None, tgt_vocab=None):
        pairs = list(pairs)
        if not pairs:
            raise ValueError("TranslationDataset needs at least one (source, target) pair, got none")
        for i, pair in enumerate(pairs):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(s, str) and s for s in pair)):
                raise ValueError(f"TranslationDataset: pair {i} must be two non-empty strings, got {pair!r}")
        self.pairs = pairs
        self.src_vocab = src_vocab or CharVocab(set("".join(s for s, _ in pairs)), specials=SPECIALS)
        self.tgt_vocab = tgt_vocab or CharVocab(set("".join(t for _, t in pairs)), specials=SPECIALS)
        for vocab in (self.src_vocab, self.tgt_vocab):
            if tuple(vocab.specials[:3]) != SPECIALS:
                raise ValueError(f"TranslationDataset: vocabularies must start with the specials {SPECIALS}, "
                                 f"got {tuple(vocab.specials)}")
        self.src, self.src_lengths = encode_padded([s for s, _ in pairs], self.src_vocab,
                                                   what="TranslationDataset: source of pair")
        self.tgt, self.tgt_lengths = encode_padded([t for _, t in pairs], self.tgt_vocab, bos=True,
                                                   what="TranslationDataset: target of pair")

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        """The source ids (with EOS) and target ids (with BOS and EOS) of pair ``index``, unpadded."""
        return self.src[index, :self.src_lengths[index]], self.tgt[index, :self.tgt_lengths[index]]

    def batch(self, indices):
        """The pairs at ``indices`` as a :class:`Batch`, padded to their longest source and target."""
        indices = np.asarray(indices)
        src = self.src[indices, :self.src_lengths[indices].max()]
        tgt = self.tgt[indices, :self.tgt_lengths[indices].max()]
        tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
        return Batch(Tensor(src), Tensor(tgt_in), Tensor(tgt_out), Tensor(src == 0), Tensor(tgt_in == 0))

    def batches(self, batch_size, shuffle=False, rng=None):
        """Yield :class:`Batch` es covering every pair once, in a random order (from ``rng``, a NumPy
        Generator) when ``shuffle``."""
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        order = (rng or np.random.default_rng()).permutation(len(self)) if shuffle else np.arange(len(self))
        for start in range(0, len(self), batch_size):
            yield self.batch(order[start:start + batch_size])


# --------------------------------------------------------------------------------------- metrics
def _edit_distance(a, b):
    """Levenshtein distance: the fewest insertions, deletions and substitutions turning a into b."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        diagonal, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ca != cb))
    return row[-1]


def character_error_rate(predictions, references):
    """Total edit distance (insertions + deletions + substitutions) over the total length of the references.

    >>> character_error_rate(["sitting"], ["kitten"])   # k->s, e->i, +g: 3 edits over 6 characters
    0.5
    """
    predictions, references = list(predictions), list(references)
    if len(predictions) != len(references) or not references:
        raise ValueError(f"character_error_rate needs as many predictions as references (at least one), got "
                         f"{len(predictions)} and {len(references)}")
    edits = sum(_edit_distance(p, r) for p, r in zip(predictions, references) if p != r)
    return edits / max(sum(len(r) for r in references), 1)
