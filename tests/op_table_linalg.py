"""Op-table entries for the linalg ops added with PyTorch's vocabulary (registered into op_table.CASES)."""

import numpy as np
from op_table import COVERED_OPS, case, torch

import tinygrad_edu as tg

# einsum: (tag, equation, operand shapes[, NumPy reference]), checked against np.einsum (which cannot sum
# over an ellipsis) and torch.einsum
_EINSUM = [
    ("matmul", "ij,jk->ik", [(2, 3), (3, 4)]),
    ("implicit_output", "ij,jk", [(2, 3), (3, 4)]),
    ("batched", "bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("attention_scores", "bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("three_operands", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("outer", "i,j->ij", [(3,), (4,)]),
    ("dot", "i,i->", [(4,), (4,)]),
    ("transpose", "ij->ji", [(2, 3)]),
    ("implicit_transpose", "ji", [(2, 3)]),
    ("sum_all", "ijk->", [(2, 3, 4)]),
    ("sum_one_operand_only", "ij,k->ik", [(2, 3), (4,)]),
    ("diagonal", "ii->i", [(3, 3)]),
    ("trace", "ii", [(3, 3)]),
    ("diagonal_times_vector", "ii,i->i", [(3, 3), (3,)]),
    ("repeated_in_3d", "iij->j", [(3, 3, 2)]),
    ("ellipsis_batched_matmul", "...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),
    ("ellipsis_implicit_broadcast", "...ij,...jk", [(2, 1, 2, 3), (5, 3, 4)]),
    ("ellipsis_summed_middle", "b...,b...->b", [(2, 3, 4), (2, 1, 4)], lambda a, b: (a * b).sum((1, 2))),
    ("ellipsis_summed", "...i->i", [(2, 3, 4)], lambda a: a.sum((0, 1))),
    ("size_one_broadcast", "ij,ij->ij", [(1, 3), (2, 3)]),
    ("spaces", "i j , j k -> i k", [(2, 3), (3, 2)]),
]
for _tag, _eq, _shapes, *_ref in _EINSUM:
    case(f"einsum_{_tag}", lambda *xs, eq=_eq: tg.einsum(eq, *xs),
         _ref[0] if _ref else lambda *xs, eq=_eq: np.einsum(eq, *xs), _shapes,
         lambda *xs, eq=_eq: torch.einsum(eq, *xs))
case("einsum_operand_list", lambda a, b: tg.einsum("ij,jk->ik", [a, b]), lambda a, b: a @ b, [(2, 3), (3, 4)],
     lambda a, b: torch.einsum("ij,jk->ik", [a, b]))

case("mm", tg.mm, np.matmul, [(2, 3), (3, 4)], lambda a, b: torch.mm(a, b))
case("mm_method_transposed", lambda a, b: a.mm(b.T), lambda a, b: a @ b.T, [(2, 3), (4, 3)], lambda a, b: a.mm(b.T))
case("bmm", tg.bmm, np.matmul, [(2, 3, 4), (2, 4, 5)], lambda a, b: torch.bmm(a, b))
case("bmm_method", lambda a, b: a.bmm(b), np.matmul, [(3, 1, 2), (3, 2, 2)], lambda a, b: a.bmm(b))
case("mv", tg.mv, np.matmul, [(3, 4), (4,)], lambda a, v: torch.mv(a, v))
case("mv_method", lambda a, v: a.mv(v), np.matmul, [(2, 3), (3,)], lambda a, v: a.mv(v))
case("dot", tg.dot, np.dot, [(5,), (5,)], lambda a, b: torch.dot(a, b))
case("dot_method_same_operand", lambda a: a.dot(a), lambda a: np.dot(a, a), [(4,)], lambda a: a.dot(a))
case("outer", tg.outer, np.outer, [(3,), (4,)], lambda a, b: torch.outer(a, b))
case("ger", tg.ger, np.outer, [(2,), (3,)], lambda a, b: torch.outer(a, b))
case("ger_method", lambda a, b: a.outer(b), np.outer, [(3,), (2,)], lambda a, b: a.outer(b))
case("addmm", tg.addmm, lambda c, a, b: c + a @ b, [(2, 4), (2, 3), (3, 4)], lambda c, a, b: torch.addmm(c, a, b))
case("addmm_scaled_broadcast", lambda c, a, b: tg.addmm(c, a, b, beta=0.5, alpha=-2.0),
     lambda c, a, b: 0.5 * c - 2.0 * (a @ b), [(4,), (2, 3), (3, 4)],
     lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=-2.0))
case("addmm_beta_zero", lambda c, a, b: c.addmm(a, b, beta=0), lambda c, a, b: a @ b, [(2, 4), (2, 3), (3, 4)],
     lambda c, a, b: c.addmm(a, b, beta=0))
case("baddbmm", lambda c, a, b: tg.baddbmm(c, a, b, alpha=0.5), lambda c, a, b: c + 0.5 * (a @ b),
     [(2, 3, 4), (2, 3, 2), (2, 2, 4)], lambda c, a, b: torch.baddbmm(c, a, b, alpha=0.5))
case("addbmm", lambda c, a, b: tg.addbmm(c, a, b, beta=2.0), lambda c, a, b: 2.0 * c + (a @ b).sum(0),
     [(3, 4), (2, 3, 2), (2, 2, 4)], lambda c, a, b: torch.addbmm(c, a, b, beta=2.0))
case("addmv", tg.addmv, lambda c, a, v: c + a @ v, [(3,), (3, 4), (4,)], lambda c, a, v: torch.addmv(c, a, v))
case("addmv_method_scaled", lambda c, a, v: c.addmv(a, v, beta=-1.0, alpha=3.0), lambda c, a, v: -c + 3.0 * (a @ v),
     [(1,), (3, 4), (4,)], lambda c, a, v: c.addmv(a, v, beta=-1.0, alpha=3.0))
case("addr", tg.addr, lambda c, a, b: c + np.outer(a, b), [(3, 4), (3,), (4,)], lambda c, a, b: torch.addr(c, a, b))
case("tensordot", tg.tensordot, lambda a, b: np.tensordot(a, b, 2), [(2, 3, 4), (3, 4, 5)],
     lambda a, b: torch.tensordot(a, b))
case("tensordot_int_dims", lambda a, b: tg.tensordot(a, b, dims=1), lambda a, b: np.tensordot(a, b, 1),
     [(2, 3), (3, 4)], lambda a, b: torch.tensordot(a, b, dims=1))
case("tensordot_zero_dims", lambda a, b: tg.tensordot(a, b, dims=0), lambda a, b: np.tensordot(a, b, 0),
     [(2,), (3,)], lambda a, b: torch.tensordot(a, b, dims=0))
case("tensordot_dim_lists", lambda a, b: tg.tensordot(a, b, dims=([0, 2], [2, 0])),
     lambda a, b: np.tensordot(a, b, ([0, 2], [2, 0])), [(2, 3, 4), (4, 5, 2)],
     lambda a, b: torch.tensordot(a, b, dims=([0, 2], [2, 0])))
case("inner", tg.inner, np.inner, [(2, 3), (4, 3)], lambda a, b: torch.inner(a, b))
case("inner_vectors_method", lambda a, b: a.inner(b), np.inner, [(3,), (3,)], lambda a, b: a.inner(b))
case("inner_3d", tg.inner, np.inner, [(2, 1, 3), (4, 3)], lambda a, b: torch.inner(a, b))
case("inner_scalar", tg.inner, np.inner, [(), (2, 3)], lambda a, b: torch.inner(a, b))

COVERED_OPS.update({"einsum", "mm", "bmm", "mv", "dot", "outer", "ger", "addmm", "baddbmm", "addbmm", "addmv", "addr",
                    "tensordot", "inner"})
