"""micrograd's moons demo, scalar by scalar: tinygrad_edu's 0-d tensors against micrograd's Values.

    python -m benchmarks.scalar                 # 100 points, 2 processes x 6 steps per library (about 30 s)
    python -m benchmarks.scalar --profile       # and cProfile's view of one of our steps
    python -m benchmarks.scalar --dtype float32 # our tensors in float32 (no faster: see below)
    pip install micrograd                       # (or pip install -e .[bench]) for the comparison

The model is micrograd's demo: a 2-16-16-1 MLP whose every weight and bias is its own scalar (a 0-d
``tinygrad_edu.Tensor(requires_grad=True)`` here, a ``micrograd.engine.Value`` there), ReLU hidden
layers, and the SVM max-margin loss ``mean(relu(1 - y * score)) + 1e-4 * sum(p * p)`` over every point
of ``make_moons(100, noise=0.1)`` (labels -1/+1), then backward and an SGD step with micrograd's
learning-rate schedule ``1 - 0.9 k / 100``. Our side is written the way micrograd's is (each neuron a
Python ``sum`` of products starting from its bias, the loss one function for both), so both record the
same ops in the same order: 65,077 per step.

Our tensors are float64: micrograd computes in Python floats, which are float64, so with micrograd's
initial weights copied across both compute the same loss to the last bit (printed), and float32 would
not be faster (at 0-d an op's cost is Python and NumPy call overhead, not arithmetic). The update uses
``tinygrad_edu.optim.SGD``, as a user would.

Each library runs in processes of its own (``--rounds`` of them, alternating), so that neither's garbage
or imports change when the other's cyclic garbage collector runs: micrograd's graphs are reference
cycles (each node's ``_backward`` closure holds the node), which only the collector frees, while ours
are freed by reference counting when the loss is dropped. A step is timed in four parts (forward with
the loss, backward, update, dropping the loss), the collector's own time (``gc.callbacks``) is reported
beside it, and so is the step without it. Without micrograd installed it times tinygrad_edu alone.
Timings never decide a test.
"""

import argparse
import cProfile
import gc
import json
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import time

import numpy as np

import tinygrad_edu as tg

try:
    from micrograd.engine import Value
    from micrograd.nn import MLP
except ImportError:
    Value = MLP = None

ALPHA = 1e-4  # micrograd's L2 weight


def moons(n):
    X, y = tg.data.make_moons(n, noise=0.1, seed=0)
    return X.astype(np.float64).tolist(), (y * 2 - 1).tolist()  # Python floats and ints, as micrograd takes


def initial_weights(seed=1337):
    """micrograd's initialization (uniform(-1, 1) weights, zero biases), as nested lists of floats:
    layers -> neurons -> (weights, bias). Made by micrograd's own MLP when it is installed."""
    random.seed(seed)
    if MLP is not None:
        model = MLP(2, [16, 16, 1])
        return [[([w.numpy() for w in n.w], n.b.numpy()) for n in layer.neurons] for layer in model.layers]
    sizes = [2, 16, 16, 1]
    return [[([random.uniform(-1, 1) for _ in range(nin)], 0.0) for _ in range(nout)]
            for nin, nout in zip(sizes, sizes[1:])]


def svm_loss(scores, ys, params):
    """micrograd's demo loss, written once for both libraries."""
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in params)
    return data_loss + reg_loss


# ----------------------------------------------------------------------------------- our side

class Ours:
    """The MLP as lists of 0-d tensors, each neuron ``sum(w_i * x_i, b)`` as micrograd's Neuron does."""

    def __init__(self, weights, dtype):
        self.dtype = dtype
        self.layers = [[([self.scalar(w, True) for w in ws], self.scalar(b, True)) for ws, b in layer]
                       for layer in weights]
        self.params = [p for layer in self.layers for ws, b in layer for p in ws + [b]]
        self.optimizer = tg.optim.SGD(self.params, lr=1.0)

    def scalar(self, v, requires_grad=False):
        return tg.Tensor(np.array(v, dtype=self.dtype), requires_grad=requires_grad)

    def model(self, x):
        for i, layer in enumerate(self.layers):
            x = [sum((w * xi for w, xi in zip(ws, x)), b) for ws, b in layer]
            if i < len(self.layers) - 1:
                x = [a.relu() for a in x]
        return x[0]

    def forward(self, X, ys):
        inputs = [[self.scalar(v) for v in row] for row in X]
        return svm_loss([self.model(x) for x in inputs], ys, self.params)

    def backward(self, loss):
        self.optimizer.zero_grad()
        loss.backward()

    def update(self, k):
        self.optimizer.param_groups[0]["lr"] = 1.0 - 0.9 * k / 100
        self.optimizer.step()

    def weights(self):
        return [p.item() for p in self.params]


