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


def test_sweep_records_quick_and_figures(tmp_path):
    from diffcompare.records import from_json, to_json
    from diffcompare.report.fig_fd import fig_vcurve
    from diffcompare.report.io import save_figure
    recs = ss.sweep_records(("softplus",), ("float64",), quick=True)
    assert {r.method for r in recs if r.metric == "best_error"} == set(nm.SCHEMES)
    assert all(r.reference for r in recs if r.metric == "abs_error")
    _, back = from_json(to_json(recs))
    assert len(back) == len(recs)
    assert save_figure(fig_vcurve(back), tmp_path / "v.png").stat().st_size > 1000


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


# --- issue 12: bad input is typed, never a silently wrong number --------------------------------

def _weighted(p, xp):
    return xp.sum(p["w"] * np.array([1.0, -2.0, 4.0]))


def test_12_7_float16_params_are_differenced_in_float64():
    w = np.full(3, 0.5, dtype=np.float16)
    for s in nm.SCHEMES:
        g = dc.grad(_weighted, s)({"w": w})["w"]
        assert np.allclose(np.asarray(g, float), [1.0, -2.0, 4.0], rtol=1e-6), (s, g)


def test_12_7_a_mutating_model_never_touches_the_callers_arrays():
    def pure(p, xp):
        return xp.sum(p["W"] * p["W"]) + 3.0 * p["b"]

    def mutating(p, xp):
        out = pure(p, xp)
        p["W"] *= 2.0                      # in place: would corrupt the next evaluation
        p["b"] = 100.0                     # rebinding: would leak into the next one
        return out
    W = np.array([[1.0, -2.0], [0.5, 3.0]])
    params = {"W": W.copy(), "b": 0.25}
    want = dc.grad(pure, "autodiff")(params)
    for s in nm.SCHEMES:
        g = dc.grad(mutating, s)(params)
        assert np.allclose(g["W"], want["W"], rtol=1e-6) and g["b"] == pytest.approx(3.0, rel=1e-6), s
        assert np.array_equal(params["W"], W) and params["b"] == 0.25, s


def test_12_7_complex_step_refuses_a_branch_cut_and_a_complex_valued_model():
    def root(p, xp):
        return xp.sum(p["w"] ** 0.5)
    with pytest.raises(nm.NotComplexSafe, match="branch"), np.errstate(all="ignore"):
        dc.grad(root, "complex-step")({"w": np.array([-2.0, 1.0])})
    with pytest.raises(dc.errors.NonScalarOutputError, match="complex"):
        dc.grad(lambda p, xp: p["w"] ** 0.5, "complex-step")({"w": -2.0})     # Python: a complex number
    with pytest.raises(dc.errors.NonScalarOutputError, match="complex"):
        dc.grad(lambda p, xp: p["w"] * 1j, "central")({"w": 2.0})
    assert dc.grad(root, "complex-step")({"w": np.array([4.0, 1.0])})["w"] == pytest.approx([0.25, 0.5], rel=1e-15)


def test_12_9_a_vector_output_is_a_typed_error_for_every_scheme():
    for s in nm.SCHEMES:
        with pytest.raises(dc.errors.NonScalarOutputError, match="shape"):
            dc.grad(lambda p, xp: p["w"] * 2.0, s)({"w": np.ones(3)})


@pytest.mark.parametrize("levels", [100, 1, 6, 2.5, True])
def test_12_9_richardson_levels_out_of_range_is_a_typed_error(levels):
    with pytest.raises(BadOptionError, match="from 2 to 5"):
        dc.grad(SOFTPLUS, "richardson", levels=levels)(SOFTPLUS.params)


def test_12_3_a_gradient_past_the_budget_is_refused_with_the_estimate():
    big = {"w": np.zeros(10 ** 6)}
    with pytest.raises(dc.errors.IntractableError) as e:
        dc.grad(lambda p, xp: xp.sum(p["w"] * p["w"]), "central")(big)
    msg = str(e.value)
    assert "2,000,000 evaluations" in msg and "budget=SECONDS" in msg and e.value.budget == nm.DEFAULT_BUDGET
    with pytest.raises(dc.errors.IntractableError):
        dc.grad(SOFTPLUS, "forward", budget=1e-12)(SOFTPLUS.params)
    assert dc.grad(SOFTPLUS, "forward", budget=None)(SOFTPLUS.params)["w"] == pytest.approx(1.5005, rel=1e-4)
    with pytest.raises(BadOptionError):
        dc.grad(SOFTPLUS, "central", budget=-1)(SOFTPLUS.params)
