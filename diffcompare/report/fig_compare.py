"""The comparison figure: each method's gradient error against its time per gradient (records
of ``compare.compare`` in, Figure out) -- which gradient to trust, and what it costs."""
from __future__ import annotations

import matplotlib.pyplot as plt

from ..compare import REFERENCE, REL_ERROR, S_PER_GRAD, SECTION
from ._style import FLOOR, legend_outside, style

__all__ = ["fig_error_vs_time"]


def fig_error_vs_time(records):
    """One point per method: median time per gradient (bars: min-max of the rounds) against
    its relative error (an error of 0 drawn at FLOOR)."""
    rs = [r for r in records if r.section == SECTION]
    err = {r.method: r for r in rs if r.metric == REL_ERROR}
    t = {r.method: r for r in rs if r.metric == S_PER_GRAD}
    ref = next((r.value for r in rs if r.metric == REFERENCE), "?")
    fig, ax = plt.subplots(figsize=(8.6, 4.4))
    for m in [m for m in t if m in err]:
        x, y = t[m], max(err[m].value, FLOOR)
        lo, hi = (x.lo if x.lo is not None else x.value), (x.hi if x.hi is not None else x.value)
        ax.errorbar([x.value], [y], xerr=[[x.value - lo], [hi - x.value]], capsize=3, ls="none",
                    **{**style(m), "label": m}, ms=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(FLOOR / 3, 10)
    ax.set_xlabel("seconds per gradient: median [min-max]")
    ax.set_ylabel(f"relative error (0 drawn at {FLOOR:g})")
    ax.set_title(f"Error against time per gradient (reference: {ref})", fontsize=10)
    ax.grid(True, alpha=0.3)
    legend_outside(ax)
    return fig
