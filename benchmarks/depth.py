"""What recording one op costs as a graph grows: a chain of N elementwise ops, forward and backward.

    python -m benchmarks.depth                      # N = 1,000 / 10,000 / 100,000 (about 20 s)
    python -m benchmarks.depth --sizes 1000 10000 100000 300000   # the README's table (about a minute)
    python -m benchmarks.depth --why                # the investigation below (about a minute)
    python -m benchmarks.depth --no-torch           # without importing torch (see below)

The chain is ``y = y * 1.0001 + 0.0001`` repeated N / 2 times on a float32 tensor of shape (16,) that
requires grad (N recorded ops), then ``y.sum().backward()``. Each size is built in a fresh graph after a
``gc.collect()``, the graph is dropped (and collected) before the next one, and each figure is the median
of ``--repeat`` builds, in microseconds per recorded op. Three ways are timed, alternating within each
repeat: tinygrad_edu as it is, tinygrad_edu with ``gc.disable()`` around the build and the backward,
and PyTorch (when installed) in the same process. The table also gives how many full (generation-2)
collections of Python's cyclic garbage collector ran during our forward, and how long they took,
timed with ``gc.callbacks``. Importing torch adds about 140,000 tracked objects to the heap, which delays
the collector's first full collection and makes each one longer; ``--no-torch`` times our side without it.

``--why`` prints the evidence for where the extra time at large N goes: the GC-tracked objects one op
allocates, every full collection of a 100,000-op build with the heap it walked, the same build with
the collector tamed in several ways (``gc.disable``, ``gc.freeze``) or with fewer tracked objects per
op (monkeypatched ops: no closure, no per-op constant tensor, or every new object untracked through
``ctypes``), and ``cProfile``'s view of the build. Timings never decide a test.
"""

import argparse
import cProfile
import ctypes
import gc
import io
import pstats
import statistics
import time

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.engine.ops import elementwise

torch = None  # imported by main() unless --no-torch: its import adds about 140,000 tracked objects

SCALE, SHIFT = 1.0001, 0.0001


