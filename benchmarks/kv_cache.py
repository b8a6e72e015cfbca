"""What the key/value cache saves when a Seq2SeqTransformer generates 64 characters greedily.

    python -m benchmarks.kv_cache [--rounds 5] [--batch-sizes 1 32]

Without the cache every step re-runs the decoder on the whole prefix (step t costs O(t): O(T^2) in all);
with it, a step computes only the newest position, reusing each layer's self-attention keys and values
and the projected memory of cross-attention. Both produce the same tokens. The model is the translate
example's (d_model 64, 4 heads, 2 + 2 layers), untrained, with EOS made impossible so that every row
runs the full 64 steps. The two ways alternate each round; the medians and their ratio are printed.
"""

import argparse
import statistics
import time

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.data import TranslationDataset, number_pairs
from tinygrad_edu.models import Seq2SeqTransformer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=64, help="characters generated per row")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32])
    args = parser.parse_args(argv)
    tg.manual_seed(0)
    train, _ = number_pairs(n_train=max(args.batch_sizes), n_test=1)
    ds = TranslationDataset(train)
    model = Seq2SeqTransformer(ds.src_vocab, ds.tgt_vocab, d_model=64, nhead=4, dim_feedforward=256, dropout=0.0)
    model.generator.bias.data[model.eos] = -1e4  # never stop early: every row generates all the steps
    for batch_size in args.batch_sizes:
        src = ds.batch(np.arange(batch_size)).src
        tokens, _ = model.greedy_decode(src, args.steps)
        assert tokens.shape == (batch_size, args.steps)
        assert np.array_equal(tokens, model.greedy_decode(src, args.steps, use_cache=False)[0])
        times = {True: [], False: []}
        for _ in range(args.rounds):
            for cached in (True, False):
                start = time.perf_counter()
                model.greedy_decode(src, args.steps, use_cache=cached)
                times[cached].append(time.perf_counter() - start)
        cached, uncached = statistics.median(times[True]), statistics.median(times[False])
        print(f"batch {batch_size:3d}, {args.steps} characters: cached {cached * 1e3:7.1f} ms, "
              f"uncached {uncached * 1e3:7.1f} ms, speed-up {uncached / cached:.2f}x (same tokens)")


if __name__ == "__main__":
    main()
