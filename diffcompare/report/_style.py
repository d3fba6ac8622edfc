"""Shared figure style: one colour and marker per method, so a method looks the same in
every figure of the report."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

COLORS = {
    "autodiff": "#1f77b4", "autodiff-forward": "#17becf", "autograd": "#9467bd",
    "symbolic": "#2ca02c", "forward": "#d62728", "backward": "#ff9896", "central": "#ff7f0e",
    "five-point": "#8c564b", "complex-step": "#e377c2", "richardson": "#bcbd22",
    "evaluate": "#7f7f7f",
}
MARKERS = {"autodiff": "o", "autodiff-forward": "s", "autograd": "D", "symbolic": "^",
           "forward": "v", "backward": "<", "central": ">", "five-point": "p",
           "complex-step": "*", "richardson": "h", "evaluate": "x"}


def style(method):
    return {"color": COLORS.get(method, "#333333"), "marker": MARKERS.get(method, "."),
            "label": method}


def finite_records(records):
    """Records with a finite numeric value (drop failures, text, nan/inf)."""
    import math
    # exact big ints (expression sizes) are finite but overflow float(): test floats only
    return [r for r in records if isinstance(r.value, (int, float)) and not isinstance(r.value, bool)
            and (isinstance(r.value, int) or math.isfinite(r.value))]
