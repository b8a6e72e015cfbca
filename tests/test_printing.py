"""How tensors print (engine/printing.py): PyTorch's repr, character for character, and set_printoptions."""

import doctest
import re
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.engine import printing
from tinygrad_edu.engine.printing import format_tensor, get_printoptions, set_printoptions

DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


@pytest.fixture(autouse=True)
def default_options():
    """Every test starts and ends with the default options, in both libraries."""
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_printoptions(profile="default")


def same_lines(text):
    """``text`` with every suffix on the line before it: "tinygrad_edu." is 7 characters longer than
    "torch.", so a dtype suffix that fits in PyTorch's line may wrap the next suffix here (and the wrap
    itself is tested on its own below)."""
    return re.sub(r",\n +(?=(dtype|requires_grad|grad_fn|size)=)", ", ", text)


def torch_repr(array, requires_grad=False):
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(np.array(array))
    return same_lines(repr(t.requires_grad_(requires_grad)).replace("torch.", "tinygrad_edu."))


def exact(array, requires_grad=False):
    return format_tensor(Tensor(np.array(array), requires_grad=requires_grad))


def mine(array, requires_grad=False):
    return same_lines(exact(array, requires_grad))


rng = np.random.default_rng(0)
ARRAYS = {
    "float32 fractions": np.array([1.0, 2.5], np.float32),
    "float32 whole numbers": np.array([1.0, 2.0, -30.0], np.float32),
    "float32 zeros": np.zeros(3, np.float32),
    "negative zero": np.array([-0.0, 1.0], np.float32),
    "0-d float32": np.array(3.5, np.float32),
    "0-d whole float": np.array(-2.0, np.float32),
    "0-d int64": np.array(7),
    "0-d bool": np.array(True),
    "random 2-d": rng.standard_normal((3, 4)).astype(np.float32),
    "random 3-d": rng.standard_normal((2, 3, 4)).astype(np.float32),
    "random 4-d": rng.standard_normal((2, 2, 2, 3)).astype(np.float32),
    "long vector wraps": rng.standard_normal(40).astype(np.float32),
    "wide matrix wraps": rng.standard_normal((2, 25)).astype(np.float32),
    "scientific: ratio above 1000": np.array([1e-3, 2.0, 3000.0], np.float32),
    "scientific: above 1e8": np.array([2e8, 1.0], np.float32),
    "scientific: below 1e-4": np.array([1e-5, 3e-5], np.float32),
    "scientific whole numbers": np.array([1.0, 1e9], np.float32),
    "just under the limits": np.array([1e-4, 0.05, 0.1], np.float32),
    "nan and inf": np.array([np.nan, np.inf, -np.inf, 1.5], np.float32),
    "nan and inf, whole": np.array([np.nan, np.inf, 2.0], np.float32),
    "only nan": np.array([np.nan, np.nan], np.float32),
    "int64 right-aligned": np.array([[1, -200], [30, 4]]),
    "big int64": np.array([10**12, -5]),
    "bool": np.array([True, False]),
    "bool 2-d": np.array([[True, False], [False, True]]),
    "summarized 1-d": np.arange(2000, dtype=np.float32),
    "summarized 2-d": rng.standard_normal((50, 40)).astype(np.float32),
    "summarized 3-d int": np.arange(3000).reshape(10, 10, 30),
    "summarized chooses the style from the shown values": np.concatenate(
        [np.full(3, 1.5), np.full(1000, 1e6), np.full(3, 2.5)]).astype(np.float32),
    "float64": np.array([1.0, 2.5]),
    "float64 2-d": rng.standard_normal((2, 3)),
    "float16": np.array([0.5, 1.25], np.float16),
    "int32": np.array([1, 2, 3], np.int32),
    "int8": np.array([-1, 2], np.int8),
    "uint8": np.array([0, 255], np.uint8),
    "complex64": np.array([1 + 2j, -3.5 - 1j], np.complex64),
    "complex128 2-d": np.array([[1 + 0.5j, 2j], [3, -1 - 1j]]),
    "empty float32": np.zeros(0, np.float32),
    "empty (0, 3)": np.zeros((0, 3), np.float32),
    "empty (2, 0, 4) float64": np.zeros((2, 0, 4)),
    "empty int64": np.zeros(0, np.int64),
    "empty bool": np.zeros((0, 2), bool),
}


@pytest.mark.parametrize("name", ARRAYS)
def test_repr_matches_pytorch(name):
    expected = torch_repr(ARRAYS[name])
    assert mine(ARRAYS[name]) == expected


