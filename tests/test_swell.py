
import pytest
import sympy

from diffcompare.experiments import swell
from diffcompare.records import Record


def test_chain_sweep_measures_the_exact_laws():
    rows = swell.sweep("softplus_chain", 5, budget=5, steps=("dag", "diff1", "diff", "cse1"))
    for r in rows:
        d = r["depth"]
        assert r["tree1"] == r["rev_tree1"] == r["tree1_explicit"] == 8 * d * d + 9 * d + 1
        assert r["dag1"] == 8 * d + 3 and r["cse1_ops"] == 8 * d - 2 and r["tape"] == 5 * d
        assert 3 * r["tree"] == 32 * d ** 3 + 63 * d ** 2 + 10 * d and r["rev_equal1"]
    laws = swell.fit_laws(rows)
    assert any("8*d**2 + 9*d + 1" in line for line in laws)
    assert any("32*d**3/3 + 21*d**2 + 10*d/3" in line for line in laws)


def test_logistic_map_counts_and_published_table():
    rows = swell.sweep("logistic_map", 4, budget=5, steps=("dag", "diff1"))
    assert [r["tape"] for r in rows] == [3, 6, 9, 12]
    assert all(r["tree1"] == r["tree1_explicit"] for r in rows)
    table = swell.logistic_table()
    assert [r["n"] for r in table] == [1, 2, 3, 4] and all(r["matches_published"] for r in table)


def test_dag_counts_go_past_sympy():
    rows = swell.sweep("logistic_map", 60, budget=5, depths=[60], steps=("dag",))
    assert rows[0]["rev_tree1"] > 10 ** 30 and rows[0]["rev_dag1"] < 1000


def test_tiny_budget_reports_intractable_and_skips_deeper():
    rows = swell.sweep("softplus_chain", 40, budget=0.2, width=2, depths=[30, 40],
                       steps=("diff", "cse"))
    assert rows[0]["gave_up_cpu"]["diff"] >= 0.2        # it really ran for its budget
    assert rows[0]["status"]["diff"] == "intractable at depth 30 (budget 0.2 s)"
    assert rows[0]["status"]["cse"].startswith("skipped")
    assert rows[1]["status"]["diff"] == "skipped (intractable at depth 30)"


def test_lecture_examples_and_slide_typo():
    ex = swell.lecture_examples()
    out = [text for label, text in ex if label == "Out"]
    checks = [text for label, text in ex if label == "check"]
    assert out[0] == "x*Exp[b + w*x]/(Exp[b + w*x] + 1)"
    assert checks[0].startswith("= x e^(wx+b)/(1+e^(wx+b)): yes")
    assert "w in the numerator where x belongs" in checks[0] and "differs from" in checks[0]
    assert checks[1].endswith("yes")


def test_auto_evaluation_is_detected():
    naive, chain = swell.auto_evaluation(depth=3)
    assert naive["collapsed"] == 3 and "->" in naive["example"]
    assert chain["collapsed"] == 0


def test_records_for_the_report():
    recs = swell.swell_records("softplus_chain", 3, budget=2, quick=True)
    assert all(isinstance(r, Record) for r in recs)
    assert any(r.metric == "tree1" and r.value == 100 and r.setting == "depth=3" for r in recs)
    assert any(r.metric == "finding" for r in recs)


def test_figure_from_rows_and_records():
    from diffcompare.report.fig_swell import swell_figure
    rows = [{"depth": 1, "tree1": 18, "rev_tree1": 10 ** 400}, {"depth": 2, "tree1": 51, "rev_tree1": 10 ** 401}]
    assert swell_figure(rows).axes[0].get_yscale() == "linear"
    recs = swell.rows_to_records(rows)
    assert len(swell_figure(recs).axes[0].lines) == 2


def test_depth_grid():
    g = swell.depth_grid(2000)
    assert g[:12] == list(range(1, 13)) and g[-1] == 2000 and g == sorted(set(g))


