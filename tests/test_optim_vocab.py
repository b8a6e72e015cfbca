"""Adadelta, NAdam, RAdam, AdamW and the cyclic / restarting / constant / polynomial schedulers: PyTorch
parity of trajectories and lr/momentum sequences, param groups, state dicts (ours and PyTorch's), errors."""

import math
import warnings

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim
from tinygrad_edu.optim import lr_scheduler

STEPS = 20


# ---------------------------------------------------------------------------------------------- helpers
def _problem():
    rng = np.random.default_rng(1)
    return rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 1)), rng.normal(size=(8, 3)), \
        rng.normal(size=(8, 1))


def _loss(lib_tanh, w1, b1, w2, x, y):
    return (((lib_tanh(x @ w1 + b1) @ w2 - y) ** 2).mean())


def _run(params, opt, steps, loss_fn, after_step=None):
    out = []
    for i in range(steps):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
        if after_step:
            after_step(i)
        out.append(np.concatenate([np.array(p.detach().numpy()).ravel() for p in params]))
    return np.array(out)


def _ours(make_opt, steps=STEPS, groups=None, add_group_at=None):
    """Parameters after each step of a small tanh MLP trained with tinygrad_edu. ``groups`` maps the
    parameter list to param groups; ``add_group_at`` (step, settings) adds w2 as a group later."""
    *weights, x, y = _problem()
    params = [Tensor(w, requires_grad=True) for w in weights]
    x, y = Tensor(x), Tensor(y)
    first = params[:2] if add_group_at else params
    opt = make_opt(groups(first) if groups else first)
    add = (lambda i: i == add_group_at[0] and opt.add_param_group({"params": [params[2]], **add_group_at[1]})) \
        if add_group_at else None
    return _run(params, opt, steps, lambda: _loss(lambda t: t.tanh(), *params, x, y), add), opt, params


def _theirs(torch, make_opt, steps=STEPS, groups=None, add_group_at=None):
    *weights, x, y = (torch.tensor(a) for a in _problem())
    params = [w.clone().requires_grad_() for w in weights]
    first = params[:2] if add_group_at else params
    opt = make_opt(groups(first) if groups else first)
    add = (lambda i: i == add_group_at[0] and opt.add_param_group({"params": [params[2]], **add_group_at[1]})) \
        if add_group_at else None
    return _run(params, opt, steps, lambda: _loss(torch.tanh, *params, x, y), add), opt, params


@pytest.fixture
def torch64():
    """PyTorch with float64 as its default dtype, so its 0-d state scalars (NAdam's mu_product) are float64."""
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


ALL = ["SGD", "Adam", "AdamW", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta"]

OPTIMIZER_CASES = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(lr=2.0, maximize=True, foreach=False)),
    ("NAdam", dict(lr=0.02)),
    ("NAdam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.02)),
    ("RAdam", dict(lr=0.02, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True, maximize=True, eps=1e-3)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, betas=(0.85, 0.95), fused=True)),
]


# ---------------------------------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("name,kwargs", OPTIMIZER_CASES, ids=[f"{n}-{kw}" for n, kw in OPTIMIZER_CASES])
def test_trajectory_matches_pytorch(torch64, name, kwargs):
    ours, _, _ = _ours(lambda ps: getattr(optim, name)(ps, **kwargs))
    theirs, _, _ = _theirs(torch64, lambda ps: getattr(torch64.optim, name)(ps, **kwargs))
    assert np.abs(ours[-1] - ours[0]).max() > 1e-3  # the parameters really moved
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_nadam_matches_pytorch_with_its_float32_mu_product():
    torch = pytest.importorskip("torch")
    ours, _, _ = _ours(lambda ps: optim.NAdam(ps, lr=0.02, weight_decay=0.05))
    theirs, _, _ = _theirs(torch, lambda ps: torch.optim.NAdam(ps, lr=0.02, weight_decay=0.05))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


