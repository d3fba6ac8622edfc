"""Build the report: run every section's experiment -> records, render records -> pages and
figures, write them all into a temporary sibling folder and swap it in with renames.

Three stages that never mix:

* ``run_sections(quick, progress)`` -> records (one failing or missing experiment becomes a
  ``section_failed`` record; the others still run);
* ``render(records, meta)`` -> ``{relative path: bytes}`` (HTML with embedded figures,
  Markdown with PNGs beside it, records.json, the slide) -- pure, so tests render fixed
  records;
* ``write_atomically(out, files)`` -> the folder ``out`` holds exactly those files; an
  exception or Ctrl-C before the final rename leaves the previous ``out`` untouched.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import shutil
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..experiments import silent
from ..records import Record, to_json
from . import io

__all__ = ["run_sections", "render", "write_atomically", "build_report", "SectionView",
           "failed_sections"]

FAILED = "section_failed"
QUICK_MAX_FIGURES = 2          # a quick report draws at most this many figures per section


def _failure(key, exc):
    msg = f"{type(exc).__name__}: {exc}"
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    extra = {"kind": "failed"}
    if where is not None:
        extra["where"] = f"{Path(where.filename).name}:{where.lineno}"
    return Record(key, "", "", FAILED, " ".join(msg.split()), extra=extra)


def failed_sections(records):
    """Section key -> the failure record, for sections whose experiment did not run."""
    return {r.section: r for r in records if r.metric == FAILED}


def run_sections(quick=False, progress=None, sections=None, only=None, after=None, before=None):
    """Records of every section's experiment. ``progress(what, done, total)`` (the
    experiments' protocol) is told what runs and how many sections are done. A section that
    raises is recorded as failed.
    ``before(section)`` / ``after(section, records so far)`` are called around each one
    (the report uses them to draw a finished section's figures while the next one runs)."""
    from .sections import SECTIONS
    sections = SECTIONS if sections is None else sections
    records = []
    tick = progress or silent
    # timing sections first: nothing else (no figure drawing) runs beside them then
    quiet = [s for s in sections if s.key in _Drawer.QUIET]
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
        records.append(Record(s.key, "", "", "section_s", time.perf_counter() - t0, "s"))
        if after is not None:
            after(s, records)
        tick(f"{s.title} done", i + 1, len(todo))
    return records


@dataclass
class SectionView:
    """What the renderers show of one section (already formatted; renderers compute nothing)."""
    key: str
    title: str
    intro: str
    status: str = "ok"                       # "ok" | "failed" | "not run"
    message: str = ""
    figures: list = field(default_factory=list)      # [(file name, png bytes, caption)]
    conclusions: list = field(default_factory=list)  # [str]
    tables: list = field(default_factory=list)       # [(caption, header, rows)]
    problems: list = field(default_factory=list)     # [str]: a figure or a conclusion that failed
    notes: list = field(default_factory=list)        # [str]: e.g. figures a quick run leaves out
    seconds: float | None = None

    @property
    def headline(self):
        """(bold lead, rest) of the line that says why a section has no results."""
        if self.status == "failed":
            return "This section failed:", self.message
        return "This section was not run:", self.message


def _views(records, sections, dpi, drawn=None, max_figures=None):
    from .sections import SECTIONS
    sections = SECTIONS if sections is None else sections
    failed = failed_sections(records)
    views, jobs = [], []
    for s in sections:
        v = SectionView(s.key, s.title, s.intro)
        mine = [r for r in records if r.section == s.key]
        t = [r.value for r in mine if r.metric == "section_s"]
        v.seconds = t[0] if t else None
        if s.key in failed:
            f = failed[s.key]
            v.status = f.extra.get("kind", "failed")
            v.message = f.value + (f" ({f.extra['where']})" if f.extra.get("where") else "")
        elif not mine and not s.derived:
            v.status, v.message = "not run", "no records for this section in this run"
        if v.status in ("ok",):
            if drawn and s.key in drawn:
                got_all, more = drawn[s.key]
                if more:
                    v.notes.append(f"quick run: {more} more figure(s) of this section are drawn in a full run")
                for name, (ok, got), caption in got_all:
                    if ok:
                        v.figures.append((f"{v.key}_{name}.png", got, caption))
                    else:
                        v.problems.append(f"figure {name} could not be drawn: {got}")
            else:
                try:
                    figs = list(s.figures(records))
                    if max_figures is not None and len(figs) > max_figures:
                        v.notes.append(f"quick run: {len(figs) - max_figures} more figure(s) of this "
                                          "section are drawn in a full run")
                        figs = figs[:max_figures]
                    for name, build, caption in figs:
                        jobs.append((v, name, build, caption))
                except Exception as e:        # noqa: BLE001 -- a broken figure list is reported, not fatal
                    v.problems.append(f"figures could not be listed: {type(e).__name__}: {e}")
            try:
                v.conclusions = list(s.conclude(records))
                v.tables = list(s.tables(records)) if s.tables else []
            except Exception as e:            # noqa: BLE001
                v.problems.append(f"conclusions could not be computed: {type(e).__name__}: {e}")
        views.append(v)
    for (v, name, _, caption), (ok, got) in zip(jobs, _draw_all([j[2] for j in jobs], dpi)):
        if ok:
            v.figures.append((f"{v.key}_{name}.png", got, caption))
        else:
            v.problems.append(f"figure {name} could not be drawn: {got}")
    return views


_BUILDERS = []


def _draw(i, dpi):
    import warnings
    try:
        with warnings.catch_warnings():
            # matplotlib's "no artists with labels" and the like would scribble over the
            # progress bar; a figure that cannot be drawn is reported in the page instead
            warnings.simplefilter("ignore")
            return True, io.figure_png(_BUILDERS[i](), dpi=dpi)
    except Exception as e:                    # noqa: BLE001
        return False, f"{type(e).__name__}: {e}"


def _ignore_sigint():
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _draw_all(builders, dpi):
    """PNG bytes of every figure, drawn by two forked workers when the machine has two CPUs
    (drawing, not measuring, is then the slow part of a quick report). Falls back to
    drawing in this process."""
    import multiprocessing as mp
    global _BUILDERS
    _BUILDERS = list(builders)
    try:
        if len(_BUILDERS) > 2 and (os.cpu_count() or 1) > 1 and "fork" in mp.get_all_start_methods():
            from concurrent.futures import ProcessPoolExecutor
            pool = ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("fork"),
                                       initializer=_ignore_sigint)
            try:
                got = list(pool.map(_draw, range(len(_BUILDERS)), [dpi] * len(_BUILDERS)))
            except BaseException:
                # Ctrl-C: the workers ignore SIGINT; drop the queued figures and go
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown()
            return got
        return [_draw(i, dpi) for i in range(len(_BUILDERS))]
    except (OSError, RuntimeError, ImportError):
        return [_draw(i, dpi) for i in range(len(_BUILDERS))]
    finally:
        _BUILDERS = []


