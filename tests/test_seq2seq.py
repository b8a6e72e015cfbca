"""Seq2SeqTransformer: cached decoding equals uncached decoding, gradients (finite differences and PyTorch),
padding does not leak into results, a short training run lowers the loss, the errors users get, and the
translate example end to end with tiny settings."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import TranslationDataset, number_pairs
from tinygrad_edu.models import Seq2SeqTransformer, fit_seq2seq, warmup_cosine
from tinygrad_edu.optim import Adam

ROOT = Path(__file__).resolve().parent.parent


def small(dataset, **kwargs):
    settings = dict(d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32,
                    dropout=0.0, max_len=80)
    settings.update(kwargs)
    return Seq2SeqTransformer(dataset.src_vocab, dataset.tgt_vocab, **settings)


@pytest.fixture(scope="module")
def numbers():
    train, test = number_pairs(n_train=300, n_test=20, seed=3)
    return TranslationDataset(train), test


def test_cached_decoding_equals_uncached(numbers):
    ds, _ = numbers
    tg.manual_seed(0)
    model = small(ds)
    src = ds.batch(np.arange(6)).src  # different lengths: the padded rows need the memory padding mask
    tokens, logits = model.greedy_decode(src, max_len=64)
    slow_tokens, slow_logits = model.greedy_decode(src, max_len=64, use_cache=False)
    assert tokens.shape[1] == logits.shape[1] and logits.shape[0] == 6
    np.testing.assert_array_equal(tokens, slow_tokens)
    np.testing.assert_allclose(logits, slow_logits, rtol=0, atol=1e-5)


def test_batched_decoding_equals_one_row_at_a_time(numbers):
    ds, _ = numbers
    tg.manual_seed(1)
    model = small(ds)
    src = ds.batch(np.arange(4)).src.numpy()
    tokens, logits = model.greedy_decode(src, max_len=30)
    for i in range(4):
        row = src[i:i + 1, :ds.src_lengths[i]]  # without the padding the batch added
        one_tokens, one_logits = model.greedy_decode(row, max_len=30)
        np.testing.assert_array_equal(one_tokens[0], tokens[i, :one_tokens.shape[1]])
        np.testing.assert_allclose(one_logits[0], logits[i, :one_logits.shape[1]], atol=1e-5)


def test_decoding_stops_at_eos_and_pads_after_it():
    ds = TranslationDataset([("ab", "xy")])
    tg.manual_seed(0)
    model = small(ds)
    model.generator.weight.data[:] = 0
    model.generator.bias.data[:] = 0
    model.generator.bias.data[ds.tgt_vocab.index("x")] = 1  # always "x" ...
    tokens, _ = model.greedy_decode(ds.batch([0]).src, max_len=5)
    assert tokens.tolist() == [[ds.tgt_vocab.index("x")] * 5] and model.translate("ab", max_len=5) == "xxxxx"
    model.generator.bias.data[2] = 2  # ... unless EOS (id 2) is likelier: stop at once
    tokens, logits = model.greedy_decode(ds.batch([0]).src, max_len=5)
    assert tokens.tolist() == [[2]] and logits.shape == (1, 1, len(ds.tgt_vocab))
    assert model.translate(["ab", "ba"], max_len=5) == ["", ""]


def test_gradcheck_through_the_whole_model_in_float64():
    ds = TranslationDataset([("ab", "xyz"), ("b", "y")])
    tg.manual_seed(0)
    model = small(ds, d_model=8, dim_feedforward=8, num_encoder_layers=1, num_decoder_layers=1).double()
    b = ds.batch([0, 1])
    encoder, decoder = model.transformer.encoder.layers[0], model.transformer.decoder.layers[0]
    params = [model.src_embed.weight, encoder.self_attn.in_proj_bias, decoder.multihead_attn.in_proj_bias,
              decoder.linear1.weight, model.generator.bias]
    assert tg.gradcheck(lambda *ps: model.loss(b.src, b.tgt_in, b.tgt_out, label_smoothing=0.1), params)


@pytest.mark.slow
def test_loss_and_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    ds = TranslationDataset([("one two", "un deux"), ("three", "trois")])
    tg.manual_seed(0)
    model = small(ds, num_encoder_layers=1, num_decoder_layers=1)
    theirs = torch.nn.ModuleDict({
        "src_embed": torch.nn.Embedding(len(ds.src_vocab), 16, padding_idx=0),
        "tgt_embed": torch.nn.Embedding(len(ds.tgt_vocab), 16, padding_idx=0),
        "transformer": torch.nn.Transformer(16, 2, 1, 1, 32, dropout=0.0, batch_first=True),
        "generator": torch.nn.Linear(16, len(ds.tgt_vocab))})
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    b = ds.batch([0, 1])
    pe = torch.tensor(model.positional.pe.numpy())
    src, tgt_in, tgt_out = (torch.tensor(t.numpy()) for t in (b.src, b.tgt_in, b.tgt_out))
    memory = theirs["transformer"].encoder(theirs["src_embed"](src) + pe[:src.shape[1]],
                                           src_key_padding_mask=src == 0)
    causal = torch.triu(torch.ones(tgt_in.shape[1], tgt_in.shape[1], dtype=torch.bool), 1)
    out = theirs["transformer"].decoder(theirs["tgt_embed"](tgt_in) + pe[:tgt_in.shape[1]], memory, tgt_mask=causal,
                                        tgt_key_padding_mask=tgt_in == 0, memory_key_padding_mask=src == 0)
    logits = theirs["generator"](out)
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1),
                                                 ignore_index=0, label_smoothing=0.1)
    expected.backward()
    loss = model.loss(b.src, b.tgt_in, b.tgt_out, label_smoothing=0.1)
    loss.backward()
    np.testing.assert_allclose(model(b.src, b.tgt_in).numpy(), logits.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-5)
    theirs_params = dict(theirs.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), atol=2e-5, err_msg=name)


@pytest.mark.slow
def test_short_training_run_lowers_the_loss(numbers):
    ds, _ = numbers
    tg.manual_seed(0)
    model = small(ds, d_model=32, dim_feedforward=64)
    seen = []
    losses = fit_seq2seq(model, ds, steps=40, batch_size=32, lr=3e-3, callback=lambda *a: seen.append(a))
    assert len(losses) == 40 and [s for s, _, _ in seen] == list(range(1, 41))
    assert np.mean(losses[-5:]) < 0.75 * np.mean(losses[:5])
    lrs = [lr for _, _, lr in seen]
    assert lrs[0] == pytest.approx(3e-5) and max(lrs) == pytest.approx(3e-3, rel=1e-3) and lrs[-1] < 1e-4


def test_warmup_cosine_schedule_values():
    opt = Adam([tg.Tensor(np.zeros(1, dtype=np.float32), requires_grad=True)], lr=1.0)
    scheduler = warmup_cosine(opt, warmup_steps=4, total_steps=8)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(8):
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    # warm-up: 0.01 + 0.99 * t / 4; then (1 + cos(pi * t / 4)) / 2 for t = 0..4 after the warm-up
    expected = [0.01 + 0.99 * t / 4 for t in range(4)] + [(1 + np.cos(np.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(lrs, expected, atol=1e-12)
    with pytest.raises(ValueError, match="warmup_steps must be between 1 and total_steps - 1 = 7, got 8"):
        warmup_cosine(opt, 8, 8)


def test_bad_input_gets_clear_errors(numbers):
    ds, _ = numbers
    model = small(ds)
    for bad in (0, -3, 81, 2.5):
        with pytest.raises(ValueError, match=rf"max_len must be an integer between 1 and the model's max_len=80, "
                                             rf"got {re.escape(repr(bad))}"):
            model.translate("one", max_len=bad)
    with pytest.raises(ValueError, match=r"translate: text 1 \('one!'\): 1 character\(s\) not in the vocabulary: '!'"):
        model.translate(["one", "one!"], max_len=20)
    with pytest.raises(ValueError, match="method must be 'greedy', got 'beam'"):
        model.translate("one", max_len=20, method="beam")
    with pytest.raises(TypeError, match="a string or a non-empty list of strings"):
        model.translate([], max_len=20)
    other = TranslationDataset([("a", "b")])
    with pytest.raises(ValueError, match="vocabularies differ from the model's"):
        fit_seq2seq(model, other, steps=2)
    with pytest.raises(ValueError, match="steps must be an integer >= 2, got 1"):
        fit_seq2seq(model, ds, steps=1)
    from tinygrad_edu.data import CharVocab
    with pytest.raises(ValueError, match=r"src_vocab must start with the specials \('<pad>', '<bos>', '<eos>'\)"):
        Seq2SeqTransformer(CharVocab("abc"), ds.tgt_vocab)


@pytest.mark.slow
def test_translate_example_short_run(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "translate.py"), "--steps", "30",
                             "--train-size", "500", "--test-size", "20", "--d-model", "32", "--ff", "64",
                             "--batch-size", "32", "--log-every", "10", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "500 training pairs, 20 held-out test pairs" in out and "Seq2SeqTransformer with" in out
    losses = [float(v) for v in re.findall(r"^step\s+\d+/30\s+loss (\d+\.\d+)", out, re.M)]
    assert len(losses) == 3 and losses[-1] < losses[0]
    match = re.search(r"exact match on 20 held-out numbers: (\d+\.\d+)%\s+character error rate: (\d+\.\d+)%", out)
    assert match and 0 <= float(match.group(1)) <= 100 and float(match.group(2)) > 0
    assert re.search(r"^(ok|fail)\s+\S.* -> ", out, re.M)
    assert "fail" not in out or "expected" in out
    assert "cross-attention heat map" in out or "matplotlib is not installed" in out


@pytest.mark.slow
def test_translate_example_reads_a_pairs_file_and_reports_malformed_lines(tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text("".join(f"{e}\t{f}\tCC-BY\n" for e, f in number_pairs(200, 1, seed=5)[0]), encoding="utf-8")
    script = str(ROOT / "examples" / "translate.py")
    result = subprocess.run([sys.executable, script, "--pairs", str(path), "--steps", "3", "--d-model", "16",
                             "--ff", "16", "--test-size", "10", "--batch-size", "8", "--log-every", "1",
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^190 training pairs, \d+ held-out test pairs", result.stdout, re.M)
    assert re.search(r"exact match on \d+ held-out pairs", result.stdout)
    path.write_text("one\tun\ntwo deux\n", encoding="utf-8")
    result = subprocess.run([sys.executable, script, "--pairs", str(path)], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert result.returncode != 0 and "line 2" in result.stderr


def test_kv_cache_benchmark_runs_and_checks_equal_tokens(capsys):
    from benchmarks import kv_cache

    kv_cache.main(["--rounds", "1", "--steps", "4", "--batch-sizes", "2"])
    assert re.search(r"batch   2, 4 characters: cached .* ms, uncached .* ms, speed-up \d+\.\d+x \(same tokens\)",
                     capsys.readouterr().out)