def chain_ours(n, scale=SCALE, shift=SHIFT):
    x = tg.Tensor(np.ones(16, np.float32), requires_grad=True)
    y = x
    for _ in range(n // 2):
        y = y * scale + shift
    return y


def chain_torch(n):
    x = torch.ones(16, dtype=torch.float32, requires_grad=True)
    y = x
    for _ in range(n // 2):
        y = y * SCALE + SHIFT
    return y


class CollectorTimes:
    """Counts and times the cyclic GC's collections, per generation, while active (``gc.callbacks``).
    With ``heap=True`` it also notes how many tracked objects each full collection walked (counting
    them takes time, outside the timed span but inside the caller's wall time)."""

    def __init__(self, heap=False):
        self.heap, self.count, self.seconds, self.full = heap, [0, 0, 0], [0.0, 0.0, 0.0], []
        self.counting = 0.0  # seconds spent counting the heap, to subtract from the caller's wall time

    def _callback(self, phase, info):
        if phase == "start":
            self._start = time.perf_counter()
            return
        gen, spent = info["generation"], time.perf_counter() - self._start
        self.count[gen] += 1
        self.seconds[gen] += spent
        if gen == 2:
            start = time.perf_counter()
            self.full.append((spent, len(gc.get_objects()) if self.heap else None))
            self.counting += time.perf_counter() - start

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._callback)


def run_once(chain, n, collector="on"):
    """(forward s, backward s, CollectorTimes of the forward) for one fresh chain of n ops."""
    gc.collect()
    if collector == "off":
        gc.disable()
    try:
        with CollectorTimes() as during:
            start = time.perf_counter()
            y = chain(n)
            forward = time.perf_counter() - start
        start = time.perf_counter()
        y.sum().backward()
        backward = time.perf_counter() - start
    finally:
        gc.enable()
    del y
    gc.collect()
    return forward, backward, during


def measure(sizes, repeat):
    """{n: {mode: [run_once results]}}. Sizes and modes alternate within each repeat, so that the machine's
    speed drifting over the minute slows every size and library alike."""
    modes = [("ours", chain_ours, "on"), ("ours, GC off", chain_ours, "off")]
    if torch is not None:
        modes.append(("torch", chain_torch, "on"))
    for name, chain, collector in modes:  # warm-up: imports, allocator, first-call caches
        run_once(chain, 1000, collector)
    counts = {n: max(repeat, min(15, 100_000 // n)) for n in sizes}  # small sizes are cheap: more repeats
    runs = {n: {name: [] for name, _, _ in modes} for n in sizes}
    for r in range(max(counts.values())):
        for n in sizes:
            if r < counts[n]:
                for name, chain, collector in modes:
                    runs[n][name].append(run_once(chain, n, collector))
    return list(runs.items())


def _median_us(runs, field, n):
    return statistics.median(r[field] for r in runs) / n * 1e6


def print_table(rows):
    print("| ops N | ours fwd | ours bwd | ours fwd, GC off | ours bwd, GC off | full GCs in our fwd | "
          "PyTorch fwd | PyTorch bwd |")
    print("|---:|---:|---:|---:|---:|---|---:|---:|")
    for n, runs in rows:
        ours = runs["ours"]
        middle = sorted(ours, key=lambda r: r[0])[len(ours) // 2][2]  # the median forward's collections
        full = f"{middle.count[2]} ({middle.seconds[2] * 1e3:.0f} ms)"
        theirs = (f"{_median_us(runs['torch'], 0, n):.2f} | {_median_us(runs['torch'], 1, n):.2f}"
                  if "torch" in runs else "- | -")
        print(f"| {n:,} | {_median_us(ours, 0, n):.2f} | {_median_us(ours, 1, n):.2f} | "
              f"{_median_us(runs['ours, GC off'], 0, n):.2f} | {_median_us(runs['ours, GC off'], 1, n):.2f} | "
              f"{full} | {theirs} |", flush=True)


# ----------------------------------------------------------------------------------- --why

def tracked_per_op(chain):
    """The new GC-tracked objects that one ``y * c`` and one ``y + c`` leave alive, by type."""
    y = chain(2)
    found = {}
    for name, op in (("mul", lambda t: t * SCALE), ("add", lambda t: t + SHIFT)):
        gc.collect()
        gc.disable()
        alive = gc.get_objects()  # held, so that no id below is reused by a new object
        before = {id(o) for o in alive}
        y = op(y)
        new = []
        for o in gc.get_objects():  # a plain loop: a comprehension would close over `before` (a new cell)
            if id(o) not in before and o is not before and o is not new and o is not alive:
                new.append(type(o).__name__)
        del alive
        gc.enable()
        found[name] = sorted(new)
    return found


def tracked_growth(chain, n=10_000, before_drop=lambda: None):
    """Objects per op that a chain of n ops adds to the heap the collector walks (frozen ones excluded)."""
    gc.collect()
    before = len(gc.get_objects())
    y = chain(n)
    gc.collect()
    grown = (len(gc.get_objects()) - before) / n
    before_drop()
    del y
    gc.unfreeze()
    return grown


def _shared_backward_ops():
    """mul and add as they are, but with one module-level backward each instead of a closure per op
    (the parents are read from the node): no function, closure tuple or cells per recorded op."""
    make_op, pair, broadcasting = elementwise.make_op, elementwise._pair, elementwise._broadcasting

    def mul_backward(g, out):
        a, b = out.parents
        return (g * b if a.requires_grad else None, g * a if b.requires_grad else None)

    def add_backward(g, out):
        return g, g

    def mul(a, b):
        a, b = pair(a, b, "mul")
        return make_op("mul", broadcasting("mul", np.multiply, a, b), (a, b), mul_backward)

    def add(a, b):
        a, b = pair(a, b, "add")
        return make_op("add", broadcasting("add", np.add, a, b), (a, b), add_backward)

    return {"__mul__": mul, "__add__": add}


class _Untracker:
    """``make_op`` as it is, then every object it (and the op) created untracked by the cyclic GC through
    CPython's C API: what the chain would cost if graph objects were invisible to the collector.
    ``retrack()`` must run before the graph is dropped: CPython's deallocators assume a tracked object."""

    def __init__(self):
        self.untrack, self.track = ctypes.pythonapi.PyObject_GC_UnTrack, ctypes.pythonapi.PyObject_GC_Track
        for fn in (self.untrack, self.track):
            fn.argtypes, fn.restype = [ctypes.py_object], None
        self.make_op, self.untracked = elementwise.make_op, []

    def make_op_untracked(self, op, data, parents, backward):
        out = self.make_op(op, data, parents, backward)
        for o in (out, out._ctx, parents, backward, backward.__closure__, *(backward.__closure__ or ()), *parents):
            if o is not None and gc.is_tracked(o):
                self.untrack(o)
                self.untracked.append(o)
        return out

    def retrack(self):
        for o in self.untracked:
            self.track(o)
        self.untracked.clear()


class _patched:
    """Temporarily set attributes: ``with _patched(obj, name=value, ...)``."""

    def __init__(self, obj, **values):
        self.obj, self.values = obj, values

    def __enter__(self):
        self.saved = {k: getattr(self.obj, k) for k in self.values}
        for k, v in self.values.items():
            setattr(self.obj, k, v)

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            setattr(self.obj, k, v)


def _variant(n, chain, setup=lambda: None, teardown=lambda: None, repeat=3):
    """Median (forward s, GC s by generation, full collections) over ``repeat`` fresh builds."""
    results = []
    for _ in range(repeat):
        gc.collect()
        setup()
        try:
            with CollectorTimes(heap=True) as during:
                start = time.perf_counter()
                y = chain(n)
                forward = time.perf_counter() - start - during.counting
        finally:
            teardown()
        del y
        gc.unfreeze()
        gc.collect()
        results.append((forward, during))
    forward, during = sorted(results, key=lambda r: r[0])[len(results) // 2]
    return forward, during


def why(n=100_000):
    print(f"tracked objects in the heap before any graph: {len(gc.get_objects()):,} "
          f"(torch {'imported' if torch else 'not imported'}); thresholds {gc.get_threshold()}\n")
    for library, chain in (("tinygrad_edu", chain_ours), ("PyTorch", chain_torch if torch else None)):
        if chain is None:
            continue
        for name, types in tracked_per_op(chain).items():
            print(f"{library}: one `y {'*' if name == 'mul' else '+'} c` creates {len(types)} GC-tracked objects "
                  f"that stay alive ({', '.join(types)})")
        print(f"{library}: a chain of 10,000 ops adds {tracked_growth(chain):.2f} tracked objects per op to the heap")

    gc.collect()
    stats_before, count_before = gc.get_stats(), gc.get_count()
    with CollectorTimes(heap=True) as during:
        y = chain_ours(n)
    stats_after, count_after = gc.get_stats(), gc.get_count()
    print(f"\nA {n:,}-op build: collections per generation {during.count} "
          f"(gc.get_stats() deltas {[a['collections'] - b['collections'] for a, b in zip(stats_after, stats_before)]}, "
          f"gc.get_count() {count_before} -> {count_after}), "
          f"GC time per generation {[round(s * 1e3, 1) for s in during.seconds]} ms")
    for i, (spent, heap) in enumerate(during.full):
        print(f"  full collection {i + 1}: {spent * 1e3:6.1f} ms over {heap:,} tracked objects "
              f"({spent / heap * 1e9:.0f} ns per object)")
    del y
    gc.collect()

    def freeze_every(chunk):
        def chain(n):
            x = tg.Tensor(np.ones(16, np.float32), requires_grad=True)
            y = x
            for i in range(n // 2):
                y = y * SCALE + SHIFT
                if i % chunk == chunk - 1:
                    gc.freeze()
            return y
        return chain

    constants = tg.Tensor(np.float32(SCALE)), tg.Tensor(np.float32(SHIFT))
    shared = _shared_backward_ops()
    untracker = _Untracker()
    untracked = {"make_op": untracker.make_op_untracked}
    # (name, chain, (setup, teardown) or None, Tensor methods to patch, elementwise globals to patch)
    variants = [
        ("as it is", chain_ours, None, {}, {}),
        ("gc.disable() around the build", chain_ours, (gc.disable, gc.enable), {}, {}),
        ("gc.freeze() once before the build", chain_ours, (gc.freeze, lambda: None), {}, {}),
        ("gc.freeze() after every 10,000 ops", freeze_every(5000), None, {}, {}),
        ("constants made once, not per op", lambda n: chain_ours(n, *constants), None, {}, {}),
        ("one shared backward function, no closure per op", chain_ours, None, shared, {}),
        ("no closure and constants made once", lambda n: chain_ours(n, *constants), None, shared, {}),
        ("every new object untracked via ctypes", chain_ours, (lambda: None, untracker.retrack), {}, untracked),
    ]
    print(f"\nThe {n:,}-op build, median of 3 (wall time per op; the GC's own time, from gc.callbacks):\n")
    print("| variant | tracked objects per op | forward us/op | GC us/op | full collections (ms) | "
          "objects they walked |")
    print("|---|---:|---:|---:|---|---:|")
    for name, chain, around, methods, module in variants:
        setup, teardown = around or (lambda: None, lambda: None)
        with _patched(tg.Tensor, **methods), _patched(elementwise, **module):
            per_op = tracked_growth(chain, before_drop=teardown if module else lambda: None)
            forward, during = _variant(n, chain, setup, teardown)
        print(f"| {name} | {max(per_op, 0.0):.1f} | {forward / n * 1e6:.2f} | {sum(during.seconds) / n * 1e6:.2f} | "
              f"{during.count[2]} ({during.seconds[2] * 1e3:.0f} ms) | {sum(h for _, h in during.full):,} |",
              flush=True)

    for label, collector in (("GC on", "on"), ("GC off", "off")):
        gc.collect()
        profile = cProfile.Profile()
        if collector == "off":
            gc.disable()
        profile.enable()
        y = chain_ours(n)
        profile.disable()
        gc.enable()
        del y
        gc.collect()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(8)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        print(f"\ncProfile of the {n:,}-op build, {label} (top 8 by own time):")
        print("\n".join(lines[start - 3:start + 9]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000], help="chain lengths N")
    parser.add_argument("--repeat", type=int, default=3,
                        help="fresh builds per size and library (default 3; up to 15 for the small sizes)")
    parser.add_argument("--why", action="store_true", help="print the investigation instead of the table")
    parser.add_argument("--no-torch", action="store_true",
                        help="do not import torch (its objects make the heap bigger, which changes when the GC runs)")
    args = parser.parse_args(argv)
    global torch
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch is not installed: timing tinygrad_edu alone (pip install torch==2.13.0 for the comparison)\n")
    tg.keep_freed_memory()  # as the main runner does
    if args.why:
        why()
    else:
        print(f"chain of N ops (y = y * {SCALE} + {SHIFT}) on (16,) float32, microseconds per op, "
              f"median of {args.repeat} or more{'' if torch else ', torch not imported'}:\n")
        print_table(measure(args.sizes, args.repeat))
    if torch is not None:
        from benchmarks.run import machine  # imports torch: only once it is imported anyway

        print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
