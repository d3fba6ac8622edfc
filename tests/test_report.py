"""The report: records -> pages (from fixed records), the contract between renderers and
experiments (one quick run), failing sections, figures drawn in budgeted children, Ctrl-C."""
import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from diffcompare.cli import main
from diffcompare.experiments import accuracy as acc
from diffcompare.experiments import speed as sp
from diffcompare.records import Record, from_json, to_json
from diffcompare.report import build, draw, io, sections
from diffcompare.report.section import MAX_BULLETS, Section, fmt_timing


def fixed_records():
    R = Record
    recs = [R("summary", "", "numerical", "loc", 120, "lines", "numerical.py", extra={"scope": "whole"}),
            R("summary", "", "automatic", "loc", 200, "lines", "tracer.py, primitives.py", extra={"scope": "whole"})]
    ref = "SymPy derivative at 50 digits (mpmath)"
    for dt, floor in (("float64", 1.1e-16), ("float32", 6e-8)):
        for k, h in enumerate((1e-1, 1e-3, 1e-5, 1e-7)):
            err_c = [3e-3, 3e-7, 4.2e-11, 5e-9][k] * (1 if dt == "float64" else 1e4)
            recs.append(R(acc.SECTION, "softplus", "central", acc.REL_ERROR, err_c, "", f"{dt}, h={h:.1e}", ref,
                          {"dtype": dt, "h": h}))
            recs.append(R(acc.SECTION, "softplus", "forward", acc.REL_ERROR, 10 * err_c ** 0.5, "", f"{dt}, h={h:.1e}",
                          ref, {"dtype": dt, "h": h}))
        recs.append(R(acc.SECTION, "softplus", "central", acc.BEST_REL_ERROR, 4.2e-11 * (1 if dt == "float64" else 1e4),
                      "", dt, ref, {"dtype": dt, "h": 1e-5}))
        recs.append(R(acc.SECTION, "softplus", "autodiff", acc.REL_ERROR, floor, "", dt, ref, {"dtype": dt}))
        recs.append(R(acc.SECTION, "softplus", "autograd", acc.REL_ERROR, 0.0, "", dt, ref, {"dtype": dt}))
    recs.append(R(acc.SECTION, "softplus", "symbolic", acc.REL_ERROR, 1e-16, "", "float32", ref,
                  {"dtype": "float32", "computes_in": "float64"}))
    for n, te, ta, tg, tc in ((19, 1e-4, 3e-4, 2e-3, 4e-3), (121, 1e-4, 3.1e-4, 2e-3, 2.5e-2),
                              (1249, 2e-4, 6e-4, 3.4e-3, 0.5)):
        ex = {"n": n}
        recs += [R(sp.SECTION, "mlp", "evaluate", sp.S_PER_EVAL, te, "s", f"n={n}", extra=ex, lo=te, hi=te, repeats=5),
                 R(sp.SECTION, "mlp", "autodiff", sp.S_PER_GRAD, ta, "s", f"n={n}", extra=ex, lo=0.9 * ta, hi=1.2 * ta,
                   repeats=5),
                 R(sp.SECTION, "mlp", "autograd", sp.S_PER_GRAD, tg, "s", f"n={n}", extra=ex, lo=tg, hi=tg, repeats=5),
                 R(sp.SECTION, "mlp", "autodiff", sp.COST_RATIO, ta / te, "x", f"n={n}", extra=ex),
                 R(sp.SECTION, "mlp", "central", sp.S_PER_GRAD, tc, "s", f"n={n}", extra=ex),
                 R(sp.SECTION, "mlp", "central", sp.COST_RATIO, tc / te, "x", f"n={n}", extra=ex),
                 R(sp.SECTION, "mlp", "central", sp.EVALS, 2 * n + 1, "", f"n={n}", extra=ex)]
    recs += [R(sp.SECTION, sp.CHAIN_MODEL, "symbolic", sp.SETUP_S, 0.25, "s", "depth=2", extra={"depth": 2}),
             R(sp.SECTION, sp.CHAIN_MODEL, "symbolic", sp.S_PER_GRAD, 5e-6, "s", "depth=2", extra={"depth": 2}),
             R(sp.SECTION, sp.CHAIN_MODEL, "autodiff", sp.S_PER_GRAD, 4e-5, "s", "depth=2", extra={"depth": 2})]
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
    assert meta["mode"] == "test" and len(recs) == len(fixed_records())
    assert meta["generator"] == io.SIGNATURE and meta["files"] == sorted(k for k in files if k != "records.json")


