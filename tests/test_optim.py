"""Optimizers, LR schedulers and gradient clipping: hand-computed steps, PyTorch parity, state dicts, errors."""

import math
import re

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim
from tinygrad_edu.nn.utils import clip_grad_norm_, clip_grad_value_
from tinygrad_edu.optim import lr_scheduler

STEPS = 20


# ---------------------------------------------------------------------------------------------- helpers
def _problem():
    rng = np.random.default_rng(0)
    return rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(5, 3)), rng.normal(size=(5, 2))


def _groups(params, group_lrs):
    """One group per parameter when group_lrs is given, else one plain list."""
    return [{"params": [p], "lr": lr} for p, lr in zip(params, group_lrs)] if group_lrs else params


def _trajectory(make_opt, group_lrs=None, steps=STEPS):
    """Parameters after each step of minimizing mean((X W + b − Y)²) with tinygrad_edu autograd."""
    w0, b0, x, y = _problem()
    w, b = Tensor(w0, requires_grad=True), Tensor(b0, requires_grad=True)
    opt = make_opt(_groups([w, b], group_lrs))
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (((Tensor(x) @ w + b - Tensor(y)) ** 2).mean()).backward()
        opt.step()
        out.append(np.concatenate([w.numpy().ravel(), b.numpy().ravel()]))
    return np.array(out)


def _torch_trajectory(torch, make_opt, group_lrs=None, steps=STEPS):
    w0, b0, x, y = (torch.tensor(a) for a in _problem())
    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    opt = make_opt(_groups([w, b], group_lrs))
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (((x @ w + b - y) ** 2).mean()).backward()
        opt.step()
        out.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy().ravel()]))
    return np.array(out)


def _one_param(value=1.0):
    return Tensor(np.array([value]), requires_grad=True)


def _step_with_grads(opt, p, grads):
    for g in grads:
        p.grad = Tensor(np.array([g]))
        opt.step()
    return p.numpy()[0]


# -------------------------------------------------------------------------------- PyTorch parity table
OPTIMIZER_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.2, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, eps=1e-4)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
]


@pytest.mark.parametrize("name,kwargs", OPTIMIZER_CASES, ids=[f"{n}-{kw}" for n, kw in OPTIMIZER_CASES])
def test_trajectory_matches_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = _trajectory(lambda params: getattr(optim, name)(params, **kwargs))
    theirs = _torch_trajectory(torch, lambda params: getattr(torch.optim, name)(params, **kwargs))
    assert not np.allclose(ours[0], ours[-1])  # the parameters really moved
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_param_groups_with_their_own_lr_match_pytorch(name):
    torch = pytest.importorskip("torch")
    ours = _trajectory(lambda params: getattr(optim, name)(params, lr=0.02), group_lrs=[0.1, 0.003])
    theirs = _torch_trajectory(torch, lambda params: getattr(torch.optim, name)(params, lr=0.02),
                               group_lrs=[0.1, 0.003])
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_defaults_match_pytorch():
    torch = pytest.importorskip("torch")
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]:
        ours = getattr(optim, name)([_one_param()]).defaults
        theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
        assert ours == {key: theirs[key] for key in ours}, name


# ------------------------------------------------------------------------------- hand-computed single steps
def test_sgd_momentum_two_steps_by_hand():
    p = _one_param()
    # buf = 1 then 0.9·1 + 1 = 1.9: p = 1 − 0.1 − 0.19
    assert _step_with_grads(optim.SGD([p], lr=0.1, momentum=0.9), p, [1.0, 1.0]) == pytest.approx(0.71, abs=1e-12)


def test_sgd_nesterov_one_step_by_hand():
    p = _one_param()
    # g + μ·buf = 1 + 0.9 = 1.9
    assert _step_with_grads(optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True), p, [1.0]) == pytest.approx(0.81)


def test_sgd_weight_decay_and_maximize_by_hand():
    p = _one_param(2.0)
    # maximize: g = −0.5, then + 0.1·2 = −0.3; p = 2 + 0.1·0.3
    opt = optim.SGD([p], lr=0.1, weight_decay=0.1, maximize=True)
    assert _step_with_grads(opt, p, [0.5]) == pytest.approx(2.03, abs=1e-12)


