"""Draw a computation graph with Graphviz: micrograd-style ``data | grad`` labels for scalar graphs,
shapes and parameter names for models, module and function-call clusters, and collapsed boxes for big
models, laid out to fit a notebook's width (long chains wrapped into columns).

>>> from tinygrad_edu import Tensor
>>> a, b = Tensor(2.0, requires_grad=True), Tensor(-3.0, requires_grad=True)
>>> g = draw_graph(a * b + a, {"a": a, "b": b}, legend=False)
>>> g.source.count("label=")
4
"""

import html
import math
import os
import tempfile
from dataclasses import dataclass, field

import graphviz
import numpy as np

from ..engine.scopes import FunctionCall
from ..engine.tensor import Tensor

__all__ = ["draw_graph", "save_graph", "GraphvizNotFound", "ComputationGraph"]

# fill colours, one per kind of node; the legend shows the same ones
COLORS = {
    "parameter": "#cfe2f3",  # blue
    "input": "#d9ead3",  # green
    "constant": "#eeeeee",  # grey
    "op": "#fff2cc",  # yellow
    "output": "#f4cccc",  # red
    "internal": "#f7f7f7",  # light grey, dashed: a value a function made for itself (an eps, a detached max)
    "module": "#e4d7f5",  # purple: a collapsed module
    "function": "#fce5cd",  # orange: a collapsed function call
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
def _prefixes(name):
    """'a.b.c' -> ['a', 'a.b', 'a.b.c'] (non-empty prefixes, outermost first)."""
    parts = name.split(".") if name else []
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _parent(path):
    """'a.b.c' -> 'a.b'; a top-level path such as 'a' has no parent: None."""
    return path.rsplit(".", 1)[0] if "." in path else None


def _table(fields):
    """An HTML-like label: ``fields`` stacked in rows, a rule between them, as micrograd's ``data | grad``
    records (a record's fields would turn with the rank direction, and ``dot`` cannot lay the flat edges
    that wrapping needs next to a record)."""
    rule = ' SIDES="T" BORDER="1"'
    rows = "".join(f"<TR><TD{rule if i else ''}>{html.escape(f)}</TD></TR>" for i, f in enumerate(fields))
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{rows}</TABLE>>'


def _fmt_array(a, limit):
    a = np.asarray(a)
    if a.ndim == 0:
        v = a.item()
        if not isinstance(v, float):
            return str(v)
        return f"{v:.4f}" if v == 0 or 1e-3 <= abs(v) < 1e6 else f"{v:.4g}"  # an eps of 1e-05 is not 0.0000
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
_BOX = "box_"  # node-id prefix of a collapsed group's box
_FN = "@fn"  # group-key prefix of a function call (module groups are keyed by their dotted path)
_RANKDIRS = ("auto", "TB", "LR", "BT", "RL")
_NODESEP, _RANKSEP = 0.2, 0.35  # inches between nodes in a rank, and between ranks
_FIT, _COLUMN_GAP = 10.4, 0.5  # inches: a notebook's width (1,000 px at 96 dpi); between wrapped columns


@dataclass
class _Group:
    """A module (keyed by its dotted path, the root module by '') or a function call (keyed ``@fnN``) that
    draws as a cluster, or as one box when collapsed. ``depth`` counts from the top: the model passed as
    ``params`` and a function called outside every module are 0, their children 1, and so on."""

    owner: object  # the Module or the FunctionCall
    parent: object  # the enclosing group's key, or None
    depth: int


@dataclass
class _Graph:
    """What the stages of :func:`draw_graph` share: the tensors and, keyed by ``id(tensor)``, what each stage
    finds out about them, so the stages pass one object along instead of a dozen dicts."""

    tensors: list  # every tensor reachable from the outputs, each once, in walk order
    output_ids: set
    param_names: dict  # id -> parameter name
    module_names: dict  # id(module) -> its dotted path
    modules: dict  # dotted path -> module
    kinds: dict  # id -> parameter, input, constant, internal, op or output
    consumers: dict  # id -> the op tensors that take it as a parent
    groups: dict = field(default_factory=dict)  # group key -> _Group
    group_keys: dict = field(default_factory=dict)  # id(scope owner) -> its group key (None: not drawn)
    homes: dict = field(default_factory=dict)  # id -> key of the group the tensor belongs to, or None
    keys: dict = field(default_factory=dict)  # id -> graphviz node id: its own, or its collapsed box's
    drawn: list = field(default_factory=list)  # tensors drawn as nodes of their own
    boxes: dict = field(default_factory=dict)  # collapsed group key -> {"in"/"out": {id: shape}}
    pulled: dict = field(default_factory=dict)  # id of an output made inside a collapsed group -> its box
    edges: list = field(default_factory=list)  # (src, dst) node ids, each pair once


def draw_graph(output, params=None, *, show_values="auto", show_grads=True, rankdir="auto", group_modules=True,
               group_functions=True, collapse_depth=None, max_nodes=2000, legend=True, wrap=True):
    """Draw the computation graph that produced ``output`` (a Tensor or a list/tuple of Tensors).

    ``params``: a Module (parameter names from ``named_parameters``, clusters from ``named_modules``) or a
    dict name -> Tensor. Named tensors are labelled with their names; other leaves are inputs (they require
    grad or are floating point), constants, or "internal": values a composite function made for itself (the
    max that ``log_softmax`` subtracts, an eps), which the user never passed. Each tensor is one node: op
    (or name), shape and dtype, and for small tensors (``show_values="auto"``: at most 4 elements; True:
    always the first few; False: never) its values and, after backward (``show_grads``), its gradient.

    ``group_modules`` draws the ops recorded inside a module's forward in a cluster named with the module's
    dotted path; ``group_functions`` draws each call of a composite function (``cross_entropy``,
    ``layer_norm``, ``mean``, a user's ``@scoped`` function) in a cluster with its name and its input and
    output shapes. ``collapse_depth=k`` draws every module or function call at depth k as one box (with its
    class, parameter count, input/output shapes and children): 0 is the module passed as ``params`` (and
    each function called outside it), 1 its children, and so on. ``rankdir`` is "TB", "LR", "BT", "RL" or
    "auto": top to bottom unless left to right is narrower, so the picture fits a notebook's width; with
    ``wrap``, a top-to-bottom drawing much taller than a notebook is wide continues in columns side by side
    (a long chain of ops, cut only between clusters), numbered connectors marking each jump. A drawing of
    more than ``max_nodes`` nodes raises ValueError. Returns a :class:`ComputationGraph`."""
    outputs = _check_arguments(output, show_values, collapse_depth, rankdir)
    param_names, module_names, modules = _name_parameters(params)
    graph = _collect_nodes(outputs, param_names, module_names, modules)
    _assign_groups(graph, group_modules, group_functions)
    _collapse(graph, collapse_depth)
    _check_size(graph, max_nodes, legend)
    _connect(graph)
    size, level = _measure(graph, show_values, show_grads)
    if rankdir == "auto":
        rankdir = _auto_rankdir(size, level)
    columns = _columns(graph, size, level) if wrap and rankdir in ("TB", "BT") else None
    return _emit(graph, rankdir, show_values, show_grads, legend, columns)


def _check_arguments(output, show_values, collapse_depth, rankdir):
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
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(map(repr, _RANKDIRS))}, not {rankdir!r}")
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
    consumers = {}  # id -> the op tensors that take it as a parent
    for t in tensors:
        for p in t.parents:
            consumers.setdefault(id(p), []).append(t)
    kinds = {}
    for t in tensors:
        kind = _kind(t, param_names, output_ids)
        if kind in ("input", "constant") and not t.requires_grad and _made_inside(t, consumers.get(id(t), ())):
            kind = "internal"
        kinds[id(t)] = kind
    return _Graph(tensors, output_ids, param_names, module_names, modules, kinds, consumers)


