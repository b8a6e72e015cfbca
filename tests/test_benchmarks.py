"""The benchmark workloads compute the same thing on both libraries (correctness only; no timings here)."""

import numpy as np
import pytest

from benchmarks import run, workloads


def test_each_workload_runs_one_step_on_tinygrad_edu():
    for workload in workloads.WORKLOADS:
        workload.ours()()


def test_mlp_steps_train_the_same_weights_as_pytorch():
    pytest.importorskip("torch")
    ours, theirs = workloads.mlp_ours(), workloads.mlp_torch()
    start = [p.copy() for p in ours.parameters()]
    for _ in range(3):
        ours()
        theirs()
    for before, a, b in zip(start, ours.parameters(), theirs.parameters()):
        assert not np.allclose(before, a)  # the weights moved
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_lstm_steps_train_the_same_weights_as_pytorch():
    pytest.importorskip("torch")
    ours, theirs = workloads.lstm_ours(), workloads.lstm_torch()
    start = [p.copy() for p in ours.parameters()]
    ours()
    theirs()
    for before, a, b in zip(start, ours.parameters(), theirs.parameters()):
        assert not np.allclose(before, a)  # the weights moved
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_runner_prints_a_table(capsys):
    run.main(["-k", "op overhead", "--rounds", "1", "--repeat", "1", "--settle", "0"])
    out = capsys.readouterr().out
    assert "| op overhead" in out and "machine:" in out
