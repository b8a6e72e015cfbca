"""Reading drawn graphs in tests: node labels as their fields.

``draw_graph`` labels each tensor with an HTML-like table, one row per field (name or op, shape and
dtype, data, grad). ``fields_view`` writes each such label as ``{ a | scalar float32 | data 2.0000 }``,
the fields in order between braces, so a test can look for a node's whole label in one string (the
legend's table, whose cells have borders, stays as it is).
"""

import html
import re

_TABLE = re.compile(r'<<TABLE BORDER="0" CELLBORDER="0"[^>]*>(.*?)</TABLE>>')  # a node's, not the legend's
_CELL = re.compile(r"<TD[^>]*>(.*?)</TD>")


def fields_view(source):
    """DOT ``source`` with every table label replaced by ``"{ field | field | ... }"``."""
    def fields(match):
        cells = [html.unescape(c) for c in _CELL.findall(match.group(1))]
        return '"{ ' + " | ".join(cells) + ' }"'
    return _TABLE.sub(fields, source)
