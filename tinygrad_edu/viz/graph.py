"""Draw a computation graph with Graphviz: micrograd-style ``data | grad`` records for scalar graphs,
shapes and parameter names for models, module clusters, and collapsed module boxes for big models.

>>> from tinygrad_edu import Tensor
>>> a, b = Tensor(2.0, requires_grad=True), Tensor(-3.0, requires_grad=True)
>>> g = draw_graph(a * b + a, {"a": a, "b": b}, legend=False)
>>> g.source.count("label=")
4
"""

import os
import tempfile
from dataclasses import dataclass, field

import graphviz
import numpy as np

from ..engine.tensor import Tensor

__all__ = ["draw_graph", "save_graph", "GraphvizNotFound", "ComputationGraph"]

# fill colours, one per kind of node; the legend shows the same ones
COLORS = {
    "parameter": "#cfe2f3",  # blue
    "input": "#d9ead3",  # green
    "constant": "#eeeeee",  # grey
    "op": "#fff2cc",  # yellow
    "output": "#f4cccc",  # red
    "module": "#e4d7f5",  # purple: a collapsed module
}
_INSTALL_HINT = (
    "Graphviz's 'dot' executable was not found on PATH, so the graph cannot be rendered. Install the Graphviz "
    "binaries (the 'graphviz' Python package alone is not enough): 'apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS), or 'conda install graphviz' (conda). The DOT text is still available as "
    "graph.source, and save_graph(..., 'graph.dot') writes it without the binary."
)
_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


class GraphvizNotFound(RuntimeError):
    """Rendering needs Graphviz's ``dot`` executable, and it is not installed (or not on PATH)."""


class ComputationGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering raises :class:`GraphvizNotFound` with install instructions
    when the ``dot`` binary is missing. Displays inline in Jupyter like any Digraph."""

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.backend.ExecutableNotFound as e:
            raise GraphvizNotFound(_INSTALL_HINT) from e

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except graphviz.backend.ExecutableNotFound as e:
            raise GraphvizNotFound(_INSTALL_HINT) from e


# ------------------------------------------------------------------------------------------ helpers
def _depth(name):
    """Module path depth: '' is 0, 'layers' 1, 'layers.0' 2."""
    return 0 if name == "" else name.count(".") + 1


def _prefixes(name):
    """'a.b.c' -> ['a', 'a.b', 'a.b.c'] (non-empty prefixes, outermost first)."""
    parts = name.split(".") if name else []
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _parent(path):
    """'a.b.c' -> 'a.b'; a top-level path such as 'a' has no parent: None."""
    return path.rsplit(".", 1)[0] if "." in path else None


def _escape(text):
    """Escape the characters that structure a record label."""
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


def _fmt_array(a, limit):
    a = np.asarray(a)
    if a.ndim == 0:
        v = a.item()
        return f"{v:.4f}" if isinstance(v, float) else str(v)
    flat = a.reshape(-1)
    shown = flat[:limit]
    items = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in shown.tolist())
    more = f", … ({flat.size} total)" if flat.size > limit else ""
    return f"[{items}{more}]"


def _shape_str(shape):
    return "scalar" if shape == () else "×".join(str(s) for s in shape)


def _kind(t, param_names, output_ids):
    """output, op, parameter (named), input (requires grad, or a float array) or constant (the rest: integer
    arrays and scalars such as the 2.0 in ``x * 2.0``)."""
    if id(t) in output_ids:
        return "output"
    if not t.is_leaf:
        return "op"
    if id(t) in param_names:
        return "parameter"
    if t.requires_grad or (t.dtype.kind in "fc" and t.numpy().ndim > 0):
        return "input"
    return "constant"


def _walk(outputs):
    """Every tensor reachable from ``outputs``, each once (by id), with an explicit stack: no recursion."""
    seen, order, stack = set(), [], list(reversed(outputs))
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        order.append(t)
        stack.extend(p for p in reversed(t.parents) if id(p) not in seen)
    return order


# ------------------------------------------------------------------------------------------ drawing
_SHOWN = 4  # values drawn: all of a tensor this small, the first this many of a bigger one
_BOX = "mod_"  # node-id prefix of a collapsed module's box


@dataclass
class _Graph:
    """What the stages of :func:`draw_graph` share: the tensors and, keyed by ``id(tensor)``, what each stage
    finds out about them, so the stages pass one object along instead of a dozen dicts."""

    tensors: list  # every tensor reachable from the outputs, each once, in walk order
    output_ids: set
    param_names: dict  # id -> parameter name
    module_names: dict  # id(module) -> its dotted path
    modules: dict  # dotted path -> module
    kinds: dict  # id -> parameter, input, constant, op or output
    homes: dict = field(default_factory=dict)  # id -> path of the module the tensor belongs to, or None
    keys: dict = field(default_factory=dict)  # id -> graphviz node id: its own, or its collapsed box's
    drawn: list = field(default_factory=list)  # tensors drawn as nodes of their own
    boxes: dict = field(default_factory=dict)  # collapsed module path -> {"in"/"out": {id: shape}}
    edges: list = field(default_factory=list)  # (src, dst) node ids, each pair once


def draw_graph(output, params=None, *, show_values="auto", show_grads=True, rankdir="LR", group_modules=True,
               collapse_depth=None, max_nodes=2000, legend=True):
    """Draw the computation graph that produced ``output`` (a Tensor or a list/tuple of Tensors).

    ``params``: a Module (parameter names from ``named_parameters``, clusters from ``named_modules``) or a
    dict name -> Tensor. Named tensors are labelled with their names; other leaves are inputs (they require
    grad or are floating point) or constants. Each tensor is one node: op (or name), shape and dtype, and for
    small tensors (``show_values="auto"``: at most 4 elements; True: always the first few; False: never) its
    values and, after backward (``show_grads``), its gradient as ``data | grad`` fields.

    ``group_modules`` draws the ops recorded inside a module's forward in a cluster named with the module's
    dotted path. ``collapse_depth=k`` draws every module deeper than k (path depth: 'layers' 1, 'layers.0' 2)
    as one box with its class, parameter count and input/output shapes. A drawing of more than ``max_nodes``
    nodes raises ValueError. Returns a :class:`ComputationGraph` (a ``graphviz.Digraph``)."""
    outputs = _check_arguments(output, show_values, collapse_depth)
    param_names, module_names, modules = _name_parameters(params)
    if not modules:
        collapse_depth = None  # nothing to collapse without module names
    graph = _collect_nodes(outputs, param_names, module_names, modules)
    _assign_clusters(graph)
    _collapse(graph, collapse_depth)
    _check_size(graph, max_nodes, legend)
    _connect(graph)
    return _emit(graph, rankdir, show_values, show_grads, group_modules, collapse_depth, legend)


def _check_arguments(output, show_values, collapse_depth):
    """The output tensors as a list, after checking every argument that can be checked before the walk, so a
    mistake is reported before any work is done."""
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    if not outputs:
        raise ValueError("draw_graph needs at least one output tensor")
    for i, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            where = f" (item {i} of the {type(output).__name__})" if isinstance(output, (list, tuple)) else ""
            raise TypeError(f"draw_graph: expected a Tensor or a list of Tensors, got {type(t).__name__}{where}")
    if show_values not in ("auto", True, False):
        raise ValueError(f"show_values must be 'auto', True or False, not {show_values!r}")
    if collapse_depth is not None and (not isinstance(collapse_depth, int) or collapse_depth < 0):
        raise ValueError(f"collapse_depth must be a non-negative int or None, not {collapse_depth!r}")
    return outputs


def _name_parameters(params):
    """Parameter names by tensor id, and (for a Module) module paths by module id and modules by path: the
    names the labels show and the paths the clusters are built from."""
    if params is None:
        return {}, {}, {}
    if hasattr(params, "named_parameters") and hasattr(params, "named_modules"):
        param_names = {id(p): n for n, p in params.named_parameters()}
        named = list(params.named_modules())
        return param_names, {id(m): n for n, m in named}, dict(named)
    if isinstance(params, dict):
        return {id(t): str(n) for n, t in params.items()}, {}, {}
    raise TypeError(f"params must be a Module or a dict name -> Tensor, not {type(params).__name__}")


def _collect_nodes(outputs, param_names, module_names, modules):
    """Walk the graph from ``outputs`` and tell each tensor's kind, which its colour and label show."""
    tensors = _walk(outputs)
    output_ids = {id(t) for t in outputs}
    kinds = {id(t): _kind(t, param_names, output_ids) for t in tensors}
    return _Graph(tensors, output_ids, param_names, module_names, modules, kinds)


