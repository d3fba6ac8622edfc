"""The report: records -> pages (from fixed records), atomic writing, failing sections,
unwritable output, Ctrl-C, and one quick end-to-end run."""
import base64
import json
import os
import re
import subprocess
import sys

import pytest

from diffcompare.cli import main
from diffcompare.records import Record, from_json, to_json
from diffcompare.report import build, sections
from diffcompare.report.section import Section
from diffcompare.report.sections import gradcheck as sec_gradcheck
from diffcompare.report.sections import stability as sec_stability
from diffcompare.report.sections import training as sec_training


def fixed_records():
    R = Record
    recs = [R("summary", "", "numerical", "loc", 120, "lines", "numerical.py"),
            R("summary", "", "symbolic", "loc", 80, "lines", "symbolic.py"),
            R("summary", "", "automatic", "loc", 200, "lines", "tracer.py, primitives.py")]
    ref = "SymPy derivative at 50 digits (mpmath)"
    for dt, floor in (("float64", 1.1e-16), ("float32", 6e-8)):
        for k, h in enumerate((1e-1, 1e-3, 1e-5, 1e-7)):
            err_c = [3e-3, 3e-7, 4.2e-11, 5e-9][k] * (1 if dt == "float64" else 1e4)
            recs.append(R("accuracy", "softplus", "central", "rel_error", err_c, "", f"{dt}, h={h:.1e}", ref,
                          {"dtype": dt, "h": h}))
            recs.append(R("accuracy", "softplus", "forward", "rel_error", 10 * err_c ** 0.5, "", f"{dt}, h={h:.1e}",
                          ref, {"dtype": dt, "h": h}))
        recs.append(R("accuracy", "softplus", "central", "best_rel_error", 4.2e-11 * (1 if dt == "float64" else 1e4),
                      "", dt, ref, {"dtype": dt, "h": 1e-5}))
        recs.append(R("accuracy", "softplus", "autodiff", "rel_error", floor, "", dt, ref, {"dtype": dt}))
        recs.append(R("accuracy", "softplus", "autograd", "rel_error", 0.0, "", dt, ref, {"dtype": dt}))
    for n, te, ta, tc in ((19, 1e-4, 3e-4, 4e-3), (121, 1e-4, 3.1e-4, 2.5e-2), (1249, 2e-4, 6e-4, 0.5)):
        ex = {"n": n}
        recs += [R("speed", "mlp", "evaluate", "s_per_eval", te, "s", f"n={n}", extra=ex),
                 R("speed", "mlp", "autodiff", "s_per_grad", ta, "s", f"n={n}", extra=ex),
                 R("speed", "mlp", "autodiff", "cost_ratio", ta / te, "x", f"n={n}", extra=ex),
                 R("speed", "mlp", "central", "s_per_grad", tc, "s", f"n={n}", extra=ex),
                 R("speed", "mlp", "central", "cost_ratio", tc / te, "x", f"n={n}", extra=ex),
                 R("speed", "mlp", "central", "evals", 2 * n + 1, "", f"n={n}", extra=ex)]
    recs += [R("speed", "softplus_chain", "symbolic", "setup_s", 0.25, "s", "depth=2", extra={"depth": 2}),
             R("speed", "softplus_chain", "symbolic", "s_per_grad", 5e-6, "s", "depth=2", extra={"depth": 2}),
             R("speed", "softplus_chain", "autodiff", "s_per_grad", 4e-5, "s", "depth=2", extra={"depth": 2})]
    recs.append(R("swell", "", "", build.FAILED, "IntractableError: no swell here", extra={"kind": "failed"}))
    recs.append(R("fd_stability", "", "", build.FAILED, "ZeroDivisionError: boom", extra={"kind": "failed"}))
    return recs


@pytest.fixture(scope="module")
def files():
    """The report rendered once from the fixed records (figures are the slow part)."""
    return build.render(fixed_records(), {"mode": "test"})


def test_render_from_fixed_records_every_figure_embedded_and_linked(files):
    pngs = [k for k in files if k.startswith("figures/")]
    assert {"figures/accuracy_error_vs_h.png", "figures/speed_time_vs_n.png", "figures/summary_slide.png"} <= set(pngs)
    for k in pngs:
        assert files[k][:8] == b"\x89PNG\r\n\x1a\n"
    html = files["index.html"].decode()
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(embedded) == len(pngs)
    assert sorted(base64.b64decode(e) for e in embedded) == sorted(files[k] for k in pngs)
    assert "http" not in html.split("<body>")[0]          # self-contained: no external CSS/JS
    md = files["README.md"].decode()
    for k in pngs:
        assert f"]({k})" in md
    meta, recs = from_json(files["records.json"].decode())
    assert meta == {"mode": "test"} and len(recs) == len(fixed_records())


