"""engine/memory.py: an explicit call keeps freed memory for reuse, so a training loop's big arrays cost no
page faults (that importing alone calls nothing is tested in test_state.py)."""

import os
import platform
import subprocess
import sys
import textwrap

import pytest

from tinygrad_edu.engine import memory

glibc = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                           reason="mallopt tuning applies to Linux with glibc only")

# allocate and fill a 64 MB array twice; count the page faults of the second time (16,384 pages of 4 KB)
_REALLOCATE = textwrap.dedent("""
    import resource, sys, numpy as np
    import tinygrad_edu
    if sys.argv[1] == "keep":
        assert tinygrad_edu.keep_freed_memory()
    a = np.ones(16 * 2**20, dtype=np.float32); del a
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    a = np.ones(16 * 2**20, dtype=np.float32)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _faults(mode):
    ours = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")  # the user's own tuning would hide the effect
    environment = {k: v for k, v in os.environ.items() if k not in ours}
    result = subprocess.run([sys.executable, "-c", _REALLOCATE, mode], capture_output=True, text=True,
                            env=environment, check=True)
    return int(result.stdout)


@glibc
def test_a_freed_large_array_is_reused_without_page_faults_once_asked():
    assert _faults("keep") < 160  # under 1% of the array's pages: the memory was kept, not handed back


def test_other_platforms_are_left_alone(monkeypatch):
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory.keep_freed_memory() is False


@pytest.mark.parametrize("limit", [-1, 2**31, 1.5, True])
def test_a_limit_outside_a_c_int_is_refused(limit):
    with pytest.raises(ValueError, match="keep_freed_memory: limit"):
        memory.keep_freed_memory(limit)


def test_collector_paused_restores_the_collector_as_it_was():
    import gc

    import tinygrad_edu as tg

    assert gc.isenabled()
    with pytest.raises(KeyError), tg.collector_paused():
        assert not gc.isenabled()
        raise KeyError("an error inside still restores it")
    assert gc.isenabled()
    gc.disable()
    try:
        with tg.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_a_graph_built_with_the_collector_paused_is_freed_by_reference_counting():
    import gc

    import numpy as np

    import tinygrad_edu as tg

    def live_tensors():
        return sum(type(o) is tg.Tensor for o in gc.get_objects())  # type(): isinstance wakes lazy modules

    with tg.collector_paused():
        x = tg.Tensor(np.ones(3), requires_grad=True)
        before = live_tensors()
        y = x
        for _ in range(200):
            y = (y * 1.5).tanh()
        y.sum().backward()
        assert live_tensors() > before + 400
        del y
        assert live_tensors() == before + 1  # only x.grad: no cycle kept the graph once its output went
    assert gc.isenabled()
