"""The swell experiment's records: every number a record, statuses and findings structured."""
from diffcompare.experiments import swell
from diffcompare.experiments.swell_laws import LAW
from diffcompare.experiments.swell_steps import DAG1, TREE1
from diffcompare.records import Record, from_json, to_json
from diffcompare.symbolic import DEFAULT_BUDGET


def test_records_for_the_report():
    recs = swell.swell_records("softplus_chain", 3, budget=2, quick=True)
    assert all(isinstance(r, Record) for r in recs)
    assert any(r.metric == TREE1 and r.value == 100 and r.setting == "depth=3" and r.extra["budget"] == 2
               for r in recs)
    assert any(r.metric == LAW and r.extra["of"] == DAG1 and r.value == "8*d + 3" for r in recs)
    _, back = from_json(to_json(recs))
    assert [(r.metric, r.value) for r in back] == [(r.metric, r.value) for r in recs]


def test_statuses_are_records_with_their_fields():
    rows = swell.sweep("softplus_chain", 40, budget=0.2, width=2, depths=[30, 40], steps=("diff", "cse"))
    recs = swell.rows_to_records(rows, "softplus_chain", 2, 0.2)
    st = [r for r in recs if r.metric == swell.STATUS]
    assert {(r.extra["step"], r.value, r.extra["depth"]) for r in st} == {
        ("diff", "intractable", 30), ("cse", "skipped", 30), ("diff", "skipped", 40), ("cse", "skipped", 40)}
    assert all("_status" not in r.metric for r in recs)        # no metric names built from step names


def test_one_budget_definition():
    recs = swell.run(quick=True)
    budgets = {r.extra["budget"] for r in recs if r.model.startswith("softplus_chain")}
    assert budgets == {DEFAULT_BUDGET}
    assert {r.metric for r in recs} >= {swell.LECTURE, swell.BAYDIN_ROW, swell.AUTO_EVALUATION_ROW, TREE1}
