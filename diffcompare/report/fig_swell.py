"""Figures of expression swell: sizes (log scale) and SymPy's time per step against depth.
Rows of ``experiments.swell_sweep.sweep`` or the experiment's records in, a Figure out;
nothing computed, nothing written."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from ..experiments.swell_laws import GAVE_UP
from ..experiments.swell_steps import (
    CSE_OPS,
    CSE_S,
    DAG1,
    DIFF_S,
    H_TREE,
    LAMBDIFY_S,
    REV_DAG,
    REV_S,
    REV_TREE,
    REV_TREE1,
    SIMPLIFY_S,
    TAN_TREE1,
    TAPE,
    TREE,
    TREE1,
)
from ._style import finite_records

__all__ = ["swell_figure", "fig_swell_time"]

# (metric, label, style): the derivative's tree as a printed formula shows it, its DAG, ops
# after cse, and our tape -- d/dp1 is the derivative by the first parameter. SymPy's form
# counted on its DAG is the same tree as sympy.diff's where both ran: a broad line under
# sympy.diff's open markers, going on past where sympy.diff stops.
_SERIES = ((TAN_TREE1, "tree of d/dp1 (SymPy's form, counted on its DAG)", "-"),
           (TREE1, "tree of d/dp1 (sympy.diff)", "o"),
           (REV_TREE1, "tree of d/dp1 (our reverse sweep's form: counted, never built)", "--"),
           (TREE, "tree of the gradient (sympy.diff)", "s-"),
           (REV_TREE, "tree of the gradient (reverse sweep's form: counted, never built)", ":"),
           (H_TREE, "tree of the Hessian (sympy.diff)", "P-"),
           (DAG1, "DAG of d/dp1", "^-"), (REV_DAG, "DAG of the gradient (reverse sweep)", "v-"),
           (CSE_OPS, "ops after cse, gradient", "d-"), (TAPE, "our autodiff tape", "x-"))
_TIMES = ((DIFF_S, "sympy.diff, gradient"), (CSE_S, "cse"), (LAMBDIFY_S, "lambdify"),
          (SIMPLIFY_S, "simplify"), (REV_S, "our reverse sweep"))
# the swell step whose give-up ends each time series (a GAVE_UP record's extra["step"])
_STEP_OF = {DIFF_S: "diff", CSE_S: "cse", LAMBDIFY_S: "lambdify", SIMPLIFY_S: "simplify"}


def _rows_from_records(records):
    rows = {}
    for r in finite_records(records):
        d = (r.extra or {}).get("depth")
        if d is not None:
            rows.setdefault(d, {"depth": d})[r.metric] = r.value
    return [rows[d] for d in sorted(rows)]


def swell_figure(rows_or_records, title="expression swell", var="depth", p1="p1"):
    """log10 of each size against depth (exact big ints: their log, never a float overflow);
    ``p1`` names the first parameter in the labels (d/dw1)."""
    items = list(rows_or_records)
    rows = _rows_from_records(items) if items and not isinstance(items[0], dict) else items
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    for key, label, style in _SERIES:
        pts = [(r["depth"], r[key]) for r in rows if isinstance(r.get(key), (int, float))
               and not isinstance(r.get(key), bool) and r[key] > 0]
        if not pts:
            continue
        ys = [math.log10(v) if isinstance(v, int) else math.log10(float(v)) for _, v in pts]
        wide = {"lw": 5, "alpha": 0.35} if key == TAN_TREE1 else {"lw": 1.3, "fillstyle": "none"}
        ax.plot([d for d, _ in pts], ys, style, label=label.replace("d/dp1", f"d/d{p1}"), markersize=5, **wide)
    ax.set_xlabel(var)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))          # depths are whole numbers
    ax.set_ylabel("log10(nodes or ops)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def fig_swell_time(records):
    """CPU seconds of each symbolic step against depth, one line style per model, with the
    budget past which a step is intractable."""
    rs = [r for r in finite_records(records) if r.section == "swell" and "depth" in r.extra]
    gave = {(r.model, r.extra.get("step")): r.value for r in records
            if r.section == "swell" and r.metric == GAVE_UP and r.extra.get("engine", "SymPy") == "SymPy"}
    budget = next((r.extra["budget"] for r in rs if r.extra.get("budget")), None)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    stopped = False
    for k, model in enumerate(dict.fromkeys(r.model for r in rs)):
        for j, (metric, label) in enumerate(_TIMES):
            pts = sorted((r.extra["depth"], r.value) for r in rs
                         if r.model == model and r.metric == metric and r.value > 0)
            if not pts:
                continue
            ls = ("-", "--", ":")[k % 3]
            ax.semilogy(*zip(*pts), marker="os^v*"[j], ls=ls, lw=1.2, color=f"C{j}", label=f"{label}, {model}")
            end = gave.get((model, _STEP_OF.get(metric)))
            if budget and end is not None:           # where the step ran past its budget: it stops there
                ax.plot([pts[-1][0], end], [pts[-1][1], budget], ls=":", lw=1, color=f"C{j}")
                ax.plot([end], [budget], marker="X", ms=9, color=f"C{j}", mec="k", mew=0.6, ls="none")
                stopped = True
    if budget:
        ax.axhline(budget, color="k", ls=":", lw=1, label=f"budget {budget:g} CPU s (intractable above)")
    if stopped:
        ax.plot([], [], marker="X", ms=8, color="0.6", mec="k", mew=0.6, ls="none",
                label="gave up at this depth (past the budget)")
    ax.set_xlabel("depth")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("CPU seconds (one run each)")
    ax.set_title("Time of each symbolic step against depth")
    ax.grid(True, alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    fig.tight_layout()
    return fig
