"""Second derivatives measured: the 2-D stencils' error model, the 50-digit Hessian, and the
experiment's claims (one quick run, shared) -- the issue's "Must show" numbers, asserted."""
import math

import numpy as np
import pytest

import diffcompare as dc
from diffcompare import highprec, models
from diffcompare.experiments import second_order as so
from diffcompare.experiments.second_order_compare import EVALS, REL_ERROR, compare_hessians
from diffcompare.experiments.second_order_sweep import (
    AT_OPTIMUM,
    SCHEMES,
    SLOPE,
    THEORY_ERROR,
    error_model,
    needed,
    stencil2,
)
from diffcompare.experiments.swell_laws import HESS_VS_GRAD
from diffcompare.hessian import STEP_RULES, auto_step

U64 = np.finfo(np.float64).eps / 2


# --- the stencils' theory -----------------------------------------------------------------------

@pytest.mark.parametrize("scheme, diagonal, order, leading, q_factor", [
    ("central", True, 2, {(4, 0): 1 / 12}, math.sqrt(6)),
    ("central", False, 2, {(3, 1): 1 / 6, (1, 3): 1 / 6}, 0.5),
    ("central-grad", True, 2, {(0, 3): 1 / 6}, math.sqrt(0.5)),
    ("central-grad", False, 2, {(0, 3): 1 / 6}, math.sqrt(0.5)),
    ("richardson", True, 4, {(6, 0): -1 / 1440}, None),
    ("richardson-grad", False, 4, {(0, 5): -1 / 480}, None),
])
def test_stencil_moments_give_order_truncation_and_roundoff(scheme, diagonal, order, leading, q_factor):
    st = stencil2(scheme, diagonal)
    assert st.order == order
    got = st.leading()
    assert set(got) == set(leading) and all(got[k] == pytest.approx(v, rel=1e-12) for k, v in leading.items())
    if q_factor is not None:
        assert st.roundoff_factor == pytest.approx(q_factor, rel=1e-12)
    # exact on the target: the second derivative's own moment is 1 (C(1,1) off, C(2,0) on)
    target = (0, 1) if st.q == 1 else (2, 0) if diagonal else (1, 1)
    assert st.moment(*target) == pytest.approx(1.0, rel=1e-12)


def test_the_automatic_steps_are_the_models_optimum_with_unit_derivatives():
    for s in SCHEMES:
        unit = {k: 1.0 for k in needed(SCHEMES, True) + needed(SCHEMES, False)}
        h_diag, h_off = (error_model(s, d, np.float64, unit)[2] for d in (True, False))
        p, q, (c, k) = STEP_RULES[s]
        assert k == p + q and (c * U64) ** (1 / k) == pytest.approx(math.sqrt(h_diag * h_off), rel=0.05), s
        assert 0.5 < auto_step(s, 1.0) / math.sqrt(h_diag * h_off) < 2.0        # a power of two near it


def test_error_model_optimum_balances_its_two_terms():
    d = {k: 1.0 for k in needed(SCHEMES, True)}
    for s in SCHEMES:
        trunc, roundoff, h, e, p = error_model(s, True, np.float64, d)
        q = stencil2(s, True).q
        # at h* the derivative of t^2 + r^2 vanishes: p t^2 = q r^2
        assert p * trunc(h) ** 2 == pytest.approx(q * roundoff(h) ** 2, rel=1e-9)
        assert e == pytest.approx(math.hypot(trunc(h), roundoff(h)))


# --- the 50-digit references ------------------------------------------------------------------

def _softplus_partials(a, b, x=2.0, z=1.1):
    """d^(a+b) softplus(w x + b) / dw^a db^b = x^a sigma^(a+b-1)(z), closed forms up to order 4."""
    s = 1 / (1 + math.exp(-z))
    ds = [s, s * (1 - s), s * (1 - s) * (1 - 2 * s), s * (1 - s) * (1 - 6 * s + 6 * s * s)]
    return x ** a * ds[a + b - 1]


def test_mixed_partials_match_closed_forms():
    m = models.get("softplus")
    orders = [(1, 1), (2, 0), (1, 3), (3, 1), (2, 2), (1, 0), (0, 1)]
    got, label = highprec.mixed_partials(m, m.params, 0, 1, orders)
    assert label == highprec.HESSIAN_LABEL
    for ab in orders:
        assert got[ab] == pytest.approx(_softplus_partials(*ab), rel=1e-14), ab
    diag, _ = highprec.mixed_partials(m, m.params, 1, 1, [(2, 0), (4, 0)])
    assert diag[(4, 0)] == pytest.approx(_softplus_partials(0, 4), rel=1e-14)


@pytest.mark.parametrize("name", ["softplus", "neuron", "perceptron2", "logistic_map"])
def test_the_50_digit_hessian_agrees_with_autograd(name):
    m = models.get(name)
    H, label = highprec.hessian(m, m.params)
    Hg = dc.hessian(m, "autograd")(m.params)
    assert label == highprec.HESSIAN_LABEL and np.max(np.abs(H - Hg)) <= 1e-14 * np.max(np.abs(H))


def test_along_gives_f_and_its_slope_at_shifted_points():
    m = models.get("softplus")
    (f0, g0), (f1, g1) = highprec.along(m, m.params, 0, [0.0, 2.0 ** -10])
    assert f0 == pytest.approx(math.log1p(math.exp(1.1)), rel=1e-15)
    assert g1 == pytest.approx(2.0 / (1 + math.exp(-(1.1 + 2.0 ** -9))), rel=1e-15)


