"""The design rules of DESIGN.md that code can check, each enforced here:

1. ``make_op`` and the engine's private helpers are used inside ``engine/`` only;
2. no import cycles, and dependencies point one way: engine <- nn <- optim/data <- models/train <- viz/demo;
3. every primitive's docstring states its derivative, and a primitive's graph nodes carry its name;
4. every primitive is exercised, by the op table or by a named test file;
5. ``DERIVATIVES.md`` is the current output of ``tinygrad_edu.engine.derivatives``.

Rules 1 and 2 read the source with ``ast`` instead of importing it: an import that only runs in some
code path is a dependency all the same.
"""

import ast
import functools
import pathlib
import subprocess
import sys

from op_table import CASES, FUSED_CASES, outputs_list

import tinygrad_edu as tg
from tinygrad_edu.engine.derivatives import derivative_statement, derivative_table
from tinygrad_edu.engine.ops import PRIMITIVES

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = "tinygrad_edu"
ENGINE = "tinygrad_edu.engine"
REGENERATE = "python -m tinygrad_edu.engine.derivatives > DERIVATIVES.md"


# --------------------------------------------------------------------------- the package's source
@functools.lru_cache(maxsize=None)
def sources():
    """Every module of the package: dotted name -> (path relative to the repository, parsed tree)."""
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = (path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path)))
    return found


def is_package(module):
    return sources()[module][0].endswith("__init__.py")


def in_engine(module):
    return module == ENGINE or module.startswith(ENGINE + ".")


def is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def from_base(module, package, node):
    """The absolute module that ``from ... import`` statement ``node`` in ``module`` (a package's
    ``__init__`` when ``package``) names."""
    if node.level == 0:
        return node.module
    base = module if package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{node.module}" if node.module else base


def imported_modules(module, package, node, modules):
    """(package module, line) for each module of ``modules`` an import statement makes ``module`` load:
    ``from . import x`` loads the submodule x, ``from .pkg import name`` the package's ``__init__``."""
    if isinstance(node, ast.Import):
        return [(a.name, node.lineno) for a in node.names if a.name in modules]
    base = from_base(module, package, node)
    found = []
    for alias in node.names:
        if f"{base}.{alias.name}" in modules:
            found.append((f"{base}.{alias.name}", node.lineno))
        elif base in modules:
            found.append((base, node.lineno))
    return found


# ------------------------------------------------------------- 1. make_op and the private helpers
def private_engine_uses(module, package, tree, modules):
    """Lines of ``tree`` (the source of ``module``, outside the engine) that use ``make_op`` or a private
    name of an engine module: imported from it, or read as an attribute of the module object."""
    bound = {}  # local name -> the package module it is bound to
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    local = alias.asname or alias.name.split(".")[0]
                    bound[local] = alias.name if alias.asname else PACKAGE
        elif isinstance(node, ast.ImportFrom):
            base = from_base(module, package, node)
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                if alias.name == "make_op":
                    found.append((node.lineno, f"imports make_op from {base}"))
                elif f"{base}.{alias.name}" in modules:
                    bound[alias.asname or alias.name] = f"{base}.{alias.name}"
                elif in_engine(base) and is_private(alias.name):
                    found.append((node.lineno, f"imports the private {alias.name} from {base}"))

    def as_module(node):
        if isinstance(node, ast.Name):
            return bound.get(node.id)
        if isinstance(node, ast.Attribute):
            outer = as_module(node.value)
            if outer is not None and f"{outer}.{node.attr}" in modules:
                return f"{outer}.{node.attr}"
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "make_op":
            found.append((node.lineno, "uses make_op"))
        elif isinstance(node, ast.Attribute):
            owner = as_module(node.value)
            if node.attr == "make_op":
                found.append((node.lineno, "uses make_op"))
            elif owner is not None and in_engine(owner) and is_private(node.attr):
                found.append((node.lineno, f"reads the private {owner}.{node.attr}"))
    return sorted(set(found))