def _made_inside(t, consumers):
    """Whether the leaf ``t`` is a value a function made for itself: every op that uses it ran inside a
    scoped function call, and the outermost such call was not passed ``t``."""
    if not consumers:
        return False
    for c in consumers:
        outermost, owner = None, c.scope
        while isinstance(owner, FunctionCall):  # a Module (or None) ends the chain
            outermost, owner = owner, owner.parent
        if outermost is None or id(t) in outermost.input_ids:
            return False
    return True


def _assign_groups(graph, group_modules, group_functions):
    """Give every tensor its home, the group (module or function call) whose cluster draws it (see
    :func:`_home`), registering the groups met on the way."""
    graph.group_modules, graph.group_functions = group_modules, group_functions
    graph.homes = {id(t): _home(graph, t) for t in graph.tensors}


def _home(graph, t):
    """Group ``t`` belongs to: an op's recording module or function call; a parameter's owner; for a
    constant or internal value, the one group all its consumers share (the 2.0 of a layer's ``x * 2.0``
    sits inside that layer); else None, as for an input, which stays visible outside every group."""
    if not t.is_leaf:
        return _group_of(graph, t.scope)
    name = graph.param_names.get(id(t))
    if name is not None:
        owner = _parent(name) or ""  # a top-level parameter belongs to the root module, ''
        return _module_group(graph, owner) if owner in graph.modules else None
    if graph.kinds[id(t)] in ("constant", "internal"):
        homes = {_group_of(graph, c.scope) for c in graph.consumers.get(id(t), ())}
        if len(homes) == 1:
            return homes.pop()
    return None


