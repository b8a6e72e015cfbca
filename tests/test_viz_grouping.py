"""Function-level grouping (``@scoped`` calls drawn as clusters or boxes), "internal" leaves,
collapse_depth counted from the module passed, and the automatic layout that fits a notebook's width,
checked with the real Graphviz ``dot`` binary."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from graph_labels import fields_view

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn
from tinygrad_edu.engine.scopes import FunctionCall, scoped
from tinygrad_edu.nn import functional as F
from tinygrad_edu.viz.graph import draw_graph

ROOT = Path(__file__).resolve().parent.parent
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' binary not installed")
NOTEBOOK_PT = 750  # 1,000 px at 96 dpi, in the points (1/72 in) an SVG's width is written in


def n_nodes(source):
    return len(re.findall(r"^\s*\S+ \[label=", source, re.M))


def svg_nodes(graph):
    return len(re.findall(r'<g id="node\d+"', graph.pipe(format="svg").decode()))


def function_clusters(source):
    return re.findall(r'subgraph "cluster_@fn\d+" \{\s*color="#b45f06" fontcolor="#b45f06" label="([^"]*)"', source)


def boxes(source):
    return re.findall(r'"?box_[^ "]*"? \[label="([^"]*)"', source)


def logits(requires_grad=True):
    rng = np.random.default_rng(0)
    return Tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=requires_grad)


@scoped
def normalize(x):
    return (x - x.mean()) / (x.std() + 1e-5)


@scoped
def shift_and_scale(x, w):
    return x * w + 1.0


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(normalize(self.body(x)))


def test_scoped_records_the_call_nested_in_the_running_module():
    x = logits()
    y = normalize(x)
    call = y.scope
    assert isinstance(call, FunctionCall) and call.name == "normalize" and call.parent is None
    assert call.input_shapes == ((4, 3),) and call.output_shapes == ((4, 3),) and call.input_ids == (id(x),)
    assert normalize.__name__ == "normalize" and (x * 2.0).scope is None  # the scope ends with the call
    model = Block()
    out = model(x)
    inner = out.parents[0].parents[0]  # head's linear <- normalize's division
    assert inner.scope.name == "normalize" and inner.scope.parent is model
    mean_call = [t for t in tg.viz.graph._walk([out]) if t.op == "sum" and t.scope.name == "mean"][0].scope
    assert mean_call.parent is inner.scope  # mean inside normalize inside the Block's forward
    named = scoped(name="attention")(lambda q: q * 1.0)
    assert named(x).scope.name == "attention"
    with pytest.raises(ValueError):
        scoped(lambda: (_ for _ in ()).throw(ValueError("boom")))()
    assert (x * 2.0).scope is None  # an exception inside a scoped call leaves no scope behind


def test_gelu_and_the_composite_functions_draw_as_groups():
    """Every composite function the issue names records a scope: GELU's erf formula (6 ops) is one
    ``gelu()`` group, and softmax and layer_norm name theirs."""
    x = Tensor(np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    assert function_clusters(draw_graph(F.gelu(x), {"x": x}, legend=False).source) == ["gelu(): 2×3 → 2×3"]
    assert function_clusters(draw_graph(F.gelu(x, approximate="tanh"), {"x": x}).source) == ["gelu(): 2×3 → 2×3"]
    assert function_clusters(draw_graph(F.softmax(x, dim=1), {"x": x}).source) == ["softmax(): 2×3 → 2×3"]
    assert "layer_norm(): 2×3 → 2×3" in function_clusters(draw_graph(F.layer_norm(x, (3,)), {"x": x}).source)


@needs_dot
def test_cross_entropy_draws_as_one_group_and_collapses_to_one_box():
    x = logits()
    loss = F.cross_entropy(x, Tensor([0, 1, 2, 0]), label_smoothing=0.1)
    grouped = draw_graph(loss, {"x": x}, legend=False)
    flat = draw_graph(loss, {"x": x}, group_functions=False, legend=False)
    assert n_nodes(fields_view(grouped.source)) == n_nodes(fields_view(flat.source)) == svg_nodes(grouped) == 22
    assert function_clusters(grouped.source) == ["cross_entropy(): 4×3, 4 → scalar", "log_softmax(): 4×3 → 4×3"]
    assert function_clusters(fields_view(flat.source)) == []
    collapsed = draw_graph(loss, {"x": x}, collapse_depth=0, legend=False)
    assert svg_nodes(collapsed) == 3  # x, the cross_entropy box, and the loss it gives
    assert boxes(fields_view(collapsed.source)) == ["cross_entropy()\\nin 4×3, 4 → out scalar"]
    assert 'fillcolor="#fce5cd"' in fields_view(collapsed.source)  # a function box's colour
    legend = fields_view(draw_graph(loss, {"x": x}, collapse_depth=0).source)
    assert ">function</TD>" in legend and ">module</TD>" not in legend


def test_values_a_function_made_are_internal_never_inputs():
    x = logits()
    src = fields_view(draw_graph(F.log_softmax(x, dim=1), {"x": x}, legend=False).source)
    assert "{ input" not in src  # the detached max is not something the user fed
    assert re.search(r'\{ internal \| 4×1 float32 \| data \[[^]]*\] \}" fillcolor="#f7f7f7" margin=0.04 shape=box '
                     r'style="filled,dashed"', src)
    ln = F.layer_norm(x, (3,))
    src = fields_view(draw_graph(ln, {"x": x}).source)
    assert "{ input" not in src and "{ constant" not in src
    assert "{ internal | scalar float32 | data 1e-05 }" in src  # the eps, not rounded away to 0.0000
    assert ">internal</TD>" in src
    assert "{ internal" in fields_view(draw_graph(ln, {"x": x}, group_functions=False).source)  # a kind, grouped or not
    user, w = logits(requires_grad=False), Tensor(np.float32(2.0), requires_grad=True)
    src = fields_view(draw_graph(shift_and_scale(user, w), legend=False).source)
    assert src.count("{ input | 4×3 float32 }") == 1  # passed by the user, without grad: still an input
    assert "{ internal | scalar float32 | data 1.0000 }" in src  # the shift the function added


def test_collapse_depth_counts_from_the_sequential_passed():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    out = model(logits(requires_grad=False))
    full = fields_view(draw_graph(out, model, legend=False).source)
    zero = fields_view(draw_graph(out, model, collapse_depth=0, legend=False).source)
    one = fields_view(draw_graph(out, model, collapse_depth=1, legend=False).source)
    assert [n_nodes(s) for s in (full, zero, one)] == [8, 3, 5]  # x and the output stay; boxes take the rest
    assert boxes(zero) == ["Sequential\\n26 params\\nin 4×3 → out 4×2\\nchildren: 0 Linear, 1 ReLU, 2 Linear"]
    assert sorted(boxes(one)) == ["Linear  0\\n16 params\\nin 4×3 → out 4×4",
                                  "Linear  2\\n10 params\\nin 4×4 → out 4×2",  # its output stays drawn, listed
                                  "ReLU  1\\n0 params\\nin 4×4 → out 4×4"]
    assert fields_view(draw_graph(out, model, collapse_depth=2, legend=False).source) == full  # nothing that deep


def test_collapse_depth_on_a_nested_model_with_a_user_function():
    tg.manual_seed(0)
    model = Block()
    out = model(logits(requires_grad=False))
    one = fields_view(draw_graph(out, model, collapse_depth=1, legend=False).source)
    assert sorted(label.split("\\n")[0] for label in boxes(one)) == ["Linear  head", "Sequential  body",
                                                                      "normalize()"]
    assert "normalize()\\nin 4×4 → out 4×4" in boxes(one)
    two = fields_view(draw_graph(out, model, collapse_depth=2, legend=False).source)
    assert sorted(label.split("\\n")[0] for label in boxes(two)) == ["Linear  body.0", "Tanh  body.1", "mean()",
                                                                      "std()"]
    assert function_clusters(two) == ["normalize(): 4×4 → 4×4"]  # the boxes of mean and std sit in it


@needs_dot
def test_collapse_depth_on_a_transformer_layer():
    tg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0)
    x = tg.randn(2, 5, 16, requires_grad=True)
    y = layer(x)
    zero = draw_graph(y, layer, collapse_depth=0, legend=False)
    assert svg_nodes(zero) == 3
    assert boxes(zero.source)[0].startswith("TransformerEncoderLayer\\n2,224 params\\nin 2×5×16 → out 2×5×16")
    one = fields_view(draw_graph(y, layer, collapse_depth=1, legend=False).source)
    assert sorted(label.split("\\n")[0] for label in boxes(one)) == [
        "LayerNorm  norm1", "LayerNorm  norm2", "Linear  linear1", "Linear  linear2", "MultiheadAttention  self_attn"]
    two = fields_view(draw_graph(y, layer, collapse_depth=2, legend=False).source)
    assert sorted(label.split("\\n")[0] for label in boxes(two)) == ["Linear  self_attn.out_proj", "layer_norm()",
                                                                      "layer_norm()"]
    assert "{ input" not in fields_view(draw_graph(y, layer).source).replace("{ input | 2×5×16 float32 }", "", 1)


def test_automatic_rankdir_and_its_override():
    x = Tensor(1.0, requires_grad=True)
    chain = x
    for _ in range(30):
        chain = chain.tanh()
    assert "rankdir=TB" in fields_view(draw_graph(chain).source)  # deep: top to bottom
    parts = [Tensor(np.ones(2, dtype=np.float32), requires_grad=True) for _ in range(30)]
    wide = tg.cat(parts)
    assert "rankdir=LR" in fields_view(draw_graph(wide, legend=False).source)  # 30 inputs side by side: left to right
    assert "rankdir=LR" in fields_view(draw_graph(chain, rankdir="LR").source)
    with pytest.raises(ValueError, match="rankdir must be one of 'auto', 'TB'.*not 'XY'"):
        draw_graph(chain, rankdir="XY")


@needs_dot
def test_example_graphs_fit_a_notebook_width(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "examples" / "visualize_graph.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=120, cwd=ROOT)
    svgs = sorted(tmp_path.glob("*.svg"))
    assert len(svgs) == 4
    for svg in svgs:
        width, height = map(int, re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg.read_text()).groups())
        assert 100 < width <= NOTEBOOK_PT and height > width, (svg.name, width, height)


@needs_dot
def test_a_whole_transformer_layer_fits_and_its_input_is_drawn_once(tmp_path):
    """An input that needs no grad is reshaped inside MultiheadAttention without recording: that view is
    the same input, drawn once, not a second "input" box off to the side."""
    tg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0)
    out = layer(Tensor(np.random.default_rng(0).standard_normal((5, 2, 16)).astype(np.float32)))
    graph = draw_graph(out, layer, legend=False)
    assert len(re.findall(r"\{ input \|", fields_view(graph.source))) == 1
    svg = graph.pipe(format="svg").decode()
    width = int(re.search(r'<svg width="(\d+)pt"', svg).group(1))
    assert width <= NOTEBOOK_PT, width


@needs_dot
def test_a_chain_of_ops_stays_straight_with_its_constants_beside_it():
    """Each link's constants used to push the next op sideways: 12 links of (y * 1.01 + 0.1).tanh() drew a
    diagonal 1,723 px wide. Heavy op-to-op edges keep the chain in one column."""
    y = Tensor(0.5, requires_grad=True)
    for _ in range(12):
        y = (y * 1.01 + 0.1).tanh()
    svg = draw_graph(y, legend=False, wrap=False).pipe(format="svg").decode()
    width = int(re.search(r'<svg width="(\d+)pt"', svg).group(1))
    assert width * 4 / 3 <= 400, width  # two nodes side by side: the op and its constant


def _size_pt(svg):
    return tuple(int(v) for v in re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg).groups())


@needs_dot
def test_a_long_chain_wraps_into_columns_side_by_side():
    """36 ops in a row drawn as one column are 4,100 px tall and 300 px wide; wrapped, the chain continues at
    the top of a second column, a pair of numbered connectors marking the jump, and the picture is half as
    tall and still fits a notebook's width."""
    y = Tensor(0.5, requires_grad=True)
    for _ in range(12):
        y = (y * 1.01 + 0.1).tanh()
    one = draw_graph(y, legend=False, wrap=False)
    wrapped = draw_graph(y, legend=False)
    (w1, h1), (w2, h2) = _size_pt(one.pipe(format="svg").decode()), _size_pt(wrapped.pipe(format="svg").decode())
    assert h2 < 0.6 * h1 and w2 <= NOTEBOOK_PT, ((w1, h1), (w2, h2))
    src = wrapped.source
    assert len(re.findall(r"wrap1_from \[label=1 ", src)) == len(re.findall(r"wrap1_to \[label=1 ", src)) == 1
    assert "wrap2_" not in src  # one jump: the chain's link between the columns
    at = {name: (float(x), float(y)) for name, x, y in re.findall(  # each node's first text: its position
        r'<title>(\w+)</title>\n(?:<(?!text|title|!)[^\n]*\n)*?<text [^>]*x="([\d.-]+)" y="([\d.-]+)"',
        wrapped.pipe(format="svg").decode())}
    ops = sorted((int(name[1:]) for name in at if name.startswith("t")), reverse=True)
    first, last = at[f"t{ops[1]}"], at["t0"]  # the chain's first op (after its input x) and the output
    assert last[0] > first[0] + 100  # the chain ends in a column to the right of where it starts
    assert at["wrap1_to"][1] < at["wrap1_from"][1]  # and that column starts back at the top


