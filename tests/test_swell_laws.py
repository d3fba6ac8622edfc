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