def _assign_clusters(graph):
    """Give every tensor its home, the module whose cluster draws it (see :func:`_home`), so the drawing shows
    which layer each op belongs to."""
    consumers = {}  # id -> the op tensors that take it as a parent
    for t in graph.tensors:
        if not t.is_leaf:
            for p in t.parents:
                consumers.setdefault(id(p), []).append(t)
    graph.homes = {id(t): _home(graph, t, consumers) for t in graph.tensors}


def _home(graph, t, consumers):
    """Module path ``t`` belongs to: an op's recording module; a parameter's owner; for a constant, the one
    module all its consumers share (the 2.0 of a layer's ``x * 2.0`` sits inside that layer); else None, as
    for an input, which stays visible outside every cluster and collapsed box."""
    if not t.is_leaf:
        return _scope_of(graph, t)
    name = graph.param_names.get(id(t))
    if name is not None:
        owner = _parent(name) or ""  # a top-level parameter belongs to the root module, ''
        return owner if owner in graph.modules else None
    if graph.kinds[id(t)] == "constant":
        scopes = {_scope_of(graph, c) for c in consumers.get(id(t), ())}
        if len(scopes) == 1:
            return scopes.pop()
    return None


def _scope_of(graph, op):
    """Dotted path of the module whose forward recorded the op tensor ``op``, or None (no module, or one
    that ``params`` does not name)."""
    scope = op.scope
    return None if scope is None else graph.module_names.get(id(scope))


def _collapse(graph, collapse_depth):
    """Give every tensor its graphviz node: its own, or the box of its module's ancestor at depth
    ``collapse_depth + 1``, so a big model draws as a few module boxes."""
    for i, t in enumerate(graph.tensors):
        box = _box_of(graph, t, collapse_depth)
        if box is None:
            graph.keys[id(t)] = f"t{i}"
            graph.drawn.append(t)
        else:
            graph.keys[id(t)] = _BOX + box
            graph.boxes.setdefault(box, {"in": {}, "out": {}})


def _box_of(graph, t, collapse_depth):
    """Path of the collapsed module whose box takes in ``t``, or None when ``t`` is drawn on its own: it is
    an output (the result a reader looks for), or its home is not deeper than ``collapse_depth``."""
    home = graph.homes[id(t)]
    if collapse_depth is None or home is None or _depth(home) <= collapse_depth or id(t) in graph.output_ids:
        return None
    return _prefixes(home)[collapse_depth]


def _check_size(graph, max_nodes, legend):
    """Refuse a drawing of more than ``max_nodes`` nodes, which Graphviz would take minutes to lay out, and
    say how to make it smaller."""
    n_nodes = len(graph.drawn) + len(graph.boxes) + bool(legend)
    if n_nodes > max_nodes:
        hint = ("pass collapse_depth=0 or 1 with the model as params to draw each module as one box, "
                if graph.modules else
                "pass the model as params with collapse_depth=0 or 1 to draw modules as boxes, ")
        raise ValueError(f"the graph has {n_nodes} nodes ({len(graph.tensors)} tensors), more than max_nodes="
                         f"{max_nodes}; {hint}or raise max_nodes")