def _group_of(graph, owner):
    """Key of the group drawn for a scope owner (a Module or FunctionCall), registering it and its
    ancestors; None when it is not drawn (an unnamed module, no grouping asked for)."""
    if owner is None:
        return None
    if id(owner) in graph.group_keys:
        return graph.group_keys[id(owner)]
    if isinstance(owner, FunctionCall):
        parent = _group_of(graph, owner.parent)
        if graph.group_functions:
            key = f"{_FN}{len(graph.group_keys)}"
            depth = 0 if parent is None else graph.groups[parent].depth + 1
            graph.groups[key] = _Group(owner, parent, depth)
        else:
            key = parent
    else:
        path = graph.module_names.get(id(owner))
        key = None if path is None else _module_group(graph, path)
    graph.group_keys[id(owner)] = key
    return key


def _module_group(graph, path):
    """Register the module at ``path`` and its ancestors (the root module is '', depth 0)."""
    if path not in graph.groups:
        parent = None if path == "" else next((p for p in reversed(_prefixes(path)[:-1]) if p in graph.modules), "")
        if parent is not None:
            _module_group(graph, parent)
        depth = 0 if parent is None else graph.groups[parent].depth + 1
        graph.groups[path] = _Group(graph.modules[path], parent, depth)
    return path


def _chain(graph, key):
    """The group ``key`` and its ancestors, outermost first."""
    chain = []
    while key is not None:
        chain.append(key)
        key = graph.groups[key].parent
    return chain[::-1]


def _collapse(graph, collapse_depth):
    """Give every tensor its graphviz node: its own, or the box of its group's ancestor at depth
    ``collapse_depth``, so a big model draws as a few boxes. An input that is only another view of an input
    drawn already (a layer's unrecorded ``x.reshape(...)`` of an input that needs no grad) is drawn as it."""
    same_input = _views_of_inputs(graph)
    for i, t in enumerate(graph.tensors):
        if id(t) in same_input:
            continue
        box = _box_of(graph, t, collapse_depth)
        if box is not None:
            graph.boxes.setdefault(box, {"in": {}, "out": {}})
        if box is None or id(t) in graph.output_ids:  # an output stays drawn, the result a reader looks for
            graph.keys[id(t)] = f"t{i}"
            graph.drawn.append(t)
        else:
            graph.keys[id(t)] = _BOX + box
        if box is not None and id(t) in graph.output_ids:  # but its box lists what it takes and gives
            graph.pulled[id(t)] = box
            graph.boxes[box]["out"][id(t)] = t.shape
    for view, drawn in same_input.items():
        graph.keys[view] = graph.keys[drawn]


