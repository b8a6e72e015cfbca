"""Peak memory of the CNN training step, each library in its own process.

    python -m benchmarks.cnn_memory

Each child process builds the benchmark's CNN step, runs one step to warm up, then reports how much
its peak resident memory grew over five more steps plus that warm-up (``ru_maxrss`` before the first
step and after the last), so the libraries' own import sizes do not count.
"""

import json
import os
import subprocess
import sys

CHILD = """
import json, resource, sys
sys.path.insert(0, {root!r})
from benchmarks import workloads
import tinygrad_edu
tinygrad_edu.keep_freed_memory()  # as the timing harness does, for both libraries
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
step = getattr(workloads, "cnn_" + {side!r})()
for _ in range(6):
    step()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"peak_growth_mb": (after - before) / 1024}}))
"""


def peak_growth(side, root):
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=root, side=side)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_growth_mb"]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ours = peak_growth("ours", root)
    try:
        theirs = peak_growth("torch", root)
    except subprocess.CalledProcessError:
        print(f"CNN step peak memory growth: tinygrad_edu {ours:.1f} MB (torch not available)")
        return
    print(f"CNN step peak memory growth: tinygrad_edu {ours:.1f} MB, PyTorch {theirs:.1f} MB, "
          f"ratio {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
