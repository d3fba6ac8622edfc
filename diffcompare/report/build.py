"""Build the report: run every section's experiment -> records, render records -> pages and
figures, write them (``io.write_report``: only over a previous report of ours, in one swap).

Three stages that never mix:

* ``run_sections(quick, progress)`` -> records (one failing experiment becomes a
  ``FAILED`` record; the others still run);
* ``render(records, meta)`` -> ``{relative path: bytes}`` (HTML with embedded figures,
  Markdown with PNGs beside it, records.json with the signature and manifest) -- pure
  apart from drawing, so tests render fixed records;
* ``io.write_report(out, files)`` -> the folder ``out`` holds exactly those files; an
  exception, Ctrl-C or SIGKILL before the swap leaves the previous ``out`` untouched.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..experiments import silent
from ..records import Record, to_json
from . import draw, io
from .section import MAX_BULLETS

__all__ = ["run_sections", "render", "build_report", "SectionView", "failed_sections", "run_meta",
           "FAILED", "SECTION_S"]

FAILED = "section_failed"      # a section whose experiment raised (value: the message)
SECTION_S = "section_s"        # seconds a section's experiment took
QUICK_MAX_FIGURES = 2          # a quick report draws at most this many figures per section


def _failure(key, exc):
    msg = f"{type(exc).__name__}: {exc}"
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    extra = {"kind": "failed", "error": type(exc).__name__}
    if where is not None:
        extra["where"] = f"{Path(where.filename).name}:{where.lineno}"
    return Record(key, "", "", FAILED, " ".join(msg.split()), extra=extra)


def failed_sections(records):
    """Section key -> the failure record, for sections whose experiment did not run."""
    return {r.section: r for r in records if r.metric == FAILED}


def run_sections(quick=False, progress=None, sections=None, only=None, after=None, before=None):
    """Records of every section's experiment. ``progress(what, done, total)`` (the
    experiments' protocol) is told what runs and how many sections are done. A section that
    raises is recorded as failed. ``before(section)`` / ``after(section, records, failed)``
    are called around each one (the report draws a finished section's figures while the
    next one runs)."""
    from .sections import SECTIONS
    sections = SECTIONS if sections is None else sections
    records = []
    tick = progress or silent
    # timing sections first: nothing else (no figure drawing) runs beside them then
    quiet = [s for s in sections if s.key in draw.Drawer.QUIET]
    todo = [s for s in quiet + [s for s in sections if s not in quiet] if not only or s.key in only]
    for i, s in enumerate(todo):
        if before is not None:
            before(s)
        tick(s.title, i, len(todo))
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # overflow/divide warnings are findings the records already hold (nan,
                # inf); printed they would only scribble over the progress bar
                warnings.simplefilter("ignore")
                got = list(s.run(quick, lambda what, done=None, total=None, i=i: tick(what, i, len(todo))))
        except KeyboardInterrupt:
            raise
        except Exception as e:        # noqa: BLE001 -- one section's failure must not stop the report
            got = [_failure(s.key, e)]
        records.extend(got)
        records.append(Record(s.key, "", "", SECTION_S, time.perf_counter() - t0, "s"))
        if after is not None:
            after(s, records, any(r.metric == FAILED for r in got))
        tick(f"{s.title} done", i + 1, len(todo))
    return records


@dataclass
class SectionView:
    """What the renderers show of one section (already formatted; renderers compute nothing)."""
    key: str
    title: str
    intro: str
    takeaway: str = ""
    status: str = "ok"                       # "ok" | "failed" | "not run"
    message: str = ""
    figures: list = field(default_factory=list)      # [(file name, png bytes, caption)]
    conclusions: list = field(default_factory=list)  # [str]: at most MAX_BULLETS, shown
    details: list = field(default_factory=list)      # [str]: in the collapsible part / appendix
    tables: list = field(default_factory=list)       # [(caption, header, rows)], collapsible too
    problems: list = field(default_factory=list)     # [str]: a figure or a conclusion that failed
    notes: list = field(default_factory=list)        # [str]: e.g. figures a quick run leaves out
    seconds: float | None = None

    @property
    def headline(self):
        """(bold lead, rest) of the line that says why a section has no results."""
        if self.status == "failed":
            return "This section failed:", self.message
        return "This section was not run:", self.message

    @property
    def has_details(self):
        return bool(self.details or self.tables)


def _status(v, s, mine, failed):
    mine_t = [r.value for r in mine if r.metric == SECTION_S]
    v.seconds = mine_t[0] if mine_t and mine_t[0] >= 0.05 else None     # a derived section measures nothing
    if s.key in failed:
        f = failed[s.key]
        v.status = f.extra.get("kind", "failed")
        v.message = f.value + (f" ({f.extra['where']})" if f.extra.get("where") else "")
    elif not mine and not s.derived:
        v.status, v.message = "not run", "no records for this section in this run"


def _words(v, s, records):
    """The section's sentences: takeaway, at most MAX_BULLETS bullets, the rest as details."""
    try:
        said = list(s.conclude(records))
        v.conclusions, v.details = said[:MAX_BULLETS], said[MAX_BULLETS:]
        if s.details:
            v.details += list(s.details(records))
        v.tables = list(s.tables(records)) if s.tables else []
        v.takeaway = s.takeaway(records) if s.takeaway else ""
    except Exception as e:            # noqa: BLE001
        v.problems.append(f"conclusions could not be computed: {type(e).__name__}: {e}")


