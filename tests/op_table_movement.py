"""Op-table entries for the movement ops added with PyTorch's vocabulary (registered into op_table.CASES)."""

from op_table import COVERED_OPS, case  # noqa: F401
