"""CharRNN: layout and PyTorch parity (forward, state, gradients), gradcheck, generation (seeded, vocabulary-only,
state carried exactly like a full re-read, temperature/top-k), checkpoints, a short training run beating the unigram
baseline, bad input; and the char_rnn.py / compare_rnns.py examples with tiny settings."""

import doctest
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.data import CharDataset, CharVocab, load_pydoc_corpus
from tinygrad_edu.models import CharRNN, char_rnn
from tinygrad_edu.models.char_rnn import sequence_loss
from tinygrad_edu.nn.utils import clip_grad_norm_
from tinygrad_edu.optim import Adam

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["rnn", "lstm", "gru"]
VOCAB = CharVocab("abcdefgh ")


def small_model(kind, **kwargs):
    tg.manual_seed(0)
    return CharRNN(vocab=VOCAB, kind=kind, embed_dim=3, hidden_size=4, **kwargs)


def ids(batch=2, time=5, seed=0):
    return Tensor(np.random.default_rng(seed).integers(0, len(VOCAB), size=(batch, time)))


# --------------------------------------------------------------------------------------------- layout
@pytest.mark.parametrize("kind", KINDS)
def test_shapes_state_and_state_dict_layout(kind):
    model = small_model(kind, num_layers=2)
    logits, state = model(ids(2, 5))
    assert logits.shape == (2, 5, len(VOCAB))
    h = state[0] if kind == "lstm" else state
    assert h.shape == (2, 2, 4)  # (num_layers, batch, hidden): never batch-first
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert shapes == {"embedding.weight": (9, 3),
                      "rnn.weight_ih_l0": (4 * gates, 3), "rnn.weight_hh_l0": (4 * gates, 4),
                      "rnn.bias_ih_l0": (4 * gates,), "rnn.bias_hh_l0": (4 * gates,),
                      "rnn.weight_ih_l1": (4 * gates, 4), "rnn.weight_hh_l1": (4 * gates, 4),
                      "rnn.bias_ih_l1": (4 * gates,), "rnn.bias_hh_l1": (4 * gates,),
                      "head.weight": (9, 4), "head.bias": (9,)}
    assert f"kind='{kind}', vocab of 9" in repr(model)


def test_vocab_size_alone_and_vocab_agree():
    assert CharRNN(9).config["vocab_size"] == 9
    assert CharRNN(vocab=VOCAB).config["vocab_size"] == CharRNN(9, vocab=VOCAB).config["vocab_size"] == 9


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_through_every_parameter(kind):
    model = small_model(kind, num_layers=2).double()
    x = ids(2, 3)
    params = list(model.parameters())
    # gradcheck perturbs the parameters in place, so each call of the model sees the perturbation
    assert tg.gradcheck(lambda *ps: model(x)[0], params)


@pytest.mark.parametrize("kind", KINDS)
def test_forward_state_and_gradients_match_torch(kind):
    torch = pytest.importorskip("torch")
    ours = small_model(kind, num_layers=2).double()
    theirs = torch.nn.ModuleDict({
        "embedding": torch.nn.Embedding(9, 3),
        "rnn": {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](3, 4, 2, batch_first=True),
        "head": torch.nn.Linear(4, 9)}).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    x = ids(3, 6)
    logits, state = ours(x)
    out, tstate = theirs["rnn"](theirs["embedding"](torch.from_numpy(x.numpy())))
    tlogits = theirs["head"](out)
    np.testing.assert_allclose(logits.numpy(), tlogits.detach().numpy(), rtol=1e-10, atol=1e-12)
    for s, t in zip(state if kind == "lstm" else (state,), tstate if kind == "lstm" else (tstate,)):
        np.testing.assert_allclose(s.numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    y = ids(3, 6, seed=1)
    sequence_loss(logits, y).backward()
    torch.nn.functional.cross_entropy(tlogits.reshape(-1, 9), torch.from_numpy(y.numpy()).reshape(-1)).backward()
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs.get_parameter(name).grad.numpy(), rtol=1e-8, atol=1e-12)


