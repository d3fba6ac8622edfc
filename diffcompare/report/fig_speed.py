"""Speed figures (records in, matplotlib Figure out; nothing computed, nothing written)."""
from __future__ import annotations

import matplotlib.pyplot as plt

from ..experiments import speed as sp
from ._style import finite_records, legend_outside, style

__all__ = ["fig_time_vs_n", "fig_cost_ratio", "fig_symbolic_setup"]


def _series(records, model, metric):
    """method -> sorted [(n, median, lo, hi)] of the Speed section's records."""
    by = {}
    for r in finite_records(records):
        if r.section == sp.SECTION and r.model == model and r.metric == metric:
            lo = r.lo if r.lo is not None else r.value
            hi = r.hi if r.hi is not None else r.value
            by.setdefault(r.method, []).append((r.extra.get("n", 0), r.value, lo, hi))
    return {m: sorted(v) for m, v in by.items()}


def _plot_spread(ax, pts, **kw):
    """Medians joined by a line, the min-max of the rounds as error bars."""
    ns, med, lo, hi = zip(*pts)
    ax.errorbar(ns, med, yerr=[[m - a for m, a in zip(med, lo)], [b - m for m, b in zip(med, hi)]],
                capsize=2.5, elinewidth=1, **kw)


def fig_time_vs_n(records):
    """Seconds per gradient against the number of parameters, log-log, one line per method
    (median, with the min-max of the rounds), one plain evaluation dashed grey."""
    fig, ax = plt.subplots(figsize=(8.4, 4.6))
    for m, pts in _series(records, sp.SPEED_MODEL, sp.S_PER_GRAD).items():
        _plot_spread(ax, pts, **style(m), lw=1.4, ms=5)
    ev = _series(records, sp.SPEED_MODEL, sp.S_PER_EVAL).get(sp.EVALUATE)
    if ev:
        _plot_spread(ax, ev, **{**style(sp.EVALUATE), "label": "one evaluation"}, ls="--", lw=1.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of parameters n (MLP 4-H-H-1, batch 32)")
    ax.set_ylabel("seconds per gradient: median [min-max]")
    ax.set_title("Time per gradient against n: finite differences and forward mode grow ~n", fontsize=10)
    ax.grid(True, alpha=0.3)
    legend_outside(ax)
    return fig


def fig_cost_ratio(records):
    """Gradient time / one evaluation time against n: reverse mode stays a small constant."""
    fig, ax = plt.subplots(figsize=(8.4, 4.2))
    for m, pts in _series(records, sp.SPEED_MODEL, sp.COST_RATIO).items():
        ax.loglog([p[0] for p in pts], [p[1] for p in pts], **style(m), lw=1.4, ms=5)
    ax.set_xlabel("number of parameters n")
    ax.set_ylabel("time per gradient / time per evaluation")
    ax.set_title('The "cheap gradient": the cost of a gradient in evaluations of the model', fontsize=10)
    ax.grid(True, alpha=0.3)
    legend_outside(ax)
    return fig


def fig_symbolic_setup(records):
    """SymPy's one-off setup against its per-gradient evaluation and our tracer, by depth."""
    rs = [r for r in finite_records(records) if r.section == sp.SECTION and r.model == sp.CHAIN_MODEL]
    depths = sorted({r.extra["depth"] for r in rs})
    fig, ax = plt.subplots(figsize=(8.4, 4.0))
    for method, metric, label, ls in (("symbolic", sp.SETUP_S, "symbolic: setup (diff + lambdify), once", "-"),
                                      ("symbolic", sp.S_PER_GRAD, "symbolic: per gradient", "--"),
                                      ("autodiff", sp.S_PER_GRAD, "autodiff: per gradient", "--")):
        pts = sorted((r.extra["depth"], r.value, r.lo if r.lo is not None else r.value,
                      r.hi if r.hi is not None else r.value) for r in rs if r.method == method and r.metric == metric)
        if pts:
            _plot_spread(ax, pts, **{**style(method), "label": label}, ls=ls, lw=1.4)
    ax.set_yscale("log")
    ax.set_xticks(depths or [1])
    ax.set_xlabel("depth of the nested log(1 + exp(.)) chain")
    ax.set_ylabel("seconds")
    ax.set_title("Symbolic: pay once to set up, then evaluate", fontsize=10)
    ax.grid(True, alpha=0.3)
    legend_outside(ax)
    return fig
