"""Translation data: the number-name generators against hand-checked names, the held-out split, the pairs-file
reader, padded batches with BOS/EOS and masks, the character error rate, and the errors users get."""

import numpy as np
import pytest

from tinygrad_edu.data import TranslationDataset, character_error_rate, load_pairs, number_pairs
from tinygrad_edu.data.translation import english_number, french_number

# Written by hand from the rules (checked against French grammar references: "et" only up to 71, 81 and 91
# hyphenated; vingt and cent take an s when multiplied and ending the number, not before mille; mille invariable)
HAND_CHECKED = [
    (0, "zero", "zéro"),
    (1, "one", "un"),
    (16, "sixteen", "seize"),
    (17, "seventeen", "dix-sept"),
    (21, "twenty-one", "vingt et un"),
    (22, "twenty-two", "vingt-deux"),
    (61, "sixty-one", "soixante et un"),
    (70, "seventy", "soixante-dix"),
    (71, "seventy-one", "soixante et onze"),
    (77, "seventy-seven", "soixante-dix-sept"),
    (80, "eighty", "quatre-vingts"),
    (81, "eighty-one", "quatre-vingt-un"),
    (90, "ninety", "quatre-vingt-dix"),
    (91, "ninety-one", "quatre-vingt-onze"),
    (99, "ninety-nine", "quatre-vingt-dix-neuf"),
    (100, "one hundred", "cent"),
    (101, "one hundred one", "cent un"),
    (180, "one hundred eighty", "cent quatre-vingts"),
    (200, "two hundred", "deux cents"),
    (201, "two hundred one", "deux cent un"),
    (280, "two hundred eighty", "deux cent quatre-vingts"),
    (1000, "one thousand", "mille"),
    (1001, "one thousand one", "mille un"),
    (2000, "two thousand", "deux mille"),
    (21000, "twenty-one thousand", "vingt et un mille"),
    (80000, "eighty thousand", "quatre-vingt mille"),
    (80200, "eighty thousand two hundred", "quatre-vingt mille deux cents"),
    (81000, "eighty-one thousand", "quatre-vingt-un mille"),
    (200000, "two hundred thousand", "deux cent mille"),
    (342071, "three hundred forty-two thousand seventy-one", "trois cent quarante-deux mille soixante et onze"),
    (999999, "nine hundred ninety-nine thousand nine hundred ninety-nine",
     "neuf cent quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf"),
]


@pytest.mark.parametrize("n, english, french", HAND_CHECKED)
def test_number_names_match_hand_checked_examples(n, english, french):
    assert english_number(n) == english
    assert french_number(n) == french


def test_names_are_distinct_and_well_formed_over_the_whole_range():
    numbers = range(0, 1_000_000, 11)  # a stride that visits every last digit and every tens/hundreds pattern
    french = [french_number(n) for n in numbers]
    english = [english_number(n) for n in numbers]
    assert len(set(french)) == len(french) and len(set(english)) == len(english)
    for name in french + english:
        assert name == name.strip() and "  " not in name and "--" not in name and " -" not in name
    assert all(" et " not in f or f.split(" et ")[1].split()[0] in ("un", "onze") for f in french)


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (1_000_000, ValueError), (2.0, TypeError),
                                        (True, TypeError)])
def test_number_names_reject_values_outside_the_range(bad, error):
    for fn in (english_number, french_number):
        with pytest.raises(error, match="0 to 999,999|integers"):
            fn(bad)


def test_number_pairs_hold_out_numbers_never_seen_in_training():
    train, test = number_pairs(n_train=5000, n_test=500, seed=1)
    assert len(train) == 5000 and len(test) == 500
    assert not {f for _, f in train} & {f for _, f in test}
    lengths = [len(e.split()) for e, _ in train]
    assert min(lengths) == 1  # short numbers are in the training mix
    assert number_pairs(n_train=50, n_test=5, seed=1) == number_pairs(n_train=50, n_test=5, seed=1)
    with pytest.raises(ValueError, match="n_test must be between 0 and the 10000 held-out numbers, got 20000"):
        number_pairs(n_test=20000)


def test_load_pairs_reads_tatoeba_layout_and_names_the_malformed_line(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_text("Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272\n\nHi.\tSalut !\n",
                    encoding="utf-8")
    assert load_pairs(path) == [("Go.", "Va !"), ("Hi.", "Salut !")]
    assert load_pairs(path, max_pairs=1) == [("Go.", "Va !")]
    path.write_text("Go.\tVa !\nno tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: expected 'source<TAB>target\[<TAB>...\]'.*'no tab here'"):
        load_pairs(path)
    path.write_text("Go.\t \n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        load_pairs(path)


def test_batches_are_padded_with_bos_eos_and_masks():
    ds = TranslationDataset([("one", "un"), ("three", "trois")])
    v_src, v_tgt = ds.src_vocab, ds.tgt_vocab
    assert v_tgt.itos[:3] == ["<pad>", "<bos>", "<eos>"]
    b = ds.batch([0, 1])
    pad, bos, eos = 0, 1, 2
    enc = v_tgt.encode
    assert b.tgt_in.tolist() == [[bos, *enc("un"), eos, pad, pad], [bos, *enc("trois")]]
    assert b.tgt_out.tolist() == [[*enc("un"), eos, pad, pad, pad], [*enc("trois"), eos]]
    assert b.src.tolist() == [[*v_src.encode("one"), eos, pad, pad], [*v_src.encode("three"), eos]]
    assert b.src_padding_mask.tolist() == [[False] * 4 + [True] * 2, [False] * 6]
    assert b.tgt_padding_mask.tolist() == [[False] * 4 + [True] * 2, [False] * 6]
    assert ds.batch([0]).src.shape == (1, 4)  # cut to the batch's own longest sequence
    seen = np.concatenate([batch.src.numpy()[:, 0] for batch in ds.batches(1, shuffle=True,
                                                                           rng=np.random.default_rng(0))])
    assert sorted(seen.tolist()) == sorted([v_src.index("o"), v_src.index("t")])


def test_dataset_errors_name_the_problem():
    ds = TranslationDataset([("one", "un")])
    with pytest.raises(ValueError, match=r"target of pair 1 \('deux!'\).*'d'"):
        TranslationDataset([("one", "un"), ("one", "deux!")], ds.src_vocab, ds.tgt_vocab)
    with pytest.raises(ValueError, match="pair 0 must be two non-empty strings"):
        TranslationDataset([("one", "")])
    with pytest.raises(ValueError, match="at least one"):
        TranslationDataset([])
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        next(ds.batches(0))


def test_character_error_rate_against_hand_counted_edits():
    assert character_error_rate(["sitting"], ["kitten"]) == 3 / 6  # k->s, e->i, insert g
    assert character_error_rate(["abc", "xyz"], ["abc", "xy"]) == 1 / 5
    assert character_error_rate([""], ["abcd"]) == 1.0
    with pytest.raises(ValueError, match="as many predictions as references"):
        character_error_rate(["a"], [])
