"""What recording module scopes costs a forward pass (it is what lets draw_graph group ops by module).

    python -m benchmarks.scope_overhead

Every ``Module.__call__`` notes which module is running and every recorded op stores it; drawing is
never asked for here. This times a forward + backward of a 20-layer MLP on small tensors (the case
where per-call overhead matters most) with ``Module.__call__`` as it is, against the same method
without the two scope lines, alternating the two, and prints the median times and their ratio.
"""

import statistics
import time

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.nn import Module


def _call_without_scope(self, *args, **kwargs):
    output = self.forward(*args, **kwargs)
    for hook in list(self._forward_hooks.values()):
        result = hook(self, args, output)
        output = output if result is None else result
    return output


def main(rounds=30, repeat=20):
    tg.manual_seed(0)
    model = tg.models.MLP([16] + [32] * 20 + [4], activation="tanh")
    x = tg.Tensor(np.random.default_rng(0).standard_normal((8, 16)).astype(np.float32))

    def step():
        model(x).sum().backward()
        model.zero_grad()

    with_scope, without = [], []
    recording = Module.__call__
    for _ in range(rounds):
        for method, times in ((recording, with_scope), (_call_without_scope, without)):
            Module.__call__ = method
            step()
            start = time.perf_counter()
            for _ in range(repeat):
                step()
            times.append((time.perf_counter() - start) / repeat)
    Module.__call__ = recording
    a, b = statistics.median(with_scope), statistics.median(without)
    print(f"20-layer MLP forward+backward on (8, 16): with scope recording {a * 1e3:.3f} ms, "
          f"without {b * 1e3:.3f} ms, ratio {a / b:.3f}")


if __name__ == "__main__":
    main()
