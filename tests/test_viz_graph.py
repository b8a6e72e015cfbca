"""Computation-graph drawing (tinygrad_edu.viz.graph) with the real Graphviz ``dot`` binary."""

import re
import shutil

import numpy as np
import pytest
from graph_labels import fields_view

from tinygrad_edu import Tensor, manual_seed
from tinygrad_edu.demo import micrograd_expression
from tinygrad_edu.models import MLP
from tinygrad_edu.viz import GraphvizNotFound, draw_graph, save_graph

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' binary not installed")


def n_nodes(source):
    """Node statements in DOT source (edges and attribute lines carry no '[label=')."""
    return len(re.findall(r"^\s*\S+ \[label=", source, re.M))


def svg_nodes(graph):
    return len(re.findall(r'<g id="node\d+"', graph.pipe(format="svg").decode()))


def expression():
    a, b = Tensor(-4.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    return a, b, micrograd_expression(a, b)


def mlp_loss(seed=0):
    manual_seed(seed)
    model = MLP([2, 8, 8, 2])
    x = Tensor(np.random.default_rng(seed).normal(size=(4, 2)).astype(np.float32))
    out = model(x)
    return model, (out * out).mean()


def test_small_graph_nodes_edges_and_values():
    a, b = Tensor(2.0, requires_grad=True), Tensor(-3.0, requires_grad=True)
    c = a * b
    d = c + a
    d.backward(retain_all_grads=True)
    src = fields_view(draw_graph(d, {"a": a, "b": b}, legend=False).source)
    assert n_nodes(src) == 4
    assert len(re.findall(r"->", src)) == 4  # a->mul, b->mul, mul->add, a->add
    assert "data -6.0000" in src and "data -4.0000" in src  # c and d
    assert "grad -2.0000" in src  # dd/da = b + 1
    assert "grad 2.0000" in src  # dd/db = a
    assert "{ a | scalar float32 | data 2.0000 | grad -2.0000 }" in src


@needs_dot
def test_micrograd_expression_node_count_in_dot_and_svg():
    a, b, g = expression()
    # 25 ops, a and b, and 8 constant scalars (1, 1, 3, 2, 3, 2, 2.0, 10.0)
    graph = draw_graph(g, {"a": a, "b": b}, legend=False)
    assert n_nodes(fields_view(graph.source)) == 35
    assert svg_nodes(graph) == 35
    with_legend = draw_graph(g, {"a": a, "b": b})
    assert svg_nodes(with_legend) == 36
    for kind in ("parameter", "input", "constant", "op", "output"):
        assert f">{kind}</TD>" in with_legend.source


def test_values_and_grads_after_backward():
    a, b, g = expression()
    src = fields_view(draw_graph(g, {"a": a, "b": b}).source)
    assert "data 24.7041" in src and "grad" not in src.split("legend")[0]
    g.backward(retain_all_grads=True)
    src = fields_view(draw_graph(g, {"a": a, "b": b}).source)
    assert "{ add | scalar float32 | data 24.7041 | grad 1.0000 }" in src  # the output
    assert re.search(r"\{ a \| scalar float32 \| data -4\.0000 \| grad 138\.83\d\d \}", src)
    assert re.search(r"\{ b \| scalar float32 \| data 2\.0000 \| grad 645\.57\d\d \}", src)
    assert "grad" not in fields_view(draw_graph(g, show_grads=False).source)
    assert "data" not in fields_view(draw_graph(g, show_values=False, show_grads=False).source)


def test_show_values_auto_hides_big_tensors():
    x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    y = (x * 2.0).sum()
    src = fields_view(draw_graph(y, {"x": x}).source)
    assert "{ x | 2×3 float32 }" in src
    assert "data 15.0000" not in src and "data 30.0000" in src
    full = fields_view(draw_graph(y, {"x": x}, show_values=True).source)
    assert "data [0, 1, 2, 3, … (6 total)]" in full


def test_leaf_kinds_and_colours():
    x = Tensor(np.ones((2, 3), dtype=np.float32))  # float array: an input
    w = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    y = (x @ w) * 2.0  # the number becomes a 0-d constant
    src = fields_view(draw_graph(y, legend=False).source)
    assert re.search(r'\{ input \| 2×3 float32 \}" fillcolor="#d9ead3"', src)
    assert re.search(r'\{ constant \| scalar float32 \| data 2.0000 \}" fillcolor="#eeeeee"', src)
    assert re.search(r'\{ input \| 3×2 float32 \}" fillcolor="#d9ead3"', src)  # w: unnamed, requires grad
    assert re.search(r'\{ mul \| 2×2 float32 \| data \[6, 6, 6, 6\] \}" fillcolor="#f4cccc"', src)
    named = fields_view(draw_graph(y, {"w": w}, legend=False).source)
    assert re.search(r'\{ w \| 3×2 float32 \}" fillcolor="#cfe2f3"', named)


def test_mlp_clusters_and_parameter_names():
    model, loss = mlp_loss()
    src = fields_view(draw_graph(loss, model).source)
    for name in ("layers", "layers.0", "layers.1", "layers.2", "layers.3", "layers.4"):
        assert f"subgraph \"cluster_{name}\"" in src or f"subgraph cluster_{name} " in src
    assert 'label="layers.0: Linear"' in src and 'label="layers.1: ReLU"' in src
    for p in ("layers.0.weight", "layers.0.bias", "layers.4.weight"):
        assert f"{{ {p} |" in src
    assert "{ layers.0.weight | 8×2 float32 }" in src
    # layers.0 cluster nests in layers, and holds its linear op and its parameters
    block = src[src.index('subgraph "cluster_layers.0"'):]
    block = block[:block.index("}\n")]
    assert "linear" in block and "layers.0.weight" in block and "layers.2" not in block
    # without grouping: no clusters, same nodes
    # 16 tensors: x, 3 x (W, b, linear), 2 relu, mul, sum, 8, div; plus the legend
    flat = fields_view(draw_graph(loss, model, group_modules=False).source)
    assert "cluster_layers" not in flat and n_nodes(flat) == n_nodes(src) == 16 + 1


@needs_dot
def test_collapse_depth_reduces_nodes_and_shows_modules():
    model, loss = mlp_loss()  # MLP -> layers (a Sequential) -> layers.0 ... layers.4; then (out * out).mean()
    full = draw_graph(loss, model, legend=False)
    two = draw_graph(loss, model, collapse_depth=2, legend=False)
    one = draw_graph(loss, model, collapse_depth=1, legend=False)
    zero = draw_graph(loss, model, collapse_depth=0, legend=False)
    counts = [svg_nodes(g) for g in (full, two, one, zero)]
    # x, mul, div + 11 model tensors, and mean's sum and count | 5 layer boxes | the Sequential's box |
    # the MLP's box and mean's box (its output, the loss, stays drawn)
    assert counts == [16, 10, 6, 5]
    assert n_nodes(fields_view(two.source)) == 10
    assert "Linear  layers.0\\n24 params\\nin 4×2 → out 4×8" in fields_view(two.source)
    assert "ReLU  layers.1\\n0 params\\nin 4×8 → out 4×8" in fields_view(two.source)
    assert "Linear  layers.4\\n18 params\\nin 4×8 → out 4×2" in fields_view(two.source)
    assert "layers.0.weight" not in fields_view(two.source)  # absorbed into the box
    assert 'subgraph cluster_layers {' in fields_view(two.source)  # boxes sit in their parent's cluster
    assert ("Sequential  layers\\n114 params\\nin 4×2 → out 4×2\\nchildren: 0 Linear, 1 ReLU, 2 Linear\\n"
            "3 ReLU, 4 Linear") in fields_view(one.source)
    assert "MLP\\n114 params\\nin 4×2 → out 4×2\\nchildren: layers Sequential" in fields_view(zero.source)
    assert "mean()\\nin 4×2 → out scalar" in fields_view(zero.source)
    assert re.search(r'"box_layers.0" -> "box_layers.1"', fields_view(two.source))


def test_max_nodes_error_mentions_count_and_collapse_depth():
    model, loss = mlp_loss()
    with pytest.raises(ValueError, match=r"has 17 nodes .*max_nodes=10.*collapse_depth"):
        draw_graph(loss, model, max_nodes=10)  # 16 tensors + the legend
    draw_graph(loss, model, collapse_depth=0, max_nodes=10)  # collapsed, it fits


def test_iterative_walk_of_100000_op_chain():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y.relu()
    with pytest.raises(ValueError, match="100002 nodes \\(100001 tensors\\)"):
        draw_graph(y)
    graph = draw_graph(y, {"x": x}, max_nodes=200_000, legend=False, show_values=False, wrap=False)
    assert fields_view(graph.source).count("[label=") == 100_001
    assert fields_view(graph.source).count("->") == 100_000


@needs_dot
def test_save_graph_writes_files(tmp_path):
    a, b, g = expression()
    g.backward(retain_all_grads=True)
    for ext, magic in ((".svg", b"<svg"), (".png", b"\x89PNG"), (".pdf", b"%PDF")):
        path = tmp_path / f"expr{ext}"
        assert save_graph(g, path, params={"a": a, "b": b}) == path
        assert magic in path.read_bytes()[:400]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["expr.pdf", "expr.png", "expr.svg"]  # no .gv left
    dot = save_graph(g, str(tmp_path / "expr.dot"))
    text = (tmp_path / "expr.dot").read_text()
    assert dot.endswith("expr.dot") and text.startswith("digraph") and n_nodes(text) == 35 + 1
    with pytest.raises(ValueError, match="format"):
        save_graph(g, tmp_path / "expr.bmpx")


@needs_dot
def test_save_graph_keeps_user_gv_file(tmp_path):
    a, b, g = expression()
    (tmp_path / "expr.gv").write_text("mine")
    save_graph(g, tmp_path / "expr.svg")
    assert (tmp_path / "expr.gv").read_text() == "mine"


def test_missing_dot_binary_raises_clear_error(tmp_path, monkeypatch):
    a, b, g = expression()
    graph = draw_graph(g, {"a": a, "b": b})
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(GraphvizNotFound) as err:
        save_graph(g, tmp_path / "x.svg")
    msg = str(err.value)
    hints = ("'dot'", "apt-get install graphviz", "brew install graphviz", "conda install graphviz", "graph.source")
    for hint in hints:
        assert hint in msg
    assert isinstance(err.value, RuntimeError)
    with pytest.raises(GraphvizNotFound):
        graph.pipe(format="svg")
    with pytest.raises(GraphvizNotFound):
        graph.render(outfile=str(tmp_path / "y.png"))
    assert n_nodes(fields_view(graph.source)) == 35 + 1
    save_graph(graph, tmp_path / "x.dot")  # the DOT text needs no binary
    assert (tmp_path / "x.dot").read_text() == graph.source
    assert not (tmp_path / "x.svg").exists()


def test_multiple_outputs_and_bad_arguments():
    a = Tensor(3.0, requires_grad=True)
    u, v = a * 2.0, a + 1.0
    src = fields_view(draw_graph([u, v], {"a": a}, legend=False).source)
    assert n_nodes(src) == 5 and src.count('fillcolor="#f4cccc"') == 2
    with pytest.raises(TypeError, match="params"):
        draw_graph(u, params=[a])
    with pytest.raises(ValueError, match="show_values"):
        draw_graph(u, show_values="yes")