def test_adam_first_step_moves_by_lr():
    p = _one_param()
    # m̂ = 0.5, v̂ = 0.25: step = lr · 0.5 / (0.5 + 1e-8)
    assert _step_with_grads(optim.Adam([p], lr=0.1), p, [0.5]) == pytest.approx(1 - 0.1 * 0.5 / (0.5 + 1e-8), abs=1e-14)
    assert p.numpy()[0] == pytest.approx(0.9, abs=1e-7)


def test_adamw_decays_before_the_adam_step():
    p = _one_param()
    # 1·(1 − 0.1·0.01) − 0.1
    assert _step_with_grads(optim.AdamW([p], lr=0.1), p, [0.5]) == pytest.approx(0.899, abs=1e-7)


def test_adam_amsgrad_uses_the_largest_second_moment():
    p, q = _one_param(), _one_param()
    grads = [2.0, 0.1]
    plain = _step_with_grads(optim.Adam([p], lr=0.1, betas=(0.0, 0.5)), p, grads)
    ams = _step_with_grads(optim.Adam([q], lr=0.1, betas=(0.0, 0.5), amsgrad=True), q, grads)
    # β1 = 0: m = g. Step 2: v = 0.5·2 + 0.5·0.01 = 2.005 (max also 2.005 since v₁ = 2); bias 1 − 0.25
    v2 = 0.5 * 2.0 + 0.5 * 0.01
    first = 1 - 0.1 * 2.0 / (math.sqrt(2.0 / 0.5) + 1e-8)
    assert plain == pytest.approx(first - 0.1 * 0.1 / (math.sqrt(v2 / 0.75) + 1e-8), abs=1e-12)
    assert ams == pytest.approx(first - 0.1 * 0.1 / (math.sqrt(max(2.0, v2) / 0.75) + 1e-8), abs=1e-12)
    assert optim.Adam([q], amsgrad=True).state == {}  # a fresh optimizer has no state


def test_rmsprop_first_step_by_hand():
    p = _one_param()
    # v = 0.01·0.25 = 0.0025, √v = 0.05: step = 0.01 · 0.5 / 0.05
    assert _step_with_grads(optim.RMSprop([p]), p, [0.5]) == pytest.approx(0.9, abs=1e-6)


def test_rmsprop_centered_subtracts_the_squared_mean():
    p = _one_param()
    # v = 0.5·4 = 2, ḡ = 0.5·2 = 1: denominator √(2 − 1) = 1
    assert _step_with_grads(optim.RMSprop([p], lr=0.1, alpha=0.5, centered=True), p, [2.0]) == pytest.approx(
        1 - 0.1 * 2.0 / (1.0 + 1e-8), abs=1e-12)


def test_adagrad_lr_decay_by_hand():
    p = _one_param()
    # step 1: s = 4, p −= 1·2/2; step 2: clr = 1/(1 + 0.5), s = 5, p −= clr·1/√5
    out = _step_with_grads(optim.Adagrad([p], lr=1.0, lr_decay=0.5), p, [2.0, 1.0])
    assert out == pytest.approx(1 - 1.0 - (1 / 1.5) / math.sqrt(5), abs=1e-9)


# ---------------------------------------------------------------------------------------- base behaviour
def test_step_skips_parameters_without_gradient():
    p, q = _one_param(), _one_param()
    p.grad = Tensor(np.array([1.0]))
    opt = optim.Adam([p, q], lr=0.1)
    opt.step()
    assert q.numpy()[0] == 1.0 and q not in opt.state and p.numpy()[0] < 1.0


def test_step_never_writes_into_the_gradient_or_records_a_graph():
    p = _one_param(3.0)
    grad = np.array([0.5])
    p.grad = Tensor(grad)
    array = p.grad.numpy()
    for opt in [optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True),
                optim.Adam([p], weight_decay=0.1, maximize=True), optim.RMSprop([p], momentum=0.5, centered=True),
                optim.Adagrad([p], weight_decay=0.1, maximize=True)]:
        opt.step()
        opt.step()
    assert p.grad.numpy() is array and array[0] == 0.5 and p.grad.numpy().flags.writeable
    assert p.is_leaf and p.numpy()[0] != 3.0


