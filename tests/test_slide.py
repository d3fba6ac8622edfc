"""The summary slide: lines of code counted from source, each claim beside numbers from the
records, every mark computed from its threshold (flipped both ways by the records fed in),
the command reading records or measuring."""
import textwrap

import pytest

from diffcompare.cli import main
from diffcompare.experiments import accuracy as acc
from diffcompare.experiments import codesize as cs
from diffcompare.experiments import speed as sp
from diffcompare.experiments import stability as st
from diffcompare.records import Record, to_json
from diffcompare.report import slide
from diffcompare.report import slide_evidence as se

R = Record
REF = "SymPy derivative at 50 digits (mpmath)"


def loc(fam, n, scope=cs.WHOLE):
    return R(cs.SECTION, "", fam, cs.LOC, n, "lines", f"{fam}.py", extra={"scope": scope})


def best(model, err, dt="float64", h=1e-5, method="central"):
    return R(acc.SECTION, model, method, acc.BEST_REL_ERROR, err, "", dt, REF, {"dtype": dt, "h": h})


def exact(model, err, dt="float64", method="autodiff", **extra):
    return R(acc.SECTION, model, method, acc.REL_ERROR, err, "", dt, REF, {"dtype": dt, **extra})


def records():
    return [
        loc("numerical", 9, cs.TEXTBOOK), loc("numerical", 420), loc("automatic", 456),
        best("softplus", 3.3e-11), best("neuron", 7.7e-11, h=1e-6), best("neuron", 2.2e-4, "float32", 1e-2),
        exact("neuron", 1.4e-16), exact("softplus", 0.0), exact("neuron", 1.8e-7, "float32"),
        R(sp.SECTION, "mlp", "central", sp.EVALS, 243, "", "n=121", extra={"n": 121}),
        R(sp.SECTION, "mlp", "central", sp.EVALS, 39, "", "n=19", extra={"n": 19}),
        R(sp.SECTION, "mlp", "autodiff", sp.COST_RATIO, 2.5, "x", "n=4545", extra={"n": 4545}),
        R(sp.SECTION, "mlp", "autodiff", sp.COST_RATIO, 6.0, "x", "n=19", extra={"n": 19}),
    ]


def marks(recs, key, word):
    row = {r.key: r for r in slide.slide_rows(recs)}[key]
    return [e.supports for e in row.evidence if e.word == word]


def test_count_loc_skips_blank_comments_and_docstrings():
    text = textwrap.dedent('''\
        """Module docstring
        on two lines."""
        # a comment
        import os

        def f(x):
            """Doc."""
            y = (x +   # trailing comment counts as code
                 1)
            return y
        ''')
    assert cs.count_loc(text) == 5          # import, def, y = (..., 1), return


def test_loc_records_count_files_folders_and_functions(tmp_path):
    (tmp_path / "numerical.py").write_text("a = 1\nb = 2\n")
    (tmp_path / "symbolic").mkdir()
    (tmp_path / "symbolic" / "x.py").write_text("c = 3\n")
    fams = {"numerical": ((cs.WHOLE, ("numerical.py",)), (cs.TEXTBOOK, cs.count_loc)),
            "symbolic": ((cs.WHOLE, ("symbolic",)),), "automatic": ((cs.WHOLE, ("tracer.py",)),)}
    got = {(r.method, r.extra["scope"]): r.value for r in cs.loc_records(tmp_path, fams)}
    assert got[("numerical", cs.WHOLE)] == 2 and got[("symbolic", cs.WHOLE)] == 1
    assert got[("numerical", cs.TEXTBOOK)] > 5 and ("automatic", cs.WHOLE) not in got     # missing: no record


def test_loc_of_this_package_is_counted():
    got = {(r.method, r.extra["scope"]): r.value for r in cs.loc_records()}
    assert got[("automatic", cs.WHOLE)] > 50 and got[("numerical", cs.TEXTBOOK)] < 15


