"""Findings of the swell rows: exact laws, growth per level, SymEngine, give-ups -- as records."""
import pytest

from diffcompare.experiments.swell_laws import GAVE_UP, GROWTH, LAW, SE_SPEEDUP, TANGENT_EQUAL, findings
from diffcompare.experiments.swell_steps import TAN_TREE1, TREE, TREE1
from diffcompare.experiments.swell_sweep import INTRACTABLE, sweep


def _laws(recs):
    return {r.extra["of"]: r.value for r in recs if r.metric == LAW}


def test_exact_polynomial_laws_of_the_lecture_chain():
    rows = sweep("softplus_chain", 5, budget=5, steps=("dag", "diff1", "diff", "cse1"), symengine=False)
    laws = _laws(findings(rows))
    assert laws[TREE1] == "8*d**2 + 9*d + 1" and laws[TREE] == "32*d**3/3 + 21*d**2 + 10*d/3"
    rows = sweep("softplus_chain", 60, budget=5, depths=[1, 2, 3, 60], steps=("tan",))
    assert _laws(findings(rows))[TAN_TREE1] == "8*d**2 + 9*d + 1"


def test_growth_per_level_where_no_polynomial_holds():
    rows = sweep("logistic_map", 6, budget=5, steps=("tan",), symengine=False)
    recs = findings(rows, "logistic_map")
    assert TAN_TREE1 not in _laws(recs)
    (g,) = [r for r in recs if r.metric == GROWTH and r.extra["of"] == TAN_TREE1]
    assert g.extra["depth"] == 6 and g.value == pytest.approx((g.extra["size"] / rows[-2][TAN_TREE1]))
    assert g.extra["per_n2_2n"] == pytest.approx(g.extra["size"] / (36 * 64)) and g.extra["var"] == "n"
    (eq,) = [r for r in recs if r.metric == TANGENT_EQUAL] or [None]
    assert eq is None                                   # no diff1 ran: nothing to compare


def test_gave_up_records_carry_step_depth_budget_and_cpu():
    rows = sweep("softplus_chain", 40, budget=0.2, width=2, depths=[30, 40], steps=("diff", "cse"))
    (g,) = [r for r in findings(rows, width=2, budget=0.2) if r.metric == GAVE_UP]
    x = g.extra
    assert g.value == 30 and x["step"] == "diff" and x["state"] == INTRACTABLE and x["budget"] == 0.2
    assert x["cpu_used"] >= 0.2 and x["engine"] == "SymPy" and g.model == "softplus_chain(width=2)"


def test_symengine_against_sympy_is_a_ratio():
    pytest.importorskip("symengine")
    rows = sweep("logistic_map", 4, budget=5, steps=("tan", "diff1"), symengine=True)
    (s,) = [r for r in findings(rows, "logistic_map") if r.metric == SE_SPEEDUP]
    assert s.extra["depth"] == 4 and s.value == pytest.approx(s.extra["sympy_s"] / s.extra["se_s"])


def test_issue14_hessian_swell_law_and_give_up():
    from diffcompare.experiments.swell_laws import HESS_VS_GRAD
    from diffcompare.experiments.swell_steps import H_DAG, H_TREE
    rows = sweep("softplus_chain", 8, budget=5, steps=("diff1", "diff", "hess"), symengine=False)
    assert [r[H_TREE] for r in rows[:3]] == [166, 2356, 12538]
    recs = findings(rows)
    laws = _laws(recs)
    assert laws[H_TREE] == "96*d**5/5 + 224*d**4/3 + 200*d**3/3 + 4*d**2/3 + 62*d/15"
    assert laws[H_DAG] == "4*d**3/3 + 5*d**2 + 53*d/3 + 3"
    (ratio,) = [r for r in recs if r.metric == HESS_VS_GRAD]
    assert ratio.extra["depth"] == 8 and ratio.value == rows[-1][H_TREE] / rows[-1][TREE] > 100
    rows = sweep("softplus_chain", 4, budget=0.5, width=2, steps=("diff1", "diff", "hess"), symengine=False)
    (g,) = [r for r in findings(rows, width=2, budget=0.5) if r.metric == GAVE_UP and r.extra["step"] == "hess"]
    assert g.extra["budget"] == 0.5 and g.extra["includes"] == "diff" and 2 <= g.value <= 4
