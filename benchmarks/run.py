"""Time each workload on tinygrad_edu and, when torch is importable, on PyTorch CPU in this process.

    python -m benchmarks            # all workloads
    python -m benchmarks -k mlp     # those whose name contains "mlp"
    python -m benchmarks --rounds 5 --repeat 2   # a quick pass

Runs alternate between the two libraries (ours, torch, ours, torch, ...) so that a busy machine
slows both alike; the table gives each side's median time per step and their ratio. Before each
timed block the runner pauses (``--settle``, 0.25 s): NumPy's OpenBLAS threads keep spinning for a
while after a matrix product, and without the pause they take the cores from the PyTorch block that
follows (PyTorch's MLP step measured twice as slow that way). After the pause one untimed step
warms the core up again.
"""

import argparse
import os
import platform
import statistics
import sys
import time

if __package__ in (None, ""):  # `python benchmarks/run.py` from the repository root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

import numpy as np

from benchmarks.workloads import WORKLOADS


def _time(step, repeat, settle):
    time.sleep(settle)
    step()  # untimed: the first step after a pause runs on a cold core
    start = time.perf_counter()
    for _ in range(repeat):
        step()
    return (time.perf_counter() - start) / repeat


def measure(workload, rounds, repeat, settle, torch_available):
    """Median seconds per step for (ours, torch or None), alternating the two each round."""
    ours = workload.ours()
    theirs = workload.torch() if torch_available else None
    for step in filter(None, (ours, theirs)):  # warm-up: caches, allocator, BLAS threads
        _time(step, repeat, 0)
    ours_times, torch_times = [], []
    for _ in range(rounds):
        ours_times.append(_time(ours, repeat, settle))
        if theirs is not None:
            torch_times.append(_time(theirs, repeat, settle))
    return statistics.median(ours_times), statistics.median(torch_times) if theirs else None


def machine():
    try:
        import torch

        torch_info = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        torch_info = "torch not installed"
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, NumPy {np.__version__}, {torch_info}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", default="", help="only workloads whose name contains this text")
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds per workload (default 15)")
    parser.add_argument("--repeat", type=int, default=5, help="steps per round (default 5)")
    parser.add_argument("--settle", type=float, default=0.25, help="seconds of pause before each timed block")
    args = parser.parse_args(argv)
    # Every op allocates fresh arrays: keep freed memory for reuse, as a training script would (README:
    # Performance). The setting is process-wide, so PyTorch in this process gets it too.
    import tinygrad_edu

    tinygrad_edu.keep_freed_memory()
    try:
        import torch  # noqa: F401

        torch_available = True
    except ImportError:
        torch_available = False
        print("torch is not installed: timing tinygrad_edu alone (pip install torch==2.13.0 for the ratios)")
    print(f"machine: {machine()}\n")
    print("| workload | tinygrad_edu (ms) | PyTorch CPU (ms) | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    for workload in WORKLOADS:
        if args.k.lower() not in workload.name.lower():
            continue
        ours, theirs = measure(workload, args.rounds, args.repeat, args.settle, torch_available)
        target = "-" if workload.target is None else f"<= {workload.target:.1f}x"
        if theirs is None:
            print(f"| {workload.name} | {ours * 1e3:.2f} | - | - | {target} |")
        else:
            verdict = "" if workload.target is None else " (met)" if ours / theirs <= workload.target else " (missed)"
            print(f"| {workload.name} | {ours * 1e3:.2f} | {theirs * 1e3:.2f} | {ours / theirs:.2f}x | "
                  f"{target}{verdict} |", flush=True)


if __name__ == "__main__":
    main()