def _decay_groups(params):
    """GPT-style groups: matrices decay, biases do not, each with its own lr."""
    return [{"params": [p for p in params if p.ndim >= 2], "weight_decay": 0.1, "lr": 0.03},
            {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]


@pytest.mark.parametrize("name", ALL)
def test_decay_and_no_decay_groups_match_pytorch(torch64, name):
    lr = 1.0 if name == "Adadelta" else 0.01
    ours, opt, _ = _ours(lambda ps: getattr(optim, name)(ps, lr=lr), groups=_decay_groups)
    theirs, topt, _ = _theirs(torch64, lambda ps: getattr(torch64.optim, name)(ps, lr=lr), groups=_decay_groups)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert [g["lr"] for g in opt.param_groups] == [0.03, lr]
    assert [sorted(g) for g in opt.param_groups] == [sorted(g) for g in topt.param_groups]


@pytest.mark.parametrize("name", ALL)
def test_add_param_group_mid_training_matches_pytorch(torch64, name):
    later = (7, {"lr": 0.05, "weight_decay": 0.02})
    ours, opt, _ = _ours(lambda ps: getattr(optim, name)(ps, lr=0.01), add_group_at=later)
    theirs, _, _ = _theirs(torch64, lambda ps: getattr(torch64.optim, name)(ps, lr=0.01), add_group_at=later)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["lr"] == 0.05
    assert opt.param_groups[1].keys() == opt.param_groups[0].keys()  # the rest filled in from the defaults


@pytest.mark.parametrize("name", ALL)
def test_defaults_and_group_keys_equal_pytorchs(name):
    torch = pytest.importorskip("torch")
    ours = getattr(optim, name)([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert ours.defaults == theirs.defaults
    assert ours.param_groups[0].keys() == theirs.param_groups[0].keys()


def test_adamw_defaults():
    opt = optim.AdamW([Tensor(np.zeros(1), requires_grad=True)])
    assert opt.defaults["weight_decay"] == 0.01 and opt.defaults["lr"] == 0.001
    assert opt.defaults["decoupled_weight_decay"] is True and opt.defaults["betas"] == (0.9, 0.999)


@pytest.mark.parametrize("name", ["Adadelta", "NAdam", "RAdam", "AdamW"])
def test_state_keys_match_pytorch_and_a_pytorch_state_dict_loads(torch64, name):
    torch = torch64
    _, opt, params = _ours(lambda ps: getattr(optim, name)(ps, lr=0.02), steps=6)
    _, topt, tparams = _theirs(torch, lambda ps: getattr(torch.optim, name)(ps, lr=0.02), steps=6)
    ours_sd, theirs_sd = opt.state_dict(), topt.state_dict()
    assert ours_sd["param_groups"] == [{**g, "betas": tuple(g["betas"])} if "betas" in g else g
                                       for g in theirs_sd["param_groups"]]
    assert {i: set(s) for i, s in ours_sd["state"].items()} == {i: set(s) for i, s in theirs_sd["state"].items()}
    for i, state in ours_sd["state"].items():
        for key, value in state.items():
            np.testing.assert_allclose(value, theirs_sd["state"][i][key].numpy(), rtol=1e-10, atol=1e-14)

    # A fresh optimizer of ours loads PyTorch's state dict (tensors and all) and continues as PyTorch does.
    *weights, x, y = _problem()
    fresh = [Tensor(np.array(p.detach().numpy()), requires_grad=True) for p in tparams]
    resumed = getattr(optim, name)(fresh, lr=0.5)
    resumed.load_state_dict(theirs_sd)
    assert resumed.param_groups[0]["lr"] == 0.02 and isinstance(resumed.state[fresh[0]]["step"], int)
    xt, yt, tx, ty = Tensor(x), Tensor(y), torch.tensor(x), torch.tensor(y)
    ours_next = _run(fresh, resumed, 4, lambda: _loss(lambda t: t.tanh(), *fresh, xt, yt))
    theirs_next = _run(tparams, topt, 4, lambda: _loss(torch.tanh, *tparams, tx, ty))
    np.testing.assert_allclose(ours_next, theirs_next, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["Adadelta", "NAdam", "RAdam"])
def test_state_dict_round_trip_resumes_identically(name):
    straight, _, _ = _ours(lambda ps: getattr(optim, name)(ps, lr=0.02, weight_decay=0.1), steps=10)
    _, opt, params = _ours(lambda ps: getattr(optim, name)(ps, lr=0.02, weight_decay=0.1), steps=5)
    sd = opt.state_dict()
    _run(params, opt, 2, lambda: _loss(lambda t: t.tanh(), *params, Tensor(_problem()[3]), Tensor(_problem()[4])))
    assert sd["state"][0]["step"] == 5  # a snapshot: later steps leave it unchanged
    copies = [Tensor(straight[4][:12].reshape(3, 4).copy(), requires_grad=True),
              Tensor(straight[4][12:16].copy(), requires_grad=True),
              Tensor(straight[4][16:].reshape(4, 1).copy(), requires_grad=True)]
    resumed = getattr(optim, name)(copies, lr=0.9)
    resumed.load_state_dict(sd)
    *_, x, y = _problem()
    rest = _run(copies, resumed, 5, lambda: _loss(lambda t: t.tanh(), *copies, Tensor(x), Tensor(y)))
    np.testing.assert_array_equal(rest, straight[5:])


# ------------------------------------------------------------------------------------------- by hand
def _one(value=1.0):
    return Tensor(np.array([value]), requires_grad=True)


def _steps(opt, p, grads):
    out = []
    for g in grads:
        p.grad = Tensor(np.array([g]))
        opt.step()
        out.append(p.numpy()[0])
    return out


def test_adadelta_first_step_by_hand():
    p = _one()
    (after,) = _steps(optim.Adadelta([p], lr=1.0, rho=0.9, eps=1e-6), p, [2.0])
    v = 0.1 * 4.0
    assert after == pytest.approx(1.0 - math.sqrt(1e-6) / math.sqrt(v + 1e-6) * 2.0, rel=1e-12)


def test_nadam_first_step_by_hand():
    p = _one()
    lr, b1, b2, psi = 0.1, 0.9, 0.999, 0.004
    (after,) = _steps(optim.NAdam([p], lr=lr), p, [0.5])
    mu1, mu2 = b1 * (1 - 0.5 * 0.96 ** psi), b1 * (1 - 0.5 * 0.96 ** (2 * psi))
    denom = math.sqrt((1 - b2) * 0.25 / (1 - b2)) + 1e-8
    expected = 1.0 - lr * (1 - mu1) / (1 - mu1) * 0.5 / denom - lr * mu2 / (1 - mu1 * mu2) * (0.1 * 0.5) / denom
    assert after == pytest.approx(expected, rel=1e-12)


def test_radam_moves_by_momentum_alone_until_the_variance_estimate_is_reliable():
    p = _one()
    opt = optim.RAdam([p], lr=0.1)
    values = _steps(opt, p, [1.0] * 7)
    # With a constant gradient the bias-corrected momentum is exactly 1, so the first steps move by lr.
    np.testing.assert_allclose(np.diff([1.0] + values[:5]), -0.1, rtol=1e-12)
    rho_inf = 2 / 0.001 - 1
    rho_6 = rho_inf - 2 * 6 * 0.999 ** 6 / (1 - 0.999 ** 6)
    assert rho_6 > 5  # from step 6 the rectified adaptive step takes over
    rect = math.sqrt((rho_6 - 4) * (rho_6 - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_6))
    adaptive = math.sqrt(1 - 0.999 ** 6) / (math.sqrt(1 - 0.999 ** 6) + 1e-8)
    assert values[5] - values[4] == pytest.approx(-0.1 * adaptive * rect, rel=1e-9)


def test_zero_grad_sets_to_none_and_zero():
    p = _one()
    opt = optim.NAdam([p])
    p.grad = Tensor(np.array([3.0]))
    opt.zero_grad(set_to_none=False)
    assert p.grad.numpy().tolist() == [0.0]
    opt.zero_grad(set_to_none=True)
    assert p.grad is None


@pytest.mark.parametrize("make,error,fragment", [
    (lambda ps: optim.Adadelta(ps, rho=1.5), ValueError, "1.5"),
    (lambda ps: optim.Adadelta(ps, lr=-1.0), ValueError, "-1.0"),
    (lambda ps: optim.NAdam(ps, momentum_decay=-0.1), ValueError, "-0.1"),
    (lambda ps: optim.NAdam(ps, betas=(0.9, 1.0)), ValueError, "1.0"),
    (lambda ps: optim.RAdam(ps, eps=-1e-3), ValueError, "-0.001"),
    (lambda ps: optim.RAdam(ps, capturable=True), ValueError, "CPU only"),
    (lambda ps: optim.AdamW(ps, differentiable=True), ValueError, "in place"),
    (lambda ps: optim.SGD([{"params": ps, "differentiable": True}]), ValueError, "differentiable"),
])
def test_bad_settings_raise(make, error, fragment):
    with pytest.raises(error, match=fragment):
        make([_one()])


def test_load_state_dict_rejects_another_optimizers_state_before_changing_anything():
    p = _one()
    p.grad = Tensor(np.array([1.0]))
    source = optim.RAdam([p], lr=0.1)
    source.step()
    target = optim.NAdam([_one()], lr=0.3)
    with pytest.raises(ValueError, match="momentum_decay"):
        target.load_state_dict(source.state_dict())
    assert target.param_groups[0]["lr"] == 0.3 and target.state == {}


# -------------------------------------------------------------------------------------------- schedulers
def _momentum(group):
    return group["betas"][0] if "betas" in group else group.get("momentum", 0.0)


def _sequence(opt, sched, steps, epochs=None):
    """[lr..., momentum...] per group after construction and after each step."""
    out = [[g["lr"] for g in opt.param_groups] + [_momentum(g) for g in opt.param_groups]]
    for i in range(steps):
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's deprecation warning for step(epoch)
            sched.step() if epochs is None else sched.step(epochs[i])
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
        out.append([g["lr"] for g in opt.param_groups] + [_momentum(g) for g in opt.param_groups])
    return np.array(out)


FRACTIONAL = [0.5, 1.25, 2.0, 3.9, 4.0, 5.5, 7.0, 9.99, 10.0, 14.2, 15.0, 21.3, 30.0, 31.5, 44.0, 45.0, 70.1]

SCHEDULER_CASES = {
    "OneCycleLR-SGD": ("SGD", dict(momentum=0.9), lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.05], total_steps=25)),
    "OneCycleLR-Adam": ("Adam", {}, lambda m, o: m.OneCycleLR(o, max_lr=0.01, epochs=5, steps_per_epoch=5)),
    "OneCycleLR-3phase-linear": ("SGD", dict(momentum=0.9), lambda m, o: m.OneCycleLR(
        o, max_lr=0.1, total_steps=25, pct_start=0.25, anneal_strategy="linear", three_phase=True,
        base_momentum=[0.8, 0.7], max_momentum=0.9, div_factor=10.0, final_div_factor=100.0)),
    "OneCycleLR-no-momentum": ("Adagrad", {}, lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=25,
                                                                        cycle_momentum=False)),
    "CosineAnnealingWarmRestarts": ("SGD", {}, lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=4, eta_min=0.01)),
    "CosineAnnealingWarmRestarts-Tmult": ("SGD", {}, lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, T_mult=2)),
    "ConstantLR": ("SGD", {}, lambda m, o: m.ConstantLR(o)),
    "ConstantLR-half": ("SGD", {}, lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=8)),
    "PolynomialLR": ("SGD", {}, lambda m, o: m.PolynomialLR(o, total_iters=12, power=2.0)),
    "PolynomialLR-default": ("SGD", {}, lambda m, o: m.PolynomialLR(o)),
    "MultiplicativeLR": ("SGD", {}, lambda m, o: m.MultiplicativeLR(o, lambda epoch: 0.9 if epoch % 3 else 1.1)),
    "CyclicLR": ("SGD", dict(momentum=0.9), lambda m, o: m.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=4)),
    "CyclicLR-triangular2": ("SGD", dict(momentum=0.9), lambda m, o: m.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, step_size_down=5, mode="triangular2")),
    "CyclicLR-exp_range-Adam": ("Adam", {}, lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=3,
                                                                    mode="exp_range", gamma=0.9)),
    "CyclicLR-scale_fn": ("SGD", {}, lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2, cycle_momentum=False,
                                                             scale_fn=lambda x: 1 / (1 + x),
                                                             scale_mode="iterations")),
}


