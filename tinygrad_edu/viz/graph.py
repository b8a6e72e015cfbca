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
    if t._ctx is not None:
        return "op"
    if id(t) in param_names:
        return "parameter"
    if t.requires_grad or (t.dtype.kind in "fc" and t.data.ndim > 0):
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
        ctx = t._ctx
        if ctx is not None:
            stack.extend(p for p in reversed(ctx.parents) if id(p) not in seen)
    return order


# ------------------------------------------------------------------------------------------ drawing
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

    # names: parameters, and (for a Module) module paths
    param_names, module_names, modules = {}, {}, {}
    if params is not None:
        if hasattr(params, "named_parameters") and hasattr(params, "named_modules"):
            param_names = {id(p): n for n, p in params.named_parameters()}
            for n, m in params.named_modules():
                module_names[id(m)] = n
                modules[n] = m
        elif isinstance(params, dict):
            param_names = {id(t): str(n) for n, t in params.items()}
        else:
            raise TypeError(f"params must be a Module or a dict name -> Tensor, not {type(params).__name__}")
    if collapse_depth is not None and not modules:
        collapse_depth = None  # nothing to collapse without module names

    tensors = _walk(outputs)
    output_ids = {id(t) for t in outputs}

    def scope_of(t):
        """Dotted module path of the module that recorded op tensor t, or None."""
        ctx = t._ctx
        if ctx is None or ctx.scope is None:
            return None
        return module_names.get(id(ctx.scope))

    # consumers of each tensor (ids of op tensors that use it)
    consumers = {}
    for t in tensors:
        if t._ctx is not None:
            for p in t._ctx.parents:
                consumers.setdefault(id(p), set()).add(id(t))
    by_id = {id(t): t for t in tensors}

    def home(t):
        """Module path a tensor belongs to: its op's scope; for a parameter, its module; for a constant leaf,
        the single scope of all its consumers; else None."""
        if t._ctx is not None:
            return scope_of(t)
        name = param_names.get(id(t))
        if name is not None and modules:
            owner = name.rsplit(".", 1)[0] if "." in name else ""
            return owner if owner in modules else None
        if name is None and _kind(t, param_names, output_ids) == "constant":
            scopes = {scope_of(by_id[c]) for c in consumers.get(id(t), ())}
            if len(scopes) == 1 and id(t) not in output_ids:
                return scopes.pop()
        return None

    homes = {id(t): home(t) for t in tensors}
    kinds = {id(t): _kind(t, param_names, output_ids) for t in tensors}

    # collapsed boxes: a tensor whose home is deeper than collapse_depth goes into the box of its ancestor
    # at depth collapse_depth + 1 (outputs stay visible as their own nodes)
    def box_of(t):
        h = homes[id(t)]
        if collapse_depth is None or h is None or _depth(h) <= collapse_depth or id(t) in output_ids:
            return None
        if kinds[id(t)] == "input":
            return None  # an input is always drawn
        return _prefixes(h)[collapse_depth]

    key = {}  # tensor id -> graphviz node id
    boxes = {}  # box path -> info
    drawn = []  # tensors drawn as their own nodes
    for i, t in enumerate(tensors):
        b = box_of(t)
        if b is None:
            key[id(t)] = f"t{i}"
            drawn.append(t)
        else:
            key[id(t)] = "mod_" + b
            boxes.setdefault(b, {"in": [], "out": [], "in_ids": set(), "out_ids": set()})

    n_nodes = len(drawn) + len(boxes) + bool(legend)
    if n_nodes > max_nodes:
        hint = ("pass collapse_depth=0 or 1 with the model as params to draw each module as one box, "
                if modules else "pass the model as params with collapse_depth=0 or 1 to draw modules as boxes, ")
        raise ValueError(f"the graph has {n_nodes} nodes ({len(tensors)} tensors), more than max_nodes="
                         f"{max_nodes}; {hint}or raise max_nodes")

    # edges (deduplicated) and box inputs/outputs
    edges = []
    seen_edges = set()
    for t in tensors:
        if t._ctx is None:
            continue
        dst = key[id(t)]
        for p in t._ctx.parents:
            src = key[id(p)]
            if src == dst:
                continue
            if dst.startswith("mod_") and id(p) not in boxes[dst[4:]]["in_ids"]:
                boxes[dst[4:]]["in_ids"].add(id(p))
                boxes[dst[4:]]["in"].append(p.shape)
            if src.startswith("mod_") and id(p) not in boxes[src[4:]]["out_ids"]:
                boxes[src[4:]]["out_ids"].add(id(p))
                boxes[src[4:]]["out"].append(p.shape)
            if (src, dst) not in seen_edges:
                seen_edges.add((src, dst))
                edges.append((src, dst))

    # node labels
    horizontal = rankdir in ("LR", "RL")

    def record(fields):
        body = " | ".join(_escape(f) for f in fields)
        return "{ " + body + " }" if horizontal else body

    def node_attrs(t):
        name = param_names.get(id(t))
        kind = kinds[id(t)]
        if t._ctx is not None:
            title = t._ctx.op if name is None else f"{name} ({t._ctx.op})"
        else:
            title = name if name is not None else ("input" if kind in ("input", "output") else "constant")
        fields = [title, f"{_shape_str(t.shape)} {t.dtype}"]
        size = t.data.size
        small = size <= 4
        if show_values is True or (show_values == "auto" and small):
            fields.append("data " + _fmt_array(t.data, 4))
        if show_grads and t.grad is not None and (small or show_values is True):
            fields.append("grad " + _fmt_array(t.grad.data, 4))
        return {"label": record(fields), "shape": "record", "style": "filled,rounded" if t._ctx is not None
                else "filled", "fillcolor": COLORS[kind]}

    g = ComputationGraph("computation_graph", format="svg")
    g.attr(rankdir=rankdir, fontname="Helvetica", fontsize="11", compound="true", nodesep="0.25", ranksep="0.35")
    g.attr("node", fontname="Helvetica", fontsize="10", height="0.3")
    g.attr("edge", arrowsize="0.6", color="#555555")

    # the nodes of each cluster (module path) and the top level (None)
    members = {}
    for t in drawn:
        h = homes[id(t)] if group_modules else None
        if h is not None and collapse_depth is not None and _depth(h) > collapse_depth:
            h = _prefixes(h)[collapse_depth - 1] if collapse_depth > 0 else None  # an output of a collapsed box
        members.setdefault(h or None, []).append(("node", key[id(t)], node_attrs(t)))
    for b, info in boxes.items():
        m = modules[b]
        n_params = sum(int(p.data.size) for p in m.parameters())
        ins = ", ".join(_shape_str(s) for s in info["in"]) or "-"
        outs = ", ".join(_shape_str(s) for s in info["out"]) or "-"
        label = f"{type(m).__name__}  {b}\\n{n_params:,} params\\nin {ins} → out {outs}"
        attrs = {"label": label, "shape": "box", "style": "filled,bold,rounded", "fillcolor": COLORS["module"],
                 "margin": "0.15,0.08"}
        parent = b.rsplit(".", 1)[0] if "." in b else None
        members.setdefault(parent if group_modules else None, []).append(("node", "mod_" + b, attrs))

    # clusters, nested by path prefix; build deepest first so children exist before their parents embed them
    cluster_paths = set()
    for h in members:
        if h:
            cluster_paths.update(p for p in _prefixes(h) if p in modules)
    clusters = {}
    for path in sorted(cluster_paths, key=_depth, reverse=True):
        sub = graphviz.Digraph(name=f"cluster_{path}")
        sub.attr(label=f"{path}: {type(modules[path]).__name__}", style="rounded,dashed", color="#888888",
                 fontname="Helvetica", fontsize="10", labeljust="l")
        for _, nid, attrs in members.get(path, []):
            sub.node(nid, **attrs)
        for child in sorted(c for c in clusters if c.rsplit(".", 1)[0] == path and "." in c):
            sub.subgraph(clusters[child])
        clusters[path] = sub
    for _, nid, attrs in members.get(None, []):
        g.node(nid, **attrs)
    for path in sorted(clusters):
        if "." not in path:  # top-level clusters (deeper ones are inside their parents)
            g.subgraph(clusters[path])
    # a path whose parent module is not in a cluster (cannot happen with named_modules, kept safe)
    for path in clusters:
        if "." in path and path.rsplit(".", 1)[0] not in clusters:
            g.subgraph(clusters[path])
    for src, dst in edges:
        g.edge(src, dst)

    if legend:  # one small node: a table of the colours
        kinds = ["parameter", "input", "constant", "op", "output"] + (["module"] if boxes else [])
        cells = "".join(f'<TD BGCOLOR="{COLORS[k]}">{k}</TD>' for k in kinds)
        g.node("legend", f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" CELLPADDING="3"><TR>{cells}</TR></TABLE>>',
               shape="plaintext", fontsize="9")
    return g


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