def test_conclusions_are_computed_from_the_records(files):
    md = files["README.md"].decode()
    # numbers that appear only in the records, formatted by the report
    assert "4.2e-11" in md and "1.1e-16" in md               # best central error, autodiff floor
    assert "2499 times per gradient at n=1249" in md         # evals record
    assert "3.0-3.1 evaluations per gradient" in md          # autodiff cost ratio 3e-4/1e-4, 6e-4/2e-4
    assert "does not grow with n" in md
    assert "4.0 more digits in float32" in md                # log10(4.25e-7 / 4.2e-11)
    assert "catches up with the tracer after 7.14e+03 gradients" in md   # 0.25 / (4e-5 - 5e-6)
    assert "SymPy derivative at 50 digits (mpmath)" in md    # reference named


def test_failed_sections_say_so_and_others_render(files):
    for page in (files["index.html"].decode(), files["README.md"].decode()):
        assert "IntractableError: no swell here" in page
        assert "ZeroDivisionError: boom" in page
        assert page.count("This section failed:") == 2
    assert "figures/speed_cost_ratio.png" in files


def _ok_section(key="alpha"):
    return Section(key, "Alpha", "intro", lambda quick, progress: [Record(key, "m", "autodiff", "x", 1.0)],
                   lambda recs: [], lambda recs: [f"{len(recs)} records seen"])


def _bad_section(key="beta", exc=None):
    def run(quick, progress):
        raise exc or RuntimeError("experiment exploded")
    return Section(key, "Beta", "intro", run, lambda recs: [], lambda recs: [])


def test_a_failing_experiment_becomes_a_failed_section_and_the_others_still_run():
    secs = [_bad_section(), _ok_section()]
    recs = build.run_sections(quick=True, sections=secs)
    failed = build.failed_sections(recs)
    assert set(failed) == {"beta"} and "RuntimeError: experiment exploded" in failed["beta"].value
    assert [r.value for r in recs if r.section == "alpha" and r.metric == "x"] == [1.0]
    views = build._views(recs, secs, dpi=50)
    assert [v.status for v in views] == ["failed", "ok"]
    assert views[1].conclusions and views[0].message.startswith("RuntimeError")


def test_every_section_runs_its_own_experiment_module():
    # imported directly: a module that fails to import fails loudly, never "unavailable"
    for s in sections.SECTIONS:
        if s.key != "summary":
            assert s.run.__module__ == f"diffcompare.experiments.{s.run.__module__.rsplit('.', 1)[-1]}"
            assert s.run.__name__ == "run"


def _previous(out):
    out.mkdir()
    (out / "index.html").write_text("previous report")
    (out / "records.json").write_text("{}")
    return out


def test_write_atomically_replaces_the_folder(tmp_path):
    out = _previous(tmp_path / "reports")
    build.write_atomically(out, {"index.html": b"new", "figures/a.png": b"png"})
    assert (out / "index.html").read_bytes() == b"new" and (out / "figures/a.png").exists()
    mask = os.umask(0)
    os.umask(mask)
    assert (out / "figures/a.png").stat().st_mode & 0o777 == 0o666 & ~mask     # not mkstemp's 0600
    assert sorted(os.listdir(tmp_path)) == ["reports"]       # no temporary or old folder left
    assert not (out / "records.json").exists()                # the folder is replaced, not merged