class Micrograd:
    """micrograd's own MLP and training step (its demo notebook), with the given weights."""

    def __init__(self, weights):
        self.net = MLP(2, [16, 16, 1])
        for layer, neurons in zip(self.net.layers, weights):
            for neuron, (ws, b) in zip(layer.neurons, neurons):
                for w, v in zip(neuron.w, ws):
                    w.data = v
                neuron.b.data = b
        self.params = self.net.parameters()

    def forward(self, X, ys):
        inputs = [list(map(Value, row)) for row in X]
        return svm_loss(list(map(self.net, inputs)), ys, self.params)

    def backward(self, loss):
        self.net.zero_grad()
        loss.backward()

    def update(self, k):
        lr = 1.0 - 0.9 * k / 100
        for p in self.params:
            p.data -= lr * p.grad

    def weights(self):
        return [p.numpy() for p in self.params]


# ------------------------------------------------------------------------------------- timing

def run_side(name, points, steps, dtype):
    """Per-step timings of one library, in this process: a list of dicts (seconds), one per step."""
    X, ys = moons(points)
    weights = initial_weights()
    side = Ours(weights, np.dtype(dtype)) if name == "tinygrad_edu" else Micrograd(weights)
    collector = {"seconds": 0.0, "full": 0}

    def timing(phase, info):
        if phase == "start":
            collector["start"] = time.perf_counter()
        else:
            collector["seconds"] += time.perf_counter() - collector["start"]
            collector["full"] += info["generation"] == 2

    records = []
    gc.callbacks.append(timing)
    for k in range(steps):
        collector.update(seconds=0.0, full=0)
        t0 = time.perf_counter()
        loss = side.forward(X, ys)
        t1 = time.perf_counter()
        side.backward(loss)
        t2 = time.perf_counter()
        side.update(k)
        t3 = time.perf_counter()
        value = float(loss.item() if name == "tinygrad_edu" else loss.numpy())
        del loss  # ours is freed here by reference counting; micrograd's graph (cycles) waits for the GC
        t4 = time.perf_counter()
        records.append({"forward": t1 - t0, "backward": t2 - t1, "update": t3 - t2, "free": t4 - t3,
                        "gc": collector["seconds"], "full": collector["full"], "loss": value})
    gc.callbacks.remove(timing)
    return records


