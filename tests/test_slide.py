"""The summary slide: lines of code counted from source, each claim beside a number from
the records, the command reading records or measuring."""
import textwrap

from diffcompare.cli import main
from diffcompare.records import Record, to_json
from diffcompare.report import slide


def records():
    R = Record
    ref = "SymPy derivative at 50 digits (mpmath)"
    return [
        R("summary", "", "numerical", "loc", 123, "lines", "numerical.py"),
        R("summary", "", "automatic", "loc", 456, "lines", "tracer.py, primitives.py"),
        R("accuracy", "softplus", "central", "best_rel_error", 3.3e-11, "", "float64", ref, {"dtype": "float64", "h": 1e-5}),
        R("accuracy", "neuron", "central", "best_rel_error", 7.7e-11, "", "float64", ref, {"dtype": "float64", "h": 1e-6}),
        R("accuracy", "neuron", "central", "best_rel_error", 2.2e-4, "", "float32", ref, {"dtype": "float32", "h": 1e-2}),
        R("accuracy", "neuron", "autodiff", "rel_error", 1.4e-16, "", "float64", ref, {"dtype": "float64"}),
        R("accuracy", "softplus", "autodiff", "rel_error", 0.0, "", "float64", ref, {"dtype": "float64"}),
        R("speed", "mlp", "central", "evals", 243, "", "n=121", extra={"n": 121}),
        R("speed", "mlp", "central", "evals", 39, "", "n=19", extra={"n": 19}),
        R("speed", "mlp", "autodiff", "cost_ratio", 2.5, "x", "n=4545", extra={"n": 4545}),
        R("speed", "mlp", "autodiff", "cost_ratio", 6.0, "x", "n=19", extra={"n": 19}),
    ]


def test_count_loc_skips_blank_comments_and_docstrings(tmp_path):
    f = tmp_path / "m.py"
    f.write_text(textwrap.dedent('''\
        """Module docstring
        on two lines."""
        # a comment
        import os

        def f(x):
            """Doc."""
            y = (x +   # trailing comment counts as code
                 1)
            return y
        '''))
    assert slide.count_loc(f) == 5          # import, def, y = (..., 1), return


def test_loc_records_count_only_present_files(tmp_path):
    (tmp_path / "numerical.py").write_text("a = 1\nb = 2\n")
    recs = slide.loc_records(tmp_path)
    assert [(r.method, r.value) for r in recs] == [("numerical", 2)]


def test_loc_of_this_package_is_counted():
    fams = {r.method: r.value for r in slide.loc_records()}
    assert fams["automatic"] > 50


def test_rows_put_each_claim_beside_its_numbers():
    rows = {r.key: r for r in slide.slide_rows(records())}
    assert [r.claim for r in rows.values()] == ["easy to implement, bad to use",
                                               "sometimes useful, often intractable",
                                               "exact, fast, error-prone"]
    num = " | ".join(e.text for e in rows["numerical"].evidence)
    assert "123 lines of code" in num
    assert "7.7e-11 (at h=1e-06, neuron)" in num              # worst model's best error
    assert "vs 1.4e-16 for the exact methods" in num
    assert "2.2e-04" in num and "243 evaluations per gradient at n=121" in num
    auto = " | ".join(e.text for e in rows["automatic"].evidence)
    assert "456 lines of code" in auto and "1.4e-16" in auto
    assert "2.5× one evaluation at n=4545" in auto             # the largest n
    assert rows["symbolic"].evidence == []                     # nothing measured: nothing claimed


def test_text_has_the_three_rows_the_advice_and_the_source():
    text = slide.slide_text(records(), "numbers from somewhere")
    for claim in ("Numerical gradient: easy to implement, bad to use.",
                  "Symbolic gradient: sometimes useful, often intractable.",
                  "Automatic gradient: exact, fast, error-prone.",
                  "Use symbolic gradient for small/trivial programs.",
                  "check correctness of implementation with numerical gradient"):
        assert claim in text
    assert "numbers from somewhere" in text and "not measured in this run" in text


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
    assert seen["quick"] is True and "accuracy" in seen["only"]


def test_bad_records_file_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "records.json"
    bad.write_text("{not json")
    assert main(["slide", "--records", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("diffcompare: error: cannot read records")


def test_support_marks_are_computed_from_thresholds():
    recs = records()
    rows = {r.key: r for r in slide.slide_rows(recs)}
    marks = {e.text.split(" (")[0]: e.supports for e in rows["numerical"].evidence + rows["automatic"].evidence}
    assert marks["123 lines of code"] is True                 # fewer lines than the tracer (456)
    assert marks["autodiff error 1.4e-16"] is True            # < EXACT
    slow = [Record("speed", "mlp", "autodiff", "cost_ratio", 40.0, "x", "n=9", extra={"n": 9})]
    e = [e for e in slide.slide_rows(slow)[2].evidence if "evaluation" in e.text][0]
    assert e.supports is False and "40× one evaluation" in e.text   # > FAST: the claim is qualified
