"""Finite differences: orders by log-log slope, the error model against measured V-curves,
the automatic step, the complex step's analytic guard, bad input, experiments as records."""
import json
import math
import warnings

import numpy as np
import pytest

import diffcompare as dc
from diffcompare import models
from diffcompare import numerical as nm
from diffcompare import stepsweep as ss
from diffcompare.errors import BadOptionError

SOFTPLUS = models.get("softplus")


@pytest.fixture(scope="module")
def sweeps():
    """softplus d/dw at (0.5, 0.1), x = 2, in both dtypes, h from 1 to 1e-16."""
    hs = ss.default_hs(hmax=1.0, per_decade=6)
    return {dt: ss.sweep(SOFTPLUS, nm.as_dtype(SOFTPLUS.params, dt), "w", hs=hs, jitter=6)
            for dt in ("float64", "float32")}


def test_stencil_orders_and_constants():
    assert [nm.order(s) for s in nm.SCHEMES] == [1, 1, 2, 4, 2, 6]
    assert nm.stencil("forward").trunc_constant == pytest.approx(1 / 2)
    assert nm.stencil("central").trunc_constant == pytest.approx(1 / 6)
    assert nm.stencil("five-point").trunc_constant == pytest.approx(1 / 30)
    rich = nm.stencil("richardson")
    assert rich.moment(0) == pytest.approx(0, abs=1e-12) and rich.moment(1) == pytest.approx(1)
    assert [nm.evals_per_coordinate(s) for s in nm.SCHEMES] == [1, 1, 2, 4, 1, 6]


@pytest.mark.parametrize("scheme,p", [("forward", 1), ("backward", 1), ("central", 2), ("five-point", 4)])
def test_convergence_order_by_loglog_slope(sweeps, scheme, p):
    assert sweeps["float64"].slopes[scheme] == pytest.approx(p, abs=0.3)


def test_complex_step_exact_to_rounding_at_1e_20():
    ref = dc.grad(SOFTPLUS, "autograd")(SOFTPLUS.params)
    for name in ("w", "b"):
        d, _, evals, _ = nm.derivative(SOFTPLUS, SOFTPLUS.params, name, (), "complex-step", 1e-20)
        assert evals == 1
        assert abs(d - ref[name]) <= 2 * np.finfo(float).eps * abs(ref[name])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_best_error_within_3x_of_theory(sweeps, dtype):
    sw = sweeps[dtype]
    for s in nm.SCHEMES:
        _, best = sw.best(s)
        _, theory = sw.theory[s]
        if s == "complex-step":          # no cancellation: may well hit 0
            assert best <= 3 * theory, s
        else:
            assert theory / 3 <= best <= 3 * theory, (s, best, theory)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_automatic_step_within_10x_of_best(sweeps, dtype):
    sw = sweeps[dtype]
    for s in nm.SCHEMES:
        _, best = sw.best(s)
        h, err = sw.auto[s]
        floor = 2 * nm.unit_roundoff(dtype) * abs(sw.exact[1])   # best may be exactly 0
        assert err <= 10 * max(best, floor), (s, err, best)


def test_auto_step_is_power_of_two_and_realised():
    for s in nm.SCHEMES:
        for dt in (np.float64, np.float32):
            h = nm.auto_step(s, 0.3, dt)
            assert math.log2(h) == round(math.log2(h))
    x = 0.1                                   # not a dyadic number: (x + h) - x must still be h
    _, _, _, h = nm.derivative(lambda p, xp: xp.exp(p["x"]), {"x": x}, "x", (), "central")
    assert (x + h) - x == h


def test_every_scheme_matches_autograd_on_mlp_float64_and_float32():
    for dt, tol in ((np.float64, {"forward": 1e-6, "backward": 1e-6}), (np.float32, {})):
        m = models.get("mlp", sizes=(2, 3, 1), batch=5, dtype=dt)
        p = m.params
        ref = dc.grad(models.get("mlp", sizes=(2, 3, 1), batch=5), "autograd")(nm.as_dtype(p, np.float64))
        for s in nm.SCHEMES:
            g = dc.grad(m, s)(p)
            assert g["W1"].dtype == dt
            err = max(float(np.max(np.abs(g[k] - ref[k]))) for k in ref)
            bound = tol.get(s, 1e-9) if dt == np.float64 else (1e-3 if s in ("forward", "backward") else 2e-5)
            assert err < bound, (dt, s, err)


