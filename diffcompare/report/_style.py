"""Shared figure style: one colour and marker per method, so a method looks the same in
every figure of the report."""
from __future__ import annotations

import matplotlib

from ..records import is_number

matplotlib.use("Agg")

COLORS = {
    "autodiff": "#1f77b4", "autodiff-forward": "#17becf", "autodiff-compiled": "#393b79", "autograd": "#9467bd",
    "symbolic": "#2ca02c", "forward": "#d62728", "backward": "#ff9896", "central": "#ff7f0e",
    "five-point": "#8c564b", "complex-step": "#e377c2", "richardson": "#bcbd22",
    "evaluate": "#7f7f7f",
}
MARKERS = {"autodiff": "o", "autodiff-forward": "s", "autodiff-compiled": "P", "autograd": "D", "symbolic": "^",
           "forward": "v", "backward": "<", "central": ">", "five-point": "p",
           "complex-step": "*", "richardson": "h", "evaluate": "x"}
FLOOR = 1e-18     # an error of exactly 0 is drawn here (a log axis has no 0)


def style(method):
    return {"color": COLORS.get(method, "#333333"), "marker": MARKERS.get(method, "."),
            "label": method}


def finite_records(records):
    """Records whose value a figure can draw (drop failures, text, nan/inf)."""
    return [r for r in records if is_number(r.value)]


def legend_outside(ax_or_fig, handles=None, labels=None, title=None, fontsize=8):
    """A legend to the right of the axes, where it cannot hide a curve."""
    kw = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": fontsize, "frameon": False}
    if title:
        kw.update(title=title, title_fontsize=fontsize)
    if handles is not None:
        return ax_or_fig.legend(handles, labels, **kw)
    return ax_or_fig.legend(**kw)