def test_compare_hessians_names_its_reference_and_fails_one_method_alone():
    m = models.get("softplus")
    recs = compare_hessians(m, m.params, ("autodiff", "central"), repeats=2, min_time=0.001)
    ref = [r for r in recs if r.metric == "hessian_reference"]
    assert ref[0].value == highprec.HESSIAN_LABEL
    err = {r.method: r.value for r in recs if r.metric == REL_ERROR}
    assert err["autodiff"] <= 1e-15 and 1e-10 < err["central"] < 1e-6
    with pytest.raises(dc.DiffcompareError, match="unknown second-derivative method"):
        compare_hessians(m, m.params, ("autodiff", "magic"))
    recs = compare_hessians(m, m.params, ("autodiff",), reference="central", timed=False)
    assert [r.value for r in recs if r.metric == REL_ERROR][0] > 1e-10       # against central's own error


# --- the experiment: one quick run ------------------------------------------------------------------

@pytest.fixture(scope="module")
def quick():
    return so.run(quick=True)


def test_the_claims_hold_in_float64_and_float32(quick):
    claims = {(r.extra["claim"], r.extra["dtype"]): r for r in quick if r.metric == so.CLAIM}
    assert set(claims) == {(k, dt) for k in (so.EXACT, so.GRAD_DIFFERENCES, so.SECOND_DIFFERENCES) for dt in so.DTYPES}
    assert all(c.extra["holds"] for c in claims.values()), [c for c in claims.values() if not c.extra["holds"]]
    # the numbers, against the 50-digit SymPy Hessian
    assert claims[(so.EXACT, "float64")].value <= 1e-14
    assert claims[(so.GRAD_DIFFERENCES, "float64")].value <= 1e-9
    assert claims[(so.SECOND_DIFFERENCES, "float64")].value <= 3
    assert claims[(so.EXACT, "float64")].reference == highprec.HESSIAN_LABEL
    # float32 is float32: its errors sit at its own u, far above float64's
    assert 1e-9 < claims[(so.EXACT, "float32")].value <= so.bound(so.EXACT, "float32")
    assert claims[(so.GRAD_DIFFERENCES, "float32")].value > 1e3 * claims[(so.GRAD_DIFFERENCES, "float64")].value


def test_differences_lose_half_and_a_third_of_the_digits(quick):
    err = {(r.model, r.method, r.extra["dtype"]): r.value for r in quick if r.metric == REL_ERROR}
    for dt in so.DTYPES:
        u = np.finfo(dt).eps / 2
        e2, e3 = err[("softplus", "central", dt)], err[("softplus", "central-grad", dt)]
        assert 1e-2 * u ** 0.5 < e2 < 1e2 * u ** 0.5, dt
        assert 1e-2 * u ** (2 / 3) < e3 < 1e2 * u ** (2 / 3), dt


def test_every_v_curve_bottom_is_where_its_model_says(quick):
    opt = [r for r in quick if r.metric == AT_OPTIMUM]
    assert {r.method for r in opt} == set(SCHEMES) and {r.extra["dtype"] for r in opt} == set(so.DTYPES)
    for r in opt:          # gradient differences too, with their measured noise
        assert 1 / 3 <= r.extra["ratio"] <= 3, (r.setting, r.method, r.extra["ratio"])
        assert r.reference == highprec.HESSIAN_LABEL
    slopes = {(r.method, r.extra["dtype"]): r for r in quick if r.metric == SLOPE and r.value is not None}
    for s in ("central", "central-grad"):
        assert slopes[(s, "float64")].value == pytest.approx(2.0, abs=0.15)
    model = [r for r in quick if r.metric == THEORY_ERROR and r.extra["dtype"] == "float64"]
    assert all(0.5 < r.extra["noise"]["f"] / r.extra["naive"]["f"] < 4 for r in model)   # softplus: well-conditioned


def test_second_differences_cost_order_n_squared_evaluations(quick):
    ev = {(r.method, r.extra["n"]): r.value for r in quick if r.metric == EVALS and r.model == so.COST_MODEL}
    ns = sorted({n for _, n in ev})
    assert len(ns) >= 2
    for n in ns:
        assert ev[("central", n)] == 2 * n * n + n            # 3 per diagonal entry, 4 per pair
        assert ev[("richardson", n)] == 2 * ev[("central", n)]
        assert ev[("central-grad", n)] == 2 * n               # gradients, one pair per column


def test_the_symbolic_hessian_outgrows_the_gradient(quick):
    hv = [r for r in quick if r.metric == HESS_VS_GRAD]
    assert hv and hv[0].section == so.SECTION
    ratios = [q for _, q in hv[0].extra["ratios"]]
    assert ratios[0] > 2 and all(b > a for a, b in zip(ratios, ratios[1:]))
    law = [r for r in quick if r.metric == so.POWER_LAW and r.extra["of"] == "hess_tree"]
    grad_law = [r for r in quick if r.metric == so.POWER_LAW and r.extra["of"] == "tree"]
    assert law and grad_law and law[0].value > grad_law[0].value + 1


def test_the_hvp_is_timed_against_one_gradient(quick):
    ratio = [r for r in quick if r.metric == so.HVP_OVER_GRAD]
    assert len(ratio) == 1 and ratio[0].extra["n"] >= 300 and ratio[0].extra["rounds"] >= 3
    assert ratio[0].extra["lo"] <= ratio[0].value <= ratio[0].extra["hi"]
    timed = [r for r in quick if r.metric in (so.S_PER_GRAD, so.S_PER_HVP)]
    assert all(r.lo <= r.value <= r.hi and r.repeats >= 3 for r in timed)