def test_conclusions_are_computed_from_the_records(files):
    md = files["README.md"].decode()
    # numbers that appear only in the records, formatted by the report
    assert "4.2e-11" in md and "1.1e-16" in md                # best central error, autodiff floor
    assert "central differences need 2499 evaluations at n=1249" in md
    assert "3.0-3.1 evaluations of the model" in md          # autodiff cost ratio 3e-4/1e-4 .. 6e-4/2e-4
    assert "the ratio does not grow with n" in md
    assert "4.0 more decimal digits in float32" in md        # log10(4.2e-7 / 4.2e-11)
    assert "the setup pays off after 7.14e+03 gradients" in md   # 0.25 / (4e-5 - 5e-6)
    assert "SymPy derivative at 50 digits (mpmath)" in md    # reference named
    # timings as median [min-max]; the speed-up says faster
    assert "our tracer 600 µs \\[540–720\\] per gradient, autograd 3.4 ms \\[3.4–3.4\\]" in md
    assert "our tracer is 5.7× faster than autograd" in md
    assert "symbolic computes in float64 inside" in md        # the float32 panel does not credit float32


def test_page_structure_takeaway_figure_bullets_then_details(files):
    html = files["index.html"].decode()
    acc_part = html.split('<section id="accuracy">')[1].split("</section>")[0]
    i_take, i_fig = acc_part.index('class="takeaway"'), acc_part.index("<figure>")
    i_list, i_det = acc_part.index('<ul class="conc">'), acc_part.index("<details>")
    assert i_take < i_fig < i_list < i_det                   # takeaway, figure, bullets, collapsible
    assert acc_part.split("<details>")[0].count("<li>") <= MAX_BULLETS
    assert "<table>" not in acc_part.split("<details>")[0]   # tables only in the collapsible part
    assert '<section id="glossary">' in html and "<dt>V-curve</dt>" in html
    md = files["README.md"].decode()
    assert "## Appendix" in md and "### Appendix: Accuracy" in md and "## Glossary" in md
    captions = re.findall(r"^\*(.+)\*$", md, re.M)
    assert captions and not any("``" in c or c.endswith("digits.") for c in captions)


def test_timing_format_is_median_with_spread():
    r = Record("speed", "m", "autodiff", "s_per_grad", 3.72e-4, "s", lo=3.6e-4, hi=3.9e-4, repeats=7)
    assert fmt_timing(r) == "372 µs [360–390]"
    assert fmt_timing(Record("speed", "m", "symbolic", "setup_s", 0.136, "s")) == "136 ms (one run)"


def test_failed_sections_say_so_and_others_render(files):
    for page in (files["index.html"].decode(), files["README.md"].decode()):
        assert "IntractableError: no swell here" in page
        assert "ZeroDivisionError: boom" in page
        assert page.count("This section failed:") == 2
    assert "figures/speed_cost_ratio.png" in files


def _ok_section(key="alpha"):
    return Section(key, "Alpha", "intro", lambda quick, progress: [Record(key, "m", "autodiff", "x", 1.0)],
                   lambda recs: [], lambda recs: [f"{len(recs)} records seen"] * 12)


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
    assert len(views[1].conclusions) == MAX_BULLETS and len(views[1].details) == 12 - MAX_BULLETS
    assert views[0].message.startswith("RuntimeError")


def test_every_section_runs_its_own_experiment_module():
    # imported directly: a module that fails to import fails loudly, never "unavailable"
    for s in sections.SECTIONS:
        assert s.run.__module__.startswith("diffcompare.experiments."), s.key
        assert s.run.__name__ == "run"


def test_no_process_runner_but_budget_in_the_report_package():
    here = Path(build.__file__).parent
    for p in here.rglob("*.py"):
        text = p.read_text()
        assert not re.search(r"^\s*(import|from)\s+(multiprocessing|concurrent|subprocess)", text, re.M), p
        assert "os.fork" not in text, p


# --- the contract: every metric a renderer reads, a quick run produces -----------------------------

@pytest.fixture(scope="module")
def quick_records():
    """ONE quick run of every section, shared by the contract and the end-to-end tests."""
    return build.run_sections(quick=True)


