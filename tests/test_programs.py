"""PyTorch programs written the way public teaching code is (tests/programs/) run unchanged through
``python -m tinygrad_edu run``; where PyTorch is installed, each one's losses match PyTorch's own run."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"
ROOT = Path(__file__).parent.parent


def run(args, cwd=ROOT):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def losses(output):
    return [float(v) for v in re.findall(r"^step \d+ loss ([-\d.]+)$", output, re.M)]


@pytest.fixture(scope="module")
def ours():
    found = {}
    for program in sorted(PROGRAMS.glob("*.py")):
        result = run(["-m", "tinygrad_edu", "run", str(program)])
        assert result.returncode == 0, f"{program.name} failed on tinygrad_edu:\n{result.stdout}\n{result.stderr}"
        found[program.stem] = result.stdout
    return found


@pytest.mark.parametrize("name", ["gpt_char", "names", "cnn_tutorial"])
def test_program_runs_unchanged_and_learns(name, ours):
    steps = losses(ours[name])
    assert len(steps) >= 6, ours[name]
    assert steps[-1] < steps[0]  # it trains


@pytest.mark.parametrize("name", ["gpt_char", "names", "cnn_tutorial"])
def test_program_losses_match_pytorch(name, ours):
    pytest.importorskip("torch")
    result = run([str(PROGRAMS / f"{name}.py")])
    assert result.returncode == 0, result.stderr
    theirs, mine = losses(result.stdout), losses(ours[name])
    assert len(mine) == len(theirs) > 0
    for a, b in zip(mine, theirs):
        assert a == pytest.approx(b, rel=2e-5, abs=2e-5), (mine, theirs)


def test_a_missing_name_stops_with_one_line_naming_it_and_the_line(tmp_path):
    script = tmp_path / "uses_missing.py"
    script.write_text("import torch\nx = torch.ones(2)\ny = torch.not_a_real_function(x)\n")
    result = run(["-m", "tinygrad_edu", "run", str(script)])
    assert result.returncode == 1
    expected = f"tinygrad_edu run: {script}:3: torch.not_a_real_function is not provided by tinygrad_edu"
    assert result.stderr.strip() == expected
    module = tmp_path / "missing_module.py"
    module.write_text("import torch\nimport torch.distributions.not_here\n")
    result = run(["-m", "tinygrad_edu", "run", str(module)])
    assert result.returncode == 1 and "torch.distributions" in result.stderr and ":2:" in result.stderr


def test_arguments_reach_the_script_and_graph_of_first_backward_is_written(tmp_path):
    script = tmp_path / "args.py"
    script.write_text("import sys\nimport torch\nw = torch.ones(3, requires_grad=True)\n(w * 2).sum().backward()\n"
                      "(w * 3).sum().backward()\nprint(sys.argv[1:], w.grad.tolist())\n")
    graph = tmp_path / "g.dot"
    result = run(["-m", "tinygrad_edu", "run", "--graph", str(graph), str(script), "--lr", "3"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['--lr', '3'] [5.0, 5.0, 5.0]"
    source = graph.read_text()
    assert source.startswith("digraph") and "mul" in source and "sum" in source


def test_the_hook_leaves_the_process_as_it_was(tmp_path):
    import tinygrad_edu
    from tinygrad_edu.run import run as run_script

    script = tmp_path / "plain.py"
    script.write_text("import torch\nimport torch.nn.functional as F\nassert torch.nn.functional is F\n")
    before = [f for f in sys.meta_path]
    run_script(str(script))
    assert sys.meta_path == before
    leftover = sys.modules.get("torch.nn.functional")  # the real one if a test imported torch, else none
    assert leftover is None or leftover is not tinygrad_edu.nn.functional


def test_torch_submodule_paths_resolve(tmp_path):
    script = tmp_path / "paths.py"
    script.write_text("from torch.utils.data.sampler import SubsetRandomSampler\n"
                      "from torch.utils.data.dataloader import default_collate\n"
                      "import torch.backends.cudnn as cudnn\nfrom torch.cuda.amp import GradScaler\n"
                      "import torch.optim.lr_scheduler as sched\n"
                      "print(SubsetRandomSampler.__name__, default_collate.__name__, cudnn.benchmark,"
                      " GradScaler.__name__, sched.OneCycleLR.__name__)\n")
    result = run(["-m", "tinygrad_edu", "run", str(script)])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["SubsetRandomSampler", "default_collate", "False", "CudaGradScaler", "OneCycleLR"]


def test_a_script_imports_the_modules_beside_it(tmp_path):
    """As ``python sub/main.py`` does, the script's own folder comes first on sys.path while it runs (and
    is taken off again afterwards)."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "helper.py").write_text("def double(x):\n    return 2 * x\n")
    (tmp_path / "sub" / "main.py").write_text("import torch\nfrom helper import double\n"
                                             "print(double(torch.ones(2)).tolist())\n")
    result = run(["-m", "tinygrad_edu", "run", "sub/main.py"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[2.0, 2.0]"
    from tinygrad_edu.run import run as run_script

    before = list(sys.path)
    run_script(str(tmp_path / "sub" / "main.py"))
    assert sys.path == before