def _two_groups(lib, name, kwargs, one):
    return getattr(lib, name)([{"params": [one()], "lr": 1.0}, {"params": [one()], "lr": 0.3}], **kwargs)


@pytest.mark.parametrize("case", list(SCHEDULER_CASES))
def test_scheduler_lr_and_momentum_sequences_match_pytorch(case):
    torch = pytest.importorskip("torch")
    name, kwargs, make = SCHEDULER_CASES[case]
    opt = _two_groups(optim, name, kwargs, _one)
    topt = _two_groups(torch.optim, name, kwargs, lambda: torch.ones(1, requires_grad=True))
    ours = _sequence(opt, make(lr_scheduler, opt), 25)
    theirs = _sequence(topt, make(torch.optim.lr_scheduler, topt), 25)
    assert len(np.unique(ours[:, 0])) > 1  # the schedule really changes the lr
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)
    assert [sorted(g) for g in opt.param_groups] == [sorted(g) for g in topt.param_groups]


@pytest.mark.parametrize("t_mult", [1, 2])
def test_warm_restarts_with_fractional_epochs_match_pytorch(t_mult):
    torch = pytest.importorskip("torch")
    opt = _two_groups(optim, "SGD", {}, _one)
    topt = _two_groups(torch.optim, "SGD", {}, lambda: torch.ones(1, requires_grad=True))
    ours = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=t_mult, eta_min=0.001)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=5, T_mult=t_mult, eta_min=0.001)
    np.testing.assert_allclose(_sequence(opt, ours, len(FRACTIONAL), FRACTIONAL),
                               _sequence(topt, theirs, len(FRACTIONAL), FRACTIONAL), rtol=1e-10, atol=1e-14)
    assert ours.last_epoch == math.floor(FRACTIONAL[-1]) == theirs.last_epoch