def test_every_metric_a_renderer_reads_is_produced_by_a_quick_run(quick_records):
    produced = {(r.section, r.metric) for r in quick_records}
    assert not build.failed_sections(quick_records)
    for s in sections.SECTIONS:
        missing = [m for m in s.reads if m not in produced]
        assert not missing, f"section {s.key} reads {missing}, which a quick run does not produce"
    assert all(s.reads for s in sections.SECTIONS)            # every section on the page declares them


def test_quick_report_end_to_end(quick_records, tmp_path, capsys):
    src = tmp_path / "records.json"
    src.write_text(to_json(quick_records, mode="quick"))
    out = tmp_path / "reports"
    assert main(["report", "--from-records", str(src), "--out", str(out)]) == 0
    assert {"index.html", "README.md", "records.json", "figures"} <= set(os.listdir(out))
    meta, recs = from_json((out / "records.json").read_text())
    assert meta["mode"] == "quick" and meta["generator"] == io.SIGNATURE
    # exact methods at the round-off floor against the 50-digit reference
    exact = [r for r in recs if r.section == acc.SECTION and r.method == "autodiff" and r.metric == acc.REL_ERROR
             and r.extra["dtype"] == "float64"]
    assert exact and max(r.value for r in exact) < 1e-15
    # every timing keeps its spread
    timings = [r for r in recs if r.section == sp.SECTION and r.metric == sp.S_PER_GRAD]
    assert timings and all(r.lo <= r.value <= r.hi and r.repeats for r in timings)
    html = (out / "index.html").read_text()
    assert html.count("data:image/png;base64,") == len(os.listdir(out / "figures")) >= 6


# --- measuring, drawing, interrupting ---------------------------------------------------------------

def _previous(out):
    files = {"index.html": b"previous report", "figures/a.png": b"png"}
    return io.write_report(out, {**files, "records.json": to_json([], **io.manifest_meta(files)).encode()})


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


def test_render_from_records_file_and_bad_section_names(tmp_path, capsys):
    src = tmp_path / "records.json"
    # a figure-less record set: this test is about the command, not the figures
    src.write_text(to_json([r for r in fixed_records() if r.section in ("swell", "fd_stability")], mode="fixed"))
    assert main(["report", "--from-records", str(src), "--out", str(tmp_path / "r")]) == 0
    assert json.loads((tmp_path / "r" / "records.json").read_text())["meta"]["mode"] == "fixed"
    assert main(["report", "--only", "nope", "--out", str(tmp_path / "r")]) == 2


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
    started = []
    real = draw.budget.start
    monkeypatch.setattr(draw.budget, "start", lambda *a, **kw: started.append(kw["what"]) or real(*a, **kw))
    out, recs = build.build_report(tmp_path / "r", quick=False, sections=[sec])
    md = (out / "README.md").read_text()
    assert "figure bad could not be drawn: ValueError: nope" in md
    assert sorted(os.listdir(out / "figures")) == ["alpha_good.png", "alpha_good2.png", "alpha_good3.png"]
    assert started == ["figures of alpha", "figures of alpha"]          # two children, through budget
    out, recs = build.build_report(tmp_path / "r", quick=True, sections=[sec])   # at most two figures
    assert "quick run: 2 more figure(s)" in (out / "README.md").read_text()
    assert sorted(os.listdir(out / "figures")) == ["alpha_good.png"]


def test_a_drawing_child_that_dies_is_drawn_again_here(monkeypatch):
    import matplotlib.pyplot as plt

    def fig():
        f, ax = plt.subplots()
        ax.plot([0, 1])
        return f
    monkeypatch.setattr(draw, "_draw_many", lambda builders, dpi: os._exit(9) if os.getpid() != parent
                        else [draw.draw(b, dpi) for b in builders])
    parent = os.getpid()
    got = draw.draw_all([fig, fig, fig], 40)
    assert [ok for ok, _ in got] == [True] * 3


def test_markdown_shows_formulas_literally():
    from diffcompare.report import render_md
    v = build.SectionView("s", "S", "intro", conclusions=["tree = 8*d**2 + 9*d + 1 for softplus_chain"])
    md = render_md.page([v], {})
    assert "8\\*d\\*\\*2 + 9\\*d + 1 for softplus\\_chain" in md