def render(records, meta=None, sections=None, dpi=100, drawn=None, max_figures=None):
    """``{relative path: bytes}`` for the whole report, from records alone (``drawn``:
    figures already drawn, section key -> ([(name, (ok, png or error), caption)], left out);
    ``max_figures``: draw at most that many per section -- the quick run's choice)."""
    from . import render_html, render_md
    meta = dict(meta or {})
    views = _views(records, sections, dpi, drawn, max_figures)
    files = {"records.json": to_json(records, **meta).encode("utf-8")}
    for v in views:
        for name, png, _ in v.figures:
            files[f"figures/{name}"] = png
    files["index.html"] = render_html.page(views, meta).encode("utf-8")
    files["README.md"] = render_md.page(views, meta, figure_dir="figures").encode("utf-8")
    return files


def _check_replaceable(out):
    """The whole folder ``out`` is replaced: refuse anything but a previous report (or an
    empty folder), so ``--out .`` or ``--out ~`` can never delete a user's files."""
    if out.exists() and not out.is_dir():
        raise io.OutputError(f"cannot write the report to {out}: it exists and is not a folder")
    if out.is_dir():
        try:
            names = set(os.listdir(out))
        except OSError as e:
            raise io.OutputError(f"cannot write the report to {out}: {e.strerror or e}") from None
        if names and "records.json" not in names:
            raise io.OutputError(f"refusing to replace {out}: it is not empty and holds no records.json "
                                 "(not a diffcompare report folder); choose another --out")


def write_atomically(out, files):
    """Write ``files`` into a fresh temporary sibling of ``out``, then swap it in:
    ``out`` -> ``.out.old-*``, temporary -> ``out``, remove the old one. Until the swap the
    previous report is untouched; a failure during the swap puts it back."""
    out = Path(out)
    parent = out.resolve().parent
    _check_replaceable(out)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=parent))
    except OSError as e:
        raise io.OutputError(f"cannot write the report to {out}: {e.strerror or e}") from None
    old = None
    try:
        for rel, data in files.items():
            io.write_bytes(tmp / rel, data)
        # temporary files are private (0600); a report is for reading: the umask's usual modes
        mask = os.umask(0)
        os.umask(mask)
        for path in tmp.rglob("*"):
            os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~mask)
        os.chmod(tmp, 0o777 & ~mask)
        if out.exists():
            old = parent / f".{out.name}.old-{tmp.name.rsplit('-', 1)[-1]}"
            os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            if old is not None:
                os.rename(old, out)
                old = None
            raise
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise io.OutputError(f"cannot write the report to {out}: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out


def check_writable(out):
    """Fail early (before minutes of measuring) if ``out`` cannot be replaced."""
    out = Path(out)
    parent = out.resolve().parent
    _check_replaceable(out)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=f".{out.name}.probe-", dir=parent))
        probe.rmdir()
    except OSError as e:
        raise io.OutputError(f"cannot write the report to {out}: {e.strerror or e}") from None
    if out.exists() and not os.access(out, os.W_OK | os.X_OK):
        raise io.OutputError(f"cannot write the report to {out}: permission denied")


