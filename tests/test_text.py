"""Text data: CharVocab (ids, round trips, unknown-character policy, errors), corpora (load_text, the pydoc corpus),
TextWindows and CharDataset (window/target alignment, the contiguous validation tail, batches, the unigram baseline)."""

import doctest
import json
import math

import numpy as np
import pytest

from tinygrad_edu import Tensor
from tinygrad_edu.data import CharDataset, CharVocab, DataLoader, TextWindows, load_pydoc_corpus, load_text
from tinygrad_edu.data import text as text_module


# ------------------------------------------------------------------------------------------- CharVocab
def test_vocab_ids_specials_first_then_sorted_characters():
    v = CharVocab("banana!", specials=("<pad>", "<bos>"))
    assert v.itos == ["<pad>", "<bos>", "!", "a", "b", "n"]
    assert v.stoi == {t: i for i, t in enumerate(v.itos)}
    assert v.chars == "!abn" and v.specials == ("<pad>", "<bos>")
    assert len(v) == 6 and v.index("<bos>") == 1 and v.index("n") == 5
    assert "a" in v and "<pad>" in v and "z" not in v and 3 not in v


def test_vocab_from_text_and_iterable_of_chars_agree():
    assert CharVocab.from_text("hello") == CharVocab(["o", "l", "h", "e"]) == CharVocab("ehlo")
    assert CharVocab("ab") != CharVocab("ab", specials=("<pad>",))
    assert CharVocab("ab", unk="a") != CharVocab("ab")


def test_encode_decode_round_trip_matches_a_dictionary_lookup():
    text = "Hello, wörld! 你好\nTabs\tand ñ."
    v = CharVocab.from_text(text, specials=("<pad>", "<eos>"))
    ids = v.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    np.testing.assert_array_equal(ids, [v.stoi[c] for c in text])  # the searchsorted path against a plain lookup
    assert v.decode(ids) == text
    assert v.decode(Tensor(ids)) == text and v.decode(ids.tolist()) == text
    assert v.encode("").shape == (0,) and v.decode([]) == ""


def test_decode_skips_specials_unless_asked():
    v = CharVocab("ab", specials=("<bos>", "<eos>"))
    ids = [0, 2, 3, 1]
    assert v.decode(ids) == "ab"
    assert v.decode(ids, skip_specials=False) == "<bos>ab<eos>"


def test_unknown_characters_map_to_unk_when_given():
    v = CharVocab("abc", specials=("<unk>",), unk="<unk>")
    np.testing.assert_array_equal(v.encode("axbz"), [1, 0, 2, 0])
    w = CharVocab("abc?", unk="?")
    assert w.decode(w.encode("a-b")) == "a?b"


def test_unknown_characters_raise_naming_them_and_the_first_position():
    v = CharVocab("abc")
    with pytest.raises(ValueError, match=r"2 character\(s\) not in the vocabulary: 'x', 'z' \(first at position 1\)"):
        v.encode("azbx")
    with pytest.raises(ValueError, match=r"'0', '1', '2', '3', '4', \.\.\. \(10 in all\)"):
        v.encode("0123456789")


def test_state_is_json_and_rebuilds_the_vocabulary():
    v = CharVocab("xyz", specials=("<pad>",), unk="<pad>")
    state = json.loads(json.dumps(v.state()))
    assert state == {"chars": "xyz", "specials": ["<pad>"], "unk": "<pad>"}
    w = CharVocab(**state)
    assert w == v and w.itos == v.itos and w.unk == "<pad>"


def test_repr_names_sizes():
    assert repr(CharVocab("ba", specials=("<pad>",))) == "CharVocab(2 chars 'ab', specials=('<pad>',), unk=None)"


@pytest.mark.parametrize("kwargs, error, message", [
    ({"chars": ["a", "bc"]}, TypeError, "one-character strings, got 'bc'"),
    ({"chars": "ab", "specials": "<pad>"}, TypeError, "specials must be a sequence of strings"),
    ({"chars": "ab", "specials": ("x",)}, ValueError, "two or more characters .* got 'x'"),
    ({"chars": "ab", "specials": ("<p>", "<p>")}, ValueError, "specials must be distinct"),
    ({"chars": "ab", "unk": "<unk>"}, ValueError, "unk must be None, one of the specials .* got '<unk>'"),
])
def test_vocab_construction_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        CharVocab(**kwargs)


def test_vocab_lookup_and_decode_errors():
    v = CharVocab("ab", specials=("<pad>",))
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        v.index("z")
    with pytest.raises(ValueError, match=r"ids out of range for a vocabulary of 3 tokens \(valid 0..2\): -1, 7"):
        v.decode([1, 7, -1])
    with pytest.raises(ValueError, match=r"1-D sequence of integer ids, got shape \(2,\) and dtype float64"):
        v.decode([1.0, 2.0])
    with pytest.raises(TypeError, match="encode expects a str, got list"):
        v.encode(["a"])
    with pytest.raises(TypeError, match="from_text expects a str, got bytes"):
        CharVocab.from_text(b"ab")