def test_make_op_and_private_engine_helpers_stay_inside_the_engine():
    modules = sources().keys()
    problems = []
    for module, (path, tree) in sources().items():
        if not in_engine(module):
            problems += [f"{path}:{line}: {what}"
                         for line, what in private_engine_uses(module, is_package(module), tree, modules)]
    assert not problems, ("make_op and the engine's private helpers are for engine/ only; use the public API "
                          "(tinygrad_edu.engine.tensor.constant(array) for _wrap, scope(owner), ...):\n"
                          + "\n".join(problems))


def test_graph_internals_are_read_through_the_public_tensor_api_outside_the_engine():
    """A Tensor's recorded node (``_ctx``) is the engine's: others use ``op``, ``parents``, ``is_leaf``, ``scope``."""
    problems = [f"{path}:{node.lineno}: .{node.attr}" for module, (path, tree) in sources().items()
                if not in_engine(module) for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and node.attr == "_ctx"]
    assert not problems, "the engine's node internals are read outside engine/:\n" + "\n".join(problems)


def test_the_private_use_check_catches_each_form():
    # the rule passes on a clean package, so prove it would fail: a checker that sees nothing passes too
    source = """
from ..engine.tensor import _wrap, constant
from ..engine import tensor, ops as O
from ..engine.random import generator as _generator
from .. import engine
import tinygrad_edu.engine.tensor as T
import tinygrad_edu as tg
from ..engine import __all__ as _names
tensor._wrap(1)
O.base._tensor(1)
T._grad_state
engine.tensor._new
tg.engine.ops._reflected
tg.make_op
"""
    modules = set(sources()) | {"tinygrad_edu.nn.example"}
    found = private_engine_uses("tinygrad_edu.nn.example", False, ast.parse(source), modules)
    assert [line for line, _ in found] == [2, 9, 10, 11, 12, 13, 14], found


# ------------------------------------------------------------------------ 2. imports: one direction
# DESIGN.md's layers, lowest first: a module may import from its own layer and those below. The command
# line and the package's __init__ (the empty name), which imports every layer, come last.
LAYERS = ({"engine"}, {"autograd", "linalg"}, {"nn"}, {"optim", "data"}, {"models", "train"},
          {"viz", "demo", "utils"}, {"run"}, {"__main__"}, {""})


def layer(module):
    part = module.split(".")[1] if "." in module else ""
    ranks = [i for i, names in enumerate(LAYERS) if part in names]
    assert ranks, f"{module} is in no layer of LAYERS: place {part!r} in DESIGN.md's order and in LAYERS"
    return ranks[0], part or PACKAGE


def import_graph(module_level_only):
    """module -> {imported package module: line}. Imports inside functions run only when called, so they
    cannot form an import-time cycle; for the direction of dependencies they count all the same."""
    modules = sources().keys()
    graph = {}
    for module, (_, tree) in sources().items():
        edges = graph.setdefault(module, {})
        nodes, stack = [], list(tree.body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                nodes.append(node)
            elif not (module_level_only and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))):
                stack.extend(ast.iter_child_nodes(node))
        for node in nodes:
            for target, line in imported_modules(module, is_package(module), node, modules):
                if target != module:
                    edges[target] = min(line, edges.get(target, line))
    return graph


def find_cycle(graph):
    """One import cycle as a list of modules (the first repeated at the end), or None. Depth-first search
    with an explicit stack, in sorted order so that the same cycle is reported every time."""
    state = {}  # module -> "open" while on the current path, "done" once fully explored
    for start in sorted(graph):
        if start in state:
            continue
        path, iters = [start], [iter(sorted(graph[start]))]
        state[start] = "open"
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = "done"
                iters.pop()
            elif state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = "open"
                path.append(nxt)
                iters.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_no_import_cycles():
    graph = import_graph(module_level_only=True)
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"  {a} -> {b}  ({sources()[a][0]}:{graph[a][b]})" for a, b in zip(cycle, cycle[1:])]
        raise AssertionError("import cycle:\n" + "\n".join(steps))


def test_find_cycle_reports_the_cycle():
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {}}) is None
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"b": 1}}) == ["b", "c", "b"]


