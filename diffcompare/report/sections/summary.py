"""The Summary section: the lecture's slide, each claim beside the evidence this run measured."""
from __future__ import annotations

from ... import graph
from ...experiments import codesize
from ...experiments import summary as experiment
from ...records import select
from .. import slide
from ..section import Section

GLOSSARY = {"✓ / ≈ / ·": "on the slide: the number supports the claim / qualifies it (the report's own data "
                         "say 'not always') / is context. Each mark comes from a threshold stated on the slide.",
            "seeded bug": "a deliberate mistake put into a hand-written gradient (a wrong sign, a missing factor) "
                          "to see whether a gradient check catches it.",
            "textbook core": "the few lines a lecture writes for a method, as opposed to the method as shipped "
                             "with its safety checks."}


def _figs_summary(records):
    out = [("slide", lambda: slide.slide_figure(records),
            "The lecture's summary slide, each claim beside the numbers this run measured: ✓ supports, "
            "≈ qualifies, · context.")]
    for r in select(records, section=experiment.SECTION, metric=experiment.NEURON_GRAPH):
        out.append(("neuron_graph", lambda r=r: graph.figure(graph.Graph.from_dict(r.extra)),
                    f"The lecture's sigmoid neuron at {r.setting} as our tracer records it: {r.value} primitive "
                    "ops, each box its forward value and its adjoint dL/dnode from the backward pass -- the "
                    "mechanical backprop the automatic gradient is."))
    return out


def _takeaway_summary(records):
    marks = [e.supports for row in slide.slide_rows(records) for e in row.evidence]
    yes, qual = sum(m is True for m in marks), sum(m is False for m in marks)
    if not marks:
        return "The lecture's slide, with no numbers measured in this run."
    return (f"Measured on this machine, the lecture's slide holds with qualifications: {yes} numbers support its "
            f"claims and {qual} qualify them.")


def _conclude_summary(records):
    return []                  # the slide (figure) carries the claims and the advice


def _details_summary(records):
    return slide.advice_lines(records)


def _tables_summary(records):
    rows = [(row.method, row.claim, "; ".join(f"{slide.mark(e)} {e.word + ': ' if e.word else ''}{e.text}"
                                              for e in row.evidence) or "not measured in this run")
            for row in slide.slide_rows(records)]
    return [(f"The slide as text ({slide.legend(records)})", ("gradient", "the lecture says", "measured here"), rows)]


SECTION = Section(
    "summary", "Summary: the lecture's slide, with evidence",
    "The closing slide of the lecture, each claim beside the numbers this run measured.",
    experiment.run, _figs_summary, _conclude_summary, _tables_summary, derived=True,
    takeaway=_takeaway_summary, details=_details_summary, reads=slide.READS + ((codesize.SECTION, codesize.LOC),
                                                (experiment.SECTION, experiment.NEURON_GRAPH)),
    glossary=GLOSSARY)
