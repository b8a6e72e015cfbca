"""Forward values, gradients and second derivatives against PyTorch, in float64."""

import pytest

torch = pytest.importorskip("torch")

from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402
from op_table import CASES, outputs_list  # noqa: E402

import tinygrad_edu as tg  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12


def tolerances(dtype):
    return (RTOL, ATOL) if dtype == np.float64 else (1e-6, 1e-7)


def upstream(outs, seed):
    """A random dL/d(out) per output, in the output's dtype."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(tuple(o.shape)).astype(np.float32 if str(o.dtype).endswith("float32") else np.float64)
            for o in outs]


def run_tg(fn, arrays, seed=0):
    xs = [tg.Tensor(a, requires_grad=True) for a in arrays]
    outs = outputs_list(fn(*xs))
    vs = upstream(outs, seed)
    grads = tg.grad(outs, xs, [tg.Tensor(v) for v in vs], allow_unused=True)
    return [o.numpy() for o in outs], [np.zeros_like(a) if g is None else g.numpy() for g, a in zip(grads, arrays)]


def run_torch(fn, arrays, seed=0):
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    outs = outputs_list(fn(*xs))
    vs = upstream(outs, seed)
    grads = torch.autograd.grad(outs, xs, [torch.from_numpy(v) for v in vs], allow_unused=True)
    return ([o.detach().numpy() for o in outs],
            [np.zeros_like(a) if g is None else g.numpy(force=True) for g, a in zip(grads, arrays)])


def assert_same(got, expected, what):
    got_outs, got_grads = got
    exp_outs, exp_grads = expected
    assert len(got_outs) == len(exp_outs), what
    for k, (g, e) in enumerate(zip(got_outs, exp_outs)):
        assert g.shape == e.shape, f"{what}: output {k} shape {g.shape} vs torch {e.shape}"
        assert g.dtype == e.dtype, f"{what}: output {k} dtype {g.dtype} vs torch {e.dtype}"
        rtol, atol = tolerances(e.dtype)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"{what}: output {k}")
    for i, (g, e) in enumerate(zip(got_grads, exp_grads)):
        assert g.shape == e.shape and g.dtype == e.dtype, f"{what}: gradient {i}"
        np.testing.assert_allclose(g, e, rtol=RTOL, atol=ATOL, err_msg=f"{what}: gradient of input {i}")


# ------------------------------------------------------------------------------ (a) the op table
TORCH_CASES = [pytest.param(c, id=c.name) for c in CASES if c.torch_fn is not None]


def test_every_table_entry_has_a_torch_function():
    assert len(TORCH_CASES) == len(CASES)


@pytest.mark.parametrize("case", TORCH_CASES)
def test_op_matches_torch(case):
    for seed in (0, 1):
        arrays = case.make_inputs(seed)
        assert_same(run_tg(case.fn, arrays, seed), run_torch(case.torch_fn, arrays, seed), f"{case.name}[{seed}]")


# ------------------------------------------------------------------ (b) random composite expressions
TG = SimpleNamespace(
    name="tg", maximum=tg.maximum, minimum=tg.minimum, where=tg.where, cat=tg.cat, stack=tg.stack,
    gelu=lambda x, approximate="none": x.gelu(approximate), softplus=lambda x: x.softplus(), erf=lambda x: x.erf(),
    leaky_relu=lambda x, s: x.leaky_relu(s), const=lambda a: a,
    var=lambda x, d, k, c: x.var(d, keepdim=k, correction=c), tensor=lambda a: tg.Tensor(a))
TORCH = SimpleNamespace(
    name="torch", maximum=torch.maximum, minimum=torch.minimum, where=torch.where, cat=torch.cat, stack=torch.stack,
    gelu=lambda x, approximate="none": torch.nn.functional.gelu(x, approximate=approximate),
    softplus=torch.nn.functional.softplus, erf=torch.erf, leaky_relu=torch.nn.functional.leaky_relu,
    const=torch.from_numpy, var=lambda x, d, k, c: torch.var(x, d, keepdim=k, correction=c),
    tensor=torch.from_numpy)

UNARY = {
    "tanh": lambda L, x: x.tanh(),
    "sigmoid": lambda L, x: x.sigmoid(),
    "sin": lambda L, x: x.sin(),
    "cos": lambda L, x: x.cos(),
    "exp(tanh)": lambda L, x: x.tanh().exp(),
    "log(x^2+1)": lambda L, x: (x * x + 1).log(),
    "sqrt(x^2+0.5)": lambda L, x: (x * x + 0.5).sqrt(),
    "relu": lambda L, x: x.relu(),
    "abs": lambda L, x: x.abs(),
    "gelu": lambda L, x: L.gelu(x),
    "gelu_tanh": lambda L, x: L.gelu(x, approximate="tanh"),
    "softplus": lambda L, x: L.softplus(x),
    "erf": lambda L, x: L.erf(x),
    "neg": lambda L, x: -x,
    "square": lambda L, x: x ** 2,
    "affine": lambda L, x: 0.5 * x - 1,
    "leaky_relu": lambda L, x: L.leaky_relu(x, 0.1),
    "clamp": lambda L, x: x.clamp(-0.5, 0.8),
    "rpow": lambda L, x: 1.5 ** x.tanh(),
}

BINARY = {
    "add": lambda L, x, y: x + y,
    "sub": lambda L, x, y: x - y,
    "mul": lambda L, x, y: x * y,
    "div": lambda L, x, y: x / (y * y + 1),
    "rdiv": lambda L, x, y: 2.0 / (x * x + 0.5) - y,
    "maximum": lambda L, x, y: L.maximum(x, y),
    "minimum": lambda L, x, y: L.minimum(x, y),
    "pow": lambda L, x, y: (x * x + 0.5) ** y.tanh(),
    "where": lambda L, x, y: L.where(x > y, x, y * 2),
}


class Expression:
    """A random program over 2-3 inputs: a list of steps, each computing a new value from earlier ones.

    The same steps run on tinygrad_edu and on torch (``L`` holds the few functions that differ). While
    generating, the program runs on tinygrad_edu to learn each value's shape.
    """

    def __init__(self, seed):
        self.rng = rng = np.random.default_rng(1000 + seed)
        rows, cols = [(3, 4), (2, 3), (4, 2), (3, 3)][rng.integers(4)]
        shapes = [(rows, cols), (cols,), (rows, 1), (), (1, cols), (rows, cols)]
        n_inputs = int(rng.integers(2, 4))
        self.input_shapes = [(rows, cols)] + [shapes[i] for i in rng.choice(len(shapes), n_inputs - 1)]
        self.arrays = [rng.standard_normal(s) for s in self.input_shapes]
        self.steps, self.desc = [], [f"in{i}{s}" for i, s in enumerate(self.input_shapes)]
        self.values = [tg.Tensor(a) for a in self.arrays]  # tinygrad_edu values, for shapes while generating
        self.uses = [{i} for i in range(n_inputs)]
        for _ in range(int(rng.integers(3, 9))):
            self._add_step()
        unused = set(range(n_inputs)) - self.uses[-1]
        self.final_extra = sorted(unused)

    def _append(self, desc, fn, uses):
        self.values.append(fn(TG, self.values))
        self.steps.append(fn)
        self.desc.append(f"v{len(self.values) - 1}={desc}")
        self.uses.append(uses)

    def _pick(self):
        """Mostly the latest value (depth), sometimes any earlier one."""
        n = len(self.values)
        return n - 1 if self.rng.random() < 0.6 else int(self.rng.integers(n))

    def _add_step(self):
        rng = self.rng
        i = self._pick()
        x = self.values[i]
        kind = rng.choice(["unary", "binary", "binary", "reduce", "softmax", "matmul", "index", "move", "join"])
        if kind == "binary":
            candidates = [j for j, v in enumerate(self.values) if j != i and _broadcastable(x.shape, v.shape)]
            if candidates:
                missing = [j for j in candidates if not self.uses[j] <= self.uses[i]]
                j = int(rng.choice(missing or candidates))
                name = str(rng.choice(list(BINARY)))
                op = BINARY[name]
                return self._append(f"{name}(v{i},v{j})", lambda L, v, i=i, j=j, op=op: op(L, v[i], v[j]),
                                    self.uses[i] | self.uses[j])
        if kind == "reduce" and x.ndim >= 1:
            d = int(rng.integers(-x.ndim, x.ndim))
            keep = bool(rng.integers(2))
            name = str(rng.choice(["sum", "mean", "amax", "logsumexp", "var"]))
            if name == "var":
                c = 1 if x.shape[d] > 1 else 0
                fn = lambda L, v, i=i, d=d, k=keep, c=c: L.var(v[i], d, k, c)  # noqa: E731
            else:
                fn = lambda L, v, i=i, d=d, k=keep, name=name: getattr(v[i], name)(d, keepdim=k)  # noqa: E731
            return self._append(f"{name}(v{i},{d},keepdim={keep})", fn, self.uses[i])
        if kind == "softmax" and x.ndim >= 1:
            d = int(rng.integers(-x.ndim, x.ndim))
            name = str(rng.choice(["softmax", "log_softmax"]))
            return self._append(f"{name}(v{i},{d})", lambda L, v, i=i, d=d, name=name: getattr(v[i], name)(d),
                                self.uses[i])
        if kind == "matmul" and x.ndim >= 1:
            others = [j for j, v in enumerate(self.values) if j != i and v.ndim == 2 and x.shape[-1] == v.shape[0]]
            if others and rng.random() < 0.6:
                j = int(rng.choice(others))
                return self._append(f"v{i}@v{j}", lambda L, v, i=i, j=j: v[i] @ v[j], self.uses[i] | self.uses[j])
            if x.ndim == 1:
                return self._append(f"v{i}@v{i}", lambda L, v, i=i: v[i] @ v[i], self.uses[i])
            if rng.random() < 0.5:
                return self._append(f"v{i}@v{i}.mT", lambda L, v, i=i: v[i] @ v[i].mT, self.uses[i])
            return self._append(f"v{i}.mT@v{i}", lambda L, v, i=i: v[i].mT @ v[i], self.uses[i])
        if kind == "index" and x.ndim >= 1:
            n = x.shape[0]
            idx = rng.integers(0, n, int(rng.integers(2, 5)))
            mask = rng.random(x.shape) < 0.6
            mask.reshape(-1)[0] = True
            choices = {
                "int": lambda L, v, i=i: v[i][n - 1],
                "negative": lambda L, v, i=i: v[i][-1],
                "step": lambda L, v, i=i: v[i][::2],
                "array": lambda L, v, i=i, idx=idx: v[i][L.const(idx)],
                "ellipsis_none": lambda L, v, i=i: v[i][..., None],
                "mask": lambda L, v, i=i, mask=mask: v[i][L.const(mask)],
            }
            name = str(rng.choice(list(choices)))
            return self._append(f"v{i}[{name}]", choices[name], self.uses[i])
        if kind == "move" and x.ndim >= 1:
            choices = {
                "flatten": lambda L, v, i=i: v[i].flatten(),
                "unsqueeze": lambda L, v, i=i: v[i].unsqueeze(0),
                "reshape": lambda L, v, i=i: v[i].reshape(-1, 1),
            }
            if x.ndim >= 2:
                choices["transpose"] = lambda L, v, i=i: v[i].transpose(0, -1)
                choices["permute"] = lambda L, v, i=i, nd=x.ndim: v[i].permute(*reversed(range(nd)))
            name = str(rng.choice(list(choices)))
            return self._append(f"{name}(v{i})", choices[name], self.uses[i])
        if kind == "join" and x.ndim >= 1:
            same = [j for j, v in enumerate(self.values) if j != i and v.shape == x.shape]
            j = int(rng.choice(same)) if same else i
            d = int(rng.integers(-x.ndim, x.ndim))
            if rng.random() < 0.5:
                return self._append(f"cat(v{i},v{j},{d})", lambda L, v, i=i, j=j, d=d: L.cat([v[i], v[j].sin()], d),
                                    self.uses[i] | self.uses[j])
            return self._append(f"stack(v{i},v{j},{d})", lambda L, v, i=i, j=j, d=d: L.stack([v[i], v[j].cos()], d),
                                self.uses[i] | self.uses[j])
        name = str(rng.choice(list(UNARY)))
        op = UNARY[name]
        return self._append(f"{name}(v{i})", lambda L, v, i=i, op=op: op(L, v[i]), self.uses[i])

    def __call__(self, L, *inputs):
        values = list(inputs)
        for step in self.steps:
            values.append(step(L, values))
        out = values[-1]
        for k in self.final_extra:  # make every input reach the output
            out = out + values[k].tanh().sum()
        return out

    def __str__(self):
        return "; ".join(self.desc) + (f"; + tanh(in{self.final_extra}).sum()" if self.final_extra else "")


def _broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


N_EXPRESSIONS = 40
EXPRESSIONS = [Expression(seed) for seed in range(N_EXPRESSIONS)]


def test_expressions_are_varied():
    ops = set()
    for e in EXPRESSIONS:
        ops.update(d.split("=", 1)[1].split("(")[0].split("[")[0] for d in e.desc if "=" in d)
    for needed in ["sum", "logsumexp", "softmax", "log_softmax", "maximum", "cat", "stack"]:
        assert needed in ops, needed
    assert any("@" in str(e) for e in EXPRESSIONS)
    assert any("[array]" in str(e) or "[mask]" in str(e) for e in EXPRESSIONS)
    assert sum(len(e.steps) for e in EXPRESSIONS) >= 3 * N_EXPRESSIONS


@pytest.mark.parametrize("seed", range(N_EXPRESSIONS), ids=[f"expr{s}" for s in range(N_EXPRESSIONS)])
def test_random_expression_matches_torch(seed):
    e = EXPRESSIONS[seed]
    got = run_tg(lambda *xs: e(TG, *xs), e.arrays, seed)
    expected = run_torch(lambda *xs: e(TORCH, *xs), e.arrays, seed)
    assert all(np.isfinite(o).all() for o in expected[0]), str(e)
    assert_same(got, expected, str(e))


# ----------------------------------------------------------------- (c) Hessian-vector products
ONEHOT = np.eye(4)[[1, 3, 0]]
IDX = np.array([2, 0, 2, 1])


def hvp_expressions():
    return {
        "tanh_matmul": (lambda L, x, w: ((x @ w).tanh() ** 2).sum(), [(3, 4), (4, 2)]),
        "cross_entropy": (lambda L, x, w: -(x.log_softmax(-1) * L.const(ONEHOT)).sum() + (w * x).sigmoid().sum(),
                          [(3, 4), (4,)]),
        "softmax_weighted": (lambda L, x, y: (x.softmax(0) * y).sum() + x.logsumexp(1).sum() * y.mean(),
                             [(3, 4), (3, 4)]),
        "std_logsumexp": (lambda L, x, y: x.std(1).sum() + (x * y).logsumexp(0).sum(), [(3, 4), (1, 4)]),
        "pow_gelu": (lambda L, x, y: ((x * x + 1) ** y.tanh()).sum() + L.gelu(x * y).sum(), [(3, 4), (4,)]),
        "index_maximum_exp": (lambda L, x, y: (L.maximum(x[L.const(IDX)], y) * x[L.const(IDX)].exp()).sum(),
                              [(3, 4), ()]),
        "erf_softplus_div": (lambda L, x, y: (L.erf(x) / (y * y + 1) + L.softplus(x * y)).sum(), [(2, 3), (2, 1)]),
        "batched_matmul_var": (lambda L, x, w: L.var((x @ w).sin(), -1, False, 1).sum(), [(2, 3, 4), (4, 2)]),
    }


HVP_CASES = [pytest.param(fn, shapes, id=name) for name, (fn, shapes) in hvp_expressions().items()]
HVP_CASES += [pytest.param(lambda L, *xs, e=e: e(L, *xs), e.input_shapes, id=f"expr{s}")
              for s, e in enumerate(EXPRESSIONS[:10])]


def hvp_tg(fn, arrays, w, us):
    xs = [tg.Tensor(a, requires_grad=True) for a in arrays]
    f = (fn(TG, *xs) * tg.Tensor(w)).sum()
    gs = tg.grad(f, xs, create_graph=True)
    s = sum(((g * tg.Tensor(u)).sum() for g, u in zip(gs, us)), start=tg.Tensor(np.array(0.0)))
    if not s.requires_grad:
        return None
    return [np.zeros_like(a) if h is None else h.numpy() for h, a in zip(tg.grad(s, xs, allow_unused=True), arrays)]


def hvp_torch(fn, arrays, w, us):
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    f = (fn(TORCH, *xs) * torch.from_numpy(w)).sum()
    gs = torch.autograd.grad(f, xs, create_graph=True)
    s = sum((g * torch.from_numpy(u)).sum() for g, u in zip(gs, us))
    if not s.requires_grad:
        return None
    hs = torch.autograd.grad(s, xs, allow_unused=True)
    return [np.zeros_like(a) if h is None else h.numpy(force=True) for h, a in zip(hs, arrays)]  # force: ZeroTensor


@pytest.mark.parametrize("fn, shapes", HVP_CASES)
def test_hessian_vector_product_matches_torch(fn, shapes):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s) for s in shapes]
    with torch.no_grad():
        out_shape = tuple(fn(TORCH, *[torch.from_numpy(a) for a in arrays]).shape)
    w = rng.standard_normal(out_shape)
    us = [rng.standard_normal(s) for s in shapes]
    expected = hvp_torch(fn, arrays, w, us)
    got = hvp_tg(fn, arrays, w, us)
    assert (got is None) == (expected is None)
    if expected is not None:
        for i, (g, e) in enumerate(zip(got, expected)):
            np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-11, err_msg=f"HVP for input {i}")


def test_hvp_expressions_have_second_derivatives():
    """The hand-written expressions are all non-linear: torch finds a Hessian for each (no vacuous HVP)."""
    rng = np.random.default_rng(7)
    for name, (fn, shapes) in hvp_expressions().items():
        arrays = [rng.standard_normal(s) for s in shapes]
        with torch.no_grad():
            out_shape = tuple(fn(TORCH, *[torch.from_numpy(a) for a in arrays]).shape)
        h = hvp_torch(fn, arrays, rng.standard_normal(out_shape), [rng.standard_normal(s) for s in shapes])
        assert h is not None and any(np.abs(x).max() > 1e-3 for x in h), name


# ------------------------------------------------------------------- (d) stability of big logits
LOGITS = np.array([[1e4, -1e4, 0.0, 1e4 - 1.0], [-1e4, -1e4, -1e4 + 2.0, -1e4 + 1.0], [3.0, -1e4, 1e4, 2.0]])
STABLE = [
    ("log_softmax_last", lambda x: x.log_softmax(-1)),
    ("log_softmax_dim0", lambda x: x.log_softmax(0)),
    ("softmax_last", lambda x: x.softmax(-1)),
    ("softmax_dim0", lambda x: x.softmax(0)),
    ("logsumexp_last", lambda x: x.logsumexp(-1)),
    ("logsumexp_dim0_keepdim", lambda x: x.logsumexp(0, keepdim=True)),
    ("logsumexp_all", lambda x: x.logsumexp((0, 1))),
    ("log_softmax_scaled", lambda x: (x * 3).log_softmax(-1)),
]


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["pos", "neg"])
@pytest.mark.parametrize("fn", [pytest.param(fn, id=name) for name, fn in STABLE])
def test_large_logits_stable_and_match_torch(fn, sign):
    arrays = [sign * LOGITS]
    got, expected = run_tg(fn, arrays, 3), run_torch(fn, arrays, 3)
    for arr in got[0] + got[1]:
        assert np.isfinite(arr).all()
    assert_same(got, expected, "large logits")


@pytest.mark.parametrize("fn", [pytest.param(fn, id=name) for name, fn in STABLE])
def test_large_logits_float32(fn):
    x = LOGITS.astype(np.float32)
    got = fn(tg.Tensor(x)).numpy()
    expected = fn(torch.from_numpy(x)).numpy()
    assert got.dtype == np.float32 and np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)  # a few float32 ulps of the result