def test_sequence_loss_is_mean_cross_entropy_over_positions():
    logits = np.random.default_rng(0).standard_normal((2, 3, 4))
    target = np.array([[0, 1, 2], [3, 3, 0]])
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_p, target[..., None], -1).mean()
    assert sequence_loss(Tensor(logits), Tensor(target)).item() == pytest.approx(expected, rel=1e-12)
    assert sequence_loss((Tensor(logits), None), Tensor(target)).item() == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match=r"logits \(B, T, V\) and targets \(B, T\), got \(2, 3, 4\) and \(3, 2\)"):
        sequence_loss(Tensor(logits), Tensor(target.T))


def test_docstring_examples():
    assert doctest.testmod(char_rnn).failed == 0


# ----------------------------------------------------------------------------------------- generation
@pytest.mark.parametrize("kind", KINDS)
def test_generation_is_reproducible_and_stays_in_the_vocabulary(kind):
    model = small_model(kind)
    text = model.generate("cab", 60, seed=3)
    assert len(text) == 63 and text.startswith("cab") and set(text) <= set(VOCAB.chars)
    assert model.generate("cab", 60, seed=3) == text
    assert model.generate("cab", 60, seed=4) != text
    tg.manual_seed(5)
    first = model.generate("cab", 30)
    tg.manual_seed(5)
    assert model.generate("cab", 30) == first  # without a seed: the library's generator
    assert model.generate("cab", 0) == "cab"


@pytest.mark.parametrize("kind", KINDS)
def test_carrying_the_state_equals_rereading_the_whole_text(kind):
    model = small_model(kind)
    model.head.bias.data[:] = np.linspace(0, 1, len(VOCAB))  # break ties so argmax is unambiguous
    fast = model.generate("bad", 12, temperature=0)
    slow = "bad"
    with tg.no_grad():
        for _ in range(12):
            logits, _ = model(Tensor(VOCAB.encode(slow)[None]))
            slow += VOCAB.itos[int(np.argmax(logits.numpy()[0, -1]))]
    assert fast == slow
    assert model.generate("bad", 12, top_k=1, seed=0) == fast  # top-1 sampling is the greedy choice


def test_sampling_follows_temperature_and_top_k():
    rng = np.random.default_rng(0)
    logits = np.log(np.arange(1.0, 10.0))  # p(id i) proportional to i + 1

    def frequencies(temperature, top_k=None, n=4000):
        draws = [CharRNN._sample(logits, temperature, top_k, rng) for _ in range(n)]
        return np.bincount(draws, minlength=9) / n

    np.testing.assert_allclose(frequencies(1.0), np.arange(1, 10) / 45, atol=0.03)
    np.testing.assert_allclose(frequencies(0.5), np.arange(1, 10) ** 2 / 285, atol=0.03)  # p ~ (i + 1)^2
    np.testing.assert_allclose(frequencies(1.0, top_k=2), [0] * 7 + [8 / 17, 9 / 17], atol=0.03)
    assert frequencies(0.0, n=10).tolist() == [0] * 8 + [1]  # temperature 0: always the most likely
    model = small_model("gru")
    model.head.weight.data[:] = 0
    model.head.bias.data[:] = logits
    assert set(model.generate("a", 200, top_k=2, seed=0)[1:]) == {VOCAB.itos[7], VOCAB.itos[8]}