def test_one_cycle_by_hand():
    opt = optim.SGD([_one()], lr=123.0, momentum=0.5)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.2, anneal_strategy="linear",
                                    div_factor=4.0, final_div_factor=5.0)
    lrs, moms = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
    for _ in range(9):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
    # Warm-up over steps 0..1 from 1/4 to 1, then down to 0.25/5 = 0.05 at step 9.
    np.testing.assert_allclose(lrs[:2], [0.25, 1.0])
    np.testing.assert_allclose(lrs[-1], 0.05)
    np.testing.assert_allclose(moms[:2] + moms[-1:], [0.95, 0.85, 0.95])
    with pytest.raises(ValueError, match="Tried to step 11 times.*10"):
        sched.step()
        sched.step()
    assert sched.last_epoch == 10 and opt.param_groups[0]["lr"] == sched.get_last_lr()[0]


def test_constant_and_polynomial_by_hand():
    opt = optim.SGD([_one()], lr=1.0)
    sched = lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
    lrs = [sched.get_last_lr()[0]] + [sched.step() or sched.get_last_lr()[0] for _ in range(3)]
    assert lrs == [0.5, 0.5, 1.0, 1.0]
    opt = optim.SGD([_one()], lr=1.0)
    sched = lr_scheduler.PolynomialLR(opt, total_iters=4)
    lrs = [sched.get_last_lr()[0]] + [sched.step() or sched.get_last_lr()[0] for _ in range(5)]
    np.testing.assert_allclose(lrs, [1.0, 0.75, 0.5, 0.25, 0.0, 0.0])


