"""An interactive, self-contained HTML explorer of a computation graph: collapsible module groups, a tooltip
with each tensor's values and gradient statistics, colour by kind / gradient magnitude / saturation, and a
search box. The page needs no network access: the data is embedded as JSON and the drawing code (plain
JavaScript, ``static/explorer.js``) is inlined.

>>> import tinygrad_edu as tg
>>> a = tg.Tensor([1.0, 2.0], requires_grad=True)
>>> page = explore((a * 2).sum(), {"a": a}, path=None)
>>> page.data["visible"], "cdn" in page.html
(4, False)

Big graphs stay responsive: modules start collapsed (about 60 nodes are visible at first), a group with
more than 50 members is split into numbered chunks, and the page refuses to show more than 1,500 nodes
at once (collapse something first).
"""

import html
import json
import math
from pathlib import Path

import numpy as np

from ..engine.tensor import Tensor
from .graph import _kind, _name_parameters

__all__ = ["explore", "Explorer"]

BRANCH = 50  # at most this many members (tensors and subgroups) shown directly inside one group
INITIAL_VISIBLE = 60  # groups are expanded, shallowest first, while the view stays this small
SATURATION = 0.97  # |value| above this counts as saturated for tanh / sigmoid outputs
_SATURATING = {"tanh": 1.0, "sigmoid": None}  # op -> scale of |value|, None: distance from 0 or 1
_STATIC = Path(__file__).with_name("static")


class Explorer:
    """The explorer page: ``html`` (the whole self-contained page), ``data`` (what it embeds) and ``path``
    (where it was written, or None). Displays inline in Jupyter (an iframe)."""

    def __init__(self, html_text, data, path=None):
        self.html, self.data, self.path = html_text, data, path

    def save(self, path):
        """Write the page to ``path`` and return the path."""
        Path(path).write_text(self.html, encoding="utf-8")
        self.path = str(path)
        return self.path

    def _repr_html_(self):
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="width:100%;height:640px;'
                'border:1px solid #ccc"></iframe>')


def explore(output, params=None, path="graph.html", color="kind"):
    """Write an interactive HTML view of the graph that produced ``output`` (a Tensor or a list of them).

    ``params``: a Module (parameter names from ``named_parameters``, groups from ``named_modules``) or a dict
    name -> Tensor. Without a Module, the modules whose forward recorded the ops (``Tensor.scope``) still
    group them, named by class. Click a group to expand or collapse it; hover a node for its op, shape,
    dtype, values and gradient; colour by kind, gradient magnitude or tanh/sigmoid saturation; search by
    parameter or module name. ``color`` is the colour mode the page opens with: "kind", "grad" (gradient
    magnitude) or "sat" (saturation). ``path=None`` writes nothing (for Jupyter). Returns an :class:`Explorer`."""
    if color not in _COLOR_MODES:
        raise ValueError(f"explore: color must be one of {', '.join(_COLOR_MODES)}, got {color!r}")
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    if not outputs:
        raise ValueError("explore needs at least one output tensor")
    for i, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"explore: expected a Tensor or a list of Tensors, got {type(t).__name__} (item {i})")
    tensors = _walk(outputs)
    param_names, module_names, modules = _names(params, tensors)
    data = _build(tensors, {id(t) for t in outputs}, param_names, module_names, modules)
    page = Explorer(_page(data, color), data)
    if path is not None:
        page.save(path)
    return page


