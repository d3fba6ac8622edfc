"""Accuracy figure: error vs h per finite-difference scheme, exact methods as flat lines at
their floor (records in, Figure out)."""
from __future__ import annotations

import matplotlib.pyplot as plt

from ._style import finite_records, style

__all__ = ["fig_error_vs_h", "FLOOR"]

FLOOR = 1e-18     # an error of exactly 0 is drawn here (a log axis has no 0)


def fig_error_vs_h(records):
    rs = [r for r in finite_records(records) if r.section == "accuracy" and r.metric == "rel_error"]
    models = list(dict.fromkeys(r.model for r in rs))
    dtypes = [d for d in ("float64", "float32") if any(r.extra.get("dtype") == d for r in rs)]
    ref = next((r.reference for r in rs if r.reference), "?")
    ncol = max(len(models), 1)
    fig, axes = plt.subplots(max(len(dtypes), 1), ncol, figsize=(3.4 * ncol + 1.5, 3.0 * max(len(dtypes), 1) + 0.6),
                             squeeze=False, sharex=True)
    for i, dt in enumerate(dtypes):
        for j, model in enumerate(models):
            ax = axes[i][j]
            mine = [r for r in rs if r.model == model and r.extra.get("dtype") == dt]
            for m in dict.fromkeys(r.method for r in mine if "h" in r.extra):
                pts = sorted((r.extra["h"], max(r.value, FLOOR)) for r in mine if r.method == m and "h" in r.extra)
                ax.loglog(*zip(*pts), **style(m), lw=1.2, ms=3.5)
            for r in mine:
                if "h" not in r.extra:
                    ax.axhline(max(r.value, FLOOR), color=style(r.method)["color"], ls="--", lw=1.0,
                               label=f"{r.method} (exact)")
            ax.set_title(f"{model}, {dt}", fontsize=9)
            ax.grid(True, alpha=0.25)
            if j == 0:
                ax.set_ylabel("relative error")
            if i == len(dtypes) - 1:
                ax.set_xlabel("step h")
            ax.set_ylim(FLOOR / 3, 10)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.suptitle(f"Gradient error vs step h (reference: {ref}; an error of 0 is drawn at {FLOOR:g})",
                 fontsize=10)
    fig.tight_layout()
    return fig