def _views_of_inputs(graph):
    """id of each input leaf that shows the same memory as another input leaf -> id of the one to draw (the
    one owning the memory, else the first): the same values reached once directly and once as a view."""
    chosen, views = {}, {}
    for t in graph.tensors:
        if t.is_leaf and graph.kinds[id(t)] == "input":
            array = t.numpy()
            owner = id(array if array.base is None else array.base)
            if owner not in chosen or array.base is None:
                chosen[owner] = t
    for t in graph.tensors:
        if t.is_leaf and graph.kinds[id(t)] == "input":
            array = t.numpy()
            drawn = chosen[id(array if array.base is None else array.base)]
            if drawn is not t:
                views[id(t)] = id(drawn)
    return views


def _box_of(graph, t, collapse_depth):
    """Key of the collapsed group that takes in ``t``, or None when its group is not deep enough."""
    home = graph.homes[id(t)]
    if collapse_depth is None or home is None:
        return None
    return next((k for k in _chain(graph, home) if graph.groups[k].depth == collapse_depth), None)


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
        dst, pulled_from = graph.keys[id(t)], graph.pulled.get(id(t))
        for p in t.parents:
            src = graph.keys[id(p)]
            if pulled_from is not None and src != _BOX + pulled_from:  # what the box takes for its own output
                graph.boxes[pulled_from]["in"].setdefault(id(p), p.shape)
            if src == dst:
                continue
            if dst.startswith(_BOX):
                graph.boxes[dst[len(_BOX):]]["in"].setdefault(id(p), p.shape)
            inside = pulled_from == src[len(_BOX):]  # a step within the box, to its own output
            if src.startswith(_BOX) and not p.is_leaf and not inside:  # what it computed, not its parameters
                graph.boxes[src[len(_BOX):]]["out"].setdefault(id(p), p.shape)
            if (src, dst) not in seen:
                seen.add((src, dst))
                graph.edges.append((src, dst))


def _measure(graph, show_values, show_grads):
    """Each node's estimated (width, height) in inches, from its label's lines, and its level: its rank as
    ``dot`` lays it, the longest path from a leaf, but a leaf just above its first consumer (where ``dot``,
    keeping edges short, puts it), so a constant or a parameter sits beside the op that takes it."""
    size = {graph.keys[id(t)]: _text_size(_tensor_fields(graph, t, show_values, show_grads)) for t in graph.drawn}
    for key, box in graph.boxes.items():
        size[_BOX + key] = _text_size(_box_label(graph, key, box).split("\\n"))
    succs, n_preds = {}, dict.fromkeys(size, 0)
    for src, dst in graph.edges:
        succs.setdefault(src, []).append(dst)
        n_preds[dst] += 1
    rank = dict.fromkeys(size, 0)
    sources = [key for key, n in n_preds.items() if n == 0]
    ready = list(sources)
    while ready:  # Kahn's topological order: a node's rank is final once all its inputs are ranked
        key = ready.pop()
        for dst in succs.get(key, ()):
            rank[dst] = max(rank[dst], rank[key] + 1)
            n_preds[dst] -= 1
            if n_preds[dst] == 0:
                ready.append(dst)
    for key in sources:
        if key in succs:
            rank[key] = min(rank[c] for c in succs[key]) - 1
    return size, rank


def _auto_rankdir(size, level):
    """"TB" unless "LR" is narrower: drawn top to bottom the picture is as wide as its widest rank (the nodes
    side by side), left to right as wide as its ranks' widest nodes end to end."""
    side_by_side, end_to_end = {}, {}
    for key, r in level.items():
        side_by_side[r] = side_by_side.get(r, 0) + size[key][0] + _NODESEP
        end_to_end[r] = max(end_to_end.get(r, 0), size[key][0])
    wide = sum(end_to_end.values()) + _RANKSEP * len(end_to_end)
    return "LR" if wide < max(side_by_side.values()) else "TB"


def _text_size(lines):
    """Inches a node needs for these lines of 10-point Helvetica (about 0.075 in a character, 0.2 in a line),
    with margins."""
    return 0.075 * max(len(line) for line in lines) + 0.25, 0.2 * len(lines) + 0.1