# ------------------------------------------------------------------------------------------ the graph
def _walk(outputs):
    """Every tensor reachable from ``outputs`` once, inputs before the ops that use them (iterative)."""
    order, seen, stack = [], set(), [(t, False) for t in reversed(outputs)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        stack.extend((p, False) for p in reversed(t.parents) if id(p) not in seen)
    return order


def _names(params, tensors):
    """Parameter names by tensor id, module paths by module id, and modules by path. Without a Module, the
    outermost recorded scopes are named by their class and their submodules by path below that name."""
    if params is not None and not isinstance(params, dict):
        return _name_parameters(params)  # a Module's names (anything else: draw_graph's TypeError)
    param_names = _name_parameters(params)[0]
    scopes = {id(m): m for m in (_module_of(t.scope) for t in tensors) if m is not None}
    inner = {id(m) for s in scopes.values() for m in s.modules() if m is not s}
    module_names, modules, used = {}, {}, {}
    for s in scopes.values():
        if id(s) in inner:
            continue
        base = type(s).__name__
        used[base] = used.get(base, 0) + 1
        root = base if used[base] == 1 else f"{base}{used[base]}"
        for n, m in s.named_modules():
            path = f"{root}.{n}" if n else root
            module_names.setdefault(id(m), path)
            modules.setdefault(path, m)
        for n, p in s.named_parameters():
            param_names.setdefault(id(p), f"{root}.{n}")
    return param_names, module_names, modules


def _num(v):
    """A float rounded for display (JSON-safe: NaN and infinities become strings the page prints)."""
    v = float(v)
    return float(f"{v:.4g}") if math.isfinite(v) else str(v)


def _stats(a):
    """min / mean / max / std of an array, and its values when it has at most 8 elements."""
    a = np.asarray(a)
    if a.size == 0:
        return {"n": 0}
    f = a.astype(np.float64)
    s = {"n": int(a.size), "min": _num(f.min()), "mean": _num(f.mean()), "max": _num(f.max()), "std": _num(f.std())}
    if a.size <= 8:
        s["values"] = [_num(v) for v in f.reshape(-1)]
    return s


def _saturation(t):
    """Fraction of a tanh / sigmoid output's elements that are saturated (|tanh| > 0.97; sigmoid within
    0.03 of 0 or 1), or None for other ops."""
    if t.op not in _SATURATING:
        return None
    v = np.abs(np.asarray(t.numpy(), dtype=np.float64))
    if t.op == "sigmoid":
        v = np.abs(2 * v - 1)  # 0 and 1 map to 1, 0.5 to 0
    return round(float((v > SATURATION).mean()), 4) if v.size else 0.0


def _node(i, t, kind, name, group):
    """One tensor's record in the page: name, kind, op, shape, dtype, statistics, gradient, colour values."""
    node = {"i": i, "name": name, "kind": kind, "op": t.op, "shape": list(t.shape),
            "dtype": str(t.dtype).rsplit(".", 1)[-1], "g": group, "stats": _stats(t.numpy())}
    if t.grad is not None:
        g = np.asarray(t.grad.numpy(), dtype=np.float64)
        node["grad"] = _stats(g)
        mean_abs = float(np.abs(g).mean()) if g.size else 0.0
        node["gradlog"] = round(math.log10(mean_abs), 3) if mean_abs > 0 else None
    sat = _saturation(t)
    if sat is not None:
        node["sat"] = sat
    return node


def _build(tensors, output_ids, param_names, module_names, modules):
    """The JSON the page embeds: nodes (topological order), edges, the group tree, the initial view."""
    groups = [{"name": "", "label": "(graph)", "parent": None, "depth": 0, "cls": "", "members": []}]
    by_path = {"": 0}

    def group_of(path):
        if path is None or path not in modules and path != "":
            return 0
        if path not in by_path:
            parent = group_of(path.rsplit(".", 1)[0] if "." in path else "")
            m = modules[path]
            n_params = sum(int(p.numpy().size) for p in m.parameters())
            by_path[path] = len(groups)
            groups.append({"name": path, "label": path, "parent": parent, "depth": groups[parent]["depth"] + 1,
                           "cls": type(m).__name__, "params": n_params, "members": []})
            groups[parent]["members"].append(("g", by_path[path]))
        return by_path[path]

    calls = {}  # id of a FunctionCall (tg.scoped: cross_entropy, layer_norm...) -> its group

    def group_of_scope(scope):
        """An op's group: its function call's own (inside the caller's group), or its module's."""
        if scope is None or hasattr(scope, "named_modules"):
            return group_of(None if scope is None else module_names.get(id(scope)))
        if id(scope) not in calls:
            parent = group_of_scope(scope.parent)
            prefix = groups[parent]["name"]
            calls[id(scope)] = len(groups)
            groups.append({"name": f"{prefix}.{scope.name}()" if prefix else f"{scope.name}()", "label": scope.name,
                           "parent": parent, "depth": groups[parent]["depth"] + 1, "cls": "function", "members": []})
            groups[parent]["members"].append(("g", calls[id(scope)]))
        return calls[id(scope)]

    index = {id(t): i for i, t in enumerate(tensors)}
    consumers = {}  # id -> the ops that take it as an input
    for t in tensors:
        for p in t.parents:
            consumers.setdefault(id(p), []).append(t)
    op_groups = {id(t): group_of_scope(t.scope) for t in tensors if not t.is_leaf}
    nodes, edges = [], []
    for i, t in enumerate(tensors):
        kind = _kind(t, param_names, output_ids)
        if not t.is_leaf:
            g = op_groups[id(t)]
        else:
            users = {op_groups[id(c)] for c in consumers.get(id(t), ())}
            inner = len(users) == 1 and kind == "constant" and groups[next(iter(users))]["cls"] == "function"
            # a constant only one function call uses (layer_norm's eps) stays inside that call's group
            g = users.pop() if inner else group_of(_home(t, kind, param_names, module_names, modules, consumers))
        label = param_names.get(id(t)) or t.op or kind
        nodes.append(_node(i, t, kind, label, g))
        groups[g]["members"].append(("t", i))
        edges.extend([index[id(p)], i] for p in t.parents)
    _chunk(groups, nodes)
    for g in groups:
        g["size"] = 0
    for n in nodes:  # member counts, every ancestor included
        g = n["g"]
        while g is not None:
            groups[g]["size"] += 1
            g = groups[g]["parent"]
    expanded, visible = _initial_view(groups)
    for g in groups:
        del g["members"]
    return {"nodes": nodes, "edges": edges, "groups": groups, "expanded": expanded, "visible": visible,
            "params": sorted(set(param_names.values()))}


def _module_of(scope):
    """The Module a recorded op belongs to: its scope, or the module a function call (``tg.scoped``, e.g.
    ``layer_norm`` inside ``norm1``) was made in."""
    while scope is not None and not hasattr(scope, "named_modules"):
        scope = getattr(scope, "parent", None)
    return scope


def _home(t, kind, param_names, module_names, modules, consumers):
    """Module path whose group holds ``t``: an op's recording module; a parameter's owner; for a constant,
    the one module all its consumers share (the 2.0 of a layer's ``x * 2.0`` collapses with that layer);
    else None (the top level), as for an input."""
    if not t.is_leaf:
        module = _module_of(t.scope)
        return None if module is None else module_names.get(id(module))
    name = param_names.get(id(t))
    if name is not None:
        return (name.rsplit(".", 1)[0] if "." in name else "") if modules else None
    if kind == "constant":
        homes = {_home(c, "op", param_names, module_names, modules, consumers) for c in consumers.get(id(t), ())}
        if len(homes) == 1:
            return homes.pop()
    return None


def _chunk(groups, nodes):
    """Split every group with more than ``BRANCH`` members into chunks ("ops 1-50"), nested as deep as
    needed, so no expansion shows more than ``BRANCH`` new nodes. Members keep their topological order."""
    gi = 0
    while gi < len(groups):  # chunks appended while looping are split in turn
        members = groups[gi]["members"]
        size = BRANCH
        while len(members) > BRANCH:
            while math.ceil(len(members) / size) > BRANCH:
                size *= BRANCH
            chunks = []
            for start in range(0, len(members), size):
                part = members[start:start + size]
                ci = len(groups)
                groups.append({"name": groups[gi]["name"], "label": f"items {start + 1}-{start + len(part)}",
                               "parent": gi, "depth": 0, "cls": "chunk", "members": part, "chunk": True})
                for kind, j in part:
                    if kind == "t":
                        nodes[j]["g"] = ci
                    else:
                        groups[j]["parent"] = ci
                chunks.append(("g", ci))
            groups[gi]["members"] = members = chunks
        gi += 1
    for g in groups:  # depths after chunking
        g["depth"], p = 0, g["parent"]
        while p is not None:
            g["depth"], p = g["depth"] + 1, groups[p]["parent"]
    _reorder(groups, nodes)


def _reorder(groups, nodes):
    """Chunks were appended after their subgroups: sort groups by depth so a parent comes before its
    children (the page relies on it), and renumber every reference."""
    order = sorted(range(len(groups)), key=lambda i: (groups[i]["depth"], i))
    new = {old: k for k, old in enumerate(order)}
    moved = [groups[i] for i in order]
    for g in moved:
        g["parent"] = None if g["parent"] is None else new[g["parent"]]
        g["members"] = [(kind, new[j] if kind == "g" else j) for kind, j in g["members"]]
    groups[:] = moved
    for n in nodes:
        n["g"] = new[n["g"]]


def _initial_view(groups):
    """Groups to show expanded at first: the root, then each whole level of the module tree while the view
    stays at most ``INITIAL_VISIBLE`` nodes, then any group whose expansion adds nothing (one member).
    Function calls (``layer_norm()``, ``cross_entropy()``) start as one node each, as a collapsed drawing
    shows them. Returns the expanded group ids and the visible node count."""
    def modules(ids):
        return [j for j in ids if groups[j]["cls"] != "function"]

    expanded, visible = {0}, len(groups[0]["members"])
    level = modules(j for kind, j in groups[0]["members"] if kind == "g")
    while level:
        grown = visible + sum(len(groups[gi]["members"]) - 1 for gi in level)
        if grown > INITIAL_VISIBLE:
            break
        expanded.update(level)
        visible = grown
        level = modules(j for gi in level for kind, j in groups[gi]["members"] if kind == "g")
    for gi, g in enumerate(groups):  # parents come first, so a free expansion can follow its parent's
        if gi not in expanded and g["parent"] in expanded and len(g["members"]) <= 1:
            expanded.add(gi)
    return sorted(expanded), visible


# ------------------------------------------------------------------------------------------ the page
_TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>tinygrad_edu graph explorer</title>
<style>
body {{ margin: 0; font: 13px sans-serif; }}
#bar {{ padding: 6px; background: #f4f4f4; border-bottom: 1px solid #ccc; display: flex; gap: 12px;
       align-items: center; }}
