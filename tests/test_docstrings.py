"""The examples in the docstrings of these modules run as written (doctest), so a change of behaviour
(such as refusing a float64 input to a float32 layer) cannot leave a learner a broken example. Modules
whose examples sketch a training script with names defined elsewhere (optimizers, schedulers, train,
diagnostics) are not listed."""

import doctest
import importlib

import pytest

RUNNABLE = [
    "tinygrad_edu.data", "tinygrad_edu.data.datasets", "tinygrad_edu.data.images", "tinygrad_edu.data.loader",
    "tinygrad_edu.data.text", "tinygrad_edu.data.translation",
    "tinygrad_edu.engine.gradcheck", "tinygrad_edu.engine.memory", "tinygrad_edu.engine.tensor",
    "tinygrad_edu.engine.dtype", "tinygrad_edu.engine.factory", "tinygrad_edu.engine.random",
    "tinygrad_edu.engine.printing", "tinygrad_edu.engine.ops.inplace", "tinygrad_edu.engine.ops.matmul",
    "tinygrad_edu.engine.ops.sorting", "tinygrad_edu.linalg", "tinygrad_edu.engine.amp",
    "tinygrad_edu.engine.accelerators", "tinygrad_edu.data.sampler", "tinygrad_edu.utils.data",
    "tinygrad_edu.models.char_rnn", "tinygrad_edu.models.cnn", "tinygrad_edu.models.mlp", "tinygrad_edu.models.seq2seq",
    "tinygrad_edu.nn.attention", "tinygrad_edu.nn.conv", "tinygrad_edu.nn.functional", "tinygrad_edu.nn.init",
    "tinygrad_edu.nn.layers", "tinygrad_edu.nn.loss", "tinygrad_edu.nn.module", "tinygrad_edu.nn.rnn",
    "tinygrad_edu.nn.transformer", "tinygrad_edu.viz.graph",
]


@pytest.mark.parametrize("name", RUNNABLE)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples: drop it from the list"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see the output above)"
