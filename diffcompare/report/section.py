"""What a report section is, and the formatting every renderer shares (the only place numbers
become text).

A section module (``report/sections/<key>.py``) imports its experiment directly and defines
``SECTION = Section(key, title, intro, run, figures, conclude, tables, ...)``: ``run`` is the
experiment's ``run(quick, progress)``; the others read records and return figures
(``[(name, () -> Figure, caption)]``), sentences and tables. A section computes nothing.

How a section reads on the page (``build.SectionView``): ONE takeaway sentence
(``takeaway(records)``; without it, ``intro``), its figures, at most ``MAX_BULLETS`` of its
conclusions; the rest of the conclusions, ``details(records)`` and every table go into a
collapsible part (HTML) / the appendix (Markdown). ``glossary`` defines the section's terms
for the page's glossary. ``reads`` lists the ``(section, metric)`` pairs the renderers read,
as the experiments' constants: a test checks that a quick run produces every one of them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from ..records import is_number

__all__ = ["Section", "MAX_BULLETS", "fmt_err", "fmt_s", "fmt_x", "fmt_timing", "faster", "big", "num"]

MAX_BULLETS = 8


@dataclass
class Section:
    key: str
    title: str
    intro: str
    run: Callable                     # (quick, progress) -> [Record]
    figures: Callable                 # records -> [(name, () -> Figure, caption)]
    conclude: Callable                # records -> [str]
    tables: Callable | None = None    # records -> [(caption, header, rows)]
    derived: bool = False
    takeaway: Callable | None = None  # records -> str: the one sentence the section teaches
    details: Callable | None = None   # records -> [str]: bullets for the collapsible part
    reads: tuple = ()                 # ((section, metric), ...) the renderers read
    glossary: dict = field(default_factory=dict)   # term -> definition


def num(r):
    """The record's value is a number a sentence or a figure can show."""
    return is_number(r.value)


def fmt_err(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    return "0" if x == 0 else f"{x:.1e}"


def _unit(s):
    for unit, k in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= k:
            return unit, k
    return "ns", 1e-9


def fmt_s(s):
    if s is None:
        return "?"
    unit, k = _unit(s)
    return f"{s / k:.3g} {unit}"


def fmt_timing(r):
    """A timing record as ``median [min–max]`` in one unit (``372 µs [365–390]``); a single
    measurement says so."""
    if r.lo is None or r.hi is None or not r.repeats or r.repeats < 2:
        return f"{fmt_s(r.value)} (one run)"
    unit, k = _unit(r.value)
    return f"{r.value / k:.3g} {unit} [{r.lo / k:.3g}–{r.hi / k:.3g}]"


def faster(a, b, what_a, what_b):
    """``"what_a is 5.6× faster than what_b"`` (or slower) from two seconds-per-call values."""
    if a <= b:
        return f"{what_a} is {b / a:.2g}× faster than {what_b}"
    return f"{what_a} is {a / b:.2g}× slower than {what_b}"


def fmt_x(x):
    """A ratio: 2.5×, 38×, 2,010× (never 2.01e+03×)."""
    return f"{x:,.0f}×" if x >= 100 else f"{x:.3g}×"


def big(n):
    """An exact big integer (an expression size) as 1.95e6 past ten million, else 1,234,567."""
    if isinstance(n, int) and n >= 10 ** 7:
        s = str(n)
        return f"{s[0]}.{s[1:3]}e{len(s) - 1}"
    return f"{n:,}" if isinstance(n, int) else f"{n:.3g}"