def random_array(rng):
    """An array of random dtype, shape (empty and summarized ones included), magnitude and specials."""
    shape = tuple(rng.integers(0 if rng.random() < 0.05 else 1, 6, rng.integers(0, 5)))
    if rng.random() < 0.05:
        shape = (int(rng.integers(1001, 1200)),)
    values = rng.standard_normal(shape) * 10.0 ** rng.integers(-7, 10)
    if rng.random() < 0.3:
        values = np.round(values)
    if rng.random() < 0.1 and values.size:
        values.flat[rng.integers(values.size)] = rng.choice([np.nan, np.inf, -np.inf, -0.0])
    kind = rng.choice(["float32", "float64", "float16", "int64", "int32", "uint8", "bool", "complex64"])
    if kind in ("int64", "int32", "uint8"):
        low, high = (0, 255) if kind == "uint8" else (-1e9, 1e9)
        return np.clip(np.nan_to_num(values, posinf=0, neginf=0), low, high).astype(kind)
    if kind == "bool":
        return values > 0
    if kind == "complex64":
        return (values + 1j * rng.standard_normal(shape)).astype(np.complex64)
    return np.asarray(np.clip(values, -6e4, 6e4) if kind == "float16" else values).astype(kind)


def test_random_arrays_and_options_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    choices = dict(precision=[0, 2, 6], threshold=[5, 100], edgeitems=[0, 1, 4], linewidth=[30, 120],
                   sci_mode=[True, False])
    for _ in range(400):
        array = random_array(rng)
        options = {k: v[rng.integers(len(v))] for k, v in choices.items() if rng.random() < 0.15}
        set_printoptions(**options)
        torch.set_printoptions(profile="default", **options)
        requires_grad = array.dtype.kind == "f" and rng.random() < 0.3
        assert mine(array, requires_grad) == torch_repr(array, requires_grad), (array.dtype, array.shape, options)
        set_printoptions(profile="default")


@pytest.mark.parametrize("name", ["float32 fractions", "float64 2-d", "0-d float32", "wide matrix wraps",
                                  "empty (0, 3)", "complex64"])
def test_requires_grad_suffix_matches_pytorch(name):
    expected = torch_repr(ARRAYS[name], requires_grad=True)
    assert "requires_grad=True" in expected
    assert mine(ARRAYS[name], requires_grad=True) == expected


def test_exact_strings_without_pytorch():
    assert exact(np.array([1.0, 2.5], np.float32)) == "tensor([1.0000, 2.5000])"
    assert exact(np.array([1.0, 2.0], np.float32)) == "tensor([1., 2.])"
    assert exact(np.array([True, False])) == "tensor([ True, False])"
    assert exact(np.array(3.5, np.float32)) == "tensor(3.5000)"
    assert exact(np.array([[1, 2], [3, 40]])) == "tensor([[ 1,  2],\n        [ 3, 40]])"
    assert exact(np.array([1e-5, 1.0], np.float32)) == "tensor([1.0000e-05, 1.0000e+00])"
    assert exact(np.array([1.0, 2.5])) == "tensor([1.0000, 2.5000], dtype=tinygrad_edu.float64)"
    assert exact(np.array([1, 2], np.int32)) == "tensor([1, 2], dtype=tinygrad_edu.int32)"
    assert exact(np.zeros(0, np.float32)) == "tensor([])"
    assert exact(np.zeros((0, 3), np.float32)) == "tensor([], size=(0, 3))"
    assert exact(np.zeros(0, np.int64)) == "tensor([], dtype=tinygrad_edu.int64)"
    assert exact(np.array([1.0, 2.0], np.float32), requires_grad=True) == "tensor([1., 2.], requires_grad=True)"
    assert exact(np.arange(2000.0, dtype=np.float32)) == (
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])")


def test_3d_blocks_are_separated_by_a_blank_line():
    text = exact(np.arange(8).reshape(2, 2, 2))
    assert text == "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])"


class _Node:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class _WithGradFn:
    """What format_tensor reads from a tensor, with a ``grad_fn`` as PyTorch's."""

    requires_grad = True

    def __init__(self, array, grad_fn):
        self.array, self.grad_fn = array, grad_fn

    def numpy(self):
        return self.array


def test_grad_fn_suffix_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.5], requires_grad=True)
    y = x * 2
    expected = repr(y)
    assert expected.endswith("grad_fn=<MulBackward0>)")
    assert format_tensor(_WithGradFn(y.detach().numpy(), _Node("MulBackward0"))) == expected


def test_grad_fn_of_a_recorded_tensor_is_named():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    name = y.grad_fn.name() if getattr(y, "grad_fn", None) is not None else y.op
    assert format_tensor(y) == f"tensor([2., 4.], grad_fn=<{name}>)"
    assert "requires_grad" not in format_tensor(y)


def test_a_long_suffix_goes_to_its_own_line_as_in_pytorch():
    torch = pytest.importorskip("torch")
    array = np.arange(12.5, 24.5, dtype=np.float32).reshape(2, 6)  # "requires_grad=True" passes 80 characters
    expected = repr(torch.from_numpy(array).requires_grad_())
    assert expected.endswith("23.5000]],\n       requires_grad=True)")
    assert format_tensor(Tensor(array, requires_grad=True)) == expected