def test_rows_put_each_claim_beside_its_numbers():
    rows = {r.key: r for r in slide.slide_rows(records())}
    assert [r.claim for r in rows.values()] == ["easy to implement, bad to use", "sometimes useful, often intractable",
                                               "exact, fast, error-prone"]
    num = " | ".join(e.text for e in rows["numerical"].evidence)
    assert "9 lines" in num and "against 456 for reverse-mode" in num and "420 lines" in num
    assert "7.7e-11 (neuron, h=1e-06)" in num and "against 1.4e-16 for the exact methods" in num
    assert "2.2e-04 at best (autodiff 1.8e-07)" in num and "243 evaluations per gradient at n=121" in num
    auto = " | ".join(e.text for e in rows["automatic"].evidence)
    assert "1.4e-16" in auto and "2.5× one evaluation at n=4545" in auto      # the largest n
    assert rows["symbolic"].evidence == []                                    # nothing measured: nothing claimed


def test_text_has_the_three_rows_the_advice_the_thresholds_and_the_source():
    text = slide.slide_text(records(), "numbers from somewhere")
    for claim in ("Numerical gradient: easy to implement, bad to use.", "Symbolic gradient: sometimes useful, often "
                  "intractable.", "Automatic gradient: exact, fast, error-prone.",
                  "Use symbolic gradient for small/trivial programs.",
                  "check correctness of implementation with numerical gradient"):
        assert claim in text
    assert "numbers from somewhere" in text and "not measured in this run" in text
    assert f"exact: error < {slide.EXACT:g}" in text and f"fast: < {slide.FAST:g} evaluations" in text


# --- every mark flips both ways ------------------------------------------------------------------

def test_easy_mark_flips_with_the_line_counts():
    assert marks(records(), "numerical", "easy") == [True, False]      # 9 < 0.1 x 456; 420 qualifies
    big_core = [r for r in records() if r.metric != cs.LOC] + [loc("numerical", 90, cs.TEXTBOOK), loc("automatic", 456)]
    assert marks(big_core, "numerical", "easy") == [False]


def test_bad_marks_flip_with_the_errors_and_the_evaluations():
    assert marks(records(), "numerical", "bad") == [True, True, True]
    good_fd = [r for r in records() if r.metric not in (acc.BEST_REL_ERROR, sp.EVALS)] + [
        best("neuron", 1e-15), best("neuron", 1e-7, "float32"),
        R(sp.SECTION, "mlp", "central", sp.EVALS, 5, "", "n=2", extra={"n": 2})]
    assert marks(good_fd, "numerical", "bad") == [False, False, False]
    qualifiers = records() + [best("softplus", 0.0, method="complex-step", h=1e-20),
                              R(se.GRADCHECK_SECTION, "bugsuite", se.OURS, se.DETECTION_RATE, 1.0, "", "float64",
                                extra={"caught": 8, "bugs": 8})]
    assert marks(qualifiers, "numerical", "bad")[-2:] == [False, False]     # the complex step; the check
    inexact = records() + [best("softplus", 1e-9, method="complex-step", h=1e-3)]
    assert marks(inexact, "numerical", "bad")[-1] is None


def test_exact_and_fast_marks_flip():
    assert marks(records(), "automatic", "exact") == [True] and marks(records(), "automatic", "fast") == [True]
    bad = [r for r in records() if r.method != "autodiff"] + [
        exact("neuron", 1e-9), R(sp.SECTION, "mlp", "autodiff", sp.COST_RATIO, 40.0, "x", "n=9", extra={"n": 9})]
    assert marks(bad, "automatic", "exact") == [False] and marks(bad, "automatic", "fast") == [False]


def test_useful_marks_flip_with_the_error_and_the_payoff():
    def chain(setup, call, ad):
        ex = {"depth": 4}
        return [R(sp.SECTION, sp.CHAIN_MODEL, "symbolic", sp.SETUP_S, setup, "s", extra=ex),
                R(sp.SECTION, sp.CHAIN_MODEL, "symbolic", sp.S_PER_GRAD, call, "s", extra=ex),
                R(sp.SECTION, sp.CHAIN_MODEL, "autodiff", sp.S_PER_GRAD, ad, "s", extra=ex)]
    good = [exact("softplus", 1e-16, method="symbolic")] + chain(0.1, 2e-5, 1e-4)
    bad = [exact("softplus", 1e-10, method="symbolic")] + chain(0.1, 2e-4, 1e-4)
    assert marks(good, "symbolic", "useful") == [True, True]
    assert marks(bad, "symbolic", "useful") == [False, False]


