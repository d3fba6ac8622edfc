"""The Summary section's own records: lines of code behind each method (``codesize``) and
the lecture's sigmoid neuron as the tracer records it -- its computational graph with the
forward value and the adjoint dL/dnode on every node, as data a renderer draws."""
from __future__ import annotations

from .. import graph, models, tracer
from ..records import Record
from . import codesize, silent

__all__ = ["run", "NEURON_GRAPH", "SECTION"]

SECTION = codesize.SECTION
NEURON_GRAPH = "neuron_graph"
NEURON_POINT = {"w": 0.5, "b": 0.1}          # the lecture's slide: x = 2, t = 1


def neuron_graph():
    """One record: the neuron's graph (``graph.Graph.as_dict``) at the lecture's point."""
    m = models.get("neuron")
    tape = tracer.trace(m, NEURON_POINT)
    g = graph.build(tape, digits=4)
    return Record(SECTION, "neuron", "autodiff", NEURON_GRAPH, len(tape), "ops",
                  ", ".join(f"{k}={v}" for k, v in NEURON_POINT.items()), extra=g.as_dict())


def run(quick=False, progress=silent):
    out = codesize.run(quick, progress)
    progress("summary: the neuron's computational graph")
    return out + [neuron_graph()]
