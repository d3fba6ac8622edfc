"""Figures of the second-derivatives section, from its records to matplotlib Figures: the
V-curves of Hessian entries with their error model, and the three claims' costs. Nothing is
computed here beyond grouping and the sum of the model's two terms."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from ..experiments import second_order as so
from ..experiments.second_order_compare import EVALS, S_PER_HESSIAN
from ..experiments.second_order_sweep import ABS_ERROR, AT_OPTIMUM, AUTO_ERROR, SCHEMES, THEORY_ERROR
from ..experiments.swell_laws import GAVE_UP
from ..experiments.swell_steps import H_TREE, TREE
from ..records import is_number
from ._style import FLOOR, legend_outside, style

__all__ = ["fig_vcurves", "fig_costs"]

# the schemes on differences of the gradient are not on any other figure: their own colours,
# next to their second-difference twins'
_OWN = {"central-grad": {"color": "#d62728", "marker": "<"}, "richardson-grad": {"color": "#2ca02c", "marker": "d"}}


def _style(method):
    return dict(style(method), **_OWN.get(method, {}))


def _panel(ax, mine):
    for s in [s for s in SCHEMES if any(r.method == s for r in mine)]:
        sty = _style(s)
        pts = sorted((r.extra["h"], r.value, r.extra["truncation"], r.extra["roundoff"])
                     for r in mine if r.method == s and r.metric == ABS_ERROR)
        meas = [(h, max(e, FLOOR)) for h, e, _, _ in pts if is_number(e)]
        if meas:
            ax.loglog(*zip(*meas), ls="none", marker=sty["marker"], color=sty["color"], ms=3.5, alpha=0.45, zorder=2)
        hs = [p[0] for p in pts]
        ax.loglog(hs, [max(math.hypot(t, r), FLOOR) for _, _, t, r in pts], color=sty["color"], lw=1.6, zorder=3)
        ax.loglog(hs, [max(t, FLOOR) for _, _, t, _ in pts], color=sty["color"], lw=0.8, ls="--", zorder=3)
        ax.loglog(hs, [max(r, FLOOR) for _, _, _, r in pts], color=sty["color"], lw=0.8, ls=":", zorder=3)
        got = {r.metric: r for r in mine if r.method == s}
        th, at, au = got.get(THEORY_ERROR), got.get(AT_OPTIMUM), got.get(AUTO_ERROR)
        if th is not None and is_number(th.value) and is_number(th.extra.get("h")):
            ax.axvline(th.extra["h"], color=sty["color"], lw=0.6, alpha=0.5, zorder=1)
            ax.loglog([th.extra["h"]], [th.value], "o", mfc="none", mec=sty["color"], ms=10, mew=1.5, zorder=4)
        if at is not None and is_number(at.value):
            ax.loglog([at.extra["h"]], [max(at.value, FLOOR)], "o", color=sty["color"], ms=4, zorder=5)
        if au is not None and is_number(au.value) and is_number(au.extra.get("h")):
            ax.loglog([au.extra["h"]], [max(au.value, FLOOR)], "x", color=sty["color"], ms=8, mew=2, zorder=5)
    ax.grid(True, alpha=0.25)


def fig_vcurves(records):
    """A row per dtype, a column per Hessian entry: measured RMS error against h per scheme
    (faint markers), the error model (solid: sqrt(truncation^2 + round-off^2); dashed:
    truncation; dotted: round-off), the model's optimum (open circle, thin vertical line), the
    error measured there (dot) and at the automatic step (x)."""
    rs = [r for r in records if r.section == so.SECTION and r.metric in (ABS_ERROR, THEORY_ERROR, AT_OPTIMUM,
                                                                         AUTO_ERROR)]
    cols = list(dict.fromkeys((r.model, r.extra["entry"]) for r in rs if r.metric == ABS_ERROR))
    rows = [dt for dt in so.DTYPES if any(r.extra.get("dtype") == dt for r in rs)]
    fig, axes = plt.subplots(max(len(rows), 1), max(len(cols), 1), figsize=(3.3 * max(len(cols), 1) + 2.2,
                             3.0 * max(len(rows), 1) + 0.6), squeeze=False, sharex=True)
    for a, dt in enumerate(rows):
        for b, (model, entry) in enumerate(cols):
            ax = axes[a][b]
            _panel(ax, [r for r in rs if r.model == model and r.extra.get("entry") == entry
                        and r.extra.get("dtype") == dt])
            ax.set_title(f"{model} {entry}, {dt}", fontsize=8)
            ax.set_ylim(1e-17 if dt == "float64" else 1e-9, 10)
            if b == 0:
                ax.set_ylabel("|error| near h (RMS)")
            if a == len(rows) - 1:
                ax.set_xlabel("step h")
    handles = [Line2D([], [], color=_style(s)["color"], marker=_style(s)["marker"], label=s) for s in SCHEMES]
    handles += [Line2D([], [], color="k", lw=1.6, label="error model"),
                Line2D([], [], color="k", lw=0.8, ls="--", label="truncation ~h^p"),
                Line2D([], [], color="k", lw=0.8, ls=":", label="round-off ~sigma/h^q"),
                Line2D([], [], color="k", ls="none", marker="o", mfc="none", ms=9, label="model's optimum h*"),
                Line2D([], [], color="k", ls="none", marker="o", ms=4, label="measured at h*"),
                Line2D([], [], color="k", ls="none", marker="x", ms=7, label="automatic step")]
    legend_outside(axes[0][-1], handles, [h.get_label() for h in handles])
    ref = next((r.reference for r in rs if r.metric == ABS_ERROR), "?")
    fig.suptitle(f"Hessian entries by finite differences: error against h; reference: {ref}", fontsize=10)
    fig.tight_layout()
    return fig


def _n_ticks(ax, rs, metric):
    ns = sorted({r.extra["n"] for r in rs if r.metric == metric and r.model == so.COST_MODEL})
    if ns:
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.minorticks_off()


def _numerical(ax, rs):
    for m in ("central", "richardson", "central-grad", "richardson-grad"):
        pts = sorted((r.extra["n"], r.value) for r in rs if r.metric == EVALS and r.method == m
                     and r.model == so.COST_MODEL)
        if pts:
            sty = _style(m)
            of = "f" if not m.endswith("-grad") else "gradients"
            ax.loglog(*zip(*pts), marker=sty["marker"], color=sty["color"], label=f"{m} ({of})")
    ax.set_xlabel("n (parameters)")
    ax.set_ylabel("evaluations per Hessian")
    ax.set_title("numerical: evaluations per Hessian", fontsize=9)
    _n_ticks(ax, rs, EVALS)
    ax.grid(True, alpha=0.25)
    ax.legend(fontsize=7, frameon=False)


def _symbolic(ax, rs):
    for width, ls in ((1, "-"), (2, "--")):
        model = f"softplus_chain(width={width})"
        for of, label, marker in ((H_TREE, "Hessian", "P"), (TREE, "gradient", "s")):
            pts = sorted((r.extra["depth"], math.log10(r.value)) for r in rs if r.model == model and r.metric == of
                         and isinstance(r.value, int) and r.value > 0)
            if pts:
                ax.plot(*zip(*pts), ls=ls, marker=marker, ms=4, label=f"{label} tree, width {width}",
                        color="#2ca02c" if of == H_TREE else "#7f7f7f")
        for r in rs:
            if r.model == model and r.metric == GAVE_UP and r.extra.get("step") == "hess":
                ax.axvline(r.value, color="#2ca02c", ls=ls, lw=0.8)
                ax.text(r.value, ax.get_ylim()[1], f" gave up\n (width {width})", fontsize=6, va="top")
    ax.set_xlabel("depth of the chain")
    ax.set_ylabel("log10 nodes of the expression tree")
    ax.set_title("symbolic: SymPy's Hessian against its gradient", fontsize=9)
    ax.grid(True, alpha=0.25)
    ax.legend(fontsize=7, frameon=False, loc="lower right")


def _automatic(ax, rs):
    for m in ("autodiff", "central-grad", "central"):
        pts = sorted((r.extra["n"], r.value) for r in rs if r.metric == S_PER_HESSIAN and r.method == m
                     and r.model == so.COST_MODEL)
        if pts:
            sty = _style(m)
            ax.loglog(*zip(*pts), marker=sty["marker"], color=sty["color"], label=m)
    ratio = next((r for r in rs if r.metric == so.HVP_OVER_GRAD), None)
    title = "automatic: seconds per Hessian"
    if ratio is not None:
        title += f"\n(one HVP = {ratio.value:.2g} gradients at n={ratio.extra['n']})"
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("n (parameters)")
    ax.set_ylabel("CPU seconds per Hessian (median)")
    _n_ticks(ax, rs, S_PER_HESSIAN)
    ax.grid(True, alpha=0.25)
    ax.legend(fontsize=7, frameon=False)


def fig_costs(records):
    """The slide's three claims for Hessians: evaluations per Hessian against n (second
    differences ~n^2 evaluations of f, gradient differences 2n gradients); SymPy's Hessian
    tree against its gradient's by depth with where it gave up; seconds per Hessian."""
    rs = [r for r in records if r.section == so.SECTION and is_number(r.value)]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    _numerical(axes[0], rs)
    _symbolic(axes[1], rs)
    _automatic(axes[2], rs)
    fig.tight_layout()
    return fig
