"""Op-table entries for the reduce and sorting ops added with PyTorch's vocabulary (registered into op_table.CASES)."""

import numpy as np
from op_table import COVERED_OPS, F64, IDX_REPEAT, avoiding, case, distinct, t, torch

import tinygrad_edu as tg

_ops = tg.engine.ops


def with_zeros(*shape, at=((0, 1),)):
    """Standard normal values with exact zeros at the positions ``at``: prod and cumprod are polynomials,
    so finite differences stay exact at 0."""

    def gen(rng):
        x = rng.standard_normal(shape)
        for i in at:
            x[i] = 0.0
        return x

    return gen


def np_logcumsumexp(a, d):
    return np.logaddexp.accumulate(a, axis=d)


def distinct_abs(*shape):
    """Distinct values whose absolute values are distinct too (by 0.1) and at least 0.05 from 0: the kinks of
    |x| and the ties of max |x| stay away."""
    return lambda rng: distinct(*shape, gap=0.4)(rng) + 0.1


def np_lower_median(a, d=None, keepdims=False):
    s = np.sort(a, axis=d)
    if d is None:
        return s.reshape(-1)[(a.size - 1) // 2]
    return np.take(s, [(a.shape[d] - 1) // 2] if keepdims else (a.shape[d] - 1) // 2, axis=d)


def np_norm(a, p, d=None, keepdims=False):
    r = np.abs(a)
    if p == np.inf:
        return np.max(r, axis=d, keepdims=keepdims)
    if p == -np.inf:
        return np.min(r, axis=d, keepdims=keepdims)
    return np.sum(r ** p, axis=d, keepdims=keepdims) ** (1.0 / p)


# prod: no zero, one zero (its gradient is the product of the others), two zeros (all gradients 0, but
# the second derivative between the two zeros is not)
case("prod_all", lambda a: a.prod(), np.prod, [(2, 3)], lambda a: a.prod())
case("prod_dim_keepdim", lambda a: tg.prod(a, 1, keepdim=True), lambda a: np.prod(a, 1, keepdims=True), [(2, 3, 2)],
     lambda a: torch.prod(a, 1, keepdim=True))
case("prod_axis_alias", lambda a: a.prod(axis=-1), lambda a: np.prod(a, -1), [(3, 4)], lambda a: a.prod(-1))
case("prod_one_zero", lambda a: a.prod(1), lambda a: np.prod(a, 1), [with_zeros(3, 4, at=((0, 1), (2, 3)))],
     lambda a: a.prod(1))
case("prod_two_zeros_all", lambda a: a.prod(), np.prod, [with_zeros(2, 3, at=((0, 1), (1, 2)))], lambda a: a.prod())
case("prod_0d", lambda a: a.prod(), np.prod, [()], lambda a: a.prod())

# scans
for _d in (0, 1, -1):
    case(f"cumsum_dim{_d}", lambda a, d=_d: a.cumsum(d), lambda a, d=_d: np.cumsum(a, d), [(3, 4)],
         lambda a, d=_d: a.cumsum(d))
    case(f"cumprod_dim{_d}", lambda a, d=_d: tg.cumprod(a, d), lambda a, d=_d: np.cumprod(a, d), [(3, 4)],
         lambda a, d=_d: torch.cumprod(a, d))
    case(f"logcumsumexp_dim{_d}", lambda a, d=_d: a.logcumsumexp(d), lambda a, d=_d: np_logcumsumexp(a, d),
         [(3, 4)], lambda a, d=_d: a.logcumsumexp(d))
case("cumsum_axis_alias_3d", lambda a: tg.cumsum(a, axis=1), lambda a: np.cumsum(a, 1), [(2, 3, 2)],
     lambda a: torch.cumsum(a, 1))
case("cumsum_0d", lambda a: a.cumsum(0), lambda a: a, [()], lambda a: a.cumsum(0))
case("cumprod_zeros", lambda a: a.cumprod(1), lambda a: np.cumprod(a, 1),
     [with_zeros(2, 5, at=((0, 1), (1, 1), (1, 3)))], lambda a: a.cumprod(1))
case("cumprod_zero_first", lambda a: a.cumprod(0), lambda a: np.cumprod(a, 0), [with_zeros(4, 2, at=((0, 0),))],
     lambda a: a.cumprod(0))
case("logcumsumexp_wide_range", lambda a: a.logcumsumexp(0), lambda a: np_logcumsumexp(a, 0),
     [lambda rng: np.array([-300.0, 2.0, 700.0, -5.0, 701.5])], lambda a: a.logcumsumexp(0))
case("cummax_dim1", lambda a: a.cummax(1).values, lambda a: np.maximum.accumulate(a, 1), [distinct(3, 5)],
     lambda a: a.cummax(1).values)
case("cummax_dim0", lambda a: tg.cummax(a, 0)[0], lambda a: np.maximum.accumulate(a, 0), [distinct(4, 3)],
     lambda a: torch.cummax(a, 0)[0])
case("cummin_dim1", lambda a: a.cummin(-1).values, lambda a: np.minimum.accumulate(a, -1), [distinct(3, 5)],
     lambda a: a.cummin(-1).values)

# statistics
case("median_all_odd", lambda a: a.median(), np_lower_median, [distinct(3, 5)], lambda a: a.median())
case("median_all_even", lambda a: tg.median(a), np_lower_median, [distinct(2, 4)], lambda a: torch.median(a))
case("median_dim", lambda a: a.median(1).values, lambda a: np_lower_median(a, 1), [distinct(3, 4)],
     lambda a: a.median(1).values)
case("median_dim_keepdim", lambda a: a.median(0, keepdim=True)[0], lambda a: np_lower_median(a, 0, True),
     [distinct(5, 2)], lambda a: a.median(0, keepdim=True)[0])
case("var_mean", lambda a: tg.var_mean(a, 1), lambda a: (np.var(a, 1, ddof=1), np.mean(a, 1)), [(3, 4)],
     lambda a: torch.var_mean(a, 1))
case("var_mean_correction0", lambda a: tg.var_mean(a, correction=0, keepdim=True),
     lambda a: (np.var(a, keepdims=True), np.mean(a, keepdims=True)), [(3, 4)],
     lambda a: torch.var_mean(a, correction=0, keepdim=True))
case("std_mean", lambda a: tg.std_mean(a, (0, 2)), lambda a: (np.std(a, (0, 2), ddof=1), np.mean(a, (0, 2))),
     [(2, 3, 4)], lambda a: torch.std_mean(a, (0, 2)))
case("std_mean_unbiased_false", lambda a: tg.std_mean(a, 0, unbiased=False),
     lambda a: (np.std(a, 0), np.mean(a, 0)), [(3, 4)], lambda a: torch.std_mean(a, 0, unbiased=False))
case("mean_dtype_axis", lambda a: a.mean(axis=1, dtype=F64), lambda a: np.mean(a, 1), [(3, 4)],
     lambda a: a.mean(1, dtype=torch.float64), out_dtype=F64)
case("sum_dtype_axis", lambda a: tg.sum(a, axis=(0, 1), dtype=tg.float64), lambda a: np.sum(a, (0, 1)), [(2, 3, 2)],
     lambda a: torch.sum(a, (0, 1), dtype=torch.float64), out_dtype=F64)
case("logsumexp_axis_alias", lambda a: a.logsumexp(axis=0), lambda a: np.log(np.sum(np.exp(a), 0)), [(3, 4)],
     lambda a: a.logsumexp(0))

# norms
_VN = [("2", 2, None, False), ("1_dim", 1, 1, False), ("3_keepdim", 3, -1, True), ("inf_dim", np.inf, 0, False),
       ("neginf", -np.inf, None, False), ("half", 0.5, 1, False), ("2_tuple", 2, (0, 1), True)]
for _tag, _p, _d, _k in _VN:
    case(f"vector_norm_{_tag}", lambda a, p=_p, d=_d, k=_k: _ops.vector_norm(a, p, d, k),
         lambda a, p=_p, d=_d, k=_k: np_norm(a, p, d, k), [distinct_abs(3, 4)],
         lambda a, p=_p, d=_d, k=_k: torch.linalg.vector_norm(a, p, d, k))
case("norm_fro", lambda a: a.norm(), lambda a: np.sqrt(np.sum(a * a)), [(3, 4)], lambda a: a.norm())
case("norm_fro_dim", lambda a: tg.norm(a, "fro", dim=(0, 1)), lambda a: np.sqrt(np.sum(a * a, (0, 1))),
     [(2, 3, 2)], lambda a: torch.norm(a, "fro", dim=(0, 1)))
case("norm_p1_axis", lambda a: a.norm(1, axis=1, keepdim=True), lambda a: np.sum(np.abs(a), 1, keepdims=True),
     [distinct_abs(3, 4)], lambda a: a.norm(1, dim=1, keepdim=True))
case("norm_with_zero_row", lambda a: a.norm(dim=1), lambda a: np.sqrt(np.sum(a * a, 1)),
     [with_zeros(3, 2, at=((1, 0), (1, 1)))], lambda a: a.norm(dim=1), twice_differentiable=False)

# 0-d tensors along dim 0 / -1
case("softmax_0d", lambda a: a.softmax(0), lambda a: np.ones_like(a), [()], lambda a: a.softmax(0))
case("log_softmax_0d", lambda a: a.log_softmax(-1), lambda a: np.zeros_like(a), [()], lambda a: a.log_softmax(-1))
case("max_0d_dim", lambda a: a.max(0).values, lambda a: a, [()], lambda a: a.max(0).values)
case("softmax_axis_alias", lambda a: a.softmax(axis=0), lambda a: np.exp(a) / np.exp(a).sum(0), [(3, 2)],
     lambda a: a.softmax(0))

# sorting and selection: the values, whose gradient goes back where each came from
for _tag, _d, _desc in [("last", -1, False), ("dim0_descending", 0, True)]:
    case(f"sort_{_tag}", lambda a, d=_d, s=_desc: tg.sort(a, d, s).values,
         lambda a, d=_d, s=_desc: -np.sort(-a, d) if s else np.sort(a, d), [distinct(3, 4)],
         lambda a, d=_d, s=_desc: torch.sort(a, d, s).values)
case("msort", lambda a: tg.msort(a), lambda a: np.sort(a, 0), [distinct(4, 3)], lambda a: torch.msort(a))
case("topk_largest", lambda a: tg.topk(a, 2).values, lambda a: -np.sort(-a, -1)[:, :2], [distinct(3, 5)],
     lambda a: torch.topk(a, 2).values)
case("topk_smallest_dim0", lambda a: a.topk(3, dim=0, largest=False)[0], lambda a: np.sort(a, 0)[:3],
     [distinct(4, 2)], lambda a: a.topk(3, dim=0, largest=False)[0])
case("kthvalue", lambda a: tg.kthvalue(a, 2).values, lambda a: np.sort(a, -1)[:, 1], [distinct(3, 4)],
     lambda a: torch.kthvalue(a, 2).values)
case("kthvalue_dim0_keepdim", lambda a: a.kthvalue(3, 0, True).values, lambda a: np.sort(a, 0)[2:3],
     [distinct(4, 2)], lambda a: a.kthvalue(3, 0, True).values)
_SEL = np.array([[True, False, True], [False, False, True]])
case("masked_select", lambda a: tg.masked_select(a, tg.Tensor(_SEL)), lambda a: a[_SEL], [(2, 3)],
     lambda a: torch.masked_select(a, t(_SEL)))
case("masked_select_broadcast", lambda a: a.masked_select(tg.Tensor(_SEL[0])),
     lambda a: np.broadcast_to(a, (2, 3))[np.broadcast_to(_SEL[0], (2, 3))], [(2, 1)],
     lambda a: a.masked_select(t(_SEL[0])))

# any / all have no gradient: these entries use their bool results as masks (rows 0 and 2 have an element > 1)
_ROWS = np.array([[1.5, 0.2, -0.3], [0.1, -0.2, 0.4], [-2.0, 0.5, 1.2], [0.3, 0.6, -0.9]])
_rows = lambda rng: _ROWS + rng.uniform(-0.05, 0.05, _ROWS.shape)  # noqa: E731
case("any_as_mask", lambda a: tg.where((a > 1.0).any(1, keepdim=True), a, -a),
     lambda a: np.where((a > 1.0).any(1, keepdims=True), a, -a), [_rows],
     lambda a: torch.where((a > 1.0).any(1, keepdim=True), a, -a))
case("all_as_mask", lambda a: tg.where(tg.all(a < 1.0, axis=-1), a.sum(-1), a.prod(-1)),
     lambda a: np.where(np.all(a < 1.0, -1), a.sum(-1), a.prod(-1)), [_rows],
     lambda a: torch.where(torch.all(a < 1.0, -1), a.sum(-1), a.prod(-1)))

# argsort, nonzero and unique give indices (no gradient): these entries index with them
case("argsort_gather", lambda a: a.gather(1, a.argsort(1, descending=True)), lambda a: -np.sort(-a, 1),
     [distinct(3, 4)], lambda a: a.gather(1, a.argsort(1, descending=True)))
case("nonzero_as_tuple_index", lambda a: a[(a > 0.5).nonzero(as_tuple=True)], lambda a: a[a > 0.5],
     [avoiding(3, 4, points=(0.5,))], lambda a: a[(a > 0.5).nonzero(as_tuple=True)])
case("nonzero_rows", lambda a: a[tg.nonzero(a[:, 0] > 0)[:, 0]], lambda a: a[a[:, 0] > 0], [avoiding(5, 2)],
     lambda a: a[torch.nonzero(a[:, 0] > 0)[:, 0]])
case("unique_inverse_index", lambda a: a[tg.unique(tg.Tensor(IDX_REPEAT), return_inverse=True)[1]],
     lambda a: a[np.unique(IDX_REPEAT, return_inverse=True)[1]], [(3, 2)],
     lambda a: a[torch.unique(t(IDX_REPEAT), return_inverse=True)[1]])
case("unique_values_counts", lambda a: a[tg.unique(tg.Tensor(IDX_REPEAT))] * tg.Tensor(IDX_REPEAT).unique(
     return_counts=True)[1], lambda a: a[[0, 1, 2]] * np.array([1, 1, 3]), [(3,)],
     lambda a: a[torch.unique(t(IDX_REPEAT))] * t(IDX_REPEAT).unique(return_counts=True)[1])

COVERED_OPS.update({"prod", "cumsum", "cumprod", "logcumsumexp", "cummax", "cummin", "median", "var_mean", "std_mean",
                    "vector_norm", "norm", "sort", "msort", "topk", "kthvalue", "masked_select", "any", "all",
                    "argsort", "nonzero", "unique"})
