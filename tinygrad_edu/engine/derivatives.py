"""The derivative table: every primitive with the local derivative its docstring states.

``DERIVATIVES.md`` at the repository root is this module's output; after changing a primitive or its
docstring, regenerate it with

    python -m tinygrad_edu.engine.derivatives > DERIVATIVES.md

(``tests/test_design_rules.py`` fails while the file is out of date). A primitive's derivative statement
is the text of its docstring from the first marker (``d/d``, ``dL/d``, ``Derivative`` or ``Backward``)
to the end of that paragraph: a blank line or the end of the docstring.
"""

import inspect
import re

from .ops import PRIMITIVES

MARKER = re.compile(r"\bd/d|\bdL/d|\bDerivative\b|\bBackward\b")  # capitalized: prose says "the backward closure"
FAMILIES = ("elementwise", "reduce", "movement", "matmul", "window", "fused")  # the order ops/__init__ lists them


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


if __name__ == "__main__":
    print(derivative_table(), end="")
