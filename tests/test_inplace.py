"""PyTorch's in-place semantics: the same small programs run on tinygrad_edu and on PyTorch.

Each program is a function of the module ``m`` (``tinygrad_edu`` or ``torch``). A parity test runs it
on both and compares values, gradients, ``is_leaf``, ``requires_grad``, ``_version``, identities and
errors (type and a key phrase). Tests that need no PyTorch check fixed expected values and never skip.
"""

import numpy as np
import pytest

import tinygrad_edu as tg

pytestmark = pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf:UserWarning")


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


# ------------------------------------------------------------------------------------------ helpers
def T(m, data, **kw):
    """``m.tensor(data)`` for PyTorch, ``Tensor(data)`` for us (the same dtype inference for lists)."""
    if m is tg:
        return tg.Tensor(data, **kw)
    return m.tensor(data, **kw)


def A(t):
    """A tensor's values as a NumPy array (a copy)."""
    return np.array(t.detach().numpy(), copy=True)


def G(t):
    return None if t.grad is None else A(t.grad)


def dname(d):
    """'float32' for tinygrad_edu.float32 and torch.float32 alike."""
    return str(d).split(".")[-1]


def state(t):
    """Everything a parity test compares about one tensor."""
    return {"value": A(t), "dtype": dname(t.dtype), "grad": G(t), "is_leaf": t.is_leaf,
            "requires_grad": t.requires_grad, "version": t._version}


class Raised:
    """What a program raised: the exception's type name and message."""

    def __init__(self, error):
        self.kind, self.message = type(error).__name__, str(error)

    def __repr__(self):
        return f"raised {self.kind}: {self.message}"


def outcome(prog, m):
    """prog(m)'s result, or a :class:`Raised`."""
    try:
        return prog(m)
    except Exception as e:  # noqa: BLE001  the outcome is compared with PyTorch's
        return Raised(e)


def assert_same(ours, ref, where="result"):
    """Compare nested results: dicts, tuples/lists, arrays (values and dtype), plain values."""
    if isinstance(ref, dict):
        assert isinstance(ours, dict) and ours.keys() == ref.keys(), f"{where}: {ours!r} vs torch {ref!r}"
        for k in ref:
            assert_same(ours[k], ref[k], f"{where}[{k!r}]")
    elif isinstance(ref, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(ref), f"{where}: {ours!r} vs torch {ref!r}"
        for i, (o, r) in enumerate(zip(ours, ref)):
            assert_same(o, r, f"{where}[{i}]")
    elif isinstance(ref, np.ndarray):
        assert isinstance(ours, np.ndarray), f"{where}: {ours!r} vs torch {ref!r}"
        assert ours.shape == ref.shape, f"{where}: shape {ours.shape} vs torch {ref.shape}"
        assert ours.dtype == ref.dtype, f"{where}: dtype {ours.dtype} vs torch {ref.dtype}"
        if ref.dtype.kind == "f":
            np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6, err_msg=where)
        else:
            np.testing.assert_array_equal(ours, ref, err_msg=where)
    else:
        assert ours == ref, f"{where}: {ours!r} vs torch {ref!r}"


def parity(prog, torch):
    """Run ``prog`` on both libraries; both raise (same type) or both give the same results."""
    ours, ref = outcome(prog, tg), outcome(prog, torch)
    if isinstance(ref, Raised):
        assert isinstance(ours, Raised), f"torch {ref!r}; we gave {ours!r}"
        assert ours.kind == ref.kind, f"we {ours!r}; torch {ref!r}"
        return ours, ref
    assert not isinstance(ours, Raised), f"we {ours!r}"
    assert_same(ours, ref)
    return ours, ref


def raises_like_torch(prog, torch, phrase):
    """``prog`` raises on both libraries, with the same exception type, and ``phrase`` in both messages."""
    ours, ref = parity(prog, torch)
    assert isinstance(ref, Raised), f"torch did not raise: {ref!r}"
    assert phrase.lower() in ref.message.lower(), f"torch's message changed: {ref.message}"
    assert phrase.lower() in ours.message.lower(), f"our message lacks {phrase!r}: {ours.message}"
    return ours


RNG = np.random.default_rng(0)
X34 = RNG.standard_normal((3, 4)).astype(np.float32)
Y34 = RNG.standard_normal((3, 4)).astype(np.float32)
C34 = RNG.standard_normal((3, 4)).astype(np.float32)  # upstream weights: loss = (out * C).sum()


# ----------------------------------------------------------------------------- optimizer-style updates
def prog_manual_sgd(m):
    w = T(m, [1.0, -2.0, 3.0], requires_grad=True)
    w0 = w
    (w * w).sum().backward()
    with m.no_grad():
        w -= 0.1 * w.grad
    after_step = state(w)
    w.grad.zero_()
    (w * w * w).sum().backward()
    return {"same_object": w is w0, "after_step": after_step, "after_second_backward": state(w)}


def test_manual_sgd_keeps_the_leaf(torch):
    parity(prog_manual_sgd, torch)


def test_manual_sgd_values():
    r = prog_manual_sgd(tg)
    assert r["same_object"]
    s = r["after_step"]
    np.testing.assert_allclose(s["value"], [0.8, -1.6, 2.4], rtol=1e-6)
    assert s["is_leaf"] and s["requires_grad"] and s["version"] == 1
    np.testing.assert_allclose(r["after_second_backward"]["grad"], 3 * np.array([0.8, -1.6, 2.4]) ** 2, rtol=1e-5)


def prog_data_update(m):
    p = T(m, [1.0, 2.0, 3.0], requires_grad=True)
    (p * p).sum().backward()
    p.data += -0.5 * p.grad  # makemore's update
    first = state(p)
    p.data.copy_(T(m, [4.0, 5.0, 6.0]))
    second = state(p)
    p.data.zero_()
    third = state(p)
    y = (p + 1).sum()
    y.backward()
    return first, second, third, state(p)


def test_update_through_data(torch):
    parity(prog_data_update, torch)