def _connect(graph):
    """The edges between nodes, each pair once (edges inside a collapsed box vanish), and the shapes that
    enter and leave each box, which its label lists."""
    seen = set()
    for t in graph.tensors:
        if t.is_leaf:
            continue
        dst = graph.keys[id(t)]
        for p in t.parents:
            src = graph.keys[id(p)]
            if src == dst:
                continue
            if dst.startswith(_BOX):
                graph.boxes[dst[len(_BOX):]]["in"].setdefault(id(p), p.shape)
            if src.startswith(_BOX):
                graph.boxes[src[len(_BOX):]]["out"].setdefault(id(p), p.shape)
            if (src, dst) not in seen:
                seen.add((src, dst))
                graph.edges.append((src, dst))


def _emit(graph, rankdir, show_values, show_grads, group_modules, collapse_depth, legend):
    """The graphviz graph itself: every node in its module's cluster, then the edges and the colour legend."""
    g = ComputationGraph("computation_graph", format="svg")
    g.attr(rankdir=rankdir, fontname="Helvetica", fontsize="11", compound="true", nodesep="0.25", ranksep="0.35")
    g.attr("node", fontname="Helvetica", fontsize="10", height="0.3")
    g.attr("edge", arrowsize="0.6", color="#555555")
    horizontal = rankdir in ("LR", "RL")
    members = {}  # cluster path (None: the top level) -> [(node id, attributes)]
    for t in graph.drawn:
        members.setdefault(_cluster_of(graph, t, group_modules, collapse_depth), []).append(
            (graph.keys[id(t)], _tensor_attrs(graph, t, show_values, show_grads, horizontal)))
    for path, box in graph.boxes.items():
        members.setdefault(_parent(path) if group_modules else None, []).append(
            (_BOX + path, _box_attrs(graph.modules[path], path, box)))
    for nid, attrs in members.get(None, []):
        g.node(nid, **attrs)
    for sub in _clusters(members, graph.modules):
        g.subgraph(sub)
    for src, dst in graph.edges:
        g.edge(src, dst)
    if legend:
        _add_legend(g, with_modules=bool(graph.boxes))
    return g


def _cluster_of(graph, t, group_modules, collapse_depth):
    """The cluster a drawn tensor sits in: its home, or, for an output made inside a collapsed module, the
    cluster that holds that module's box (None: the top level)."""
    home = graph.homes[id(t)] if group_modules else None
    if home is not None and collapse_depth is not None and _depth(home) > collapse_depth:
        home = _prefixes(home)[collapse_depth - 1] if collapse_depth > 0 else None
    return home or None


def _tensor_attrs(graph, t, show_values, show_grads, horizontal):
    """A tensor's record node: its op or name, shape and dtype, then its values and gradient when they are
    few enough to read."""
    name, kind = graph.param_names.get(id(t)), graph.kinds[id(t)]
    if not t.is_leaf:
        title = t.op if name is None else f"{name} ({t.op})"
    else:
        title = name if name is not None else ("input" if kind in ("input", "output") else "constant")
    fields = [title, f"{_shape_str(t.shape)} {t.dtype.name}"]
    small = t.numpy().size <= _SHOWN
    if show_values is True or (show_values == "auto" and small):
        fields.append("data " + _fmt_array(t.numpy(), _SHOWN))
    if show_grads and t.grad is not None and (small or show_values is True):
        fields.append("grad " + _fmt_array(t.grad.numpy(), _SHOWN))
    return {"label": _record(fields, horizontal), "shape": "record",
            "style": "filled,rounded" if not t.is_leaf else "filled", "fillcolor": COLORS[kind]}


def _record(fields, horizontal):
    """A record label with ``fields`` side by side (micrograd's ``data | grad``) in any direction: Graphviz
    turns a record's fields when rankdir is LR or RL, and braces turn them back."""
    body = " | ".join(_escape(f) for f in fields)
    return "{ " + body + " }" if horizontal else body