def test_sgd_momentum_buffer_is_not_the_gradient_array():
    p = _one_param()
    p.grad = Tensor(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    opt.step()
    assert opt.state[p]["momentum_buffer"][0] == pytest.approx(1.9) and p.grad.numpy()[0] == 1.0


def test_zero_grad():
    p = _one_param()
    old = np.array([4.0])
    p.grad = Tensor(old)
    opt = optim.SGD([p])
    opt.zero_grad(set_to_none=False)
    assert p.grad.numpy().tolist() == [0.0] and old[0] == 4.0
    opt.zero_grad()
    assert p.grad is None


def test_param_groups_hold_every_hyperparameter():
    p, q = _one_param(), _one_param()
    opt = optim.SGD([{"params": [p]}, {"params": q, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"] == [q] and set(opt.param_groups[1]) == set(opt.defaults) | {"params"}


@pytest.mark.parametrize("make,fragment", [
    (lambda ps: optim.SGD(ps, lr=-0.1), "-0.1"),
    (lambda ps: optim.SGD(ps, momentum=-0.5), "-0.5"),
    (lambda ps: optim.SGD(ps, weight_decay=-2), "-2"),
    (lambda ps: optim.SGD(ps, nesterov=True), "momentum=0"),
    (lambda ps: optim.SGD(ps, momentum=0.9, dampening=0.1, nesterov=True), "dampening=0.1"),
    (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), "1.0"),
    (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), "-0.1"),
    (lambda ps: optim.AdamW(ps, eps=-1e-8), "-1e-08"),
    (lambda ps: optim.RMSprop(ps, alpha=-0.9), "-0.9"),
    (lambda ps: optim.Adagrad(ps, lr_decay=-1), "-1"),
    (lambda ps: optim.SGD([{"params": ps, "lr": -3.0}]), "-3.0"),
    (lambda ps: optim.Adam([]), "empty"),
])
def test_bad_hyperparameters_raise_value_error_naming_the_value(make, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        make([_one_param()])


def test_bad_params_raise():
    p = _one_param()
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p)
    with pytest.raises(TypeError, match="ndarray"):
        optim.SGD([np.zeros(2)])
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([{"params": [p]}, {"params": [p]}])


# ------------------------------------------------------------------------------------------- state dicts
def _adam_run(params, steps, opt=None):
    _, _, x, y = _problem()
    opt = opt or optim.Adam(params, lr=0.05, amsgrad=True)
    w, b = params
    for _ in range(steps):
        opt.zero_grad()
        (((Tensor(x) @ w + b - Tensor(y)) ** 2).mean()).backward()
        opt.step()
    return opt


def test_state_dict_layout_and_snapshot():
    w0, b0, _, _ = _problem()
    params = [Tensor(w0, requires_grad=True), Tensor(b0, requires_grad=True)]
    opt = _adam_run(params, 3)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1] and sd["param_groups"][0]["lr"] == 0.05
    assert set(sd["state"]) == {0, 1} and sd["state"][0]["step"] == 3
    assert set(sd["state"][1]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    saved = sd["state"][0]["exp_avg"].copy()
    _adam_run(params, 2, opt)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], saved)  # a snapshot, not a view
    assert not np.array_equal(opt.state[params[0]]["exp_avg"], saved)


def test_state_dict_round_trip_resumes_identically():
    w0, b0, _, _ = _problem()
    straight = [Tensor(w0, requires_grad=True), Tensor(b0, requires_grad=True)]
    _adam_run(straight, 10)

    first = [Tensor(w0, requires_grad=True), Tensor(b0, requires_grad=True)]
    sd = _adam_run(first, 4).state_dict()
    resumed = [Tensor(first[0].numpy().copy(), requires_grad=True), Tensor(first[1].numpy().copy(), requires_grad=True)]
    opt = optim.Adam(resumed, lr=0.5)
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.05 and opt.param_groups[0]["amsgrad"] is True
    _adam_run(resumed, 6, opt)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_state_dict_matches_pytorch_layout():
    torch = pytest.importorskip("torch")
    p, tp = _one_param(), torch.ones(1, dtype=torch.float64, requires_grad=True)
    opt, topt = optim.SGD([p], lr=0.1, momentum=0.9), torch.optim.SGD([tp], lr=0.1, momentum=0.9)
    p.grad, tp.grad = Tensor(np.array([1.0])), torch.ones(1, dtype=torch.float64)
    opt.step()
    topt.step()
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert ours["param_groups"][0]["params"] == theirs["param_groups"][0]["params"]
    assert set(ours["state"]) == set(theirs["state"]) and set(ours["state"][0]) == set(theirs["state"][0])
    np.testing.assert_array_equal(ours["state"][0]["momentum_buffer"], theirs["state"][0]["momentum_buffer"].numpy())