def test_tangent_column_equals_sympy_diff_where_both_run():
    rows = swell.sweep("logistic_map", 5, budget=5, steps=("tan", "diff1"))
    assert all(r["tan_equal1"] and r["tan_tree1"] == r["tree1"] == r["tree1_explicit"] for r in rows)
    assert [r["tan_tree1"] for r in rows] == [5, 44, 166, 530, 1538]
    rows = swell.sweep("softplus_chain", 3, budget=5, width=2, steps=("tan", "diff1"))
    assert all(r["tan_equal1"] and r["tan_dag1"] == r["dag1"] for r in rows)
    laws = swell.fit_laws(swell.sweep("softplus_chain", 60, budget=5, depths=[1, 2, 3, 60], steps=("tan",)))
    assert any("8*d**2 + 9*d + 1" in line and "tangent" in line for line in laws)


def test_one_parameter_gradient_steps_are_their_d_dp1_twins():
    rows = swell.sweep("logistic_map", 3, budget=5, steps=("diff1", "diff", "cse1", "cse", "lambdify"),
                       symengine=False)
    for r in rows:
        assert r["tree"] == r["tree1"] and r["dag"] == r["dag1"] and r["cse_ops"] == r["cse1_ops"]
        assert r["cost_cse"] > 0 and not r["status"]


def test_diff_reuses_diff1_and_budgets_are_cpu_seconds():
    rows = swell.sweep("softplus_chain", 3, budget=5, depths=[3], steps=("diff1", "diff"), symengine=False)
    r = rows[0]
    assert r["diff_s"] >= r["diff1_s"] and 3 * r["tree"] == 32 * 27 + 63 * 9 + 30
    rows = swell.sweep("softplus_chain", 40, budget=0.3, width=2, depths=[30, 40],
                       steps=("diff1", "diff", "count_ops"), symengine=False)
    st = rows[0]["status"]
    assert st["diff1"] == "intractable at depth 30 (budget 0.3 s)"
    assert rows[0]["gave_up_cpu"]["diff1"] >= 0.3           # it really ran for its CPU budget
    assert st["count_ops"] == st["diff"] == "skipped (diff1 intractable at depth 30)"
    assert rows[1]["status"]["diff1"] == "skipped (intractable at depth 30)"


def test_memoised_build_gives_the_fresh_expression():
    from diffcompare import models
    from diffcompare.symbolic import build, memo_namespace
    memo = {}
    for d in (2, 5):
        m = models.get("softplus_chain", depth=d)
        assert build(m, m.params, real=False, xp=memo_namespace(memo)).expr == build(m, m.params, real=False).expr


def test_symengine_beside_sympy():
    se = pytest.importorskip("symengine")
    rows = swell.sweep("logistic_map", 4, budget=5, steps=("tan", "diff1"), symengine=True)
    for r in rows:       # SymEngine keeps its own form (no auto-expansion): its own tree size
        assert r["se_diff1_s"] >= 0 and r["se_tree1"] > 0 and r["tan_tree1"] == r["tree1"]
    # n = 1: SymEngine keeps 4(1 - x) - 4x (11 nodes), SymPy's Add makes it 4 - 8x (5 nodes)
    assert [r["se_tree1"] for r in rows] == [11, 44, 166, 530]
    from diffcompare import models
    from diffcompare.symbolic import build
    m = models.get("logistic_map", n=6)
    me = build(m, m.params, real=False)
    e, x = swell.to_symengine([me.expr, me.flat_params()[0]])
    want = sympy.diff(me.expr, me.flat_params()[0]).subs(me.flat_params()[0], sympy.Rational(3, 10))
    assert e.diff(x).subs({x: se.Rational(3, 10)}) == se.sympify(want)
    assert any(line.startswith("SymEngine d/dx at n = 4") for line in swell.fit_laws(rows, "logistic_map"))
    x = sympy.Symbol("x")
    e = sympy.log(1 + sympy.exp(3 * x / 2)) ** 2
    (g,) = swell.to_symengine([e])
    assert g == se.sympify(e)


def test_without_symengine_the_columns_are_skipped(monkeypatch):
    from diffcompare.errors import BadOptionError
    monkeypatch.setattr(swell, "_symengine", lambda: None)
    rows = swell.sweep("logistic_map", 2, budget=5, steps=("tan",), symengine=None)
    assert all("se_diff1_s" not in r for r in rows)
    with pytest.raises(BadOptionError, match="symengine is not installed"):
        swell.sweep("logistic_map", 2, budget=5, steps=("tan",), symengine=True)
