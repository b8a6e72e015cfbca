"""The derivative table: every primitive with the local derivative its docstring states.

``DERIVATIVES.md`` at the repository root is this module's output; after changing a primitive or its
docstring, regenerate it with

    python -m tinygrad_edu.engine.derivatives > DERIVATIVES.md

(``tests/test_design_rules.py`` fails while the file is out of date). The documentation site's pages
"The derivative of every operation" come from :func:`derivative_pages` when the site is built, so they
show the code as it is. A primitive's derivative statement
is the text of its docstring from the first marker (``d/d``, ``dL/d``, ``Derivative`` or ``Backward``)
to the end of that paragraph: a blank line or the end of the docstring.
"""

import importlib
import inspect
import re

from .ops import PRIMITIVES

MARKER = re.compile(r"\bd/d|\bdL/d|\bDerivative\b|\bBackward\b")  # capitalized: prose says "the backward closure"
# the order ops/__init__ lists them (sorting has no primitive of its own: it is composed)
FAMILIES = ("elementwise", "reduce", "movement", "matmul", "window", "fused", "conversion", "inplace")


def derivative_statement(doc):
    """The derivative statement of docstring ``doc`` on one line, or None when it has no marker."""
    doc = inspect.cleandoc(doc or "")
    found = MARKER.search(doc)
    if found is None:
        return None
    paragraph = re.split(r"\n[ \t]*\n", doc[found.start():], maxsplit=1)[0]
    return " ".join(paragraph.split())


def family(fn):
    """The ops module ``fn`` is defined in: ``elementwise``, ``reduce``, ..."""
    return fn.__module__.rpartition(".")[2]


def _order(item):
    name, fn = item
    fam = family(fn)
    # a family missing from FAMILIES sorts last rather than failing: the table is a report, the test a check
    rank = FAMILIES.index(fam) if fam in FAMILIES else len(FAMILIES)
    return rank, fam, fn.__code__.co_firstlineno


def _cell(text):
    return text.replace("\\", "\\\\").replace("`", "\\`").replace("|", "\\|")


def derivative_table():
    """``DERIVATIVES.md``: a markdown table of every primitive, its family and its derivative, by family
    in source order (registration order would change with the order the families import each other)."""
    lines = [
        "# Derivatives of the primitives",
        "",
        "Generated from the docstrings of `tinygrad_edu.engine.ops.PRIMITIVES` by",
        "`python -m tinygrad_edu.engine.derivatives > DERIVATIVES.md`; do not edit by hand.",
        "G or g is the gradient arriving at the op's output (H for an op that is itself a gradient), `out` the output.",
        "",
        "| primitive | family (module) | derivative |",
        "| --- | --- | --- |",
    ]
    for name, fn in sorted(PRIMITIVES.items(), key=_order):
        statement = derivative_statement(fn.__doc__) or "(missing)"
        lines.append(f"| {_cell(name)} | {family(fn)} | {_cell(statement)} |")
    return "\n".join(lines) + "\n"


def _page(fam, fns):
    """One family's page: the module's docstring, then each primitive's forward line, its derivative
    statement, its source (the backward closure included) and, for a fused primitive, its reference."""
    module = importlib.import_module(f"{__package__}.ops.{fam}")
    lines = [f"# {fam}", "", _markdown(inspect.cleandoc(module.__doc__ or "")), ""]
    for name, fn in fns:
        doc = inspect.cleandoc(fn.__doc__ or "")
        first = re.split(r"\n[ \t]*\n", doc, maxsplit=1)[0]
        forward = first[:MARKER.search(first).start()] if MARKER.search(first) else first
        statement = re.sub(r"^(Derivative|Backward)s?:\s*", "", derivative_statement(doc) or "(missing)")
        statement = _markdown(statement).replace("`", "")  # shown as one code span
        lines += [f"## {name}", "", f"`{fn.__name__}{inspect.signature(fn)}`", "",
                  f"**Forward:** {' '.join(_markdown(forward).split())}", "",
                  f"**Derivative:** `{statement}`", "",
                  "```python", inspect.getsource(fn).rstrip(), "```", ""]
        reference = getattr(module, f"{fn.__name__}_reference", None)
        if reference is not None:
            lines += [f"The plain composition it replaces, `{reference.__name__}` (the op table checks that "
                      "both give the same values and gradients):", "",
                      "```python", inspect.getsource(reference).rstrip(), "```", ""]
    return "\n".join(lines)


def _markdown(text):
    """reStructuredText code spans and roles (``x``, :func:`x`) as Markdown code spans."""
    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text).replace("``", "`")


def derivative_pages():
    """The site's derivative pages as ``{family: markdown}``, by family in :data:`FAMILIES` order, each
    primitive in source order."""
    by_family = {}
    for name, fn in sorted(PRIMITIVES.items(), key=_order):
        by_family.setdefault(family(fn), []).append((name, fn))
    return {fam: _page(fam, fns) for fam, fns in by_family.items()}


if __name__ == "__main__":
    print(derivative_table(), end="")