@needs_dot
def test_wrapping_never_splits_a_module_and_a_wide_graph_is_not_wrapped():
    """A cut between columns only falls where no module's cluster spans it: the two ends of every jump are in
    different modules. A graph whose one column is already wider than half a notebook stays one column."""
    model = nn.Sequential(*[nn.Sequential(nn.Tanh(), nn.Tanh(), nn.Tanh()) for _ in range(15)])
    x = Tensor(np.full((1, 2), 0.5, dtype=np.float32), requires_grad=True)
    src = draw_graph(model(x).sum(), model, legend=False).source
    jumps = re.findall(r"(t\d+) -> (wrap\d+)_from", src)
    assert jumps  # 15 blocks of 3 ops in a row: wrapped
    clusters = [set(re.findall(r"^\t+(t\d+) \[", body, re.M))
                for body in re.findall(r"subgraph cluster_\d+ \{(.*?)\n\t\}", src, re.S)]
    assert len(clusters) == 15 and all(len(c) == 3 for c in clusters)  # the blocks, each with its 3 ops
    for before, connector in jumps:
        after = re.search(rf"{connector}_to -> (t\d+)", src).group(1)
        assert not any(before in c and after in c for c in clusters)
        assert not any(connector in body for body in re.findall(r"subgraph cluster_\d+ \{(.*?)\n\t\}", src, re.S))
    x = Tensor(np.ones((4, 200), dtype=np.float32), requires_grad=True)
    assert "wrap1" not in draw_graph(((x * 2).tanh() * 3).sum(), {"x": x}, show_values=True).source