def _columns(graph, size, level):
    """Wrap a drawing that runs far down the page into columns side by side, as a long chain reads best.
    Columns are cut between levels where no cluster is split, at equal heights, as many as fit a notebook's
    width (_FIT inches) and no more than bring the height down to that width; a leaf stays in the column
    of the op that takes it. Returns (node -> its column 0, 1, ..., each column's top op), or None to
    draw one column."""
    widths, heights = {}, {}
    for key, r in level.items():
        widths[r] = widths.get(r, 0) + size[key][0] + _NODESEP
        heights[r] = max(heights.get(r, 0), size[key][1])
    column_width = max(widths.values()) + _COLUMN_GAP
    ranks = sorted(heights)
    total = sum(heights[r] for r in ranks) + _RANKSEP * (len(ranks) - 1)
    n = min(int(_FIT // column_width), math.ceil(total / _FIT))
    if n < 2:
        return None
    homes = [(graph.keys[id(t)], graph.homes[id(t)]) for t in graph.drawn]
    homes += [(_BOX + key, graph.groups[key].parent) for key in graph.boxes]
    spans = {}  # cluster -> (first, last) level of its members: a cut must not fall inside one
    for key, home in homes:
        for cluster in _chain(graph, _cluster_of(graph, home)) if home is not None else ():
            first, last = spans.get(cluster, (level[key], level[key]))
            spans[cluster] = (min(first, level[key]), max(last, level[key]))
    allowed = [r for r in ranks[1:] if not any(first < r <= last for first, last in spans.values())]
    cuts, above = [], 0.0
    height_above = {}
    for r in ranks:
        height_above[r] = above
        above += heights[r] + _RANKSEP
    for j in range(1, n):
        target = total * j / n
        best = min((r for r in allowed if not cuts or r > cuts[-1]), key=lambda r: abs(height_above[r] - target),
                   default=None)
        if best is not None:
            cuts.append(best)
    if not cuts:
        return None
    columns = {key: sum(r >= c for c in cuts) for key, r in level.items()}
    leaves = {src for src, _ in graph.edges} - {dst for _, dst in graph.edges}
    tops = {}  # column -> its op nearest the top (a leaf beside it may sit left or right of it)
    for key, column in columns.items():
        if key not in leaves and (column not in tops or level[key] < level[tops[column]]):
            tops[column] = key
    return columns, [tops[c] for c in sorted(tops)]


def _emit(graph, rankdir, show_values, show_grads, legend, columns):
    """The graphviz graph itself: every node in its group's cluster, then the edges and the colour legend."""
    g = ComputationGraph("computation_graph", format="svg")
    g.attr(rankdir=rankdir, fontname="Helvetica", fontsize="11", compound="true", nodesep=str(_NODESEP),
           ranksep=str(_RANKSEP), newrank="true")  # newrank: a rank=same subgraph may hold nodes of clusters
    g.attr("node", fontname="Helvetica", fontsize="10", height="0.3")
    g.attr("edge", arrowsize="0.6", color="#555555")
    horizontal = rankdir in ("LR", "RL")
    members = {}  # cluster key (None: the top level) -> [(node id, attributes)]
    for t in graph.drawn:
        members.setdefault(_cluster_of(graph, graph.homes[id(t)]), []).append(
            (graph.keys[id(t)], _tensor_attrs(graph, t, show_values, show_grads)))
    for key, box in graph.boxes.items():
        members.setdefault(_cluster_of(graph, graph.groups[key].parent), []).append(
            (_BOX + key, _box_attrs(graph, key, box)))
    for nid, attrs in members.get(None, []):
        g.node(nid, **attrs)
    for sub in _clusters(graph, members):
        g.subgraph(sub)
    ops = {graph.keys[id(t)] for t in graph.drawn if not t.is_leaf} | {_BOX + key for key in graph.boxes}
    cluster_of = {nid: key for key, nodes in members.items() for nid, _ in nodes}
    crossings = 0
    # a heavy edge from op to op keeps a chain straight, its constants at the side; between clusters it
    # skips a rank, where the next cluster's parameters go, so the clusters stack instead of drifting aside
    for src, dst in graph.edges:
        if columns is not None and columns[0][src] != columns[0][dst]:
            crossings += 1
            _connector(g, src, dst, crossings)
        elif src in ops:
            g.edge(src, dst, weight="4", **({"minlen": "2"} if cluster_of[src] != cluster_of[dst] else {}))
        else:
            g.edge(src, dst)
    if columns is not None:
        _order_columns(g, columns[1])
    _beside_consumers(g, graph.edges, ops)
    if legend:
        drawn_kinds = {graph.kinds[id(t)] for t in graph.drawn}
        box_kinds = {"function" if isinstance(graph.groups[k].owner, FunctionCall) else "module" for k in graph.boxes}
        _add_legend(g, drawn_kinds | box_kinds, horizontal)
    return g


def _beside_consumers(g, edges, ops):
    """Draw a leaf that feeds one op only (a layer's weight, a constant) on that op's rank, beside it: the
    chain of ops then runs straight down, and a cluster takes one rank instead of reaching up into the one
    before (which pushed each next cluster aside, the drawing drifting diagonally)."""
    consumers = {}
    for src, dst in edges:
        consumers.setdefault(src, []).append(dst)
    for src, dsts in consumers.items():
        if src not in ops and len(dsts) == 1:
            with g.subgraph() as same:
                same.attr(rank="same")
                same.node(src)
                same.node(dsts[0])


def _connector(g, src, dst, n):
    """An edge between wrapped columns drawn as a flowchart's pair of connectors numbered ``n``: one below
    ``src``, one above ``dst``, so no line runs back up the page across the drawing."""
    attrs = {"label": str(n), "shape": "circle", "width": "0.25", "fixedsize": "true", "fontsize": "9",
             "style": "filled", "fillcolor": "white"}
    g.node(f"wrap{n}_from", tooltip=f"continues at {n}", **attrs)
    g.node(f"wrap{n}_to", tooltip=f"continued from {n}", **attrs)
    g.edge(src, f"wrap{n}_from")
    g.edge(f"wrap{n}_to", dst)


def _order_columns(g, tops):
    """Start every wrapped column on the top rank, left of the next one: an invisible edge between the top
    nodes of neighbouring columns, on one rank."""
    for left, right in zip(tops, tops[1:]):
        with g.subgraph() as same:
            same.attr(rank="same")
            same.edge(left, right, style="invis")


def _cluster_of(graph, key):
    """The cluster that draws a member of group ``key``: the innermost group on its chain that is drawn as a
    cluster (not the root module, not a module when ``group_modules`` is off, not a collapsed group, which
    is a box instead); None: the top level."""
    cluster = None
    for k in (_chain(graph, key) if key is not None else ()):
        if k in graph.boxes:
            break
        if k.startswith(_FN) or (graph.group_modules and k != ""):
            cluster = k
    return cluster


def _tensor_fields(graph, t, show_values, show_grads):
    """A tensor's label lines: its op or name, shape and dtype, then its values and gradient when they are
    few enough to read."""
    name, kind = graph.param_names.get(id(t)), graph.kinds[id(t)]
    if not t.is_leaf:
        title = t.op if name is None else f"{name} ({t.op})"
    elif name is not None:
        title = name
    else:
        title = {"output": "input", "input": "input", "internal": "internal"}.get(kind, "constant")
    fields = [title, f"{_shape_str(t.shape)} {t.dtype.name}"]
    small = t.numpy().size <= _SHOWN
    if show_values is True or (show_values == "auto" and small):
        fields.append("data " + _fmt_array(t.numpy(), _SHOWN))
    if show_grads and t.grad is not None and (small or show_values is True):
        fields.append("grad " + _fmt_array(t.grad.numpy(), _SHOWN))
    return fields


def _tensor_attrs(graph, t, show_values, show_grads):
    """A tensor's node, filled with its kind's colour (see :func:`_tensor_fields`)."""
    kind = graph.kinds[id(t)]
    style = "filled,rounded" if not t.is_leaf else ("filled,dashed" if kind == "internal" else "filled")
    return {"label": _table(_tensor_fields(graph, t, show_values, show_grads)), "shape": "box", "style": style,
            "fillcolor": COLORS[kind], "margin": "0.04"}


def _shapes_str(shapes):
    return ", ".join(_shape_str(s) for s in shapes) or "-"


def _box_label(graph, key, box):
    """A collapsed group's label: a module's class and path, parameter count, the shapes it takes and gives
    and its children's names; a function call's name and shapes."""
    owner = graph.groups[key].owner
    if isinstance(owner, FunctionCall):
        return f"{owner.name}()\\nin {_shapes_str(owner.input_shapes)} → out {_shapes_str(owner.output_shapes)}"
    n_params = sum(int(p.numpy().size) for p in owner.parameters())
    ins, outs = _shapes_str(box["in"].values()), _shapes_str(box["out"].values())
    label = f"{type(owner).__name__}  {key}".rstrip() + f"\\n{n_params:,} params\\nin {ins} → out {outs}"
    children = [f"{name} {type(child).__name__}" for name, child in owner.named_children()]
    for start in range(0, min(len(children), 6), 3):  # three a line, six at most
        label += ("\\nchildren: " if start == 0 else "\\n") + ", ".join(children[start:start + 3])
    if len(children) > 6:
        label += f", … ({len(children)} in all)"
    return label


def _box_attrs(graph, key, box):
    """A collapsed group's box (see :func:`_box_label`): purple for a module, orange for a function call."""
    kind = "function" if isinstance(graph.groups[key].owner, FunctionCall) else "module"
    return {"label": _box_label(graph, key, box), "shape": "box", "style": "filled,bold,rounded",
            "fillcolor": COLORS[kind], "margin": "0.15,0.08"}


def _clusters(graph, members):
    """A dashed cluster for each module and function call that holds a node, directly or through a nested
    group, inside its parent's; returns the outermost ones, which are the ones to add to the graph."""
    keys = set()
    for key in members:
        while key is not None:
            keys.add(key)
            key = _cluster_of(graph, graph.groups[key].parent)
    clusters, nested = {}, {}
    for key in keys:
        nested.setdefault(_cluster_of(graph, graph.groups[key].parent), []).append(key)
    for key in sorted(keys, key=lambda k: len(_chain(graph, k)), reverse=True):  # children before parents
        owner = graph.groups[key].owner
        sub = graphviz.Digraph(name=f"cluster_{key}")
        if isinstance(owner, FunctionCall):
            label = f"{owner.name}(): {_shapes_str(owner.input_shapes)} → {_shapes_str(owner.output_shapes)}"
            sub.attr(label=label, style="rounded,dotted", color="#b45f06", fontcolor="#b45f06")
        else:
            sub.attr(label=f"{key}: {type(owner).__name__}", style="rounded,dashed", color="#888888")
        sub.attr(fontname="Helvetica", fontsize="10", labeljust="l")
        for nid, attrs in members.get(key, []):
            sub.node(nid, **attrs)
        for child in sorted(nested.get(key, ())):
            sub.subgraph(clusters[child])
        clusters[key] = sub
    return [clusters[key] for key in sorted(nested.get(None, ()))]


def _add_legend(g, kinds, horizontal):
    """One small node, a table of the fill colours of the kinds drawn (the five basic ones always), so a
    reader can tell the kinds of node apart: a column beside a top-to-bottom drawing, a row below a
    left-to-right one, where each widens the picture least."""
    shown = [k for k in COLORS if k in kinds or k in ("parameter", "input", "constant", "op", "output")]
    cells = [f'<TD BGCOLOR="{COLORS[k]}">{k}</TD>' for k in shown]
    rows = "<TR>" + "".join(cells) + "</TR>" if horizontal else "".join(f"<TR>{c}</TR>" for c in cells)
    with g.subgraph(name="legend_rank") as sink:
        sink.attr(rank="sink")
        sink.node("legend", f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" CELLPADDING="3">{rows}</TABLE>>',
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