def test_generate_restores_mode_and_records_nothing():
    model = small_model("lstm", dropout=0.5)
    model.train()
    model.generate("ab", 5, seed=0)
    assert all(m.training for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


def test_generation_errors():
    model = small_model("lstm")
    with pytest.raises(ValueError, match=r"prompt has characters the model cannot read: 2 character\(s\) not in the "
                                         r"vocabulary: 'x', 'z' \(first at position 1\)"):
        model.generate("axz", 5)
    with pytest.raises(ValueError, match="non-empty prompt string"):
        model.generate("", 5)
    with pytest.raises(ValueError, match="max_new_chars must be a non-negative int, got -1"):
        model.generate("a", -1)
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        model.generate("a", 5, temperature=-1.0)
    with pytest.raises(ValueError, match="top_k must be None or an int from 1 to the vocabulary size 9, got 10"):
        model.generate("a", 5, top_k=10)
    with pytest.raises(ValueError, match=r"needs the model's vocabulary"):
        CharRNN(9).generate("a", 5)


def test_construction_and_input_errors():
    with pytest.raises(ValueError, match="unknown kind 'transformer'; choose one of"):
        CharRNN(9, kind="transformer")
    with pytest.raises(ValueError, match="vocab_size=10 does not match the 9 tokens of vocab"):
        CharRNN(10, vocab=VOCAB)
    with pytest.raises(ValueError, match="needs vocab_size or vocab"):
        CharRNN()
    with pytest.raises(TypeError, match="vocab must be a CharVocab, got str"):
        CharRNN(vocab="abc")
    with pytest.raises(ValueError, match="hidden_size must be a positive int, got 0"):
        CharRNN(9, hidden_size=0)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.5"):
        CharRNN(9, dropout=1.5)
    with pytest.raises(ValueError, match=r"integer ids of shape \(batch, time\), got shape \(5,\)"):
        small_model("rnn")(Tensor(np.arange(5)))


# ---------------------------------------------------------------------------------------- checkpoints
@pytest.mark.parametrize("kind", KINDS)
def test_save_and_load_rebuild_the_same_model(kind, tmp_path):
    model = small_model(kind, num_layers=2, dropout=0.25)
    path = tmp_path / "m.npz"
    model.save(path, step=7)
    assert json.loads((tmp_path / "m.npz.json").read_text())["vocab"] == VOCAB.state()
    loaded, extra = CharRNN.load(path)
    assert extra == {"step": 7} and loaded.vocab == VOCAB and loaded.config == model.config
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert loaded.generate("ace", 40, seed=2) == model.generate("ace", 40, seed=2)


def test_load_without_the_description_says_what_is_missing(tmp_path):
    model = small_model("gru")
    tg.train.save_checkpoint(tmp_path / "bare.npz", model)
    with pytest.raises(FileNotFoundError, match=r"bare.npz.json' is missing: CharRNN.load needs the model description"):
        CharRNN.load(tmp_path / "bare.npz")


# ------------------------------------------------------------------------------------------- training
@pytest.mark.slow
def test_short_training_run_beats_the_unigram_baseline():
    tg.manual_seed(0)
    data = CharDataset(load_pydoc_corpus()[:120_000], seq_len=32, val_fraction=0.1)
    model = CharRNN(vocab=data.vocab, kind="gru", embed_dim=16, hidden_size=64)
    optimizer = Adam(model.parameters(), lr=1e-2)
    batches = np.random.default_rng(0)
    val_x, val_y = data.windows("val")[np.arange(100)]

    def val_loss():
        with tg.no_grad():
            return sequence_loss(model(val_x), val_y).item()

    before = val_loss()
    for _ in range(100):
        x, y = data.sample_batch(32, generator=batches)
        loss = sequence_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    after, unigram = val_loss(), data.unigram_loss()
    assert before > unigram  # an untrained model is worse than counting characters...
    assert after < unigram - 0.5  # ...and a trained one clearly better: it uses the context


# ------------------------------------------------------------------------------------------- examples
def run_example(script, *args, timeout=120):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), *map(str, args)], capture_output=True,
                            text=True, timeout=timeout, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_char_rnn_example_trains_reports_and_reloads(tmp_path):
    out = run_example("char_rnn.py", "--steps", 30, "--eval-every", 15, "--hidden", 32, "--seq-len", 32,
                      "--val-windows", 20, "--sample-chars", 60, "--out", tmp_path)
    lines = out.splitlines()
    assert re.match(r"corpus: Python's help topics, \d+ characters \(\d+ train, \d+ validation\), vocabulary of \d+$",
                    lines[0])
    unigram = float(re.search(r"baselines \(nats/char\): uniform \d\.\d+, unigram (\d\.\d+)$", lines[1]).group(1))
    assert re.match(r"CharRNN lstm: embed 32, hidden 32, 1 layer\(s\), \d+ parameters$", lines[2])
    steps = re.findall(r"^step\s+(\d+)  train (\d\.\d+)  val (\d\.\d+)  \d+ s$", out, re.M)
    assert [int(s) for s, _, _ in steps] == [15, 30]
    assert len(re.findall(r"^  sample: ['\"]The ", out, re.M)) == 2  # repr() quotes with " when the text has a '"
    assert re.search(rf"validation loss \d\.\d+ nats/char \(unigram baseline {unigram:.3f}, uniform", out)
    assert "the reloaded model generates the same text: yes" in out
    samples = out.split("--- temperature 0.5 ---\n")[1].split("--- temperature 1.0 ---\n")
    assert len(samples) == 2
    # the printed samples come from the reloaded checkpoint: loading it here gives the same text
    model, extra = CharRNN.load(tmp_path / "char_rnn.npz")
    assert extra["step"] == 30
    for temperature, sample in zip((0.5, 1.0), samples):
        assert sample.rstrip("\n") == model.generate("The ", 60, temperature=temperature, seed=0)


