"""Accuracy figure: error vs h per finite-difference scheme, exact methods as flat lines at
their floor (records in, Figure out)."""
from __future__ import annotations

import matplotlib.pyplot as plt

from ..experiments import accuracy as acc
from ._style import FLOOR, finite_records, style

__all__ = ["fig_error_vs_h"]


def _label(r):
    inside = r.extra.get("computes_in")
    return f"{r.method} (exact{', computes in ' + inside if inside else ''})"


def fig_error_vs_h(records):
    """One panel per (dtype, model): each scheme's relative error against h (solid), each
    exact method's error as a dashed level (dotted: a method that computes in float64 even
    when given float32)."""
    rs = [r for r in finite_records(records) if r.section == acc.SECTION and r.metric == acc.REL_ERROR]
    models = list(dict.fromkeys(r.model for r in rs))
    dtypes = [d for d in ("float64", "float32") if any(r.extra.get("dtype") == d for r in rs)]
    ncol, nrow = max(len(models), 1), max(len(dtypes), 1)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.8 * ncol + 0.6, 3.1 * nrow + 0.5), squeeze=False,
                             sharex=True, sharey=True)
    handles = {}
    for i, dt in enumerate(dtypes):
        for j, model in enumerate(models):
            ax = axes[i][j]
            mine = [r for r in rs if r.model == model and r.extra.get("dtype") == dt]
            for m in dict.fromkeys(r.method for r in mine if "h" in r.extra):
                pts = sorted((r.extra["h"], max(r.value, FLOOR)) for r in mine if r.method == m and "h" in r.extra)
                (line,) = ax.loglog(*zip(*pts), **style(m), lw=1.2, ms=3.2)
                handles.setdefault(m, line)
            hmin = min((r.extra["h"] for r in mine if "h" in r.extra), default=1e-13)
            exact = [r for r in mine if "h" not in r.extra]
            for k, r in enumerate(exact):
                # methods often agree to the last bit: a dashed level each, and a marker each at its
                # own h position, so coinciding levels stay distinguishable
                sty = style(r.method)
                ax.axhline(max(r.value, FLOOR), color=sty["color"], lw=1.0, ls=":" if r.extra.get("computes_in") else "--")
                (line,) = ax.loglog([hmin * 10 ** (0.7 * k)], [max(r.value, FLOOR)], ls=":" if r.extra.get("computes_in")
                                    else "--", marker=sty["marker"], color=sty["color"], ms=6, mfc="white")
                handles.setdefault(_label(r), line)
            ax.set_title(f"{model}, {dt}", fontsize=9)
            ax.grid(True, alpha=0.25)
            if j == 0:
                ax.set_ylabel("relative error")
            if i == nrow - 1:
                ax.set_xlabel("step h")
            ax.set_ylim(FLOOR / 3, 10)
    fig.legend(list(handles.values()), list(handles), loc="upper left", bbox_to_anchor=(1.0, 0.95),
               fontsize=8, frameon=False, title="solid: scheme vs h\ndashed: exact method", title_fontsize=8)
    ref = next((r.reference for r in rs if r.reference), "?")
    fig.suptitle(f"Gradient error against the step h (reference: {ref}; an error of 0 is drawn at {FLOOR:g})",
                 fontsize=10)
    fig.tight_layout()
    return fig