def test_dependencies_point_one_way():
    problems = []
    for module, edges in import_graph(module_level_only=False).items():
        (rank, part) = layer(module)
        for target, line in edges.items():
            target_rank, target_part = layer(target)
            if target_rank > rank:
                problems.append(f"{sources()[module][0]}:{line}: {part} imports {target} ({target_part} is a "
                                "higher layer)")
    assert not problems, ("dependencies must point one way, engine <- nn <- optim/data <- models/train <- "
                          "viz/demo (DESIGN.md):\n" + "\n".join(problems))


# ---------------------------------------------------- 3. derivatives in docstrings, node names
def test_every_primitive_states_its_derivative():
    missing = [f"{name} ({fn.__module__}, line {fn.__code__.co_firstlineno})"
               for name, fn in PRIMITIVES.items() if derivative_statement(fn.__doc__) is None]
    assert not missing, ("these primitives' docstrings state no derivative: add one, introduced by d/d, dL/d, "
                         "Derivative or Backward (e.g. 'd/dx = 1 - out^2'):\n" + "\n".join(missing))


def test_the_derivative_statement_runs_from_the_marker_to_the_end_of_its_paragraph():
    doc = """Hyperbolic tangent,
        computed by NumPy.   d/dx = 1 -
        out^2 | `out` the result.

        Not part of it."""
    assert derivative_statement(doc) == "d/dx = 1 - out^2 | `out` the result."
    assert derivative_statement("Sum.\n\nBackward: broadcast g back.") == "Backward: broadcast g back."
    assert derivative_statement("Derivative: dL/dx = G W.\n   \nMore.") == "Derivative: dL/dx = G W."
    assert derivative_statement("a backward closure and a derivative, lower case") is None
    assert derivative_statement(None) is None


def _is_primitive(fn):
    return any(isinstance(d, ast.Name) and d.id == "primitive" for d in fn.decorator_list)