@pytest.mark.slow
def test_char_rnn_example_on_a_user_text(tmp_path):
    corpus = tmp_path / "tiny.txt"
    line = "to be or not to be, that is the question.\n"
    corpus.write_text(line * 40)
    out = run_example("char_rnn.py", "--text", corpus, "--steps", 10, "--eval-every", 10, "--hidden", 16,
                      "--seq-len", 16, "--sample-chars", 20, "--prompt", "to ", "--out", tmp_path / "run")
    assert f"corpus: {corpus}, 1680 characters (1512 train, 168 validation), vocabulary of {len(set(line))}" in out
    assert "--- temperature 1.0 ---\nto " in out


@pytest.mark.slow
def test_compare_rnns_example_prints_both_tables(tmp_path):
    out = run_example("compare_rnns.py", "--steps", 20, "--eval-every", 10, "--params", 6000, "--seq-len", 16,
                      "--probe-len", 24, "--val-windows", 10, "--out", tmp_path)
    rows = dict(re.findall(r"^(rnn|lstm|gru)\s+(\d+)\s+\d+\s+\d+$", out, re.M))
    assert list(rows) == ["rnn", "lstm", "gru"]
    assert int(rows["rnn"]) > int(rows["gru"]) > int(rows["lstm"])  # one gate block vs three vs four
    counts = [int(c) for c in re.findall(r"^(?:rnn|lstm|gru)\s+\d+\s+(\d+)", out, re.M)]
    assert max(counts) - min(counts) < 0.05 * 6000  # the same parameter budget
    table = re.findall(r"^\s+(\d+)\s+(\d\.\d+)\s+(\d\.\d+)\s+(\d\.\d+)$", out, re.M)
    assert [int(r[0]) for r in table] == [10, 20]
    grads = re.findall(r"^(rnn|lstm|gru)\s+(init|trained)((?:\s+\d\.\de[+-]\d+){5})$", out, re.M)
    assert [(k, p) for k, p, _ in grads] == [(k, p) for k in ("rnn", "lstm", "gru") for p in ("init", "trained")]
    assert re.search(r"^\s+t=T-2\s+t=T-6\s+t=T-11\s+t=T-21\s+t=0$", out, re.M)  # probe length 24
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in out
    else:
        assert sorted(p.name for p in tmp_path.glob("*.png")) == ["gradient_flow.png", "val_loss.png"]