def _swell(model, depth, tree, tape, status=None, budget=2.0):
    ex = {"depth": depth, "budget": budget}
    out = [R(se.SWELL_SECTION, model, "symbolic", se.TREE, tree, "", f"depth={depth}", extra=ex),
           R(se.SWELL_SECTION, model, "autodiff", se.TAPE, tape, "", f"depth={depth}", extra=ex),
           R(se.SWELL_SECTION, model, "symbolic", se.DIFF_S, 0.01 * depth, "s", f"depth={depth}", extra=ex)]
    if status:
        out.append(R(se.SWELL_SECTION, model, "symbolic", se.STATUS, status, "", f"depth={depth}",
                     extra={**ex, "step": se.DIFF_STEP, "cpu_used": 2.1}))
    return out


def test_intractable_marks_flip_with_the_budget_the_tree_and_the_growth():
    gave_up = _swell("w2", 4, 30000, 99) + _swell("w2", 5, 90000, 120, se.INTRACTABLE)
    m = marks(gave_up, "symbolic", "intractable")
    assert m == [True, True]                       # gave up within the stated budget; tree > 100x tape
    text = " ".join(e.text for e in slide.slide_rows(gave_up)[1].evidence)
    assert "intractable at depth 5 (CPU budget 2 s)" in text
    assert slide.legend(gave_up).endswith("intractable here means one SymPy step (diff, cse, simplify...) ran past "
                                          "2 s of CPU") and slide.legend([]) == slide.LEGEND
    finished = _swell("w1", 3, 700, 15) + _swell("w1", 4, 1032, 20)
    assert marks(finished, "symbolic", "intractable") == [False, False, False]   # finished; small; polynomial


def test_error_prone_marks_flip_with_what_autodiff_returns():
    def nd(value, exact_value, case=st.MIN_RELU):
        return R(st.SECTION, case, "autodiff", st.RETURNED, value, "", "x=0", "",
                 {"exact": exact_value, "part": st.NOT_DIFFERENTIABLE, "same_as": "x"})
    assert marks([nd(0.75, 1.0)], "automatic", "error-prone") == [True]
    assert marks([nd(float("nan"), 0.0, st.SQRT_X4)], "automatic", "error-prone") == [True]
    assert marks([nd(1.0, 1.0)], "automatic", "error-prone") == [False]
    caught = R(se.GRADCHECK_SECTION, "bugsuite", se.OURS, se.DETECTION_RATE, 0.9, "", "float64",
               extra={"caught": 9, "bugs": 10})
    assert marks([caught], "automatic", "error-prone") == [True]


# --- the command -------------------------------------------------------------------------------------

def test_command_reads_records_and_writes_png(tmp_path, capsys):
    src = tmp_path / "records.json"
    src.write_text(to_json(records(), mode="full", generated="2026-01-01T00:00:00"))
    png = tmp_path / "slide.png"
    assert main(["slide", "--records", str(src), "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert f"numbers read from {src} (full run of 2026-01-01T00:00:00)" in out
    assert "243 evaluations per gradient" in out
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_command_measures_when_there_are_no_records(tmp_path, capsys, monkeypatch):
    from diffcompare.report import build
    seen = {}

    def fake(quick, only=None, **kw):
        seen.update(quick=quick, only=only)
        return records()
    monkeypatch.setattr(build, "run_sections", fake)
    assert main(["slide", "--records", str(tmp_path / "none.json")]) == 0
    out = capsys.readouterr().out
    assert "quick measurement just now" in out and "none.json not found" in out
    assert seen["quick"] is True and {"accuracy", "fd_stability", "summary"} <= set(seen["only"])


@pytest.mark.parametrize("text", ["{not json", '{"mine": 1}'])
def test_bad_records_file_is_one_line_error(tmp_path, capsys, text):
    bad = tmp_path / "records.json"
    bad.write_text(text)
    assert main(["slide", "--records", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("diffcompare: error: cannot read records")
