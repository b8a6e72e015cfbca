r"""Train a character-level LSTM language model and sample text from it.

The model (tinygrad_edu.models.CharRNN) reads characters one at a time and predicts the next one. By
default it learns from the English documentation that ships with Python (``pydoc_data.topics``, the text
of ``help("assert")``), so it runs offline; ``--text FILE`` trains on any UTF-8 text instead (a
Shakespeare collection is the classic choice). Training uses random windows of ``--seq-len`` characters,
Adam with a cosine learning-rate decay, and gradient clipping (clip_grad_norm_), which keeps the
occasional exploding gradient of a recurrent network from wrecking the weights.

Every ``--eval-every`` steps it prints the training and validation loss in nats per character and a
short sample. The baselines to beat: a uniform guess costs ln V, and the unigram model (each character
drawn with its training frequency, ignoring context) costs the "unigram" figure. At the end it saves a
checkpoint (weights with save_checkpoint, plus the model's description and vocabulary as JSON next to
it), reloads it into a fresh model, checks that the reloaded model generates the same text, and prints
samples at two temperatures: low (0.5) is conservative and repetitive, 1.0 is the model's own
distribution, more varied and more misspelled.

Run:  python examples/char_rnn.py [--steps 1000] [--kind lstm|gru|rnn] [--text FILE] [--out char_rnn_results]

Expected output (2 cores shared with other work, about 2 minutes; digits vary with the platform and the Python
version's help texts; samples shortened here):
    corpus: Python's help topics, 465087 characters (418578 train, 46509 validation), vocabulary of 94
    baselines (nats/char): uniform 4.543, unigram 3.233
    CharRNN lstm: embed 32, hidden 128, 1 layer(s), 98078 parameters
    step  250  train 2.068  val 1.891  38 s
      sample: 'The neaded nace a seranind in tad ise the cocting an  be of-en a  The and in tans\n\n '
    step  500  train 1.772  val 1.706  73 s
      ...
    step 1000  train 1.661  val 1.628  128 s
      sample: 'The "firmakt__()" surnce__()" trenalower, when a contifivom in is ablock.\n   In a na'
    validation loss 1.622 nats/char (unigram baseline 3.233, uniform 4.543) after 1000 steps in 128 s
    checkpoint: char_rnn_results/char_rnn.npz (+ .json); the reloaded model generates the same text: yes
    --- temperature 0.5 ---
    The in and the "object.__(self__()" argument is an instance on a class the strings, the expressions as
    selts in a name is the statement the string and the
    (then a long run of spaces: low temperatures fall into the docs' most common pattern, table padding)
    --- temperature 1.0 ---
    The leacts). Th"    <def "assayteram)'()", and betas refual hek in the unaruly exvoption optasts
    ...
"""

import argparse
import math
import time
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.data import CharDataset, DataLoader, TensorDataset, load_pydoc_corpus, load_text
from tinygrad_edu.models import CharRNN
from tinygrad_edu.models.char_rnn import sequence_loss
from tinygrad_edu.nn.utils import clip_grad_norm_
from tinygrad_edu.optim import Adam
from tinygrad_edu.optim.lr_scheduler import CosineAnnealingLR
from tinygrad_edu.train import evaluate


def validation_loss(model, windows, batch_size=256):
    """Mean nats/char over the given validation windows (eval mode, no graph)."""
    return evaluate(model, sequence_loss, DataLoader(windows, batch_size=batch_size), metrics=())["loss"]


def main(argv=None):
    tg.keep_freed_memory()  # a training script's choice: reuse freed arrays' memory (README: Performance)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text", help="a UTF-8 text file to train on (default: Python's help topics)")
    parser.add_argument("--kind", default="lstm", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seq-len", type=int, default=64, help="characters per training window")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--embed", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=1.0, help="max global gradient norm")
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--val-windows", type=int, default=200,
                        help="validation windows for the periodic reports (the final one uses all)")
    parser.add_argument("--prompt", default="The ")
    parser.add_argument("--sample-chars", type=int, default=400)
    parser.add_argument("--out", default="char_rnn_results", help="folder for the checkpoint")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    tg.manual_seed(args.seed)
    text = load_text(args.text) if args.text else load_pydoc_corpus()
    data = CharDataset(text, seq_len=args.seq_len, val_fraction=0.1)
    vocab = data.vocab
    name = args.text or "Python's help topics"
    print(f"corpus: {name}, {len(text)} characters ({len(data.train_ids)} train, {len(data.val_ids)} validation), "
          f"vocabulary of {len(vocab)}")
    unigram = data.unigram_loss()
    uniform = math.log(len(vocab))
    print(f"baselines (nats/char): uniform {uniform:.3f}, unigram {unigram:.3f}")

    model = CharRNN(vocab=vocab, kind=args.kind, embed_dim=args.embed, hidden_size=args.hidden,
                    num_layers=args.layers, dropout=args.dropout)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"CharRNN {args.kind}: embed {args.embed}, hidden {args.hidden}, {args.layers} layer(s), "
          f"{n_params} parameters")
    optimizer = Adam(model.parameters(), lr=args.lr)
    scheduler = CosineAnnealingLR(optimizer, T_max=args.steps)
    val_windows = data.windows("val")
    spread = np.linspace(0, len(val_windows) - 1, min(args.val_windows, len(val_windows))).astype(np.int64)
    report_windows = TensorDataset(*val_windows[spread])  # windows spread over the whole validation text
    prompt = args.prompt if all(c in vocab for c in args.prompt) else vocab.decode(data.train_ids[:1])

    start, running = time.perf_counter(), None
    for step in range(1, args.steps + 1):
        x, y = data.sample_batch(args.batch_size)
        loss = sequence_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        scheduler.step()
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if step % args.eval_every == 0 or step == args.steps:
            print(f"step {step:4d}  train {running:.3f}  val {validation_loss(model, report_windows):.3f}  "
                  f"{time.perf_counter() - start:.0f} s")
            print(f"  sample: {model.generate(prompt, 80, temperature=0.8)!r}")
    seconds = time.perf_counter() - start
    val = validation_loss(model, val_windows)
    print(f"validation loss {val:.3f} nats/char (unigram baseline {unigram:.3f}, uniform {uniform:.3f}) "
          f"after {args.steps} steps in {seconds:.0f} s")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "char_rnn.npz"
    model.save(path, optimizer, step=args.steps, val_loss=val)
    reloaded, _ = CharRNN.load(path)
    same = reloaded.generate(prompt, 200, seed=1) == model.generate(prompt, 200, seed=1)
    print(f"checkpoint: {path} (+ .json); the reloaded model generates the same text: {'yes' if same else 'NO'}")
    for temperature in (0.5, 1.0):
        print(f"--- temperature {temperature} ---")
        print(reloaded.generate(prompt, args.sample_chars, temperature=temperature, seed=args.seed))


if __name__ == "__main__":
    main()
