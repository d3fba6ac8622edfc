"""Figures drawn in budgeted children (``budget.start``), beside the measuring.

On a 2-CPU machine drawing a figure costs as much as a quick run's measuring, so a finished
section's figures are drawn in a child while the next section measures (``Drawer``); a
timing section waits until no child runs, so drawing never disturbs a timing. Each child
returns ``[(ok, png bytes | error text)]``; a child that fails or is killed leaves its
figures to be drawn again in this process. Children die with the report (``budget``:
PR_SET_PDEATHSIG), and Ctrl-C kills them (``kill``).
"""
from __future__ import annotations

import os
import warnings

from .. import budget
from ..errors import DiffcompareError
from . import io

__all__ = ["draw", "draw_all", "Drawer", "CPU_PER_FIGURE"]

CPU_PER_FIGURE = 60.0        # CPU seconds a child may spend per figure before it is stopped


def draw(build, dpi):
    """``(True, png)`` or ``(False, "Error: message")`` -- a figure that cannot be drawn is
    reported in the page, never fatal."""
    try:
        with warnings.catch_warnings():
            # matplotlib's "no artists with labels" and the like would scribble over the
            # progress bar; a figure that cannot be drawn is reported in the page instead
            warnings.simplefilter("ignore")
            return True, io.figure_png(build(), dpi=dpi)
    except Exception as e:                    # noqa: BLE001
        return False, f"{type(e).__name__}: {e}"


def _draw_many(builders, dpi):
    return [draw(b, dpi) for b in builders]


def _start(builders, dpi, what):
    return budget.start(_draw_many, builders, dpi, cpu=CPU_PER_FIGURE * len(builders), what=what)


def _collect(job, builders, dpi):
    """The child's figures, or (when it failed) the same figures drawn here."""
    try:
        got = job.result()
        if isinstance(got, list) and len(got) == len(builders):
            return got
    except DiffcompareError:
        pass
    return _draw_many(builders, dpi)


def _halves(items):
    half = (len(items) + 1) // 2
    return [items[:half], items[half:]] if len(items) > 1 else [items]


def draw_all(builders, dpi):
    """PNG bytes (or errors) of every figure, drawn by two children side by side when the
    machine has two CPUs and there is more than a couple of figures."""
    builders = list(builders)
    if len(builders) <= 2 or (os.cpu_count() or 1) < 2:
        return _draw_many(builders, dpi)
    parts = _halves(builders)
    jobs = [_start(p, dpi, "drawing figures") for p in parts]
    try:
        return [x for job, p in zip(jobs, parts) for x in _collect(job, p, dpi)]
    finally:
        for job in jobs:
            job.kill()


class Drawer:
    """Draws a finished section's figures in children while the next section measures.
    ``after(section, records)`` starts them; ``before(section)`` waits for all of them
    before a timing section (``QUIET``); ``wait()`` collects; ``kill()`` on any exception."""

    QUIET = ("speed", "second_order")   # sections whose measurements are timings

    def __init__(self, dpi=100, max_children=3, max_figures=None):
        self.dpi, self.max_children, self.max_figures = dpi, max_children, max_figures
        self.ok = (os.cpu_count() or 1) > 1
        self.running = []        # (section key, part index, [(name, build, caption)], Job)
        self.drawn, self.pending, self.left_out = {}, {}, {}

    def before(self, section):
        if section.key in self.QUIET:
            self.wait()

    def after(self, section, records, failed=False):
        if not self.ok or failed or section.derived:      # derived: drawn from every record, at the end
            return
        try:
            jobs = list(section.figures(records))
        except Exception:               # noqa: BLE001 -- listed again (and reported) at render time
            return
        for item in [it for it in self.running if it[3].done()]:
            self._collect(item)
        if not jobs:
            return
        left_out = 0
        if self.max_figures is not None and len(jobs) > self.max_figures:
            left_out, jobs = len(jobs) - self.max_figures, jobs[:self.max_figures]
        self.left_out[section.key] = left_out
        parts = _halves(jobs) if len(jobs) > 3 else [jobs]
        self.pending[section.key] = [None] * len(parts)
        for k, chunk in enumerate(parts):
            while len(self.running) >= self.max_children:
                self._collect(self.running[0])
            job = _start([b for _, b, _ in chunk], self.dpi, f"figures of {section.key}")
            self.running.append((section.key, k, chunk, job))

    def _collect(self, item):
        key, k, chunk, job = item
        self.running.remove(item)
        got = _collect(job, [b for _, b, _ in chunk], self.dpi)
        parts = self.pending.get(key)
        if parts is None:
            return
        parts[k] = [(name, res, caption) for (name, _, caption), res in zip(chunk, got)]
        if all(p is not None for p in parts):
            self.drawn[key] = ([x for p in parts for x in p], self.left_out.get(key, 0))
            del self.pending[key]

    def wait(self):
        while self.running:
            self._collect(self.running[0])

    def kill(self):
        for *_, job in self.running:
            job.kill()
        self.running = []