def _calls(tree, callee):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and (n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", None)) == callee]


def _argument(call, fn, name):
    """The expression ``call`` passes for parameter ``name`` of ``fn``."""
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    keywords = {k.arg: k.value for k in call.keywords}
    index = params.index(name)
    return call.args[index] if index < len(call.args) else keywords.get(name)


def _literal(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def test_make_op_names_its_primitive():
    problems, registered = [], set()
    for module, (path, tree) in sources().items():
        if module != ENGINE + ".ops" and not module.startswith(ENGINE + ".ops."):
            continue
        functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
        primitives = {name for name, f in functions.items() if _is_primitive(f)}
        registered |= {name.lstrip("_") for name in primitives}
        makers = set()  # the primitives whose nodes carry their own name
        outside = set(map(id, _calls(tree, "make_op"))) - {id(c) for f in functions.values()
                                                            for c in _calls(f, "make_op")}
        problems += [f"{path}: make_op called outside a function" for _ in outside]
        for fn in functions.values():
            for call in _calls(fn, "make_op"):
                where, op = f"{path}:{call.lineno}", call.args[0] if call.args else None
                params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
                if _literal(op) is not None:
                    if _literal(op) != fn.name.lstrip("_"):
                        problems.append(f"{where}: {fn.name} makes nodes named {_literal(op)!r}: name them "
                                        f"{fn.name.lstrip('_')!r}, the function's name")
                    elif fn.name not in primitives:
                        problems.append(f"{where}: {fn.name} calls make_op but is not registered with @primitive")
                    else:
                        makers.add(fn.name)
                elif isinstance(op, ast.Name) and op.id in params:
                    # a helper shared by several primitives (amax and amin): each caller names its own nodes
                    callers = [(g, c) for g in functions.values() for c in _calls(g, fn.name)]
                    if not callers:
                        problems.append(f"{where}: {fn.name} passes its parameter {op.id} to make_op but no "
                                        "function of this module calls it")
                    for caller, c in callers:
                        name = _literal(_argument(c, fn, op.id))
                        if caller.name not in primitives:
                            problems.append(f"{path}:{c.lineno}: {caller.name} makes nodes through {fn.name} but "
                                            "is not registered with @primitive")
                        elif name != caller.name.lstrip("_"):
                            problems.append(f"{path}:{c.lineno}: {caller.name} passes {op.id}={name!r} to "
                                            f"{fn.name}: pass the string literal {caller.name.lstrip('_')!r}")
                        else:
                            makers.add(caller.name)
                else:
                    problems.append(f"{where}: {fn.name} names its nodes with neither a string literal nor one "
                                    "of its parameters")
        problems += [f"{path}:{functions[name].lineno}: {name} is registered with @primitive but makes no node "
                     "of its name" for name in sorted(primitives - makers)]
    assert not problems, "graph nodes must carry the name of the primitive that made them:\n" + "\n".join(problems)
    assert set(PRIMITIVES) == set(registered), (
        "every primitive is defined with @primitive in engine/ops/: registered elsewhere "
        f"{sorted(set(PRIMITIVES) - set(registered))}, not registered {sorted(set(registered) - set(PRIMITIVES))}")


# ------------------------------------------------------------------------- 4. every primitive used
# Primitives that no op-table case records in its forward graph, with the test file that records them and a
# word that file must contain (found by recording the ops of every graph node while the suite ran)
EXERCISED_ELSEWHERE = {
    "index_add_zeros": ("test_ops.py", "gradgradcheck"),  # getitem's backward, differentiated again
    "col2im": ("test_conv.py", "fold"),  # F.fold, and unfold's backward
    "conv2d_input_grad": ("test_conv.py", "gradgradcheck"),  # conv2d's backward, differentiated again
    "conv2d_weight_grad": ("test_conv.py", "gradgradcheck"),
    "window_sum": ("test_conv.py", "avg_pool2d"),
    "spread": ("test_conv.py", "gradgradcheck"),  # pooling's backward, differentiated again
}


def graph_ops(outputs):
    seen, ops, stack = set(), set(), list(outputs)
    while stack:
        t = stack.pop()
        if id(t) not in seen:
            seen.add(id(t))
            ops.add(t.op)
            stack.extend(t.parents)
    return ops - {None}


def test_every_primitive_is_exercised():
    reached = set()
    runs = [(c.name, c.fn, c) for c in CASES]
    runs += [(c.name, f, c) for c in FUSED_CASES for f in (c.fused, c.reference)]
    for name, fn, case in runs:
        inputs = [tg.Tensor(a, requires_grad=True) for a in case.make_inputs()]
        reached |= graph_ops(outputs_list(fn(*inputs)))
    elsewhere = set(EXERCISED_ELSEWHERE)
    assert not elsewhere - set(PRIMITIVES), f"EXERCISED_ELSEWHERE names no primitive: {elsewhere - set(PRIMITIVES)}"
    assert not elsewhere & reached, (f"the op table now reaches {sorted(elsewhere & reached)}: remove them from "
                                     "EXERCISED_ELSEWHERE")
    unexercised = sorted(set(PRIMITIVES) - reached - elsewhere)
    assert not unexercised, (f"no op-table case reaches the primitives {unexercised}: add a case to "
                             "tests/op_table.py, or name the test file that covers them in EXERCISED_ELSEWHERE")
    for name, (test_file, word) in EXERCISED_ELSEWHERE.items():
        path = ROOT / "tests" / test_file
        assert path.is_file() and word in path.read_text(), f"{name}: tests/{test_file} lacks {word!r}"


# ------------------------------------------------------------------------------ 5. DERIVATIVES.md
def test_derivatives_md_is_current():
    path = ROOT / "DERIVATIVES.md"
    assert path.is_file(), f"DERIVATIVES.md is missing: generate it with `{REGENERATE}`"
    assert path.read_text() == derivative_table(), f"DERIVATIVES.md is out of date: regenerate it with `{REGENERATE}`"


def test_the_derivatives_command_prints_the_table():
    out = subprocess.run([sys.executable, "-m", "tinygrad_edu.engine.derivatives"], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout == derivative_table()
    rows = [line for line in out.stdout.splitlines() if line.startswith("| ")][2:]  # below the column names
    assert sorted(row.split(" | ")[0][2:] for row in rows) == sorted(PRIMITIVES)