def test_multiplicative_lr_by_hand_rescales_the_current_lr():
    opt = optim.SGD([_one()], lr=1.0)
    sched = lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.5)
    assert sched.get_last_lr() == [1.0]
    sched.step()
    opt.param_groups[0]["lr"] *= 10  # a change made elsewhere is kept and rescaled
    sched.step()
    assert sched.get_last_lr() == [2.5] and "lr_lambdas" not in sched.state_dict()


def test_cyclic_lr_by_hand():
    opt = optim.SGD([_one()], lr=5.0, momentum=0.5)
    sched = lr_scheduler.CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2, base_momentum=0.8, max_momentum=0.9)
    lrs, moms = [sched.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
    for _ in range(4):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    np.testing.assert_allclose(lrs, [0.0, 0.5, 1.0, 0.5, 0.0])
    np.testing.assert_allclose(moms, [0.9, 0.85, 0.8, 0.85, 0.9])


def test_warm_restarts_by_hand():
    opt = optim.SGD([_one()], lr=1.0)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    lrs = [sched.get_last_lr()[0]] + [sched.step() or sched.get_last_lr()[0] for _ in range(6)]
    # cycles of 2 then 4 epochs: 1, cos-half, restart, then the 4-epoch cosine, restart
    np.testing.assert_allclose(lrs, [1.0, 0.5, 1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5,
                                     (1 + math.cos(3 * math.pi / 4)) / 2, 1.0], atol=1e-15)
    sched.step(3.5)
    assert sched.last_epoch == 3 and sched.get_last_lr()[0] == pytest.approx((1 + math.cos(math.pi * 1.5 / 4)) / 2)


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=20),
    lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=3),
    lambda o: lr_scheduler.PolynomialLR(o, total_iters=9, power=0.5),
])
def test_scheduler_state_dict_round_trip(make):
    opt = optim.SGD([_one()], lr=1.0, momentum=0.9)
    sched = make(opt)
    for _ in range(7):
        sched.step()
    sd = sched.state_dict()
    opt2 = optim.SGD([_one()], lr=1.0, momentum=0.9)
    resumed = make(opt2)
    resumed.load_state_dict(sd)
    opt2.param_groups[0].update({k: v for k, v in opt.param_groups[0].items() if k != "params"})
    for _ in range(5):
        sched.step()
        resumed.step()
        assert resumed.get_last_lr() == sched.get_last_lr()
        assert opt2.param_groups[0]["momentum"] == opt.param_groups[0]["momentum"]


