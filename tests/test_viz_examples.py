"""The visualization examples and the demo write their pictures, and their printed figures tell apart what
they should: naive vs scaled initialization, with and without BatchNorm."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("matplotlib")
pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot executable is not installed")


def run(args, cwd=ROOT):
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr
    return result.stdout


@needs_dot
def test_visualize_graph_writes_four_svgs_and_collapsing_keeps_the_deep_net_small(tmp_path):
    out = run([str(ROOT / "examples" / "visualize_graph.py"), "--out", str(tmp_path)])
    counts = {name: int(n) for name, n in re.findall(r"(\w+)\.svg: (\d+) nodes", out)}
    assert set(counts) == {"micrograd_expression", "mlp_modules", "deep_collapsed", "long_chain"}
    assert "long_chain.svg: 64 nodes (36 ops in 2 columns;" in out  # 36 ops, 27 constants, h0, 2 connectors
    for name in counts:
        svg = (tmp_path / f"{name}.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and svg.count('class="node"') == counts[name]
    assert "24.70" in (tmp_path / "micrograd_expression.svg").read_text()  # g's value on its node
    assert "layers.0" in (tmp_path / "mlp_modules.svg").read_text()  # the module cluster's name
    assert "blocks.11" in (tmp_path / "deep_collapsed.svg").read_text()
    assert counts["deep_collapsed"] < counts["mlp_modules"] * 3  # 38 layers, yet on one screen
    pages = dict(re.findall(r"(\w+)\.html: (\d+) tensors", out))
    assert set(pages) == {"mlp_explorer", "deep_trained_explorer", "transformer_explorer"}
    for name in pages:
        html = (tmp_path / f"{name}.html").read_text()
        assert html.startswith("<!DOCTYPE html>") and "<script src" not in html  # self-contained
    assert 'value="grad" selected' in (tmp_path / "deep_trained_explorer.html").read_text()


def parse_runs(out):
    """{run name: (held-out loss, [% saturated per layer], early and late median log10 update:data)}."""
    pattern = (r"^(\w[\w+ ]*?)\s+loss (\d+\.\d+)\s+saturated % ([\d ]+?)\s+"
               r"update:data 10\^(-?\d+\.\d+) early, 10\^(-?\d+\.\d+) late$")
    return {name: (float(loss), [float(s) for s in sat.split()], float(early), float(late))
            for name, loss, sat, early, late in re.findall(pattern, out, re.M)}


def test_deep_mlp_diagnostics_tells_the_four_runs_apart(tmp_path):
    out = run([str(ROOT / "examples" / "deep_mlp_diagnostics.py"), "--out", str(tmp_path), "--steps", "200"])
    runs = parse_runs(out)
    assert set(runs) == {"naive", "scaled", "naive + batchnorm", "scaled + batchnorm"}, out
    pngs = sorted(tmp_path.glob("*.png"))
    assert len(pngs) == 16 and all(p.stat().st_size > 5000 for p in pngs)
    naive, scaled = runs["naive"], runs["scaled"]
    assert len(naive[1]) == 4 and min(naive[1]) > 80 and max(scaled[1]) < 40  # tanh pinned at +-1 when naive
    assert max(runs["naive + batchnorm"][1]) < 10 and max(runs["scaled + batchnorm"][1]) < 10
    assert naive[0] > scaled[0] + 0.5 and naive[0] > runs["naive + batchnorm"][0] + 0.3
    assert naive[2] > -2.3 and abs(scaled[2] + 3) < 0.5  # early updates: 10x the 1e-3 guide vs near it


@needs_dot
def test_demo_writes_the_moons_graph_and_decision_boundary(tmp_path):
    out = run(["-c", f"from tinygrad_edu.demo import run_demo; run_demo(out={str(tmp_path)!r})"])
    assert "training accuracy 100%" in out
    graph, boundary = tmp_path / "moons_graph.svg", tmp_path / "moons_boundary.png"
    assert f"{graph}" in out and f"{boundary}" in out
    assert "layers.0" in graph.read_text() and boundary.read_bytes()[:4] == b"\x89PNG"