def test_update_through_data_values():
    first, second, third, last = prog_data_update(tg)
    np.testing.assert_allclose(first["value"], [0.0, 0.0, 0.0])
    assert first["is_leaf"] and first["requires_grad"] and first["version"] == 0  # .data writes are not seen
    np.testing.assert_allclose(second["value"], [4.0, 5.0, 6.0])
    np.testing.assert_allclose(third["value"], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(last["grad"], [3.0, 5.0, 7.0])  # 2p (p was 1, 2, 3) + 1


def prog_grad_zero(m):
    w = T(m, [1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    g = w.grad
    out = w.grad.zero_()
    zeroed, version = A(w.grad), g._version
    (w * 2).sum().backward()
    return {"returned_self": out is g, "zeroed": zeroed, "grad": G(w), "grad_version": version}


def test_grad_zero_(torch):
    parity(prog_grad_zero, torch)


def test_grad_zero_values():
    r = prog_grad_zero(tg)
    assert r["returned_self"] and r["grad_version"] == 1
    np.testing.assert_array_equal(r["zeroed"], [0.0, 0.0])
    np.testing.assert_allclose(r["grad"], [2.0, 2.0])


def test_backward_accumulates_into_the_existing_grad(torch):
    """A second backward adds into the ``.grad`` tensor already there (PyTorch's AccumulateGrad), so a
    reference to it (an optimizer's, a hook's) sees the new sum."""
    def prog(m):
        w = T(m, [1.0, 2.0], requires_grad=True)
        (w * 3).sum().backward()
        g = w.grad
        (w * 2).sum().backward()
        return {"same_grad_object": w.grad is g, "held": A(g), "grad": G(w)}
    parity(prog, torch)


# ------------------------------------------------------------------------------------ leaves and views
def leaf_write(write):
    def prog(m):
        w = T(m, [[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        try:
            write(m, w)
        except RuntimeError as e:
            return {"raised": True, "message_has_leaf": "leaf" in str(e).lower(), "after": state(w)}
        return {"raised": False, "after": state(w)}
    return prog


LEAF_WRITES = {
    "iadd": lambda m, w: w.__iadd__(1),
    "add_": lambda m, w: w.add_(1),
    "mul_": lambda m, w: w.mul_(2),
    "setitem": lambda m, w: w.__setitem__(0, 5.0),
    "zero_": lambda m, w: w.zero_(),
    "copy_": lambda m, w: w.copy_(T(m, [9.0, 9.0])),
    "row view add_": lambda m, w: w[0].add_(1),
    "element view add_": lambda m, w: w[0, 1].add_(1),
    "transpose view mul_": lambda m, w: w.t().mul_(2),
    "reshape view fill_": lambda m, w: w.view(4).fill_(0),
}


@pytest.mark.parametrize("name", list(LEAF_WRITES))
def test_leaf_requiring_grad_refuses_writes(name, torch):
    parity(leaf_write(LEAF_WRITES[name]), torch)


@pytest.mark.parametrize("name", list(LEAF_WRITES))
def test_leaf_refusal_changes_nothing(name):
    r = leaf_write(LEAF_WRITES[name])(tg)
    assert r["raised"] and r["message_has_leaf"]
    np.testing.assert_array_equal(r["after"]["value"], [[1.0, 2.0], [3.0, 4.0]])
    assert r["after"]["version"] == 0 and r["after"]["is_leaf"] and r["after"]["grad"] is None


def prog_leaf_of_1d_view(m):
    w = T(m, [1.0, 2.0, 3.0], requires_grad=True)
    try:
        w[0].add_(1)
    except RuntimeError as e:
        return ("raised", "leaf" in str(e), state(w))
    return ("no error", state(w))


def test_element_of_a_1d_leaf_is_a_view(torch):
    """``w[0]`` of a 1-d tensor is a 0-d view in PyTorch: writing it is writing the leaf."""
    parity(prog_leaf_of_1d_view, torch)


def prog_leaf_write_in_no_grad(m):
    w = T(m, [[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w0 = w
    with m.no_grad():
        w += 1
        w[0, 0] = 10.0
        w[1].mul_(2)
        w.t()[0].sub_(1)
    (w * w).sum().backward()
    return {"same": w is w0, "w": state(w)}


def test_leaf_write_inside_no_grad(torch):
    parity(prog_leaf_write_in_no_grad, torch)


def test_leaf_write_inside_no_grad_values():
    r = prog_leaf_write_in_no_grad(tg)
    expected = np.array([[9.0, 3.0], [7.0, 10.0]])
    assert r["same"] and r["w"]["is_leaf"] and r["w"]["requires_grad"]
    np.testing.assert_allclose(r["w"]["value"], expected)
    np.testing.assert_allclose(r["w"]["grad"], 2 * expected)
    assert r["w"]["version"] == 4


# ------------------------------------------------------------------------------- non-leaf rebasing
def prog_rebase_chain(m):
    w = T(m, [1.0, 2.0, 3.0], requires_grad=True)
    h = w * 2
    h0 = h
    h.add_(1)
    h.mul_(3)
    h[0] = 5
    (h * T(m, [1.0, 10.0, 100.0])).sum().backward()
    return {"same": h is h0, "h": state(h), "w": state(w)}


def test_rebase_chain(torch):
    parity(prog_rebase_chain, torch)


def test_rebase_chain_values():
    r = prog_rebase_chain(tg)
    np.testing.assert_allclose(r["h"]["value"], [5.0, 15.0, 21.0])
    np.testing.assert_allclose(r["w"]["grad"], [0.0, 60.0, 600.0])
    assert r["same"] and not r["h"]["is_leaf"] and r["h"]["requires_grad"] and r["h"]["version"] == 3


def prog_old_value_still_differentiates(m):
    w = T(m, [1.0, 2.0], requires_grad=True)
    b = w * 1
    c = b + 1  # add saves nothing: the later write into b is harmless
    d = b.sum() * 1  # nor does sum
    b.mul_(2)
    (c.sum() + b.sum() + d).backward()
    return state(w), state(c), state(b)


def test_ops_before_a_write_see_the_old_value(torch):
    parity(prog_old_value_still_differentiates, torch)


def test_ops_before_a_write_see_the_old_value_values():
    w, c, b = prog_old_value_still_differentiates(tg)
    np.testing.assert_allclose(w["grad"], [4.0, 4.0])  # 1 (through c) + 2 (through b) + 1 (through d)
    np.testing.assert_allclose(c["value"], [2.0, 3.0])
    np.testing.assert_allclose(b["value"], [2.0, 4.0])


def through_view(write):
    def prog(m):
        w = T(m, X34, requires_grad=True)
        v = T(m, Y34[0], requires_grad=True)
        b = w * 1
        write(m, b, v)
        (b * T(m, C34)).sum().backward()
        return {"b": state(b), "w": state(w), "v": state(v)}
    return prog


def _slice_mul(m, b, v):
    s = b[1:]
    s.mul_(10)


def _column_add(m, b, v):
    b[:, 0] += v[:3]


def _mask_zero(m, b, v):
    b[b > 0] = 0


def _t_add(m, b, v):
    b.t().add_(1)


def _t_row_mul(m, b, v):
    b.t()[1].mul_(v[:3])


def _view_fill(m, b, v):
    b.view(12)[5:9].fill_(2.0)


def _chain_of_views(m, b, v):
    b[1:][:, 2:].mul_(v[:2])


def _row_copy(m, b, v):
    b[2].copy_(v)


def _element_add(m, b, v):
    b[1, 2] += v[0]


VIEW_WRITES = {"slice mul_": _slice_mul, "column +=": _column_add, "mask = 0": _mask_zero, "t().add_": _t_add,
               "t()[1].mul_": _t_row_mul, "view()[5:9].fill_": _view_fill, "view of a view": _chain_of_views,
               "row copy_": _row_copy, "element +=": _element_add}


@pytest.mark.parametrize("name", list(VIEW_WRITES))
def test_write_through_a_view_of_a_non_leaf(name, torch):
    parity(through_view(VIEW_WRITES[name]), torch)


def test_slice_write_values():
    r = through_view(_slice_mul)(tg)
    expected = X34.copy()
    expected[1:] *= 10
    np.testing.assert_allclose(r["b"]["value"], expected, rtol=1e-6)
    grad = C34.copy()
    grad[1:] *= 10
    np.testing.assert_allclose(r["w"]["grad"], grad, rtol=1e-6)
    assert r["b"]["version"] == 1


def prog_setitem_makes_non_leaf(m):
    w = T(m, [2.0, 3.0], requires_grad=True)
    x = m.zeros(3)
    leaf_before = x.is_leaf
    x[1] = w[0] * 5
    info = {"leaf_before": leaf_before, "x": None}
    (x * T(m, [1.0, 2.0, 3.0])).sum().backward()
    info["x"], info["w"] = state(x), state(w)
    return info


def test_setitem_of_a_grad_value_makes_a_non_leaf(torch):
    parity(prog_setitem_makes_non_leaf, torch)


def test_setitem_of_a_grad_value_makes_a_non_leaf_values():
    r = prog_setitem_makes_non_leaf(tg)
    assert r["leaf_before"] and not r["x"]["is_leaf"] and r["x"]["requires_grad"]
    np.testing.assert_allclose(r["x"]["value"], [0.0, 10.0, 0.0])
    np.testing.assert_allclose(r["w"]["grad"], [10.0, 0.0])


def _int_index(m):
    return 1


def _slice_index(m):
    return slice(1, 3)


def _tuple_index(m):
    return (slice(None), 2)


def _bool_index(m):
    return T(m, [True, False, True])


def _int_array_index(m):
    return T(m, [2, 0])


def _list_index(m):
    return [0, 2]


def _ellipsis_index(m):
    return (Ellipsis, 1)


def _negative_index(m):
    return (-1, slice(1, None, 2))


SETITEM_INDICES = {"int": (_int_index, (4,)), "slice": (_slice_index, (2, 4)), "tuple": (_tuple_index, (3,)),
                   "bool mask": (_bool_index, (2, 4)), "int tensor": (_int_array_index, (2, 4)),
                   "int list": (_list_index, (2, 4)), "ellipsis": (_ellipsis_index, (3,)),
                   "negative + step": (_negative_index, (2,))}


def setitem_prog(index, shape, value_kind):
    def prog(m):
        w = T(m, X34, requires_grad=True)
        x = w * 1
        idx = index(m)
        if value_kind == "number":
            value = 7.5
        elif value_kind == "tensor":
            value = T(m, RNG_VALUES[: int(np.prod(shape))].reshape(shape), requires_grad=True)
        elif value_kind == "broadcast row":
            value = T(m, RNG_VALUES[: shape[-1]], requires_grad=True)
        else:  # a 0-d tensor
            value = T(m, 2.5, requires_grad=True)
        x[idx] = value
        (x * T(m, C34)).sum().backward()
        out = {"x": state(x), "w": state(w)}
        if not isinstance(value, float):
            out["value"] = state(value)
        return out
    return prog


RNG_VALUES = RNG.standard_normal(12).astype(np.float32)
SETITEM_CASES = [pytest.param(i, k, id=f"{i}-{k}") for i in SETITEM_INDICES
                 for k in ("number", "tensor", "broadcast row", "0-d tensor")]


@pytest.mark.parametrize("index, value_kind", SETITEM_CASES)
def test_setitem_gradients(index, value_kind, torch):
    fn, shape = SETITEM_INDICES[index]
    parity(setitem_prog(fn, shape, value_kind), torch)


def test_setitem_gradients_values():
    r = setitem_prog(_bool_index, (2, 4), "tensor")(tg)
    expected = X34.copy()
    expected[[0, 2]] = RNG_VALUES[:8].reshape(2, 4)
    np.testing.assert_allclose(r["x"]["value"], expected)
    grad_w = C34.copy()
    grad_w[[0, 2]] = 0
    np.testing.assert_allclose(r["w"]["grad"], grad_w)
    np.testing.assert_allclose(r["value"]["grad"], C34[[0, 2]])
    r = setitem_prog(_tuple_index, (3,), "0-d tensor")(tg)
    np.testing.assert_allclose(r["value"]["grad"], C34[:, 2].sum(), rtol=1e-6)


def prog_setitem_no_grad_values(m):
    x = m.zeros(2, 3)
    x[0] = T(m, [1.0, 2.0, 3.0])
    x[1, 1:] = 4
    x[x == 0] = -1
    x[T(m, [1]), T(m, [0])] = 9
    return state(x)


def test_setitem_without_grad(torch):
    parity(prog_setitem_no_grad_values, torch)
    s = prog_setitem_no_grad_values(tg)
    np.testing.assert_array_equal(s["value"], [[1, 2, 3], [9, 4, 4]])
    assert s["is_leaf"] and not s["requires_grad"] and s["version"] == 4


# ---------------------------------------------------------------------------------- version counters
def prog_versions(m):
    x = T(m, [[1.0, 2.0], [3.0, 4.0]])
    seen = [x._version]
    for write in (lambda: x.__setitem__(0, 1.0), lambda: x.__iadd__(1), lambda: x.add_(1),
                  lambda: x.copy_(T(m, [5.0, 6.0])), lambda: x.zero_(), lambda: x.fill_(2.0),
                  lambda: x.mul_(3), lambda: x.clamp_(0, 1), lambda: x.__imul__(2)):
        write()
        seen.append(x._version)
    return seen


def test_version_after_each_write(torch):
    parity(prog_versions, torch)


def test_version_after_each_write_values():
    assert prog_versions(tg) == list(range(10))


def prog_shared_versions(m):
    x = T(m, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    views = {"row": x[0], "element": x[1, 2], "view": x.view(3, 2), "T": x.T, "detach": x.detach(),
             "slice": x[:, 1:], "t": x.t(), "reshape": x.reshape(6)}
    out = {}
    for name, v in views.items():
        before = x._version
        v.add_(1)
        out[name] = (x._version - before, v._version == x._version)
    before = x._version
    x.mul_(2)
    out["seen by the views"] = [v._version for v in views.values()] == [x._version] * len(views)
    d = x.data
    d.add_(1)
    out["data"] = (x._version - before, d._version)
    out["value"] = A(x)
    return out


def test_version_counter_shared_with_views(torch):
    parity(prog_shared_versions, torch)


def test_version_counter_shared_with_views_values():
    r = prog_shared_versions(tg)
    for name in ("row", "view", "T", "detach", "slice", "t", "reshape", "element"):
        assert r[name] == (1, True), name
    assert r["seen by the views"]
    assert r["data"] == (1, 1)  # x counted its own mul_, not the write through .data


def test_element_of_a_1d_tensor_is_a_view(torch):
    def prog(m):
        x = T(m, [1.0, 2.0, 3.0])
        e = x[1]
        e += 10
        e.mul_(2)
        return A(x), x._version, e._version
    parity(prog, torch)


# ---------------------------------------------------------------------- saved tensors modified in place
def _exp_then_add(m, x, y):
    e = x.exp()
    e.add_(1)
    return e.sum()


def _sigmoid_then_mul(m, x, y):
    a = x.sigmoid()
    a.mul_(2)
    return a.sum()


def _mul_then_other_changes(m, x, y):
    b = x * y  # y needs no grad, but mul saved it for x's gradient
    y.add_(1)
    return b.sum()


def _mul_then_nonleaf_changes(m, x, y):
    z = y * 1
    b = x * z
    z.add_(1)
    return b.sum()


def _tanh_then_sub(m, x, y):
    t = x.tanh()
    t.sub_(1)
    return t.sum()


def _relu_then_zero(m, x, y):
    r = x.relu()
    r.zero_()
    return r.sum()


def _sin_input_changes(m, x, y):
    h = x * 1
    s = h.sin()
    h.mul_(3)
    return s.sum() + h.sum()


def _pow_input_changes(m, x, y):
    h = x + 1
    p = h ** 2
    h[0] = 0
    return p.sum()


def _matmul_input_needed(m, x, y):
    h = x * 2
    out = h.reshape(1, 3) @ x.reshape(3, 1)  # h is needed for x's gradient
    h.fill_(0)
    return out.sum()


def _view_of_saved(m, x, y):
    h = x * 1
    s = h.exp()
    s[1:].add_(1)
    return s.sum()


MUST_RAISE = {"exp then add_": _exp_then_add, "sigmoid then mul_": _sigmoid_then_mul,
              "mul saved a plain tensor": _mul_then_other_changes, "mul saved a non-leaf": _mul_then_nonleaf_changes,
              "tanh then sub_": _tanh_then_sub, "relu then zero_": _relu_then_zero,
              "sin's input changes": _sin_input_changes, "pow's input changes": _pow_input_changes,
              "matmul's input needed": _matmul_input_needed, "a view of a saved output changes": _view_of_saved}


def _add_then_mul(m, x, y):
    h = x + 1
    z = h + 1  # add saves nothing
    h.mul_(2)
    return z.sum() + h.sum()


def _mul_by_number(m, x, y):
    h = x + 1
    z = h * 1  # multiplying by a number needs only the number
    h.add_(1)
    return z.sum()


def _mul_by_no_grad_tensor_then_self_changes(m, x, y):
    h = x + 1
    z = h * y  # only y is needed (for h's gradient), and y is unchanged
    h.add_(1)
    return z.sum()


def _matmul_input_not_needed(m, x, y):
    h = x * 2
    out = h.reshape(1, 3) @ y.reshape(3, 1)  # y needs no gradient, so h's values are not needed
    h.fill_(0)
    return out.sum()


def _sum_then_write(m, x, y):
    h = x * 1
    s = h.sum()
    h.zero_()
    return s + h.sum()


def _reshape_then_write(m, x, y):
    h = x * 1
    r = h.reshape(3, 1)
    h.mul_(2)  # r is a view of h: it sees the write, and reshape's backward needs no values
    return (r * T(m, [[1.0], [2.0], [3.0]])).sum()


def _neg_then_write(m, x, y):
    h = x * 1
    n = -h
    h.add_(5)
    return n.sum() + h.sum()


def _write_after_backward_graph_done(m, x, y):
    e = x.exp()
    out = e.sum()
    out.backward(retain_graph=True)
    x.grad = None
    return out


MUST_NOT_RAISE = {"add saves nothing": _add_then_mul, "mul by a number": _mul_by_number,
                  "mul by a constant tensor, self changes": _mul_by_no_grad_tensor_then_self_changes,
                  "matmul with a constant": _matmul_input_not_needed, "sum saves nothing": _sum_then_write,
                  "reshape view": _reshape_then_write, "neg": _neg_then_write,
                  "no write at all": _write_after_backward_graph_done}


def saved_prog(body):
    def prog(m):
        x = T(m, [0.5, -1.0, 2.0], requires_grad=True)
        y = T(m, [3.0, 4.0, 5.0])
        loss = body(m, x, y)
        loss.backward()
        return state(x)
    return prog


@pytest.mark.parametrize("name", list(MUST_RAISE))
def test_backward_refuses_a_saved_tensor_changed_in_place(name, torch):
    raises_like_torch(saved_prog(MUST_RAISE[name]), torch, "modified by an inplace operation")


@pytest.mark.parametrize("name", list(MUST_NOT_RAISE))
def test_backward_allows_writes_nothing_saved(name, torch):
    parity(saved_prog(MUST_NOT_RAISE[name]), torch)


def test_saved_tensor_message_names_the_op():
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        saved_prog(_exp_then_add)(tg)
    assert "'exp'" in str(info.value)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        saved_prog(_sigmoid_then_mul)(tg)
    assert "'sigmoid'" in str(info.value)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        saved_prog(_mul_then_other_changes)(tg)
    assert "'mul'" in str(info.value)


def test_allowed_write_gives_the_right_gradient():
    s = saved_prog(_add_then_mul)(tg)
    np.testing.assert_allclose(s["grad"], [3.0, 3.0, 3.0])  # 1 through z + 2 through the doubled h
    s = saved_prog(_reshape_then_write)(tg)
    np.testing.assert_allclose(s["grad"], [2.0, 4.0, 6.0])


# --------------------------------------------------------------------- _ methods and out-of-place ops
def _idx(m, values):
    return T(m, values)


# name -> (in-place call, out-of-place call); x is float32 (3, 4), y the same shape
METHOD_PAIRS = {
    "add_": (lambda m, x, y: x.add_(y), lambda m, x, y: x + y),
    "add_ alpha": (lambda m, x, y: x.add_(y, alpha=2.5), lambda m, x, y: x + 2.5 * y),
    "sub_": (lambda m, x, y: x.sub_(y), lambda m, x, y: x - y),
    "sub_ alpha": (lambda m, x, y: x.sub_(y, alpha=-3), lambda m, x, y: x + 3 * y),
    "add_ number": (lambda m, x, y: x.add_(2), lambda m, x, y: x + 2),
    "add_ broadcast row": (lambda m, x, y: x.add_(y[0]), lambda m, x, y: x + y[0]),
    "mul_": (lambda m, x, y: x.mul_(y), lambda m, x, y: x * y),
    "mul_ number": (lambda m, x, y: x.mul_(-0.5), lambda m, x, y: x * -0.5),
    "div_": (lambda m, x, y: x.div_(y), lambda m, x, y: x / y),
    "div_ column": (lambda m, x, y: x.div_(y[:, :1]), lambda m, x, y: x / y[:, :1]),
    "clamp_": (lambda m, x, y: x.clamp_(-0.5, 0.7), lambda m, x, y: x.clamp(-0.5, 0.7)),
    "clamp_ min": (lambda m, x, y: x.clamp_(min=0.1), lambda m, x, y: x.clamp(min=0.1)),
    "clamp_ max": (lambda m, x, y: x.clamp_(max=0.1), lambda m, x, y: x.clamp(max=0.1)),
    "masked_fill_": (lambda m, x, y: x.masked_fill_(y > 0, -9.0), lambda m, x, y: x.masked_fill(y > 0, -9.0)),
    "masked_fill_ row mask": (lambda m, x, y: x.masked_fill_(y[0] > 0, 3.0),
                              lambda m, x, y: x.masked_fill(y[0] > 0, 3.0)),
    "index_fill_": (lambda m, x, y: x.index_fill_(1, _idx(m, [0, 3]), 5.0),
                    lambda m, x, y: x.index_fill(1, _idx(m, [0, 3]), 5.0)),
    "scatter_": (lambda m, x, y: x.scatter_(1, _idx(m, [[0], [3], [1]]), y[:, :1]),
                 lambda m, x, y: x.scatter(1, _idx(m, [[0], [3], [1]]), y[:, :1])),
    "scatter_ value": (lambda m, x, y: x.scatter_(0, _idx(m, [[2, 1, 0, 2]]), 7.0),
                       lambda m, x, y: x.scatter(0, _idx(m, [[2, 1, 0, 2]]), 7.0)),
    "exp_": (lambda m, x, y: x.exp_(), lambda m, x, y: x.exp()),
    "sin_": (lambda m, x, y: x.sin_(), lambda m, x, y: x.sin()),
    "reciprocal_": (lambda m, x, y: x.reciprocal_(), lambda m, x, y: 1 / x),
    "neg_": (lambda m, x, y: x.neg_(), lambda m, x, y: -x),
    "abs_": (lambda m, x, y: x.abs_(), lambda m, x, y: x.abs()),
    "tanh_": (lambda m, x, y: x.tanh_(), lambda m, x, y: x.tanh()),
    "sigmoid_": (lambda m, x, y: x.sigmoid_(), lambda m, x, y: x.sigmoid()),
    "relu_": (lambda m, x, y: x.relu_(), lambda m, x, y: x.relu()),
    "pow_": (lambda m, x, y: x.pow_(2), lambda m, x, y: x ** 2),
    "zero_": (lambda m, x, y: x.zero_(), lambda m, x, y: x * 0),
    "fill_": (lambda m, x, y: x.fill_(1.25), lambda m, x, y: x * 0 + 1.25),
    "fill_ 0-d tensor": (lambda m, x, y: x.fill_(T(m, 4.0)), lambda m, x, y: x * 0 + 4.0),
    "copy_": (lambda m, x, y: x.copy_(y), lambda m, x, y: y.clone()),
    "copy_ broadcast": (lambda m, x, y: x.copy_(y[1]), lambda m, x, y: y[1].expand(3, 4).clone()),
    "copy_ from int": (lambda m, x, y: x.copy_(T(m, [1, 2, 3, 4])), lambda m, x, y: x * 0 + T(m, [1.0, 2, 3, 4])),
    "copy_ from float64": (lambda m, x, y: x.copy_(y.double() / 3), lambda m, x, y: (y.double() / 3).float()),
    "lerp_": (lambda m, x, y: x.lerp_(y, 0.25), lambda m, x, y: x.lerp(y, 0.25)),
    "addcmul_": (lambda m, x, y: x.addcmul_(y, y, value=0.5), lambda m, x, y: x + 0.5 * y * y),
    "maximum via clamp_min_": (lambda m, x, y: x.clamp_min_(0.2), lambda m, x, y: x.clamp_min(0.2)),
    "tril_": (lambda m, x, y: x.tril_(), lambda m, x, y: x.tril()),
    "floor_": (lambda m, x, y: x.floor_(), lambda m, x, y: x.floor()),
}


@pytest.mark.parametrize("name", list(METHOD_PAIRS))
def test_inplace_method_matches_out_of_place(name):
    inplace, out_of_place = METHOD_PAIRS[name]
    x, y = tg.Tensor(X34), tg.Tensor(Y34)
    expected = out_of_place(tg, x, y)
    x0 = x
    got = inplace(tg, x, y)
    assert got is x0, f"{name} did not return self"
    assert x.dtype == tg.float32 and x.shape == (3, 4) and x._version == 1
    np.testing.assert_allclose(x.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", list(METHOD_PAIRS))
def test_inplace_method_matches_torch(name, torch):
    inplace = METHOD_PAIRS[name][0]

    def prog(m):
        x, y = T(m, X34), T(m, Y34)
        returned_self = inplace(m, x, y) is x
        return {"x": state(x), "returned_self": returned_self}
    parity(prog, torch)


GRADIENT_METHODS = ["add_", "add_ alpha", "sub_ alpha", "mul_", "mul_ number", "div_", "clamp_", "masked_fill_",
                    "exp_", "sin_", "relu_", "abs_", "pow_", "reciprocal_", "sigmoid_", "tanh_", "lerp_", "copy_",
                    "copy_ broadcast", "fill_ 0-d tensor", "zero_", "index_fill_", "scatter_"]


@pytest.mark.parametrize("name", GRADIENT_METHODS)
def test_inplace_method_gradients_match_torch(name, torch):
    """On a non-leaf, ``x.op_(...)`` differentiates as ``x = x.op(...)``: PyTorch keeps the original value
    where the derivative needs it."""
    inplace = METHOD_PAIRS[name][0]

    def prog(m):
        w = T(m, X34, requires_grad=True)
        v = T(m, Y34, requires_grad=True)
        x = w * 1
        y = v * 1
        inplace(m, x, y)
        (x * T(m, C34)).sum().backward()
        return state(x), state(w), state(v)
    parity(prog, torch)


def test_out_of_place_add_and_sub_take_alpha(torch):
    def prog(m):
        x, y = T(m, X34), T(m, Y34)
        return A(x.add(y, alpha=2)), A(x.sub(y, alpha=0.5)), A(m.add(x, y, alpha=-1))
    parity(prog, torch)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_random_fills(dtype):
    d = getattr(tg, dtype)
    tg.manual_seed(0)
    x = tg.zeros(200, 50, dtype=d)
    assert x.uniform_(2.0, 3.0) is x and x.dtype == d and x.shape == (200, 50)
    u = x.numpy().astype(np.float64)
    assert u.min() >= 2.0 and u.max() <= 3.0 and abs(u.mean() - 2.5) < 0.02 and u.std() > 0.25
    assert x.normal_(5.0, 0.5) is x and x.dtype == d and x.shape == (200, 50)
    n = x.numpy().astype(np.float64)
    assert abs(n.mean() - 5.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    assert x._version == 2
    y = tg.zeros(1000, dtype=d).normal_()
    assert abs(y.numpy().mean()) < 0.15 and abs(y.numpy().std() - 1) < 0.1


def test_random_fill_is_reproducible_and_not_recorded():
    tg.manual_seed(3)
    a = tg.zeros(5).normal_().numpy().copy()
    tg.manual_seed(3)
    b = tg.zeros(5).normal_().numpy().copy()
    np.testing.assert_array_equal(a, b)
    w = tg.zeros(4, requires_grad=True)
    with tg.no_grad():
        w.uniform_(-1, 1)
    assert w.is_leaf and w.requires_grad and np.all(np.abs(w.numpy()) <= 1) and np.any(w.numpy() != 0)


# -------------------------------------------------------------------------------- dtype rules in place
def prog_int_plus_float(m):
    x = T(m, [1, 2, 3])
    x += 1.5


def test_int_tensor_plus_float_in_place_raises(torch):
    raises_like_torch(prog_int_plus_float, torch, "can't be cast to the desired output type")


@pytest.mark.parametrize("write", ["iadd float tensor", "mul_ 0.5", "div_ int", "itruediv int", "bool add_ int",
                                   "bool iadd bool", "int8 iadd int64 tensor", "int add_ float 0-d",
                                   "float16 iadd float64", "uint8 imul int", "int32 iadd int 0-d",
                                   "float iadd int", "int sub_ bool"])
def test_in_place_result_type_rules(write, torch):
    def prog(m):
        cases = {
            "iadd float tensor": (lambda: T(m, [1, 2]), lambda x: x.__iadd__(T(m, [0.5, 0.5]))),
            "mul_ 0.5": (lambda: T(m, [1, 2]), lambda x: x.mul_(0.5)),
            "div_ int": (lambda: T(m, [4, 6]), lambda x: x.div_(2)),
            "itruediv int": (lambda: T(m, [4, 6]), lambda x: x.__itruediv__(T(m, [2, 3]))),
            "bool add_ int": (lambda: T(m, [True, False]), lambda x: x.add_(1)),
            "bool iadd bool": (lambda: T(m, [True, False]), lambda x: x.__iadd__(T(m, [True, True]))),
            "int8 iadd int64 tensor": (lambda: T(m, [1, 2], dtype=m.int8), lambda x: x.__iadd__(T(m, [100, 200]))),
            "int add_ float 0-d": (lambda: T(m, [1, 2]), lambda x: x.add_(T(m, 1.0))),
            "float16 iadd float64": (lambda: T(m, [1.0, 2.0], dtype=m.float16),
                                     lambda x: x.__iadd__(T(m, [0.25, 0.5], dtype=m.float64))),
            "uint8 imul int": (lambda: T(m, [100, 200], dtype=m.uint8), lambda x: x.__imul__(3)),
            "int32 iadd int 0-d": (lambda: T(m, [1, 2], dtype=m.int32), lambda x: x.__iadd__(T(m, 5))),
            "float iadd int": (lambda: T(m, [1.5, 2.5]), lambda x: x.__iadd__(T(m, [1, 2]))),
            "int sub_ bool": (lambda: T(m, [1, 2]), lambda x: x.sub_(T(m, [True, False]))),
        }
        make, fn = cases[write]
        x = make()
        x0 = x
        fn(x)
        return {"same": x is x0, "x": state(x)}
    parity(prog, torch)


def test_in_place_dtype_rules_values():
    x = tg.Tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x += 1.5
    np.testing.assert_array_equal(x.numpy(), [1, 2, 3])
    assert x.dtype == tg.int64 and x._version == 0
    f = tg.Tensor([1.0, 2.0])
    f += tg.Tensor([1, 2])
    assert f.dtype == tg.float32
    np.testing.assert_array_equal(f.numpy(), [2.0, 4.0])
    i = tg.Tensor([0, 0], dtype=tg.int32)
    i.copy_(tg.Tensor([1.7, -2.7]))  # copy_ casts (truncating toward zero)
    assert i.dtype == tg.int32
    np.testing.assert_array_equal(i.numpy(), [1, -2])
    b = tg.Tensor([0.0, 1.0, 2.0])
    b.copy_(tg.Tensor([True, False, True]))
    np.testing.assert_array_equal(b.numpy(), [1.0, 0.0, 1.0])


def expand_write(write):
    def prog(m):
        base = T(m, [[1.0, 2.0, 3.0]])
        e = base.expand(2, 3)
        write(m, e)
        return A(base), A(e)
    return prog


EXPAND_WRITES = {"add_": lambda m, e: e.add_(1), "iadd": lambda m, e: e.__iadd__(1),
                 "copy_": lambda m, e: e.copy_(T(m, [[1.0, 2, 3], [4, 5, 6]])), "mul_": lambda m, e: e.mul_(2),
                 "exp_": lambda m, e: e.exp_()}


@pytest.mark.parametrize("name", list(EXPAND_WRITES))
def test_write_into_expanded_tensor_raises(name, torch):
    raises_like_torch(expand_write(EXPAND_WRITES[name]), torch, "memory location")


@pytest.mark.parametrize("name", ["zero_", "fill_"])
def test_filling_an_expanded_tensor_is_allowed(name, torch):
    """Every element gets the same value, so PyTorch lets zero_ and fill_ write a broadcast view."""
    fill = {"zero_": lambda m, e: e.zero_(), "fill_": lambda m, e: e.fill_(3.0)}[name]
    parity(expand_write(fill), torch)


def test_write_into_expanded_tensor_raises_before_changing():
    base = tg.Tensor([[1.0, 2.0, 3.0]])
    e = base.expand(2, 3)
    with pytest.raises(RuntimeError, match="memory location"):
        e.add_(1)
    np.testing.assert_array_equal(base.numpy(), [[1.0, 2.0, 3.0]])
    assert base._version == 0


# ------------------------------------------------------------------------------ augmented assignment
AUGMENTED = {  # name -> (dtype, left values, right values, operator)
    "+= float": ("float32", [1.5, -2.0, 3.0], [0.5, 2.0, -1.0], "__iadd__"),
    "-= float": ("float32", [1.5, -2.0, 3.0], [0.5, 2.0, -1.0], "__isub__"),
    "*= float": ("float32", [1.5, -2.0, 3.0], [0.5, 2.0, -1.0], "__imul__"),
    "/= float": ("float32", [1.5, -2.0, 3.0], [0.5, 2.0, -1.0], "__itruediv__"),
    "//= float": ("float32", [7.5, -7.5, 3.0], [2.0, 2.0, -2.0], "__ifloordiv__"),
    "%= float": ("float32", [7.5, -7.5, 3.0], [2.0, 2.0, -2.0], "__imod__"),
    "**= float": ("float32", [1.5, 2.0, 3.0], [2.0, 0.5, -1.0], "__ipow__"),
    "+= int": ("int64", [7, -7, 3], [2, 2, -2], "__iadd__"),
    "-= int": ("int64", [7, -7, 3], [2, 2, -2], "__isub__"),
    "*= int": ("int64", [7, -7, 3], [2, 2, -2], "__imul__"),
    "//= int": ("int64", [7, -7, 3], [2, 2, -2], "__ifloordiv__"),
    "%= int": ("int64", [7, -7, 3], [2, 2, -2], "__imod__"),
    "**= int": ("int64", [7, -7, 3], [2, 3, 0], "__ipow__"),
    "&= int": ("int64", [12, -7, 5], [10, 3, 1], "__iand__"),
    "|= int": ("int64", [12, -7, 5], [10, 3, 1], "__ior__"),
    "^= int": ("int64", [12, -7, 5], [10, 3, 1], "__ixor__"),
    "<<= int": ("int64", [1, -7, 5], [3, 1, 0], "__ilshift__"),
    ">>= int": ("int64", [64, -7, 5], [3, 1, 0], "__irshift__"),
    "&= int32": ("int32", [12, -7, 5], [10, 3, 1], "__iand__"),
    "<<= uint8": ("uint8", [1, 7, 200], [3, 1, 1], "__ilshift__"),
    "&= bool": ("bool", [True, True, False], [True, False, False], "__iand__"),
    "|= bool": ("bool", [True, True, False], [True, False, False], "__ior__"),
    "^= bool": ("bool", [True, True, False], [True, False, False], "__ixor__"),
    "+= int number": ("int32", [1, 2, 3], 5, "__iadd__"),
    "*= float number": ("float64", [1.0, 2.0, 3.0], 0.1, "__imul__"),
    "**= number": ("float32", [1.0, 2.0, 3.0], 3, "__ipow__"),
    "%= number": ("int64", [7, -7, 3], 3, "__imod__"),
    "&= number": ("int64", [12, -7, 5], 6, "__iand__"),
}


def augmented_prog(name):
    dtype, left, right, op = AUGMENTED[name]

    def prog(m):
        d = getattr(m, dtype)
        x = T(m, left, dtype=d)
        other = T(m, right, dtype=d) if isinstance(right, list) else right
        x0 = x
        result = getattr(x, op)(other)
        return {"same": result is x0, "x": state(x)}
    return prog


@pytest.mark.parametrize("name", list(AUGMENTED))
def test_augmented_assignment_is_in_place(name):
    r = augmented_prog(name)(tg)
    assert r["same"] and r["x"]["version"] == 1 and r["x"]["dtype"] == AUGMENTED[name][0]


@pytest.mark.parametrize("name", list(AUGMENTED))
def test_augmented_assignment_matches_torch(name, torch):
    parity(augmented_prog(name), torch)


def test_augmented_operators_keep_identity():
    x = tg.Tensor([6, 9, 12])
    y = x
    x += 1
    x -= 2
    x *= 3
    x //= 2
    x %= 7
    x **= 2
    x &= 15
    x |= 16
    x ^= 1
    x <<= 2
    x >>= 1
    assert x is y and x._version == 11 and x.dtype == tg.int64
    v = np.array([6, 9, 12])
    v = ((((v + 1 - 2) * 3 // 2) % 7) ** 2 & 15 | 16) ^ 1
    np.testing.assert_array_equal(x.numpy(), (v << 2) >> 1)
    f = tg.Tensor([1.0, 4.0])
    g = f
    f /= 2
    f **= 0.5
    assert f is g
    np.testing.assert_allclose(f.numpy(), [np.sqrt(0.5), np.sqrt(2.0)], rtol=1e-6)


# ------------------------------------------------------------------------ backward(inputs=) and graph
def prog_backward_inputs(m):
    a = T(m, [1.0, 2.0], requires_grad=True)
    b = T(m, [3.0, 4.0], requires_grad=True)
    h = a * b
    loss = (h * h).sum()
    loss.backward(inputs=[a], retain_graph=True)
    first = (G(a), G(b))
    loss.backward(inputs=[b, h], retain_graph=True)
    second = (G(a), G(b), G(h))
    loss.backward(inputs=b)
    return first, second, G(b)


def test_backward_inputs(torch):
    parity(prog_backward_inputs, torch)


def test_backward_inputs_values():
    first, second, last = prog_backward_inputs(tg)
    np.testing.assert_allclose(first[0], [18.0, 64.0])  # d/da (ab)^2 = 2 a b^2
    assert first[1] is None
    np.testing.assert_allclose(second[1], [6.0, 32.0])
    np.testing.assert_allclose(second[2], [6.0, 16.0])  # 2h, on the non-leaf h
    np.testing.assert_allclose(last, [12.0, 64.0])


def graph_shape(fn):
    """(name, [children]) down to the leaves; None for an input that needs no gradient."""
    if fn is None:
        return None
    return (fn.name(), [graph_shape(n) for n, _ in fn.next_functions])


def prog_graph(m):
    a = T(m, [1.0, 2.0], requires_grad=True)
    b = T(m, [3.0, 4.0], requires_grad=True)
    c = T(m, [5.0, 6.0])
    loss = ((a * b + c) / 2 - a.exp()).sum()
    return graph_shape(loss.grad_fn), a.grad_fn is None, loss.grad_fn.next_functions[0][1]


def test_grad_fn_structure(torch):
    parity(prog_graph, torch)


def test_grad_fn_structure_values():
    shape, leaf_has_none, index = prog_graph(tg)
    acc = ("torch::autograd::AccumulateGrad", [])
    assert shape == ("SumBackward0", [
        ("SubBackward0", [
            ("DivBackward0", [("AddBackward0", [("MulBackward0", [acc, acc]), None]), None]),
            ("ExpBackward0", [acc])])])
    assert leaf_has_none and index == 0


GRAD_FN_NAMES = {  # op -> PyTorch's node name for it
    "mul": (lambda m, a, b: a * b, "MulBackward0"),
    "add": (lambda m, a, b: a + b, "AddBackward0"),
    "sub": (lambda m, a, b: a - b, "SubBackward0"),
    "div": (lambda m, a, b: a / b, "DivBackward0"),
    "neg": (lambda m, a, b: -a, "NegBackward0"),
    "pow": (lambda m, a, b: a ** 2, "PowBackward0"),
    "exp": (lambda m, a, b: a.exp(), "ExpBackward0"),
    "log": (lambda m, a, b: a.abs().log(), "LogBackward0"),
    "tanh": (lambda m, a, b: a.tanh(), "TanhBackward0"),
    "sigmoid": (lambda m, a, b: a.sigmoid(), "SigmoidBackward0"),
    "relu": (lambda m, a, b: a.relu(), "ReluBackward0"),
    "sum": (lambda m, a, b: a.sum(), "SumBackward0"),
    "matmul": (lambda m, a, b: a @ b.t(), "MmBackward0"),
    "clone": (lambda m, a, b: a.clone(), "CloneBackward0"),
    "maximum": (lambda m, a, b: m.maximum(a, b), "MaximumBackward0"),
    "where": (lambda m, a, b: m.where(a > 0, a, b), "WhereBackward0"),
    "add_ (in place)": (lambda m, a, b: (a * 1).add_(b), "AddBackward0"),
    "mul_ (in place)": (lambda m, a, b: (a * 1).mul_(b), "MulBackward0"),
}
VIEW_NAMES = {  # view ops and composites: our names may differ, and that is allowed (README: differences)
    "sum dim": (lambda m, a, b: a.sum(0), "SumBackward1"),
    "mean": (lambda m, a, b: a.mean(), "MeanBackward0"),
    "getitem int": (lambda m, a, b: a[0], "SelectBackward0"),
    "getitem slice": (lambda m, a, b: a[1:], "SliceBackward0"),
    "reshape": (lambda m, a, b: a.reshape(4), "ViewBackward0"),
    "t": (lambda m, a, b: a.t(), "TBackward0"),
    "setitem": (lambda m, a, b: _setitem_result(a, b), "CopySlices"),
}


def _setitem_result(a, b):
    x = a * 1
    x[0] = b[1]
    return x


@pytest.mark.parametrize("name", list(GRAD_FN_NAMES))
def test_grad_fn_names_match_torch(name, torch):
    fn, expected = GRAD_FN_NAMES[name]

    def prog(m):
        a = T(m, [[0.5, -1.0], [2.0, 3.0]], requires_grad=True)
        b = T(m, [[1.0, 2.0], [-3.0, 4.0]], requires_grad=True)
        return fn(m, a, b).grad_fn.name()
    ours, ref = parity(prog, torch)
    assert ref == expected


@pytest.mark.parametrize("name", list(VIEW_NAMES))
def test_view_grad_fn_names(name):
    """View ops may be named differently from PyTorch's; each still has a node and a gradient."""
    fn, _ = VIEW_NAMES[name]
    a = tg.Tensor([[0.5, -1.0], [2.0, 3.0]], requires_grad=True)
    b = tg.Tensor([[1.0, 2.0], [-3.0, 4.0]], requires_grad=True)
    out = fn(tg, a, b)
    assert out.grad_fn is not None and out.grad_fn.name().endswith(("Backward0", "Slices"))
    assert any(n is not None for n, _ in out.grad_fn.next_functions)
    out.sum().backward()
    assert a.grad is not None and a.grad.shape == (2, 2)


# ------------------------------------------------------------------------------------ Python protocol
def test_format_int_float_index():
    loss = tg.Tensor(1.23456)
    assert f"{loss:.4f}" == "1.2346"
    assert f"{tg.Tensor([2.5]):.2f}" == "2.50"
    assert f"{(tg.Tensor([1.0, 2.0], requires_grad=True) * 2).sum():.1f}" == "6.0"
    assert int(tg.Tensor(3.9)) == 3 and int(tg.Tensor([-7])) == -7
    assert float(tg.Tensor([2])) == 2.0 and isinstance(float(tg.Tensor(1)), float)
    assert list(range(tg.Tensor(3))) == [0, 1, 2]
    letters = ["a", "b", "c", "d"]
    assert letters[tg.Tensor(2)] == "c" and letters[tg.Tensor([1])] == "b"
    assert letters[tg.Tensor(3, dtype=tg.int32)] == "d"
    with pytest.raises(TypeError):
        letters[tg.Tensor(1.0)]
    with pytest.raises(TypeError):
        range(tg.Tensor([1, 2]))


def test_format_matches_torch(torch):
    def prog(m):
        t = T(m, 0.1234567)
        return f"{t:.3f}", f"{t:8.2e}", int(T(m, 5)), float(T(m, [1.5])), list(range(T(m, 4))), ["x", "y"][T(m, 1)]
    parity(prog, torch)


def test_iteration_len_dim():
    x = tg.Tensor(np.arange(6.0).reshape(3, 2))
    rows = list(x)
    assert len(rows) == 3 and len(x) == 3 and x.dim() == 2 and x.ndim == 2
    np.testing.assert_array_equal(rows[1].numpy(), [2.0, 3.0])
    assert [float(v) for v in tg.Tensor([4.0, 5.0])] == [4.0, 5.0]
    with pytest.raises(TypeError):
        len(tg.Tensor(1.0))
    with pytest.raises(TypeError):
        iter(tg.Tensor(1.0))
    w = tg.Tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
    sum(r.sum() * (i + 1) for i, r in enumerate(w)).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 1.0], [2.0, 2.0]])


def test_iteration_rows_are_views(torch):
    def prog(m):
        x = T(m, [[1.0, 2.0], [3.0, 4.0]])
        for row in x:
            row.mul_(10)
        return A(x), x._version
    parity(prog, torch)


def test_transposes_and_contiguity():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    assert x.is_contiguous()
    xt = x.t()
    np.testing.assert_array_equal(xt.numpy(), np.arange(6.0).reshape(2, 3).T)
    assert xt.shape == (3, 2) and not xt.is_contiguous()
    c = xt.contiguous()
    assert c.is_contiguous() and c is not xt
    np.testing.assert_array_equal(c.numpy(), xt.numpy())
    assert x.contiguous() is x
    v = tg.Tensor([1.0, 2.0])
    assert v.t().shape == (2,)
    b = tg.Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert b.mT.shape == (2, 4, 3)
    np.testing.assert_array_equal(b.mT.numpy(), np.swapaxes(np.arange(24.0).reshape(2, 3, 4), -1, -2))
    with pytest.raises(RuntimeError):
        b.t()


def test_transposes_match_torch(torch):
    def prog(m):
        x = T(m, np.arange(24.0).reshape(2, 3, 4))
        y = T(m, np.arange(6.0).reshape(2, 3))
        return (A(x.mT), A(y.t()), A(y.T), y.t().is_contiguous(), y.t().contiguous().is_contiguous(),
                A(T(m, [1.0, 2.0]).t()))
    parity(prog, torch)


def test_clone_is_independent_and_differentiable():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    c = w.clone()
    assert not c.is_leaf and c.requires_grad and c._version == 0
    c2 = c * 1
    c2.add_(1)
    (c * tg.Tensor([3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0])
    x = tg.Tensor([1.0, 2.0])
    y = x.clone()
    y += 5
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    assert x._version == 0 and y._version == 1
    assert not np.shares_memory(x.numpy(), y.numpy())


def test_clone_matches_torch(torch):
    def prog(m):
        w = T(m, [1.0, 2.0], requires_grad=True)
        c = w.clone()
        c.mul_(3)
        c.sum().backward()
        x = T(m, [1.0, 2.0])
        y = x.clone()
        y.add_(1)
        return state(w), state(c), state(x), state(y)
    parity(prog, torch)


def test_as_methods():
    x = tg.Tensor(np.arange(6.0, dtype=np.float32), requires_grad=True)
    other = tg.Tensor(np.zeros((2, 3)))
    v = x.view_as(other)
    r = x.reshape_as(other)
    assert v.shape == (2, 3) and r.shape == (2, 3)
    e = tg.Tensor([[1.0], [2.0]]).expand_as(other)
    np.testing.assert_array_equal(e.numpy(), [[1, 1, 1], [2, 2, 2]])
    t = x.type_as(tg.Tensor([1, 2]))
    assert t.dtype == tg.int64
    assert x.type_as(tg.Tensor([1.0])) is x
    (v * tg.Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(6.0))
    assert x.grad.dtype == tg.float32


def test_as_methods_match_torch(torch):
    def prog(m):
        x = T(m, np.arange(6.0, dtype=np.float32), requires_grad=True)
        other = T(m, np.zeros((2, 3)))
        v = x.view_as(other)
        e = T(m, [[1.0], [2.0]]).expand_as(other)
        t = x.type_as(T(m, [1, 2]))
        h = x.type_as(other)
        (v * T(m, np.arange(6.0, dtype=np.float32).reshape(2, 3))).sum().backward()
        (h * 2).sum().backward()
        return A(v), A(e), dname(t.dtype), dname(h.dtype), state(x), A(x.reshape_as(other))
    parity(prog, torch)


def test_new_factories_follow_self():
    x = tg.Tensor([1, 2], dtype=tg.int32)
    f = tg.Tensor([1.0], dtype=tg.float64)
    assert x.new_zeros(2, 3).dtype == tg.int32 and x.new_zeros((2, 3)).shape == (2, 3)
    assert f.new_ones(4).dtype == tg.float64
    np.testing.assert_array_equal(f.new_ones(4).numpy(), [1.0] * 4)
    nf = x.new_full((2,), 7)
    assert nf.dtype == tg.int32
    np.testing.assert_array_equal(nf.numpy(), [7, 7])
    nt = f.new_tensor([1, 2, 3])
    assert nt.dtype == tg.float64 and nt.is_leaf and not nt.requires_grad
    assert f.new_empty(3, 2).shape == (3, 2) and f.new_empty(3).dtype == tg.float64
    assert x.new_zeros(2, dtype=tg.float16).dtype == tg.float16
    g = f.new_zeros(3, requires_grad=True)
    assert g.requires_grad and g.is_leaf
    assert x.nelement() == 2 and x.element_size() == 4 and f.element_size() == 8
    assert tg.Tensor([True]).element_size() == 1 and tg.zeros(2, 3).nelement() == 6


def test_new_factories_match_torch(torch):
    def prog(m):
        x = T(m, [1, 2], dtype=m.int32)
        f = T(m, [1.0], dtype=m.float64)
        h = T(m, [1.0], dtype=m.float16)
        return [(dname(t.dtype), tuple(t.shape)) for t in (
            x.new_zeros(2, 3), f.new_ones(4), x.new_full((2,), 7), f.new_tensor([1, 2, 3]), h.new_empty(3, 2),
            x.new_zeros(2, dtype=m.float16), x.new_tensor([1.5, 2.5]), h.new_full((1,), 2.5),
        )] + [A(x.new_full((2,), 7)), A(f.new_tensor([1, 2, 3])), A(x.new_tensor([1.5, 2.5])),
              x.nelement(), x.element_size(), h.element_size()]
    parity(prog, torch)


@pytest.mark.parametrize("expr, expected", [("f / 2.0", 0.5), ("f ** 2", 6.0), ("2.0 / f", -2.0 / 9.0),
                                            ("f / f.detach()", 1.0 / 3.0)])
def test_writing_the_output_of_div_or_pow_keeps_backward_working(expr, expected):
    """div and pow save only what their backward reads, as PyTorch's do: the output of ``f / 2.0``,
    ``f ** 2`` or ``2.0 / f`` may be written in place (micrograd's ``g += 10.0 / f`` lines) and backward
    still runs; PyTorch gives the same gradients (0.5, 6, -2/9 at f = 3)."""
    f = tg.tensor(3.0, requires_grad=True) * 1
    f.retain_grad()
    g = eval(expr)
    g += 1
    g.backward()
    assert f.grad.item() == pytest.approx(expected)


def test_refused_augmented_assignment_is_named_by_its_operator():
    """The error for ``w += 1`` on a leaf that requires grad names the operator the user wrote."""
    w = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^\+=: a leaf"):
        w += 1
    with pytest.raises(RuntimeError, match=r"^\*\*=: a leaf"):
        w **= 2