def test_load_state_dict_rejects_mismatches_before_changing_anything():
    p, q = _one_param(), _one_param()
    p.grad = Tensor(np.array([1.0]))
    source = optim.SGD([p], lr=0.1, momentum=0.9)
    source.step()
    sd = source.state_dict()

    target = optim.SGD([{"params": [q]}, {"params": [_one_param()]}], lr=0.3)
    with pytest.raises(ValueError, match="1 parameter groups, but the optimizer has 2"):
        target.load_state_dict(sd)
    target = optim.SGD([q, _one_param()], lr=0.3)
    with pytest.raises(ValueError, match="1 parameters, but the optimizer's group has 2"):
        target.load_state_dict(sd)
    wide = Tensor(np.ones(3), requires_grad=True)
    target = optim.SGD([wide], lr=0.3)
    with pytest.raises(ValueError, match=r"shape \(1,\).*shape \(3,\)"):
        target.load_state_dict(sd)
    assert target.param_groups[0]["lr"] == 0.3 and target.state == {}


# -------------------------------------------------------------------------------------------- schedulers
def _lrs(opt_module, opt, make_sched, steps=15):
    sched = make_sched(opt_module, opt)
    out = [list(sched.get_last_lr())]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(list(sched.get_last_lr()))
        assert out[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(out)


SCHEDULER_CASES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.8),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 1 / (1 + epoch)),
    "LinearLR": lambda m, o: m.LinearLR(o),
    "LinearLR-down": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=8),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=4), m.CosineAnnealingLR(o, T_max=8, eta_min=0.05)], [4]),
    "SequentialLR-3": lambda m, o: m.SequentialLR(
        o, [m.ExponentialLR(o, gamma=0.5), m.StepLR(o, 2, 0.5), m.LinearLR(o, 0.5, total_iters=3)], [3, 7]),
}


@pytest.mark.parametrize("case", list(SCHEDULER_CASES))
def test_scheduler_lrs_match_pytorch(case):
    torch = pytest.importorskip("torch")
    ours = _lrs(lr_scheduler, optim.SGD([{"params": [_one_param()], "lr": 1.0},
                                          {"params": [_one_param()], "lr": 0.3}]), SCHEDULER_CASES[case])
    topt = torch.optim.SGD([{"params": [torch.ones(1, requires_grad=True)], "lr": 1.0},
                            {"params": [torch.ones(1, requires_grad=True)], "lr": 0.3}])
    theirs = _lrs(torch.optim.lr_scheduler, topt, SCHEDULER_CASES[case])
    assert len(np.unique(ours[:, 0])) > 2  # the schedule really changes the lr
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


def test_step_lr_by_hand():
    opt = optim.SGD([_one_param()], lr=1.0)
    out = _lrs(lr_scheduler, opt, lambda m, o: m.StepLR(o, step_size=2, gamma=0.5), steps=4)
    assert out[:, 0].tolist() == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_warmup_then_cosine_by_hand():
    opt = optim.SGD([_one_param()], lr=1.0)
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
    cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    out = _lrs(lr_scheduler, opt, lambda m, o: m.SequentialLR(o, [warmup, cosine], milestones=[3]), steps=7)
    cos = [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(out[:, 0], [0.25, 0.5, 0.75] + cos, rtol=1e-12, atol=1e-15)
    assert opt.param_groups[0]["initial_lr"] == 1.0


PLATEAU_METRICS = [10, 9, 9, 9, 9, 9.0001, 8, 8, 8, 8, 8, 8, 7.9999, 8, 8, 8, 8, 8, 8, 8]
PLATEAU_CASES = [
    dict(patience=2),
    dict(patience=1, cooldown=2, factor=0.5, min_lr=0.02),
    dict(mode="max", patience=1, threshold=0.01, threshold_mode="abs", factor=0.5),
    dict(mode="max", patience=0, factor=0.9, eps=0.05),
    dict(patience=0, threshold=0.1, factor=0.5),
    dict(patience=0, threshold=1.0, threshold_mode="abs", factor=0.5),
]


@pytest.mark.parametrize("kwargs", PLATEAU_CASES, ids=[str(kw) for kw in PLATEAU_CASES])
def test_reduce_on_plateau_matches_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    ours_opt = optim.SGD([_one_param()], lr=1.0)
    topt = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=1.0)
    ours, theirs = lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs), torch.optim.lr_scheduler.ReduceLROnPlateau(
        topt, **kwargs)
    a, b = [], []
    for metric in PLATEAU_METRICS:
        ours.step(metric)
        theirs.step(metric)
        a.append(ours.get_last_lr()[0])
        b.append(theirs.get_last_lr()[0])
    assert len(set(a)) > 1
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_reduce_on_plateau_by_hand():
    opt = optim.SGD([_one_param()], lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    lrs = []
    for metric in [5, 4, 4, 4, 4, 3]:
        sched.step(Tensor(np.array(float(metric))))
        lrs.append(opt.param_groups[0]["lr"])
    # bad epochs: 0, 0, 1, 2 → halve (reset), 1, then an improvement
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]


