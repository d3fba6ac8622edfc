"""The Summary section: the lecture's slide, each claim beside the evidence this run measured."""
from __future__ import annotations

from .. import slide
from ..section import Section


def _run_summary(quick, progress):
    return slide.loc_records()


def _figs_summary(records):
    return [("slide", lambda: slide.slide_figure(records),
             "The lecture's summary slide, each claim beside the number measured in this run.")]


def _conclude_summary(records):
    return slide.advice_lines(records)


def _tables_summary(records):
    def mark(e):
        return ("✓ " if e.supports else "≈ " if e.supports is False else "") + e.text
    rows = [(row.method, row.claim, "; ".join(mark(e) for e in row.evidence) or "not measured in this run")
            for row in slide.slide_rows(records)]
    return [(f"The summary slide with its evidence ({slide.LEGEND.split('+ / ', 1)[-1].replace('~ / ', '')})",
             ("gradient", "the lecture says", "measured here"), rows)]


SECTION = Section(
    "summary", "Summary: the lecture's slide, with evidence",
    "The closing slide of the lecture, each claim beside the number this run measured.",
    _run_summary, _figs_summary, _conclude_summary, _tables_summary)