#view {{ width: 100vw; height: calc(100vh - 40px); display: block; cursor: grab; }}
#tip {{ position: fixed; display: none; background: #fffff0; border: 1px solid #999; padding: 6px;
       white-space: pre; font: 12px monospace; pointer-events: none; }}
.node rect {{ stroke: #555; stroke-width: 1; }} .node {{ cursor: pointer; }}
.node.match rect, .box.match {{ stroke: #ff6d00; stroke-width: 4; }}
.box {{ fill: none; stroke: #9575cd; stroke-dasharray: 4 3; }}
.boxlabel {{ fill: #5e35b1; cursor: pointer; font: bold 10px sans-serif; }}
.edge {{ fill: none; stroke: #888; }} .edge.back {{ stroke-dasharray: 3 3; }}
#legend {{ display: flex; align-items: center; gap: 4px; }}
</style></head><body>
<div id="bar"><b>tinygrad_edu</b>
<label>colour <select id="color"><option value="kind">by kind</option>
<option value="grad">by gradient magnitude</option><option value="sat">by activation saturation</option>
</select></label>
<input id="search" placeholder="search parameter or module">
<span id="legend"></span><span id="status"></span></div>
<svg id="view"></svg><div id="tip"></div>
<script>const DATA = {data};</script>
<script>{script}</script>
</body></html>
"""


_COLOR_MODES = ("kind", "grad", "sat")


def _page(data, color="kind"):
    text = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    script = (_STATIC / "explorer.js").read_text(encoding="utf-8")
    page = _TEMPLATE.format(data=text, script=script)
    return page.replace(f'<option value="{color}">', f'<option value="{color}" selected>', 1)