def _views(records, sections, dpi, drawn=None, max_figures=None):
    from .sections import SECTIONS
    sections = SECTIONS if sections is None else sections
    failed = failed_sections(records)
    views, jobs = [], []
    for s in sections:
        v = SectionView(s.key, s.title, s.intro)
        _status(v, s, [r for r in records if r.section == s.key], failed)
        views.append(v)
        if v.status != "ok":
            continue
        if drawn and s.key in drawn:
            got_all, more = drawn[s.key]
            if more:
                v.notes.append(f"quick run: {more} more figure(s) of this section are drawn in a full run")
            jobs += [(v, name, None, caption, got) for name, got, caption in got_all]
        else:
            try:
                figs = list(s.figures(records))
                if max_figures is not None and len(figs) > max_figures:
                    v.notes.append(f"quick run: {len(figs) - max_figures} more figure(s) of this "
                                   "section are drawn in a full run")
                    figs = figs[:max_figures]
                jobs += [(v, name, build, caption, None) for name, build, caption in figs]
            except Exception as e:        # noqa: BLE001 -- a broken figure list is reported, not fatal
                v.problems.append(f"figures could not be listed: {type(e).__name__}: {e}")
        _words(v, s, records)
    todo = [j for j in jobs if j[4] is None]
    fresh = iter(draw.draw_all([j[2] for j in todo], dpi))
    for v, name, _, caption, got in jobs:
        ok, png = got if got is not None else next(fresh)
        if ok:
            v.figures.append((f"{v.key}_{name}.png", png, caption))
        else:
            v.problems.append(f"figure {name} could not be drawn: {png}")
    return views


def render(records, meta=None, sections=None, dpi=100, drawn=None, max_figures=None):
    """``{relative path: bytes}`` for the whole report, from records alone (``drawn``:
    figures already drawn, section key -> ([(name, (ok, png or error), caption)], left out);
    ``max_figures``: draw at most that many per section -- the quick run's choice)."""
    from . import render_html, render_md
    from .sections import SECTIONS
    sections = SECTIONS if sections is None else sections
    meta = {k: v for k, v in (meta or {}).items() if k not in ("generator", "files")}
    views = _views(records, sections, dpi, drawn, max_figures)
    files = {}
    for v in views:
        for name, png, _ in v.figures:
            files[f"figures/{name}"] = png
    files["index.html"] = render_html.page(views, meta, sections).encode("utf-8")
    files["README.md"] = render_md.page(views, meta, sections, figure_dir="figures").encode("utf-8")
    files[io.MANIFEST_FILE] = to_json(records, **meta, **io.manifest_meta(files)).encode("utf-8")
    return files


def run_meta(quick, seconds=None, command=None):
    import numpy
    meta = {"generated": _dt.datetime.now().isoformat(timespec="seconds"),
            "mode": "quick" if quick else "full",
            "command": command or ("diffcompare report" + (" --quick" if quick else "")),
            "python": platform.python_version(), "numpy": numpy.__version__,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"}
    if seconds is not None:
        meta["seconds"] = round(seconds, 1)
    return meta


def build_report(out="reports", quick=False, progress=None, only=None, dpi=100, sections=None, command=None):
    """Measure, render, write. Returns (out path, records)."""
    io.check_writable(out)
    t0 = time.perf_counter()
    limit = QUICK_MAX_FIGURES if quick else None
    drawer = draw.Drawer(dpi, max_figures=limit)
    try:
        records = run_sections(quick, progress, sections=sections, only=only, before=drawer.before,
                               after=drawer.after)
        meta = run_meta(quick, time.perf_counter() - t0, command)
        if progress:
            progress("drawing figures")
        drawer.wait()
        files = render(records, meta, sections=sections, dpi=dpi, drawn=drawer.drawn, max_figures=limit)
    except BaseException:
        drawer.kill()
        raise
    return io.write_report(out, files), records