def test_suffixes_wrap_at_linewidth():
    x = Tensor(np.array([[0.25, -1.5, 2.0]]), requires_grad=True)
    assert format_tensor(x) == ("tensor([[ 0.2500, -1.5000,  2.0000]], dtype=tinygrad_edu.float64,\n"
                                "       requires_grad=True)")
    set_printoptions(linewidth=60)
    assert format_tensor(x) == ("tensor([[ 0.2500, -1.5000,  2.0000]],\n"
                                "       dtype=tinygrad_edu.float64, requires_grad=True)")
    set_printoptions(linewidth=120)
    assert format_tensor(x) == "tensor([[ 0.2500, -1.5000,  2.0000]], dtype=tinygrad_edu.float64, requires_grad=True)"


def test_default_float_dtype_prints_no_suffix():
    torch = pytest.importorskip("torch")
    before, torch_before = tg.get_default_dtype(), torch.get_default_dtype()
    try:
        tg.set_default_dtype(tg.float64)
        torch.set_default_dtype(torch.float64)
        for array in (np.array([1.0, 2.5]), np.array([1.0, 2.5], np.float32), np.zeros(0),
                      np.array([1 + 1j], np.complex128), np.array([1 + 1j], np.complex64)):
            expected = repr(torch.from_numpy(array)).replace("torch.", "tinygrad_edu.")
            assert mine(array) == expected
        assert mine(np.array([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    finally:
        tg.set_default_dtype(before)
        torch.set_default_dtype(torch_before)


# ------------------------------------------------------------------------------- print options
OPTIONS = [
    dict(precision=2),
    dict(precision=8),
    dict(threshold=5),
    dict(edgeitems=1, threshold=10),
    dict(edgeitems=0, threshold=10),
    dict(linewidth=40),
    dict(sci_mode=True),
    dict(sci_mode=False),
    dict(profile="short"),
    dict(profile="full"),
    dict(profile="short", precision=6),
]
SAMPLES = [np.arange(10), np.arange(2000.0, dtype=np.float32) / 7, rng.standard_normal((30, 40)).astype(np.float32),
           np.array([1e-5, 1.0, 12345.678], np.float32), np.array([1.123456789, -2.5]), np.array(0.5, np.float32)]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_set_printoptions_matches_pytorch(options):
    torch = pytest.importorskip("torch")
    set_printoptions(**options)
    torch.set_printoptions(**options)
    for array in SAMPLES:
        assert mine(array) == torch_repr(array), array


def test_set_printoptions_changes_the_output_and_profile_default_restores_it():
    x = Tensor([1.12345, 2.0])
    assert format_tensor(x) == "tensor([1.1235, 2.0000])"
    set_printoptions(precision=2)
    assert format_tensor(x) == "tensor([1.12, 2.00])"
    set_printoptions(threshold=5)  # precision stays 2
    assert format_tensor(tg.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    assert get_printoptions()["precision"] == 2
    set_printoptions(profile="default")
    assert get_printoptions() == DEFAULTS
    assert format_tensor(x) == "tensor([1.1235, 2.0000])"
    assert format_tensor(tg.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"


def test_get_printoptions_round_trips():
    set_printoptions(precision=3, linewidth=50, sci_mode=True)
    saved = get_printoptions()
    set_printoptions(profile="full")
    set_printoptions(**saved)
    assert get_printoptions() == saved == {**DEFAULTS, "precision": 3, "linewidth": 50, "sci_mode": True}


def test_sci_mode_returns_to_automatic_when_not_given():
    set_printoptions(sci_mode=True)
    assert format_tensor(Tensor([1.5])) == "tensor([1.5000e+00])"
    set_printoptions(precision=4)  # as in PyTorch, every call without sci_mode resets it
    assert format_tensor(Tensor([1.5])) == "tensor([1.5000])"


def test_unknown_profile_is_an_error_that_changes_nothing():
    with pytest.raises(ValueError, match="profile 'long'.*'default', 'full', 'short'"):
        set_printoptions(profile="long", precision=1)
    assert get_printoptions() == DEFAULTS


def test_importing_changes_no_print_options():
    code = ("import numpy as np; before = np.get_printoptions(); import tinygrad_edu; "
            "from tinygrad_edu.engine.printing import get_printoptions; "
            "assert np.get_printoptions() == before; print(get_printoptions())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == str(DEFAULTS)


# ------------------------------------------------------------------------------------- wiring
def test_repr_of_a_tensor_is_format_tensor():
    for t in (Tensor([1.0, 2.5]), Tensor(np.arange(3000).reshape(30, 100)), Tensor([1.0], requires_grad=True) * 3):
        assert repr(t) == format_tensor(t)


def test_docstring_examples_run(monkeypatch):
    monkeypatch.setattr(Tensor, "__repr__", format_tensor)  # the examples show the repr format_tensor gives
    result = doctest.testmod(printing, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
