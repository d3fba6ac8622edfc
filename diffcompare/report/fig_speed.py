"""Speed figures (records in, matplotlib Figure out; nothing computed, nothing written)."""
from __future__ import annotations

import matplotlib.pyplot as plt

from ._style import finite_records, style

__all__ = ["fig_time_vs_n", "fig_cost_ratio", "fig_symbolic_setup"]


def _series(records, model, metric):
    by = {}
    for r in finite_records(records):
        if r.section == "speed" and r.model == model and r.metric == metric:
            by.setdefault(r.method, []).append((r.extra["n"] if "n" in r.extra else 0, r.value))
    return {m: sorted(v) for m, v in by.items()}


def fig_time_vs_n(records):
    """Seconds per gradient against the number of parameters, log-log, one line per method,
    with one plain evaluation in grey."""
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for m, pts in _series(records, "mlp", "s_per_grad").items():
        ax.loglog(*zip(*pts), **style(m), lw=1.4, ms=5)
    ev = _series(records, "mlp", "s_per_eval").get("evaluate")
    if ev:
        ax.loglog(*zip(*ev), **{**style("evaluate"), "label": "one evaluation"}, ls="--", lw=1.2)
    ax.set_xlabel("number of parameters n (MLP 4-H-H-1, batch 32)")
    ax.set_ylabel("seconds per gradient (median)")
    ax.set_title("Time per gradient vs n: finite differences and forward mode grow ~n")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    return fig


def fig_cost_ratio(records):
    """Gradient time / one evaluation time against n: reverse mode stays a small constant."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for m, pts in _series(records, "mlp", "cost_ratio").items():
        ax.loglog(*zip(*pts), **style(m), lw=1.4, ms=5)
    ax.set_xlabel("number of parameters n")
    ax.set_ylabel("time per gradient / time per evaluation")
    ax.set_title('The "cheap gradient": cost of a gradient in evaluations')
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    return fig


def fig_symbolic_setup(records):
    """SymPy's one-off setup against its per-gradient evaluation and our tracer, by depth."""
    rs = [r for r in finite_records(records) if r.section == "speed" and r.model == "softplus_chain"]
    depths = sorted({r.extra["depth"] for r in rs})
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    for method, metric, label, ls in (("symbolic", "setup_s", "symbolic: setup (diff + lambdify)", "-"),
                                      ("symbolic", "s_per_grad", "symbolic: per gradient", "--"),
                                      ("autodiff", "s_per_grad", "autodiff: per gradient", "--")):
        pts = sorted((r.extra["depth"], r.value) for r in rs if r.method == method and r.metric == metric)
        if pts:
            ax.semilogy(*zip(*pts), **{**style(method), "label": label}, ls=ls, lw=1.4)
    ax.set_xticks(depths or [1])
    ax.set_xlabel("depth of the nested log(1 + exp(.)) chain")
    ax.set_ylabel("seconds")
    ax.set_title("Symbolic: pay once to set up, then evaluate")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig
