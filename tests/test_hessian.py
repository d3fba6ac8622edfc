"""Second derivatives: forward-over-reverse from the one table, against autograd and a
50-digit SymPy Hessian; finite-difference Hessians at their error model's accuracy."""
import numpy as np
import pytest
import sympy

import diffcompare as dc
from diffcompare import models
from diffcompare.hessian import Differences, auto_step, forward_over_reverse
from diffcompare.params import Layout

SMOOTH = ("softplus", "neuron", "softplus_chain", "mlp4", "logistic_map", "perceptron2")


def _sympy_hessian(model, params, digits=50):
    """The exact Hessian at the params' binary values, by SymPy at ``digits`` digits."""
    syms = {k: sympy.Symbol(k, real=True) for k in params}
    expr = model(syms, dc.SYMPY)
    names = list(params)
    subs = {syms[k]: sympy.Rational(float(params[k])) for k in names}
    H = sympy.hessian(expr, [syms[k] for k in names])
    return np.array([[float(H[i, j].evalf(digits, subs=subs)) for j in range(len(names))]
                     for i in range(len(names))])


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("name", SMOOTH)
def test_against_a_50_digit_sympy_hessian(name):
    m = models.get(name)
    p = m.params
    ref = _sympy_hessian(m, p)
    assert _rel(dc.hessian(m, "autodiff")(p), ref) <= 1e-14
    big = name == "logistic_map"                # its derivatives grow like 2^n: more truncation
    for method in ("central-grad", "richardson-grad"):       # differences of the exact gradient
        assert _rel(dc.hessian(m, method)(p), ref) <= (1e-9 if not big else 1e-7), method
    # (the automatic step assumes unit derivatives; the map's sixth derivative is ~1e6 its second)
    assert _rel(dc.hessian(m, "richardson")(p), ref) <= (1e-8 if not big else 1e-5)
    assert _rel(dc.hessian(m, "central")(p), ref) <= (1e-6 if not big else 1e-4)   # ~ u^(1/2)


@pytest.mark.parametrize("name", ["mlp", "mlp4", "softplus_chain"])
def test_hvp_and_hessian_equal_autograd(name):
    m = models.get(name)
    p = m.params
    L = Layout(p)
    H, Href = dc.hessian(m, "autodiff")(p), dc.hessian(m, "autograd")(p)
    assert H.shape == (L.n, L.n) and _rel(H, Href) <= 1e-13
    assert np.allclose(H, H.T, rtol=0, atol=1e-14 * np.max(np.abs(H)))
    v = L.unflatten(np.random.default_rng(0).standard_normal(L.n))
    hv = dc.hvp(m)(p, v)
    assert set(hv) == set(p) and all(np.shape(hv[k]) == np.shape(p[k]) for k in p)
    assert _rel(L.flatten(hv), Href @ L.flatten(v)) <= 1e-13


def test_forward_over_reverse_gives_the_gradient_too():
    m = models.get("mlp4")
    value, grads, hv = forward_over_reverse(m, m.params, np.eye(len(m.params)))
    g = dc.grad(m)(m.params)
    assert all(grads[k] == pytest.approx(g[k], rel=1e-15) for k in g)
    assert hv.shape == (len(m.params), len(m.params))


def test_second_differences_lose_half_the_digits_and_gradient_differences_a_third():
    m = models.get("softplus")
    ref = _sympy_hessian(m, m.params)
    e2 = _rel(dc.hessian(m, "central")(m.params), ref)
    e3 = _rel(dc.hessian(m, "central-grad")(m.params), ref)
    u = np.finfo(float).eps / 2
    assert 1e-2 * u ** 0.5 < e2 < 1e2 * u ** 0.5
    assert 1e-2 * u ** (2 / 3) < e3 < 1e2 * u ** (2 / 3) and e3 < e2 / 10


def test_steps_follow_the_error_model():
    u = np.finfo(float).eps / 2
    assert auto_step("central", 1.0) == pytest.approx((3.8 * u) ** 0.25, rel=1.0)
    assert auto_step("central-grad", 1.0) == pytest.approx((1.7 * u) ** (1 / 3), rel=1.0)
    assert auto_step("richardson", 1.0) == pytest.approx((850 * u) ** (1 / 6), rel=1.0)
    assert auto_step("central", 1.0, np.float32) > 100 * auto_step("central", 1.0)
    assert auto_step("central", 1000.0) == pytest.approx(1000 * auto_step("central", 1.0), rel=1.0)


def test_float32_params_differences_in_float32():
    m = models.get("softplus")
    p32 = {k: np.float32(v) for k, v in m.params.items()}
    ref = _sympy_hessian(m, m.params)
    err = _rel(dc.hessian(m, "central-grad")(p32), ref)
    assert 1e-7 < err < 1e-3                                   # u32^(2/3) ~ 1.5e-5


def test_bad_input_is_typed():
    m = models.get("softplus")
    with pytest.raises(dc.DiffcompareError, match="unknown second-derivative method"):
        dc.hessian(m, "magic")
    with pytest.raises(dc.DiffcompareError, match="take no options"):
        dc.hessian(m, "autodiff", h=1e-3)(m.params)
    with pytest.raises(dc.DiffcompareError, match="direction v"):
        dc.hvp(m)(m.params)
    with pytest.raises(dc.DiffcompareError, match="positive finite"):
        dc.hessian(m, "central", h=-1.0)(m.params)


def test_float32_params_keep_the_hessian_in_float32():
    m = models.get("mlp", sizes=(3, 4, 1), batch=5, dtype=np.float32)
    p = m.params
    L = Layout(p)
    H = dc.hessian(m)(p)
    assert np.all(H.astype(np.float32).astype(np.float64) == H)          # float32 numbers
    H64 = dc.hessian(m, "autograd")({k: v.astype(np.float64) for k, v in p.items()})
    err = _rel(H, H64)
    assert 1e-9 < err < 1e-4                                             # float32's round-off, not float64's
    v = L.unflatten(np.ones(L.n, np.float32))
    hv = dc.hvp(m)(p, v)
    assert all(hv[k].dtype == np.float32 for k in p)
    assert _rel(L.flatten(hv), H.astype(np.float64) @ np.ones(L.n)) < 1e-5


def test_explicit_steps_are_realised_and_a_vanishing_one_refused():
    m = models.get("softplus")
    hs, halves = Differences(m, m.params, "central").steps(np.array([0.5, 0.1]), 1e-5)
    assert list(hs) == [(0.5 + 1e-5) - 0.5, (0.1 + 1e-5) - 0.1] and hs[0] != 1e-5   # the steps actually taken
    assert list(halves) == [(0.5 + 5e-6) - 0.5, (0.1 + 5e-6) - 0.1]
    p32 = {k: np.float32(v) for k, v in m.params.items()}
    with pytest.raises(dc.DiffcompareError, match="vanishes"):
        dc.hessian(m, "central", h=1e-12)(p32)


@pytest.mark.parametrize("enabled", [True, False])
def test_no_collection_runs_during_a_sweep_and_the_collector_is_left_as_it_was(enabled):
    # hvp and hessian pause the garbage collector while their tapes live (as tracer.make
    # does: a collection would walk them), and restore it -- also when the model raises.
    import gc
    import sys

    def f(p, xp):
        if p["w"] > 1.0:
            raise ZeroDivisionError("boom")
        h = p["w"]
        for _ in range(300):                      # a sweep that makes thousands of objects
            h = xp.sin(h) * p["w"] + 0.5
        return h

    def sweeping():
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name in ("_dual_sweep", "backward", "forward_over_reverse", "hvp_call"):
                return True
            frame = frame.f_back
        return False

    during = []
    watch = lambda phase, info: during.append(sweeping()) if phase == "start" else None
    was = gc.isenabled()
    H, hv = dc.hessian(f), dc.hvp(f)
    ref = dc.hvp(f, "autograd")({"w": 0.5}, {"w": 1.0})["w"]
    gc.callbacks.append(watch)
    try:
        gc.enable() if enabled else gc.disable()
        for _ in range(3):
            assert hv({"w": 0.5}, {"w": 1.0})["w"] == pytest.approx(ref, rel=1e-12)
            assert H({"w": 0.5})[0, 0] == pytest.approx(ref, rel=1e-12)
        assert not any(during) and gc.isenabled() is enabled
        with pytest.raises(ZeroDivisionError):
            hv({"w": 2.0}, {"w": 1.0})
        assert gc.isenabled() is enabled
    finally:
        gc.callbacks.remove(watch)
        gc.enable() if was else gc.disable()
