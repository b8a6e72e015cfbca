"""The examples run offline and print what their docstrings promise; the README's Python blocks run."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(script):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script)], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


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
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "experiment_matrix.py"), "--out", str(tmp_path),
                             "--epochs", "2"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "results.csv").read_text().splitlines()
    assert len(rows) == 61 and rows[0] == "dataset,optimizer,activation,train_accuracy,test_accuracy"
    cells = {tuple(r.split(",")[:3]) for r in rows[1:]}
    assert len(cells) == 60 and all(0 <= float(r.split(",")[4]) <= 1 for r in rows[1:])
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
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
    """The full run (40 epochs) reaches 97.6%; a 6-epoch run must already be far above chance."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "cnn_digits.py"), "--epochs", "6",
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"test accuracy: (\d+\.\d+)%", result.stdout).group(1))
    assert accuracy > 85.0
    matrix = np.array([[int(v) for v in re.findall(r"\d+", line)] for line in result.stdout.splitlines()
                       if line.strip().startswith("[")])
    assert matrix.shape == (10, 10) and matrix.sum() == 450 and np.trace(matrix) / 450 == pytest.approx(accuracy / 100)
    assert (tmp_path / "misclassified.png").stat().st_size > 0 and (tmp_path / "filters.png").stat().st_size > 0


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
