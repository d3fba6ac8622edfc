"""The swell sweep: exact counts per depth, each step in its own process under its CPU budget,
give-ups skipped deeper, prerequisites computed once, work estimated and refused past a limit."""
import pytest

from diffcompare.experiments import swell_sweep
from diffcompare.experiments.swell_steps import (
    CSE1_OPS,
    CSE_OPS,
    DAG,
    DAG1,
    DIFF1_S,
    DIFF_S,
    REV_DAG1,
    REV_EQUAL1,
    REV_TREE1,
    TAN_DAG1,
    TAN_EQUAL1,
    TAN_TREE1,
    TAPE,
    TREE,
    TREE1,
    TREE1_EXPLICIT,
)
from diffcompare.experiments.swell_sweep import FAILED, INTRACTABLE, SKIPPED, TooMuchWorkError, depth_grid, sweep


def test_chain_sweep_measures_the_exact_laws():
    rows = sweep("softplus_chain", 5, budget=5, steps=("dag", "diff1", "diff", "cse1"))
    for r in rows:
        d = r["depth"]
        assert r[TREE1] == r[REV_TREE1] == r[TREE1_EXPLICIT] == 8 * d * d + 9 * d + 1
        assert r[DAG1] == 8 * d + 3 and r[CSE1_OPS] == 8 * d - 2 and r[TAPE] == 5 * d
        assert 3 * r[TREE] == 32 * d ** 3 + 63 * d ** 2 + 10 * d and r[REV_EQUAL1] and not r["status"]


def test_logistic_map_counts():
    rows = sweep("logistic_map", 4, budget=5, steps=("dag", "diff1"))
    assert [r[TAPE] for r in rows] == [3, 6, 9, 12]
    assert all(r[TREE1] == r[TREE1_EXPLICIT] for r in rows)


def test_dag_counts_go_past_sympy():
    rows = sweep("logistic_map", 60, budget=5, depths=[60], steps=("dag",))
    assert rows[0][REV_TREE1] > 10 ** 30 and rows[0][REV_DAG1] < 1000


def test_tiny_budget_reports_intractable_and_skips_deeper():
    rows = sweep("softplus_chain", 40, budget=0.2, width=2, depths=[30, 40], steps=("diff", "cse"))
    st = rows[0]["status"]["diff"]
    assert (st.state, st.depth, st.budget, st.engine) == (INTRACTABLE, 30, 0.2, "SymPy")
    assert st.cpu_used >= 0.2                          # it really ran for its budget
    cse = rows[0]["status"]["cse"]
    assert (cse.state, cse.cause, cse.since) == (SKIPPED, "diff", 30)
    later = rows[1]["status"]["diff"]
    assert (later.state, later.cause, later.since) == (SKIPPED, "diff", 30)


def test_tangent_column_equals_sympy_diff_where_both_run():
    rows = sweep("logistic_map", 5, budget=5, steps=("tan", "diff1"))
    assert all(r[TAN_EQUAL1] and r[TAN_TREE1] == r[TREE1] == r[TREE1_EXPLICIT] for r in rows)
    assert [r[TAN_TREE1] for r in rows] == [5, 44, 166, 530, 1538]
    rows = sweep("softplus_chain", 3, budget=5, width=2, steps=("tan", "diff1"))
    assert all(r[TAN_EQUAL1] and r[TAN_DAG1] == r[DAG1] for r in rows)


def test_one_parameter_gradient_steps_are_their_d_dp1_twins():
    rows = sweep("logistic_map", 3, budget=5, steps=("diff1", "diff", "cse1", "cse", "lambdify"), symengine=False)
    for r in rows:
        assert r[TREE] == r[TREE1] and r[DAG] == r[DAG1] and r[CSE_OPS] == r[CSE1_OPS]
        assert r["cost_cse"] > 0 and not r["status"]


