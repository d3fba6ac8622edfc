"""The swell section and its figures: sentences written from structured records."""
import dataclasses

from diffcompare.experiments import swell
from diffcompare.experiments.swell_laws import GAVE_UP, GROWTH, LAW
from diffcompare.experiments.swell_steps import DAG, REV_TREE, TAN_TREE1, TAPE, TREE, TREE1
from diffcompare.records import Record
from diffcompare.report.fig_swell import fig_swell_time, swell_figure
from diffcompare.report.sections import swell as sec
from diffcompare.symbolic.lecture import lecture_examples

M = "softplus_chain(width=2)"


def _R(metric, value, depth=None, **extra):
    setting = f"depth={depth}" if depth is not None else ""
    base = {"depth": depth, "width": 2, "budget": 1.0} if depth is not None else {"width": 2, "budget": 1.0}
    return Record("swell", M, "symbolic", metric, value, "", setting, extra={**base, **extra})


def test_conclusions_are_written_from_records():
    recs = [_R(TREE, 30100, 4), _R(REV_TREE, 2826226, 7), _R(TAPE, 99, 7), _R(DAG, 12, 4),
            _R(GROWTH, 2.4, of=TAN_TREE1, depth=12, size=1951781, dag=303, p1="wa1", var="d"),
            Record("swell", M, "symbolic", GAVE_UP, 5, extra={
                "width": 2, "budget": 1.0, "step": "diff", "state": "intractable", "depth": 5, "cpu_used": 1.02,
                "engine": "SymPy", "p1": "wa1", "includes": "diff1"}),
            _R(LAW, "14*d + 1", of=TAPE, points=7, max_depth=7, p1="wa1", var="d")]
    text = " ".join(sec._conclude_swell(recs))
    assert "intractable past 1 CPU seconds" in text
    assert "2,826,226 at depth 7" in text and "our autodiff tape 99 at depth 7" in text
    assert "grows x2.40 per level at d = 12: 1,951,781 nodes (DAG 303) -- exponential" in text
    assert "gave up - sympy.diff of the whole gradient at depth 5." in text
    finds = sec.finding_lines([r for r in recs if not r.setting])
    assert "SymPy gave up: sympy.diff of the whole gradient intractable at depth 5 (budget 1 CPU s, used 1 s, "\
           "sympy.diff by wa1 included)" in finds
    assert "our autodiff tape = 14*d + 1  (exact on all 7 measured d <= 7)" in finds


def test_status_text_from_fields():
    assert sec.status_text({"state": "skipped", "step": "cse", "cause": "diff", "since": 6}) == \
        "skipped (diff intractable at depth 6)"
    assert sec.status_text({"state": "skipped", "step": "diff", "cause": "diff", "since": 6}) == \
        "skipped (intractable at depth 6)"
    assert "memory cap reached" in sec.status_text({"state": "intractable", "depth": 3, "budget": 2.0,
                                                    "cpu_used": 0.5, "kind": "memory"})


def test_swell_tables_from_records():
    ex = lecture_examples()
    recs = [Record("swell", "lecture", "symbolic", swell.LECTURE, e.output, "", f"Out[{e.cell}]",
                   extra={"row": i, **dataclasses.asdict(e)}) for i, e in reversed(list(enumerate(ex)))]
    recs.append(Record("swell", "baydin", "symbolic", swell.BAYDIN_ROW, 0, extra={
        "n": 2, "published_simplified": "4 - 8x", "tree_l": 8, "tree_d": 5, "matches_published": True}))
    (c1, h1, rows1), (c2, h2, rows2) = sec._tables_swell(recs)
    assert rows1[0] == ("In[11]", "D[Log[1 + Exp[w*x + b]], w]")          # in the lecture's order
    assert rows1[1] == ("Out[11]", "x*Exp[b + w*x]/(Exp[b + w*x] + 1)")
    assert rows1[2][1].startswith("= x e^(wx+b)/(1+e^(wx+b)): yes") and "w in the numerator where x belongs" in rows1[2][1]
    assert rows1[5] == ("check", "equals the slide's Out[19] (exponentials merged): yes")
    assert rows2 == [(2, "4 - 8x", 8, 5, "yes")]
    assert sec._conclude_swell(recs) == []                                # tables, not per-model lines


def test_figure_from_rows_and_records():
    rows = [{"depth": 1, TREE1: 18, "rev_tree1": 10 ** 400}, {"depth": 2, TREE1: 51, "rev_tree1": 10 ** 401}]
    fig = swell_figure(rows)
    assert fig.axes[0].get_yscale() == "linear" and fig.axes[0].lines[1].get_ydata()[1] == 401
    recs = swell.rows_to_records([dict(r, status={}) for r in rows])
    assert len(swell_figure(recs).axes[0].lines) == 2


def test_time_figure_draws_the_budget():
    recs = [_R("diff_s", 0.1, 1), _R("diff_s", 0.5, 2)]
    recs = [dataclasses.replace(r, unit="s") for r in recs]
    ax = fig_swell_time(recs).axes[0]
    assert len(ax.lines) == 2 and ax.lines[1].get_ydata()[0] == 1.0    # the series, the budget line