def run_meta(quick, seconds=None):
    import numpy
    meta = {"generated": _dt.datetime.now().isoformat(timespec="seconds"),
            "mode": "quick" if quick else "full",
            "command": "diffcompare report" + (" --quick" if quick else ""),
            "python": platform.python_version(), "numpy": numpy.__version__,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"}
    if seconds is not None:
        meta["seconds"] = round(seconds, 1)
    return meta


class _Drawer:
    """Draws a finished section's figures in a forked child while the next section
    measures (on a 2-CPU machine drawing is as slow as a quick run's measuring). Waits
    for its children before a timing section (``speed``) so they never disturb a timing,
    and kills them on any exception (Ctrl-C). A child that fails leaves its section to be
    drawn again in this process."""

    QUIET = ("speed",)          # sections whose measurements are timings

    def __init__(self, dpi=100, max_children=3, max_figures=None):
        import multiprocessing as mp
        self.dpi, self.max_children, self.max_figures = dpi, max_children, max_figures
        self.ok = (os.cpu_count() or 1) > 1 and "fork" in mp.get_all_start_methods()
        self.ctx = mp.get_context("fork") if self.ok else None
        self.running, self.drawn, self.pending, self.left_out = [], {}, {}, {}

    def before(self, section):
        if section.key in self.QUIET:
            self.wait()

    def after(self, section, records):
        if not self.ok or section.key == "summary" or any(
                r.section == section.key and r.metric == FAILED for r in records):
            return
        try:
            jobs = list(section.figures(records))
        except Exception:               # noqa: BLE001 -- listed again (and reported) at render time
            return
        for item in [it for it in self.running if it[4].poll()]:
            self._collect(item)          # finished (its PNGs are waiting in the pipe)
        if not jobs:
            return
        left_out = 0
        if self.max_figures is not None and len(jobs) > self.max_figures:
            left_out, jobs = len(jobs) - self.max_figures, jobs[:self.max_figures]
        self.left_out[section.key] = left_out
        # a section with many figures is split over two children (two CPUs)
        half = (len(jobs) + 1) // 2 if len(jobs) > 3 else len(jobs)
        self.pending[section.key] = [None] * ((len(jobs) + half - 1) // half)
        for k, lo in enumerate(range(0, len(jobs), half)):
            while len(self.running) >= self.max_children:
                self._collect(self.running[0])
            chunk = jobs[lo:lo + half]
            reader, writer = self.ctx.Pipe(duplex=False)
            child = self.ctx.Process(target=_draw_child, args=(writer, [b for _, b, _ in chunk], self.dpi),
                                     daemon=True)
            child.start()
            writer.close()
            self.running.append((section.key, k, chunk, child, reader))

    def _collect(self, item):
        key, k, jobs, child, reader = item
        self.running.remove(item)
        try:
            got = reader.recv()
        except (EOFError, OSError):
            got = None
        child.join()
        parts = self.pending.get(key)
        if parts is None:
            return
        if got is None or len(got) != len(jobs):
            del self.pending[key]          # drawn again at render time
            return
        parts[k] = [(name, res, caption) for (name, _, caption), res in zip(jobs, got)]
        if all(p is not None for p in parts):
            self.drawn[key] = ([x for p in parts for x in p], self.left_out.get(key, 0))
            del self.pending[key]

    def wait(self):
        while self.running:
            self._collect(self.running[0])

    def kill(self):
        for _, _, _, child, reader in self.running:
            child.kill()
            child.join()
            reader.close()
        self.running = []


def _draw_child(writer, builders, dpi):
    _ignore_sigint()
    global _BUILDERS
    _BUILDERS = builders
    try:
        writer.send([_draw(i, dpi) for i in range(len(builders))])
    finally:
        writer.close()


def build_report(out="reports", quick=False, progress=None, only=None, dpi=100):
    """Measure, render, write. Returns (out path, records)."""
    check_writable(out)
    t0 = time.perf_counter()
    limit = QUICK_MAX_FIGURES if quick else None
    drawer = _Drawer(dpi, max_figures=limit)
    try:
        records = run_sections(quick, progress, only=only, before=drawer.before, after=drawer.after)
        meta = run_meta(quick, time.perf_counter() - t0)
        if progress:
            progress("drawing figures")
        drawer.wait()
    except BaseException:
        drawer.kill()
        raise
    files = render(records, meta, dpi=dpi, drawn=drawer.drawn, max_figures=limit)
    return write_atomically(out, files), records