def test_diff_reuses_diff1_and_budgets_are_cpu_seconds():
    rows = sweep("softplus_chain", 3, budget=5, depths=[3], steps=("diff1", "diff"), symengine=False)
    r = rows[0]
    assert r[DIFF_S] >= r[DIFF1_S] > 0 and 3 * r[TREE] == 32 * 27 + 63 * 9 + 30
    rows = sweep("softplus_chain", 40, budget=0.3, width=2, depths=[30, 40],
                 steps=("diff1", "diff", "count_ops"), symengine=False)
    st = rows[0]["status"]
    assert (st["diff1"].state, st["diff1"].depth, st["diff1"].budget) == (INTRACTABLE, 30, 0.3)
    assert st["diff1"].cpu_used >= 0.3                 # it really ran for its CPU budget
    assert all((st[s].state, st[s].cause, st[s].since) == (SKIPPED, "diff1", 30) for s in ("count_ops", "diff"))
    later = rows[1]["status"]["diff1"]
    assert (later.state, later.cause, later.since) == (SKIPPED, "diff1", 30)


def test_a_failing_step_is_a_failed_status_not_a_crash(monkeypatch):
    from diffcompare.experiments import swell_steps

    def boom(st):
        raise ValueError("a SymPy bug")
    monkeypatch.setitem(swell_steps.STEP_TABLE, "cse1", swell_steps.Step("cse1", boom, needs="diff1"))
    rows = sweep("softplus_chain", 2, budget=5, steps=("diff1", "cse1"), symengine=False)
    st = rows[0]["status"]["cse1"]
    assert st.state == FAILED and "ValueError: a SymPy bug" in st.error and TREE1 in rows[0]
    assert rows[1]["status"]["cse1"].state == SKIPPED


def test_without_symengine_the_columns_are_skipped(monkeypatch):
    from diffcompare.errors import BadOptionError
    monkeypatch.setattr(swell_sweep, "_symengine", lambda: None)
    rows = sweep("logistic_map", 2, budget=5, steps=("tan",), symengine=None)
    assert all("se_diff1_s" not in r for r in rows)
    with pytest.raises(BadOptionError, match="symengine is not installed"):
        sweep("logistic_map", 2, budget=5, steps=("tan",), symengine=True)


def test_depth_grid():
    g = depth_grid(2000)
    assert g[:12] == list(range(1, 13)) and g[-1] == 2000 and g == sorted(set(g))


def test_issue12_3_huge_depth_is_estimated_and_refused():
    # --max-depth 100000 grew to 8 GB: now the cost is estimated first and refused past a limit,
    # with the estimate and the option that raises it named
    with pytest.raises(TooMuchWorkError, match=r"estimated at \d+ CPU seconds.*--max-cost") as e:
        sweep("softplus_chain", 100_000)
    assert "--max-memory" in str(e.value) and "lower --max-depth" in str(e.value)
    cpu, mem = swell_sweep.estimate("softplus_chain", 1, depth_grid(100_000), ("tan", "dag"), 2.0)
    small, _ = swell_sweep.estimate("softplus_chain", 1, depth_grid(2000), ("tan", "dag"), 2.0)
    assert cpu > swell_sweep.MAX_COST > 10 * small and mem > 2 ** 30


def test_progress_follows_the_protocol():
    seen = []
    sweep("softplus_chain", 2, budget=5, steps=("tan",), symengine=False,
          progress=lambda what, done=None, total=None: seen.append((what, done, total)))
    assert seen[-1][1:] == (2, 2) and all(isinstance(w, str) for w, _, _ in seen)


@pytest.mark.parametrize("bad", [dict(max_depth=0), dict(budget=0), dict(budget=-1.0), dict(max_depth=2.5)])
def test_bad_options_are_typed(bad):
    from diffcompare.errors import BadOptionError
    with pytest.raises(BadOptionError):
        sweep("softplus_chain", **{"max_depth": 2, **bad})
