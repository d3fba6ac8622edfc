"""The swell section and its figures: sentences written from structured records."""
import dataclasses

from diffcompare.experiments import swell
from diffcompare.experiments.swell_laws import GAVE_UP, GROWTH, LAW
from diffcompare.experiments.swell_steps import CSE_OPS, DAG, REV_TREE, TAN_TREE1, TAPE, TREE, TREE1
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
    lines = sec._conclude_swell(recs)
    assert lines[0] == "A symbolic step is called intractable when it runs past 1 CPU seconds in its own process."
    # sizes at ONE depth: the deepest where sympy.diff built the whole gradient (the reverse
    # sweep's 2.8e6 at depth 7 is a counted form, never built: not beside SymPy's tree)
    assert lines[1].startswith("softplus_chain(width=2) at depth 4: the gradient's tree 30,100 nodes (sympy.diff), "
                               "its DAG 12 nodes;")
    assert "2,826,226" not in " ".join(lines) and "our tape" not in lines[1]      # no tape measured at depth 4
    assert "grows x2.40 per level at d = 12: 1,951,781 nodes (DAG 303) -- exponential" in lines[1]
    assert lines[2] == "softplus_chain(width=2): SymPy gave up (past the budget) on sympy.diff of the whole " \
                       "gradient at depth 5."
    take = sec._takeaway_swell(recs)
    assert take.startswith("Once the model reuses values, SymPy's derivative swells exponentially: for "
                           "softplus_chain(width=2) the tree of d/dwa1 grows x2.40 per level, 1,951,781 nodes at "
                           "depth 12")
    assert "ran past its 1 CPU s budget at depth 5" in take and "polynomially" not in take
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
    lec, bay = sec._conclude_swell(recs)                                 # no per-model lines: no sizes
    assert "Out[11] is the derivative worked by hand, x e^(wx+b)/(1+e^(wx+b)), but the slide's Out[11] differs" in lec
    assert lec.endswith("Out[19] equals the slide's.")
    assert bay == ("Baydin et al.'s Table 1 (the logistic map), recomputed: 1 of 1 published derivatives match; at "
                   "n = 2 the tree of l_n is 8 nodes and of its derivative 5.")


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


def test_time_figure_marks_where_a_step_gave_up():
    recs = [dataclasses.replace(r, unit="s") for r in (_R("diff_s", 0.1, 1), _R("diff_s", 0.5, 2))]
    recs.append(Record("swell", M, "symbolic", GAVE_UP, 3, extra={"width": 2, "budget": 1.0, "step": "diff",
                                                                  "state": "intractable", "depth": 3}))
    ax = fig_swell_time(recs).axes[0]
    (x,) = [ln for ln in ax.lines if ln.get_marker() == "X" and len(ln.get_xdata())]
    assert list(x.get_xdata()) == [3] and list(x.get_ydata()) == [1.0]        # at the budget, at its depth
    assert "gave up at this depth (past the budget)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_size_figure_names_the_first_parameter():
    recs = [_R(TREE1, 18, 1), _R(TREE1, 51, 2), _R(TAPE, 5, 1), _R(TAPE, 10, 2)]
    labels = [t.get_text() for t in swell_figure(recs, p1="wa1").axes[0].get_legend().get_texts()]
    assert labels == ["tree of d/dwa1 (sympy.diff)", "our autodiff tape"]


def test_polynomial_takeaway_and_sizes_at_one_depth():
    m = "softplus_chain(width=1)"
    recs = [Record("swell", m, "symbolic", metric, v, "", f"depth={d}", extra={"depth": d, "width": 1, "budget": 2.0})
            for metric, v, d in ((TREE, 1032, 4), (TAPE, 20, 4), (TAPE, 25, 5), (DAG, 42, 4))]
    recs.append(Record("swell", m, "symbolic", LAW, "8*d**2 + 9*d + 1", extra={
        "of": TREE1, "points": 4, "max_depth": 4, "p1": "w1", "var": "d", "width": 1, "budget": 2.0}))
    assert sec._takeaway_swell(recs) == (
        "Without reused values the derivative grows only polynomially: for softplus_chain(width=1) the tree of "
        "d/dw1 is 8*d**2 + 9*d + 1 nodes exactly, and the whole gradient's tree is 1,032 nodes at depth 4 against "
        "our tape's 20 ops.")                                  # the tape at the tree's depth, not the deepest
    line = sec._conclude_swell(recs)[1]
    assert line.startswith("softplus_chain(width=1) at depth 4: the gradient's tree 1,032 nodes (sympy.diff), its "
                           "DAG 42 nodes, our tape 20 ops; tree of d/dw1 (sympy.diff) = 8*d**2 + 9*d + 1")


def test_every_term_on_the_page_is_in_the_glossary():
    from diffcompare.report.glossary import glossary
    from diffcompare.report.sections import SECTIONS
    recs = [_R(TREE, 30100, 4), _R(TAPE, 99, 4), _R(DAG, 12, 4), _R(CSE_OPS, 40, 4),
            _R(GROWTH, 2.4, of=TAN_TREE1, depth=12, size=1951781, dag=303, p1="wa1", var="d")]
    recs += [Record("swell", "baydin", "symbolic", swell.BAYDIN_ROW, 0, extra={"n": 2, "tree_l": 8, "tree_d": 5,
                                                                               "matches_published": True})]
    page = " ".join([sec._takeaway_swell(recs), sec.SECTION.intro, *sec._conclude_swell(recs),
                     *(c for _, _, c in sec._figs_swell(recs))])
    defined = " | ".join(term for term, _ in glossary(SECTIONS)).lower()      # the page's glossary
    for term in ("tree", "DAG", "cse", "tape", "sympy.diff", "depth", "width", "d/dwa1", "reverse sweep",
                 "logistic map", "intractable"):
        assert term.lower() in page.lower(), term
        assert term.lower().replace("d/dwa1", "d/dp1") in defined, term
