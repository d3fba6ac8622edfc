"""Log-scale figure of expression swell from swell rows (``diffcompare.swell.sweep``) or
records (``swell_records``). Builds a Figure; writes nothing."""
from __future__ import annotations

import math

__all__ = ["swell_figure"]

_SERIES = (("tree1", "tree d/dp1 (sympy.diff)", "o-"), ("rev_tree1", "tree d/dp1 (reverse sweep, counted on DAG)", "--"),
           ("tree", "tree, full gradient (sympy.diff)", "s-"), ("rev_tree", "tree, full gradient (reverse sweep)", ":"),
           ("dag1", "DAG d/dp1", "^-"), ("rev_dag", "DAG, gradient (reverse sweep)", "v-"),
           ("cse_ops", "ops after cse, gradient", "d-"), ("tape", "autodiff tape length", "x-"))


def _rows_from_records(records):
    rows = {}
    for r in records:
        d = (r.extra or {}).get("depth")
        if d is None or not isinstance(r.value, (int, float)) or isinstance(r.value, bool):
            continue
        rows.setdefault(d, {"depth": d})[r.metric] = r.value
    return [rows[d] for d in sorted(rows)]


def swell_figure(rows_or_records, title="expression swell", var="depth"):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    items = list(rows_or_records)
    rows = _rows_from_records(items) if items and not isinstance(items[0], dict) else items
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for key, label, style in _SERIES:
        pts = [(r["depth"], r[key]) for r in rows if isinstance(r.get(key), (int, float)) and r[key] > 0]
        if not pts:
            continue
        # log10 of exact big ints: floats overflow past 1e308, logs do not
        ys = [math.log10(v) if isinstance(v, int) else math.log10(float(v)) for _, v in pts]
        ax.plot([d for d, _ in pts], ys, style, label=label, markersize=3)
    ax.set_xlabel(var)
    ax.set_ylabel("log10(node / op count)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