def test_evals_are_counted():
    gf = dc.GradFn(SOFTPLUS, "central")
    gf(SOFTPLUS.params)
    assert gf.info["evals"] == 1 + 2 * 2
    gf = dc.GradFn(SOFTPLUS, "forward")
    gf(SOFTPLUS.params)
    assert gf.info["evals"] == 1 + 2
    gf = dc.GradFn(SOFTPLUS, "richardson")
    gf(SOFTPLUS.params)
    assert gf.info["evals"] == 1 + 6 * 2 and 0 < gf.info["error_estimate"] < 1e-6


def test_directional_derivative():
    p = SOFTPLUS.params
    ref = dc.grad(SOFTPLUS, "autograd")(p)
    v = {"w": 0.3, "b": -1.2}
    want = 0.3 * ref["w"] - 1.2 * ref["b"]
    for s, tol in (("central", 1e-9), ("complex-step", 1e-15), ("five-point", 1e-11)):
        f0, d, stats = nm.directional(SOFTPLUS, p, v, s)
        assert abs(d - want) < tol * abs(want), s
        assert stats["evals"] == 1 + nm.evals_per_coordinate(s)
    with pytest.raises(BadOptionError):
        nm.directional(SOFTPLUS, p, {"w": 0.0, "b": 0.0})


@pytest.mark.parametrize("h", [0.0, -1e-3, float("nan"), float("inf"), "1e-3", True])
def test_bad_step_is_a_typed_error(h):
    with pytest.raises(BadOptionError):
        dc.grad(SOFTPLUS, "central", h=h)(SOFTPLUS.params)


def test_step_below_resolution_is_refused_not_zero():
    p = nm.as_dtype(SOFTPLUS.params, np.float32)
    with pytest.raises(BadOptionError, match="vanishes"):
        dc.grad(SOFTPLUS, "forward", h=1e-12)(p)


@pytest.mark.parametrize("model", [models.get("perceptron", loss="l1"), models.get("perceptron", loss="hinge"),
                                   models.get("mlp", sizes=(2, 3, 1), batch=4, activation="relu")])
def test_complex_step_refuses_non_analytic_ops(model):
    with pytest.raises(nm.NotComplexSafe):
        dc.grad(model, "complex-step")(model.params)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        g = dc.grad(model, "complex-step", on_unsafe="central")(model.params)
    assert any("falling back to central" in str(x.message) for x in w)
    ref = dc.grad(model, "autograd")(model.params)
    assert max(float(np.max(np.abs(np.asarray(g[k]) - ref[k]))) for k in ref) < 1e-6


def test_complex_step_refuses_branches_and_float():
    def branchy(p, xp):
        return p["x"] * 2 if p["x"] > 0 else -p["x"]

    def floaty(p, xp):
        return float(p["x"]) ** 2
    for f in (branchy, floaty):
        with pytest.raises(nm.NotComplexSafe):
            dc.grad(f, "complex-step")({"x": 0.7})


def test_complex_step_works_through_sigmoid_and_logsumexp():
    for m in (models.get("mlp4"), models.get("mlp", sizes=(3, 4, 3), batch=6, loss="softmax_ce")):
        g = dc.grad(m, "complex-step")(m.params)
        ref = dc.grad(m, "autograd")(m.params)
        assert max(float(np.max(np.abs(np.asarray(g[k]) - ref[k]))) for k in ref) < 1e-14


def test_reference_is_sympy_at_50_digits_or_mpmath():
    d, label = ss.reference_derivatives(SOFTPLUS, SOFTPLUS.params, "w", orders=(0, 1, 2))
    s = 1 / (1 + math.exp(-1.1))
    assert label.startswith("SymPy") and d[1] == pytest.approx(2 * s, rel=1e-15)
    assert d[2] == pytest.approx(4 * s * (1 - s), rel=1e-14)
    m = models.get("logistic_map", n=20)
    d, label = ss.reference_derivatives(m, m.params, "x", orders=(1,))
    assert label.startswith("mpmath")
    ad = dc.grad(m, "autodiff")(m.params)["x"]
    assert abs(ad - d[1]) < 1e-8 * abs(d[1])


def test_stability_records_quick():
    recs = ss.stability_records(quick=True)
    rel = {(r.model, r.method, r.setting): r.value for r in recs if r.metric == "rel_error"}
    auto = {(c, m): v for (c, m, st), v in rel.items() if st.startswith("h=auto")}
    # cancellation: difference quotients return garbage, complex step and autodiff are exact
    assert auto[("cancellation", "central")] > 0.5
    assert auto[("cancellation", "complex-step")] < 1e-14 and rel[("cancellation", "autodiff", "exact rules")] < 1e-14
    # 1e8 offset: forward loses ~8 digits more; the complex step is untouched
    assert auto[("offset", "forward")] > 1e-3 and auto[("offset", "complex-step")] < 1e-14
    # float32: float64's step is worse in float32 than float32's own
    assert rel[("float32", "central", next(s for (c, m, s) in rel if c == "float32" and "float64" in s))] \
        > 10 * auto[("float32", "central")]
    # kink: forward is right, central averages the two slopes, complex step refuses
    assert auto[("kink", "forward")] < 1e-12 and auto[("kink", "central")] > 0.5
    assert any(r.model == "kink" and r.method == "complex-step" and r.metric == "refused" for r in recs)
    # logistic map: central at h = 3e-7 degrades with n, autodiff stays at the float trajectory's accuracy
    lm = {(r.method, r.setting): r.value for r in recs if r.model == "logistic_map"}
    c = [lm[("central", f"n={n} h=3e-07")] for n in (4, 12, 20)]
    assert c[0] < c[1] < c[2] and c[2] > 1e-3
    assert all(lm[("autodiff", f"n={n}")] < 1e-8 for n in (4, 12, 20))
    assert all(r.reference for r in recs if r.metric == "rel_error")


def test_sweep_records_quick_and_figures(tmp_path):
    from diffcompare.records import from_json, to_json
    from diffcompare.report.fig_fd import fig_stability, fig_vcurve
    from diffcompare.report.io import save_figure
    recs = ss.sweep_records(("softplus",), ("float64",), quick=True)
    assert {r.method for r in recs if r.metric == "best_error"} == set(nm.SCHEMES)
    assert all(r.reference for r in recs if r.metric == "abs_error")
    _, back = from_json(to_json(recs))
    assert len(back) == len(recs)
    assert save_figure(fig_vcurve(back), tmp_path / "v.png").stat().st_size > 1000
    st = [r for r in ss.stability_records(quick=True)]
    assert save_figure(fig_stability(st), tmp_path / "s.png").stat().st_size > 1000


def test_cli_fd(tmp_path, capsys):
    from diffcompare.cli import main
    assert main(["fd", "--model", "softplus", "--wrt", "w", "--per-decade", "1", "--json",
                 "--out", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    best = {r["method"]: r["value"] for r in data["records"] if r["metric"] == "best_error"}
    assert best["central"] < 1e-9 and best["complex-step"] < 1e-15
    assert (tmp_path / "fd_softplus_w_float64.png").exists()
    assert main(["fd", "--model", "softplus", "--wrt", "nope"]) == 2
    assert main(["fd", "--model", "softplus", "--scheme", "sideways"]) == 2
    assert main(["fd", "--model", "softplus", "--hmin", "0"]) == 2


def test_complex_step_returns_nan_not_a_wrong_number_when_f_overflows():
    f = lambda p, xp: xp.log(1 + xp.exp(p["w"] * 800.0 + 0.1))
    with np.errstate(all="ignore"):
        g = dc.grad(f, "complex-step")({"w": 1.0})["w"]
    assert np.isnan(g)
