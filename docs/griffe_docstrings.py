"""A Griffe extension: the package's docstrings, written in plain reStructuredText habits, as Markdown.

The docstrings are read in terminals and editors first, so they stay as they are; for the site,
doctest examples (``>>>`` lines and their output) become Python code blocks instead of Markdown quotes,
and roles such as :func:`name` become code spans.
"""

import re

import griffe

ROLE = re.compile(r":\w+:`~?([^`]+)`")


def as_markdown(text):
    """``text`` with every run of doctest lines fenced as Python and reST roles as code spans."""
    out, indent = [], None  # indent: the doctest's indentation while inside one
    for line in text.split("\n"):
        if indent is None and line.lstrip().startswith(">>>"):
            out.append("```python")
            indent = len(line) - len(line.lstrip())
        elif indent is not None and not line.strip():
            out.append("```")
            indent = None
        out.append(ROLE.sub(r"`\1`", line) if indent is None else line[indent:])
    if indent is not None:
        out.append("```")
    return "\n".join(out)


class DocstringsAsMarkdown(griffe.Extension):
    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = as_markdown(obj.docstring.value)