def run_child(name, points, steps, dtype):
    """run_side in a fresh interpreter, so that neither library's garbage or imports (torch's 140,000
    objects) change when the other one's GC runs."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-m", "benchmarks.scalar", "--child", name, "--points", str(points),
                          "--steps", str(steps), "--dtype", dtype], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def profile_ours(points, dtype, top=14):
    """cProfile of one of our steps with the GC off (its cost is in the timing table), per recorded op."""
    X, ys = moons(points)
    ours = Ours(initial_weights(), np.dtype(dtype))
    ours.backward(ours.forward(X, ys))  # warm-up
    gc.collect()
    gc.disable()
    phases = {}
    for phase in ("forward", "backward", "update"):
        profile = cProfile.Profile()
        profile.enable()
        if phase == "forward":
            loss = ours.forward(X, ys)
        elif phase == "backward":
            ours.backward(loss)
        else:
            ours.update(0)
        profile.disable()
        phases[phase] = pstats.Stats(profile)
    gc.enable()
    forward = phases["forward"]
    ops = sum(v[1] for (_, _, fn), v in forward.stats.items() if fn == "make_op")
    print(f"\ncProfile of one tinygrad_edu step, GC off: {ops:,} recorded ops, {len(ours.params)} parameters.")
    for phase, stats in phases.items():
        total = sum(v[2] for v in stats.stats.values())
        per = len(ours.params) if phase == "update" else ops
        unit = "parameter" if phase == "update" else "recorded op"
        print(f"\n{phase}: {total * 1e3:.1f} ms under the profiler, {total / per * 1e6:.2f} us per {unit}; "
              f"top {top} by own time:\n")
        print(f"| function | calls per {unit} | own us per {unit} | share |")
        print("|---|---:|---:|---:|")
        for (file, line, fn), (_, calls, own, *_rest) in sorted(stats.stats.items(), key=lambda kv: kv[1][2],
                                                               reverse=True)[:top]:
            print(f"| `{_where(file, line, fn)}` | {calls / per:.2f} | {own / per * 1e6:.3f} | {own / total:.0%} |")


def _where(file, line, name):
    """A profile entry as `folder/file.py:line Class.method` (pstats keeps only the bare name)."""
    if file == "~":
        return re.sub(r" of type object at 0x[0-9a-f]+", "", name)  # a built-in
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) != file:
            continue
        for owner in [module] + [c for c in vars(module).values() if isinstance(c, type)]:
            for fn in vars(owner).values():
                code = getattr(fn, "__code__", None)
                if code is not None and code.co_firstlineno == line and code.co_name == name:
                    name = fn.__qualname__
    return f"{os.path.basename(os.path.dirname(file))}/{os.path.basename(file)}:{line} {name}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=100, help="moons points per step (default 100)")
    parser.add_argument("--steps", type=int, default=6, help="steps per process, the first one untimed (default 6)")
    parser.add_argument("--rounds", type=int, default=2, help="processes per library, alternating (default 2)")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"], help="our tensors' dtype")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's view of one of our steps")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 2:
        parser.error("--steps must be at least 2 (each process's first step is untimed)")
    if args.child:
        print(json.dumps(run_side(args.child, args.points, args.steps, args.dtype)))
        return
    names = ["tinygrad_edu"] + (["micrograd"] if Value is not None else [])
    if Value is None:
        print("micrograd is not installed: timing tinygrad_edu alone "
              "(pip install micrograd, or pip install -e .[bench])\n")
    runs = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            runs[name].append(run_child(name, args.points, args.steps, args.dtype))
    losses = {name: [r["loss"] for r in runs[name][0]] for name in names}
    if Value is not None:
        diff = max(abs(a - b) for a, b in zip(losses["tinygrad_edu"], losses["micrograd"]))
        print(f"same weights, same loss: step 1 loss tinygrad_edu {losses['tinygrad_edu'][0]!r}, micrograd "
              f"{losses['micrograd'][0]!r}; largest difference over {args.steps} steps {diff:.3g} "
              f"(last step: {losses['tinygrad_edu'][-1]!r} and {losses['micrograd'][-1]!r})\n")
    else:
        print(f"step 1 loss {losses['tinygrad_edu'][0]!r}\n")
    print(f"{args.points} moons points, 2-16-16-1 MLP of 337 scalars ({args.dtype} on our side), ms per step, median "
          f"of {args.rounds} processes x {args.steps - 1} steps (each process's first step untimed):\n")
    print("| library | forward + loss | backward | update | free the graph | step | of which GC | "
          "full GCs per step | step without the GC |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    steps, bare = {}, {}
    for name in names:
        records = [r for run in runs[name] for r in run[1:]]
        med = {key: statistics.median(r[key] for r in records) for key in records[0]}
        steps[name] = statistics.median(r["forward"] + r["backward"] + r["update"] + r["free"] for r in records)
        bare[name] = statistics.median(r["forward"] + r["backward"] + r["update"] + r["free"] - r["gc"]
                                       for r in records)
        print(f"| {name} | {med['forward'] * 1e3:.1f} | {med['backward'] * 1e3:.1f} | {med['update'] * 1e3:.2f} | "
              f"{med['free'] * 1e3:.1f} | {steps[name] * 1e3:.1f} | {med['gc'] * 1e3:.1f} | {med['full']:g} | "
              f"{bare[name] * 1e3:.1f} |")
    if Value is not None:
        print(f"\nratio tinygrad_edu / micrograd: {steps['tinygrad_edu'] / steps['micrograd']:.2f}x per step, "
              f"{bare['tinygrad_edu'] / bare['micrograd']:.2f}x without the GC's time")
    if args.profile:
        profile_ours(args.points, args.dtype)
    from benchmarks.run import machine

    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
