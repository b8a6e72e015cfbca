"""The examples run offline and print what their docstrings promise; the README's Python blocks run.

Each example's docstring says how to run it (a ``Run:`` line whose ``[--option value]`` hints are the
script's real defaults) and shows its expected output. The quick examples are run here and must print
their docstring's block line for line; the longer ones are run shortened, and their lines must keep the
docstring's form.
"""

import ast
import functools
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.py"))
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@functools.lru_cache(maxsize=None)
def run(script):
    """The standard output of ``examples/script`` run without arguments (these examples write no files)."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script)], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def docstring(script):
    return ast.get_docstring(ast.parse((ROOT / "examples" / script).read_text()))


def expected_output(script):
    """The lines of the indented block (blank lines included) after the docstring's "Expected output ...:"."""
    match = re.search(r"Expected output(?s:.*?):\n((?:    .*(?:\n|$)|\n(?=    ))+)", docstring(script))
    assert match, f"{script}: its docstring shows no expected output (an indented block after 'Expected output...:')"
    return [line[4:] for line in match.group(1).rstrip("\n").split("\n")]


def argparse_options(script):
    """{option: (default, choices)} from the script's ``add_argument`` calls, read from its source."""
    options = {}
    for node in ast.walk(ast.parse((ROOT / "examples" / script).read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_argument":
            keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg in ("default", "choices")}
            options[node.args[0].value] = (keywords.get("default"), keywords.get("choices"))
    return options


def same_line(expected, actual, last_digits=0):
    """``actual`` is the docstring's line ``expected``: the same text, and the same numbers up to
    ``last_digits`` units of the last digit shown. "..." in ``expected`` stands for any text."""
    if "..." in expected:
        head, _, tail = expected.partition("...")
        head, tail = head.rstrip(), tail.lstrip()
        if not (actual.startswith(head) and actual.endswith(tail)):
            return False
        return same_line(head, actual[:len(head)], last_digits) and same_line(tail, actual[len(actual) - len(tail):],
                                                                              last_digits)
    if NUMBER.split(expected) != NUMBER.split(actual):
        return False
    for e, a in zip(NUMBER.findall(expected), NUMBER.findall(actual)):
        unit = 10.0 ** -len(e.partition(".")[2].partition("e")[0]) if "." in e else 1.0
        if abs(float(e) - float(a)) > last_digits * unit * (1 + 1e-9):
            return False
    return True


def assert_prints(expected, out, last_digits=0):
    """``out`` is ``expected`` line for line; a line "..." in ``expected`` stands for any number of lines."""
    lines = out.rstrip("\n").split("\n")
    i = 0
    for k, line in enumerate(expected):
        if line.strip() == "...":
            following = expected[k + 1] if k + 1 < len(expected) else None
            if following is None:
                return
            while i < len(lines) and not same_line(following, lines[i], last_digits):
                i += 1
            continue
        assert i < len(lines), f"the output ends before the docstring's line {line!r}:\n{out}"
        assert same_line(line, lines[i], last_digits), f"docstring: {line!r}\nprinted:   {lines[i]!r}"
        i += 1
    assert i == len(lines), f"printed but not in the docstring: {lines[i:]}"


@pytest.mark.parametrize("script", EXAMPLES)
def test_every_example_says_how_to_run_it_with_its_real_defaults(script):
    doc = docstring(script)
    assert re.search(rf"^Run:[ \t]+python examples/{re.escape(script)}( |$)", doc, re.M), (
        f"{script}: its docstring has no 'Run:  python examples/{script} ...' line")
    runs = re.findall(r"^(?:Run:)?[ \t]+python (\S+)(.*)$", doc, re.M)
    options = argparse_options(script)
    for _, arguments in runs:
        for option, value in re.findall(r"\[(--[\w-]+) ([^\]]+)\]", arguments):
            assert option in options, f"{script}: the Run line shows {option}, which the script does not accept"
            default, choices = options[option]
            if value.isupper():  # a placeholder: FILE, DIR
                assert default is None, f"{script}: {option} defaults to {default!r}, not to a {value}"
            elif "|" in value:  # the choices, the default first
                assert value.split("|") == [default, *(c for c in choices if c != default)], (script, option)
            else:
                assert value == str(default), f"{script}: the Run line says {option} {value}, the default is {default}"
    assert expected_output(script)


@pytest.mark.parametrize("script", EXAMPLES)
def test_every_docstring_reads_as_written(script):
    """``--help`` and ``help()`` show the docstring as the source shows it: the ``\\n`` of a printed repr in an
    expected output stays two characters instead of breaking the line (such a docstring is a raw string)."""
    source = (ROOT / "examples" / script).read_text()
    literal = ast.get_source_segment(source, ast.parse(source).body[0].value)
    assert ast.literal_eval(literal) == literal.lstrip("rR")[3:-3], f"{script}: an escape changes its docstring"


@pytest.mark.parametrize("script", [s for s in EXAMPLES if "--out" in argparse_options(s)])
def test_default_output_folders_are_ignored_by_git(script):
    """Run from the repository root, an example writes into its default ``--out`` folder: keep it out of git."""
    ignored = (ROOT / ".gitignore").read_text().split("\n")
    default = argparse_options(script)["--out"][0]
    assert f"{default}/" in ignored, f"{script} writes into {default}/ by default: add it to .gitignore"


@pytest.mark.parametrize("script, last_digits", [("micrograd.py", 0), ("higher_order.py", 0), ("custom_op.py", 0),
                                                 ("mlp_moons.py", 2)])  # its docstring: "the last digits may vary"
def test_quick_examples_print_their_docstrings_expected_output(script, last_digits):
    assert_prints(expected_output(script), run(script), last_digits)


def test_the_line_matcher_catches_a_stale_docstring():
    assert same_line("loss 3.655  saturated %  95", "loss 3.655  saturated %  95")
    assert not same_line("loss 3.655  saturated %  95", "loss 4.573  saturated %  95")
    assert same_line("loss 0.0006", "loss 0.0007", last_digits=2) and not same_line("loss 0.0006", "loss 0.0009", 2)
    assert not same_line("in 40 epochs, 4.0 s", "in 15 epochs, 4.0 s", last_digits=2)
    assert same_line("  (0,)               ...", "  (0,)              -0.011414324      0.01498741")
    assert not same_line("loss ... in 40 epochs", "loss 2.2 -> 0.1 in 15 epochs")
    with pytest.raises(AssertionError, match="printed but not in the docstring"):
        assert_prints(["a 1", "b 2"], "a 1\nb 2\nc 3\n")
    assert_prints(["a 1", "...", "c 3"], "a 1\nb 2\nb 2\nc 3\n")
    with pytest.raises(AssertionError, match="ends before"):
        assert_prints(["a 1", "...", "c 3"], "a 1\nb 2\n")


def test_micrograd_example():
    out = run("micrograd.py")
    assert "g = 24.7041" in out and "dg/da = 138.8338" in out and "dg/db = 645.5773" in out
    assert "gradcheck in float64: passed" in out
    # micrograd's neuron: o = tanh(n), n = 0.8814 -> do/dn = 1 - 0.7071^2 = 0.5, dx1 = w1 * 0.5, dw1 = x1 * 0.5
    rows = dict(re.findall(r"^\s+(\S+)\s+\S+\s+(-?\d+\.\d+)$", out, re.M))
    assert rows["n"] == "0.5000" and rows["x1"] == "-1.5000" and rows["w1"] == "1.0000" and rows["w2"] == "0.0000"


def test_custom_op_example_passes_and_shows_a_caught_mistake():
    out = run("custom_op.py")
    assert "gradcheck: passed" in out and "gradgradcheck (second derivative): passed" in out
    assert "GradcheckError: Jacobian mismatch for output 0 with respect to input 0" in out
    assert "numerical" in out and "analytical" in out


def test_higher_order_example_agrees_with_formulas():
    out = run("higher_order.py")
    t = np.tanh(0.5)
    for exact in (1 - t * t, -2 * t * (1 - t * t), (1 - t * t) * (6 * t * t - 2)):
        assert out.count(f"{exact: .6f}") == 2  # the formula and autograd print the same digits
    assert "(equal)" in out


def test_mlp_moons_example_reaches_full_training_accuracy():
    out = run("mlp_moons.py")
    assert "training accuracy: 100%" in out
    losses = [float(v) for v in re.findall(r"^epoch\s+\d+\s+loss (\d+\.\d+)$", out, re.M)]
    assert len(losses) == 6 and losses[-1] < losses[0] / 20


def test_experiment_matrix_short_run_writes_every_cell(tmp_path):
    """Run from an empty folder with the default --out, 2 epochs: its lines have the docstring's form."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "experiment_matrix.py"), "--epochs", "2"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines, expected = result.stdout.rstrip("\n").split("\n"), expected_output("experiment_matrix.py")
    verdict = re.compile(r"^([a-z ]+): best \S+/\w+ test \d+\.\d%, worst \S+/\w+ test \d+\.\d%$")
    names = [verdict.match(line).group(1) for line in expected[:5]]
    assert names == ["moons", "circles", "blobs", "noisy moons", "spiral"]
    assert [verdict.match(line).group(1) for line in lines[:5]] == names
    assert NUMBER.split(lines[-1]) == NUMBER.split(expected[-1])  # "60 runs in ... s; results in experiment_results/"
    out = tmp_path / "experiment_results"
    rows = (out / "results.csv").read_text().splitlines()
    assert len(rows) == 61 and rows[0] == "dataset,optimizer,activation,train_accuracy,test_accuracy"
    cells = {tuple(r.split(",")[:3]) for r in rows[1:]}
    assert len(cells) == 60 and all(0 <= float(r.split(",")[4]) <= 1 for r in rows[1:])
    assert sorted(p.name for p in out.glob("*.png")) == [
        "blobs.png", "circles.png", "moons.png", "noisy_moons.png", "spiral.png"]


def readme_python_blocks():
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


@pytest.mark.parametrize("block", range(len(readme_python_blocks())))
def test_readme_code_runs(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks may write files (a checkpoint)
    exec(compile(readme_python_blocks()[block], f"README block {block}", "exec"), {})


def test_readme_commands_exist():
    text = (ROOT / "README.md").read_text()
    assert 'pip install -e . && python -m tinygrad_edu demo' in text
    assert 'pip install -e ".[dev]" && python -m pytest' in text


def test_cnn_digits_short_run(tmp_path):
    """The full run (40 epochs, the default) reaches 97.6%; a 6-epoch run must already be far above chance, and
    print the docstring's lines with its own numbers (run from an empty folder, with the default --out)."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "cnn_digits.py"), "--epochs", "6"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines, expected = result.stdout.rstrip("\n").split("\n"), expected_output("cnn_digits.py")
    assert lines[0] == expected[0]  # the data and the model do not depend on the epochs
    assert NUMBER.split(lines[1]) == NUMBER.split(expected[1]) and " in 6 epochs, " in lines[1]
    assert lines[3] == expected[3] and lines[-1] == expected[-1]  # the matrix's heading; the pictures' paths
    accuracy = float(re.search(r"test accuracy: (\d+\.\d+)%", result.stdout).group(1))
    assert accuracy > 85.0
    matrix = np.array([[int(v) for v in re.findall(r"\d+", line)] for line in result.stdout.splitlines()
                       if line.strip().startswith("[")])
    assert matrix.shape == (10, 10) and matrix.sum() == 450 and np.trace(matrix) / 450 == pytest.approx(accuracy / 100)
    out = tmp_path / "cnn_results"
    assert (out / "misclassified.png").stat().st_size > 0 and (out / "filters.png").stat().st_size > 0


def digits_as_mnist(directory, n_train, n_test):
    """The 8x8 digits scaled 3x and centred in 28x28 uint8 images, written as the four MNIST IDX files."""
    from tinygrad_edu.data.images import MNIST_FILES, load_digits, write_idx

    X_train, X_test, y_train, y_test = load_digits()
    for (images, labels), (image_file, label_file) in zip(
            [(X_train[:n_train], y_train[:n_train]), (X_test[:n_test], y_test[:n_test])],
            [MNIST_FILES[:2], MNIST_FILES[2:]]):
        big = np.kron(images[:, 0], np.ones((3, 3), dtype=np.float32))  # (N, 24, 24)
        big = np.pad(big, ((0, 0), (2, 2), (2, 2)))
        write_idx(directory / image_file, (big * 255).round().astype(np.uint8))
        write_idx(directory / label_file, labels.astype(np.uint8))


@pytest.mark.slow
def test_cnn_digits_trains_on_mnist_format_files(tmp_path):
    """`--mnist DIR` end to end, on 28x28 MNIST-format files the test writes (no real MNIST offline)."""
    pytest.importorskip("sklearn")
    digits_as_mnist(tmp_path, 400, 100)
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "cnn_digits.py"), "--mnist", str(tmp_path),
                             "--epochs", "3", "--out", str(tmp_path / "pictures")],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "400 training and 100 test images of 28x28" in result.stdout
    assert float(re.search(r"test accuracy: (\d+\.\d+)%", result.stdout).group(1)) > 50.0