def test_scheduler_state_dict_round_trip():
    opt = optim.SGD([_one_param()], lr=1.0)
    sched = lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    for _ in range(3):
        sched.step()
    sd = sched.state_dict()
    assert sd["last_epoch"] == 3 and "optimizer" not in sd

    opt2 = optim.SGD([_one_param()], lr=1.0)
    resumed = lr_scheduler.MultiStepLR(opt2, milestones=[7], gamma=0.1)
    resumed.load_state_dict(sd)
    sched.step()
    resumed.step()
    assert resumed.get_last_lr() == sched.get_last_lr() == [0.25]


def test_scheduler_errors():
    opt = optim.SGD([_one_param()], lr=1.0)
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="step_size must be a positive integer, got 0"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="start_factor must be in \\(0, 1\\], got 0"):
        lr_scheduler.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Factor should be < 1.0, got 2"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=2)
    with pytest.raises(ValueError, match="'median'"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="median")
    with pytest.raises(ValueError, match="2 schedulers and 0 milestones"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2), lr_scheduler.StepLR(opt, 3)], [])
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(optim.SGD([_one_param()]), step_size=2, last_epoch=3)


# -------------------------------------------------------------------------------------------- clipping
def _with_grads(*grads):
    params = []
    for g in grads:
        p = Tensor(np.zeros(len(g)), requires_grad=True)
        p.grad = Tensor(np.array(g, dtype=np.float64))
        params.append(p)
    return params


def test_clip_grad_norm_returns_the_norm_before_clipping_and_scales():
    params = _with_grads([3.0, 0.0], [4.0])
    old = params[0].grad.numpy()
    total = clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(total, Tensor) and total.shape == () and total.item() == pytest.approx(5.0, abs=1e-12)
    np.testing.assert_allclose(params[0].grad.numpy(), [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(params[1].grad.numpy(), [0.8], rtol=1e-6)
    assert old.tolist() == [3.0, 0.0]  # a new gradient Tensor; the old array is untouched


def test_clip_grad_norm_inf_and_no_clipping_below_max():
    params = _with_grads([3.0, -7.0], [4.0])
    assert clip_grad_norm_(params, max_norm=100.0, norm_type=math.inf).item() == 7.0
    assert params[0].grad.numpy().tolist() == [3.0, -7.0]
    assert clip_grad_norm_(params, max_norm=3.5, norm_type="inf").item() == 7.0
    np.testing.assert_allclose(params[0].grad.numpy(), [1.5, -3.5], rtol=1e-6)


def test_clip_grad_norm_nonfinite():
    params = _with_grads([math.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
def test_clip_grad_norm_matches_pytorch(norm_type):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=4), rng.normal(size=(2, 3))]
    ours = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, tp, g in zip(ours, theirs, grads):
        p.grad, tp.grad = Tensor(g.copy()), torch.tensor(g)
    total = clip_grad_norm_(ours, 0.5, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=norm_type)
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-10)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10)


def test_clip_grad_value():
    params = _with_grads([3.0, -0.2], [-4.0])
    old = params[0].grad.numpy()
    clip_grad_value_(params, 1.0)
    assert params[0].grad.numpy().tolist() == [1.0, -0.2] and params[1].grad.numpy().tolist() == [-1.0]
    assert old.tolist() == [3.0, -0.2]