def _box_attrs(module, path, box):
    """A collapsed module's box: its class and path, parameter count, and the shapes it takes and gives."""
    n_params = sum(int(p.numpy().size) for p in module.parameters())
    ins = ", ".join(_shape_str(s) for s in box["in"].values()) or "-"
    outs = ", ".join(_shape_str(s) for s in box["out"].values()) or "-"
    label = f"{type(module).__name__}  {path}\\n{n_params:,} params\\nin {ins} → out {outs}"
    return {"label": label, "shape": "box", "style": "filled,bold,rounded", "fillcolor": COLORS["module"],
            "margin": "0.15,0.08"}


def _clusters(members, modules):
    """A dashed cluster for each module that holds a node, directly or through a sub-module, nested in its
    parent's; returns the outermost ones, which are the ones to add to the graph."""
    paths = set()
    for home in members:
        if home:
            paths.update(p for p in _prefixes(home) if p in modules)
    clusters = {}
    for path in sorted(paths, key=_depth, reverse=True):  # deepest first: children exist before parents embed them
        sub = graphviz.Digraph(name=f"cluster_{path}")
        sub.attr(label=f"{path}: {type(modules[path]).__name__}", style="rounded,dashed", color="#888888",
                 fontname="Helvetica", fontsize="10", labeljust="l")
        for nid, attrs in members.get(path, []):
            sub.node(nid, **attrs)
        for child in sorted(c for c in clusters if _parent(c) == path):
            sub.subgraph(clusters[child])
        clusters[path] = sub
    top = [clusters[path] for path in sorted(clusters) if _parent(path) is None]
    # a module whose own name has a dot (a ModuleDict key "a.b") has no parent cluster to sit in
    orphans = [sub for path, sub in clusters.items() if _parent(path) is not None and _parent(path) not in clusters]
    return top + orphans


def _add_legend(g, with_modules):
    """One small node, a table of the fill colours, so a reader can tell the kinds of node apart."""
    kinds = [kind for kind in COLORS if kind != "module" or with_modules]
    cells = "".join(f'<TD BGCOLOR="{COLORS[k]}">{k}</TD>' for k in kinds)
    g.node("legend", f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" CELLPADDING="3"><TR>{cells}</TR></TABLE>>',
           shape="plaintext", fontsize="9")


def save_graph(output, path, format=None, **draw_kwargs):
    """Draw ``output``'s graph (see :func:`draw_graph`, or pass a Digraph already drawn) and write it to
    ``path``: SVG, PNG or PDF by extension (or ``format``), or the DOT source for ``.dot``/``.gv`` (no
    Graphviz binary needed). Returns ``path``. Raises :class:`GraphvizNotFound` if ``dot`` is missing."""
    target, path = path, os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    fmt = format or _FORMATS.get(ext)
    if fmt is None:
        raise ValueError(f"cannot tell the format of {path!r}: use a .svg, .png, .pdf, .dot or .gv name, "
                         f"or pass format=")
    if isinstance(output, graphviz.Digraph):
        if draw_kwargs:
            raise TypeError("drawing options are not used when a Digraph is passed")
        g = output
    else:
        g = draw_graph(output, **draw_kwargs)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    if fmt in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(g.source)
        return target
    # render through graphviz, with the intermediate source in a fresh temp file next to the target (never
    # overwriting a user's .gv file of the same stem), removed afterwards
    fd, source = tempfile.mkstemp(suffix=".gv", prefix=".graph_", dir=directory)
    os.close(fd)
    try:
        try:
            g.render(filename=source, outfile=os.path.abspath(path), format=fmt, cleanup=True)
        except graphviz.backend.ExecutableNotFound as e:
            raise GraphvizNotFound(_INSTALL_HINT) from e
    finally:
        if os.path.exists(source):
            os.remove(source)
    return target