# --------------------------------------------------------------------------------------------- corpora
def test_load_text_reads_utf8_and_normalizes_newlines(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("To be,\r\nor not — ü\n".encode("utf-8"))
    assert load_text(path) == "To be,\nor not — ü\n"
    assert load_text(str(path)) == load_text(path)


def test_load_text_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no text file at .*missing.txt"):
        load_text(tmp_path / "missing.txt")
    bad = tmp_path / "latin.txt"
    bad.write_bytes("café".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.txt' is not valid utf-8 text \(byte 3"):
        load_text(bad)
    assert load_text(bad, encoding="latin-1") == "café"
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty.txt' is empty"):
        load_text(empty)


def test_pydoc_corpus_is_printable_ascii_english():
    from pydoc_data.topics import topics

    text = load_pydoc_corpus()
    assert len(text) > 200_000
    assert set(text) <= {chr(c) for c in range(32, 127)} | {"\n"}
    assert text.startswith(topics[sorted(topics)[0]].split("\n")[0])
    assert "The \"assert\" statement" in text and "while" in text
    assert load_pydoc_corpus() == text  # deterministic
    assert 80 <= len(set(text)) <= 96


# --------------------------------------------------------------------------------------------- windows
def test_text_windows_are_non_overlapping_and_shifted_by_one():
    ids = np.arange(11)
    w = TextWindows(ids, seq_len=3)
    assert len(w) == 3  # (11 - 1) // 3; the short tail is left out
    np.testing.assert_array_equal(w.tensors[0].numpy(), [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    np.testing.assert_array_equal(w.tensors[1].numpy(), [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    xb, yb = next(iter(DataLoader(w, batch_size=2)))
    assert xb.shape == yb.shape == (2, 3)
    np.testing.assert_array_equal(yb.numpy()[:, :-1], xb.numpy()[:, 1:])


def test_dataset_split_is_a_contiguous_tail():
    text = "abcdefghijklmnopqrst"  # 20 characters
    ds = CharDataset(text, seq_len=3, val_fraction=0.25)
    assert len(ds.train_ids) == 15 and len(ds.val_ids) == 5
    assert ds.vocab.decode(ds.train_ids) == text[:15] and ds.vocab.decode(ds.val_ids) == text[15:]
    x, y = ds.windows("val")[0]
    assert ds.vocab.decode(x) == "pqr" and ds.vocab.decode(y) == "qrs"
    assert "15 train + 5 val characters" in repr(ds)


def test_sample_batch_windows_come_from_the_split_and_are_aligned():
    text = load_pydoc_corpus()[:20_000]
    ds = CharDataset(text, seq_len=16, val_fraction=0.1)
    x, y = ds.sample_batch(64, generator=np.random.default_rng(0))
    assert x.shape == y.shape == (64, 16) and x.dtype == np.int64
    np.testing.assert_array_equal(y.numpy()[:, :-1], x.numpy()[:, 1:])
    train_text = text[:len(ds.train_ids)]
    for row_x, row_y in zip(x.numpy()[:5], y.numpy()[:5]):
        assert ds.vocab.decode(row_x) + ds.vocab.decode(row_y[-1:]) in train_text
    xv, _ = ds.sample_batch(8, split="val", generator=np.random.default_rng(0))
    assert ds.vocab.decode(xv[0]) in text[len(ds.train_ids):]
    x2, _ = ds.sample_batch(64, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(x.numpy(), x2.numpy())


def test_unigram_loss_matches_closed_form():
    ds = CharDataset("aaab" + "ab", seq_len=1, val_fraction=2 / 6)  # train "aaab", val "ab"
    # add-one counts over the vocabulary {a, b}: a -> 4/6, b -> 2/6
    assert ds.unigram_loss() == pytest.approx(-(math.log(4 / 6) + math.log(2 / 6)) / 2)


def test_unigram_baseline_of_the_pydoc_corpus_is_below_uniform():
    ds = CharDataset(load_pydoc_corpus(), seq_len=32)
    assert 2.5 < ds.unigram_loss() < math.log(len(ds.vocab))


def test_dataset_errors_name_the_lengths():
    with pytest.raises(ValueError, match="the corpus is empty"):
        CharDataset("", seq_len=4)
    with pytest.raises(ValueError, match=r"the corpus has 4 characters, too short .* seq_len \+ 1 = 5"):
        CharDataset("abcd", seq_len=4)
    with pytest.raises(ValueError, match=r"splits the 12 characters .* into 10 for training and 2 for validation; "
                                         r"each part needs at least seq_len \+ 1 = 5"):
        CharDataset("abcdefghijkl", seq_len=4, val_fraction=0.1)
    with pytest.raises(ValueError, match="val_fraction must be in the open interval"):
        CharDataset("abcdefghijkl", seq_len=2, val_fraction=1.0)
    with pytest.raises(ValueError, match="seq_len must be a positive integer, got 0"):
        CharDataset("abcdefghijkl", seq_len=0)
    with pytest.raises(TypeError, match="expects the corpus as a str"):
        CharDataset(["a"], seq_len=2)
    with pytest.raises(ValueError, match="split must be 'train' or 'val', got 'test'"):
        CharDataset("abcdefghijkl", seq_len=2, val_fraction=0.5).windows("test")
    with pytest.raises(ValueError, match="the id sequence has 3 characters"):
        TextWindows(np.arange(3), seq_len=3)
    with pytest.raises(ValueError, match=r"'z' \(first at position 11\)"):
        CharDataset("abcdefghijkz", seq_len=2, val_fraction=0.5, vocab=CharVocab("abcdefghijk"))


def test_docstring_examples():
    assert doctest.testmod(text_module).failed == 0