def test_refuses_to_replace_a_folder_that_is_not_a_report(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("precious")
    for fn in (lambda: build.write_atomically(home, {"index.html": b"x"}), lambda: build.check_writable(home)):
        with pytest.raises(build.io.OutputError, match="refusing to replace"):
            fn()
    assert (home / "thesis.tex").read_text() == "precious" and sorted(os.listdir(tmp_path)) == ["home"]
    (tmp_path / "empty").mkdir()
    build.write_atomically(tmp_path / "empty", {"index.html": b"x"})   # an empty folder is fine


@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError])
def test_interrupted_write_leaves_the_previous_report(tmp_path, monkeypatch, exc):
    out = _previous(tmp_path / "reports")
    calls = []
    real = build.io.write_bytes

    def flaky(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise exc("interrupted")
        return real(path, data)
    monkeypatch.setattr(build.io, "write_bytes", flaky)
    with pytest.raises(KeyboardInterrupt if exc is KeyboardInterrupt else build.io.OutputError):
        build.write_atomically(out, {"a": b"1", "b": b"2", "c": b"3"})
    assert (out / "index.html").read_text() == "previous report"
    assert sorted(os.listdir(tmp_path)) == ["reports"]


def test_ctrl_c_during_the_run_keeps_the_previous_report(tmp_path, monkeypatch, capsys):
    out = _previous(tmp_path / "reports")
    monkeypatch.setattr(sections, "SECTIONS", [_ok_section(), _bad_section(exc=KeyboardInterrupt())])
    assert main(["report", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert (out / "index.html").read_text() == "previous report"
    assert sorted(os.listdir(tmp_path)) == ["reports"]


def test_unwritable_output_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for target in (blocker, blocker / "reports"):
        r = subprocess.run([sys.executable, "-m", "diffcompare", "report", "--quick", "--out", str(target)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("diffcompare: error: cannot write the report to")
        assert len(r.stderr.strip().splitlines()) == 1
    assert blocker.read_text() == "x"


def test_render_from_records_file(tmp_path, capsys):
    src = tmp_path / "records.json"
    # a figure-less record set: this test is about the command, not the figures
    src.write_text(to_json([r for r in fixed_records() if r.section in ("swell", "fd_stability")], mode="fixed"))
    assert main(["report", "--from-records", str(src), "--out", str(tmp_path / "r")]) == 0
    assert json.loads((tmp_path / "r" / "records.json").read_text())["meta"]["mode"] == "fixed"
    assert main(["report", "--only", "nope", "--out", str(tmp_path / "r")]) == 2


def test_quick_report_end_to_end(tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["report", "--quick", "--out", str(out), "--only", "summary,accuracy,speed"]) == 0
    assert {"index.html", "README.md", "records.json", "figures"} <= set(os.listdir(out))
    meta, recs = from_json((out / "records.json").read_text())
    assert meta["mode"] == "quick"
    # exact methods at the round-off floor against the 50-digit reference
    exact = [r for r in recs if r.section == "accuracy" and r.method == "autodiff" and r.metric == "rel_error"
             and r.extra["dtype"] == "float64"]
    assert exact and max(r.value for r in exact) < 1e-15
    # every figure file is embedded in the page
    html = (out / "index.html").read_text()
    assert html.count("data:image/png;base64,") == len(os.listdir(out / "figures")) >= 4


def test_swell_and_gradcheck_conclusions_from_records():
    R = Record
    m = "softplus_chain(width=2)"
    recs = [R("swell", m, "symbolic", "tree", 30100, "", "depth=4", extra={"depth": 4}),
            R("swell", m, "reverse-sweep", "rev_tree", 2826226, "", "depth=7", extra={"depth": 7}),
            R("swell", m, "autodiff", "tape", 99, "", "depth=7", extra={"depth": 7}),
            R("swell", m, "symbolic", "diff_status", "intractable at depth 5 (budget 1 s)", "", "depth=5",
              extra={"depth": 5}),
            R("swell", m, "symbolic", "finding", "SymPy gave up: diff intractable at depth 5 (budget 1 s)"),
            R("swell", m, "symbolic", "finding", "tape length = 14*d + 1"),
            R("gradcheck", "bugsuite", "diffcompare", "detection_rate", 0.75, "", "float32, own suite",
              "seeded bugs", {"caught": 3, "bugs": 4, "dtype": "float32", "suite": "own", "family": "first-order",
                              "missed": [{"kind": "rel-1e-4", "family": "grad", "seed": 0, "dtype": "float32",
                                          "status": "pass", "correct_status": "pass"}]}),
            R("gradcheck", "bugsuite", "diffcompare", "false_alarms", 0, "", "float32, own suite", "",
              {"correct": 5, "inconclusive": 1}),
            R("gradcheck", "bugsuite", "diffcompare", "inconclusive", 1, "", "float32, own suite", "",
              {"correct": 1, "bugs": 0}),
            R("gradcheck", "bugsuite", "peer", "detection_rate", None, "", "float32, own suite",
              "skipped: peer is not installed", {"skipped": "peer is not installed"})]
    gc = " ".join(sec_gradcheck._conclude_gradcheck(recs))
    assert "diffcompare catches 3/4 (75%), 0 false alarms on 5 correct, 1 inconclusive (1 correct, 0 buggy)" in gc
    assert "peer skipped: peer is not installed" in gc and "rel-1e-4 in float32 (1 case, status pass" in gc
    from diffcompare.report.slide import slide_text
    text = slide_text(recs)
    assert "2,826,226 nodes at depth 7" in text and "our tape 99 ops" in text
    assert "intractable at depth 5 (budget 1 s)" in text
    assert "catches 3 of 4 seeded gradient bugs (75%" in text and "0 false alarms on 5 correct" in text


def test_overflow_table_says_what_each_method_returns():
    ex = {"exact": 2.0, "why": "exp overflows"}
    recs = [Record("fd_stability", "overflow (float64)", "autodiff", "returned", float("nan"), extra=ex),
            Record("fd_stability", "overflow (float64)", "complex-step", "returned", 1.382e13, extra=ex),
            Record("fd_stability", "overflow (float64)", "symbolic", "returned", 2.0, extra=ex)]
    (caption, header, rows), = sec_stability._tables_stability(recs)
    assert header == ("method", "overflow (float64)")
    cells = {row[0]: row[1] for row in rows}
    assert cells["autodiff"] == "nan" and cells["symbolic"].startswith("2 (right")
    assert cells["complex-step"] == "1.382e+13 (wrong, rel. error 6.9e+12)"
    text = sec_stability._conclude_stability(recs)[0]
    assert "autodiff returns nan" in text and "complex-step returns a wrong number (1.382e+13)" in text
    assert "symbolic returns the right value" in text


def test_overflow_experiment_records():
    from diffcompare.experiments.stability import overflow_records
    recs = overflow_records(quick=True)
    got = {(r.model.split(",")[0], r.method): r.value for r in recs if r.metric == "returned"}
    assert all(r.extra["exact"] == pytest.approx(2.0) for r in recs)
    import math
    assert math.isnan(got[("overflow (float64", "autodiff")])      # 0 * inf in the chain rule


def test_figures_drawn_beside_the_run_and_a_broken_figure_is_reported(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    def good():
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4])
        return fig

    def bad():
        raise ValueError("nope")
    figs = lambda recs: [("good", good, "a line"), ("bad", bad, "broken"), ("good2", good, "again"),
                         ("good3", good, "more")]
    sec = Section("alpha", "Alpha", "intro", lambda quick, progress: [Record("alpha", "m", "x", "y", 1.0)],
                  figs, lambda recs: ["fine"])
    monkeypatch.setattr(sections, "SECTIONS", [sec])
    out, recs = build.build_report(tmp_path / "r", quick=False)
    md = (out / "README.md").read_text()
    assert "figure bad could not be drawn: ValueError: nope" in md
    assert sorted(os.listdir(out / "figures")) == ["alpha_good.png", "alpha_good2.png", "alpha_good3.png"]
    out, recs = build.build_report(tmp_path / "r", quick=True)             # at most two figures
    assert "quick run: 2 more figure(s)" in (out / "README.md").read_text()
    assert sorted(os.listdir(out / "figures")) == ["alpha_good.png"]


def test_training_loss_table_and_disagreements():
    ex = {"experiment": "losses"}
    recs = [Record("train", "perceptron", m, "dL_dw", v, "", "loss l1, w=0.5", "autograd", ex)
            for m, v in (("autograd", 0.5417), ("forward", 0.875), ("central", 0.54170001))]
    recs.append(Record("train", "perceptron", "complex-step", "unavailable", "failed: NotComplexSafe: abs",
                       "", "loss l1, w=0.5", "", ex))
    (caption, header, rows), = sec_training._tables_training(recs)
    assert header == ("loss, point", "autograd", "forward", "central", "complex-step")
    assert rows == [["loss l1, w=0.5", "0.5417", "0.875", "0.5417", "refused"]]
    (line,) = sec_training._conclude_losses(recs)
    assert line.startswith("loss l1, w=0.5: forward 0.875 against autograd 0.5417")   # central agrees


def test_markdown_shows_formulas_literally():
    from diffcompare.report import render_md
    v = build.SectionView("s", "S", "intro", conclusions=["tree = 8*d**2 + 9*d + 1 for softplus_chain"])
    md = render_md.page([v], {})
    assert "8\\*d\\*\\*2 + 9\\*d + 1 for softplus\\_chain" in md