@pytest.mark.parametrize("make,error,fragment", [
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1), ValueError, "total_steps OR"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError, "total_steps, but got 0"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=5, pct_start=1), ValueError, "pct_start"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=5), ValueError, "2 values for 1 groups"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=5, anneal_strategy="exp"), ValueError, "'exp'"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0, but got 0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError, "1.5"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=2.0), ValueError, "2.0"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="sine"), ValueError, "'sine'"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, 0.9), TypeError, "float"),
])
def test_scheduler_errors_leave_the_optimizer_unchanged(make, error, fragment):
    opt = optim.SGD([_one()], lr=0.7)
    before = dict(opt.param_groups[0])
    with pytest.raises(error, match=fragment):
        make(opt)
    assert opt.param_groups[0] == before


def test_cyclic_momentum_needs_an_optimizer_with_momentum():
    opt = optim.Adadelta([_one()])
    with pytest.raises(ValueError, match="Adadelta has neither"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    with pytest.raises(ValueError, match="Adadelta has neither"):
        lr_scheduler.CyclicLR(opt, 0.01, 0.1)
    assert "initial_lr" not in opt.param_groups[0] and opt.param_groups[0]["lr"] == 1.0


def test_warm_restarts_rejects_a_negative_epoch_before_changing_anything():
    opt = optim.SGD([_one()], lr=1.0)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3)
    sched.step()
    with pytest.raises(ValueError, match="-1"):
        sched.step(-1)
    assert sched.last_epoch == 1 and sched.T_cur == 1


def test_a_state_dict_saved_before_the_newer_options_loads_with_their_defaults():
    p = _one()
    p.grad = Tensor(np.array([1.0]))
    source = optim.AdamW([p], lr=0.1)
    source.step()
    old = source.state_dict()
    for key in ("foreach", "capturable", "differentiable", "fused", "decoupled_weight_decay", "maximize"):
        del old["param_groups"][0][key]
    target = optim.AdamW([_one()], lr=0.3)
    target.load_state_dict(old)
    group = target.param_groups[0]
    assert group["lr"] == 0.1 and group["decoupled_weight_decay"] is True and group["foreach"] is None
