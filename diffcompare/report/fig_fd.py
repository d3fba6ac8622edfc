"""Finite-difference figures, from records (``stepsweep.sweep_records`` and the Stability
experiment) to matplotlib Figures. Nothing is computed here beyond grouping and the sum of
the error model's two terms."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt

from .. import stepsweep as ss
from ..experiments import stability as st
from ..records import is_number
from ._style import FLOOR, legend_outside, style

__all__ = ["fig_vcurve", "fig_stability"]


def _vpanel(ax, mine, schemes):
    names = [s for s in dict.fromkeys(r.method for r in mine if r.metric == ss.ABS_ERROR)
             if schemes is None or s in schemes]
    for s in names:
        sty = style(s)
        pts = sorted((r.extra["h"], r.value, r.extra["truncation"], r.extra["roundoff"])
                     for r in mine if r.method == s and r.metric == ss.ABS_ERROR)
        meas = [(h, max(e, FLOOR)) for h, e, _, _ in pts if is_number(e)]
        if meas:
            # markers under the model's line (zorder), so the line stays visible through them
            ax.loglog(*zip(*meas), ls="none", marker=sty["marker"], color=sty["color"], ms=4, alpha=0.45,
                      zorder=2, label=s)
        model_pts = [(h, max(math.hypot(t, r), FLOOR)) for h, _, t, r in pts]
        ax.loglog(*zip(*model_pts), color=sty["color"], lw=1.8, zorder=3)
        summary = {r.metric: r for r in mine if r.method == s}
        th = summary.get(ss.THEORY_ERROR)
        if th is not None and is_number(th.value) and is_number(th.extra.get("h")):
            ax.loglog([th.extra["h"]], [max(th.value, FLOOR)], "o", mfc="none", mec=sty["color"], ms=10,
                      mew=1.5, zorder=4)
        au = summary.get(ss.AUTO_ERROR)
        if au is not None and is_number(au.value) and is_number(au.extra.get("h")):
            ax.loglog([au.extra["h"]], [max(au.value, FLOOR)], "x", color=sty["color"], ms=9, mew=2, zorder=5)


def fig_vcurve(records, schemes=None):
    """One panel per (model, curve): measured RMS error vs h per scheme (faint markers), the
    error model sqrt(truncation^2 + round-off^2) (line), the model's optimum (h*, E*) as an
    open circle, the automatic step as a cross."""
    rs = [r for r in records if r.section == ss.SWEEP_SECTION]
    groups = list(dict.fromkeys((r.model, r.extra.get("curve")) for r in rs if r.metric == ss.ABS_ERROR))
    n = max(len(groups), 1)
    fig, axes = plt.subplots(1, n, figsize=(4.8 * n + 1.6, 4.2), squeeze=False, sharey=True)
    for k, (ax, (model, curve)) in enumerate(zip(axes[0], groups)):
        mine = [r for r in rs if r.model == model and r.extra.get("curve") == curve]
        _vpanel(ax, mine, schemes)
        ax.set_title(f"{model}, {curve}", fontsize=9)
        ax.set_xlabel("step h")
        if k == 0:
            ax.set_ylabel("|error| near h (RMS)")
        ax.grid(True, alpha=0.25)
        ax.set_ylim(FLOOR / 3, 10)
    legend_outside(axes[0][-1], title="markers: measured\nlines: error model\no: model's best h\nx: automatic h")
    ref = next((r.reference for r in rs if r.metric == ss.ABS_ERROR), "?")
    fig.suptitle(f"Finite differences: truncation (~h^p) against round-off (~u|f|/h); reference: {ref}", fontsize=10)
    fig.tight_layout()
    return fig


def _hard_cases(ax, rs):
    cases = list(dict.fromkeys(r.model for r in rs if r.extra.get("part") == st.HARD_CASE))
    mine = [r for r in rs if r.model in cases and r.method != "reference"
            and r.metric in (st.REL_ERROR, st.REFUSED) and r.extra.get("h_choice") != st.FLOAT64_AUTO]
    methods = list(dict.fromkeys(r.method for r in mine))
    width = 0.8 / max(len(methods), 1)
    for k, m in enumerate(methods):
        sty = style(m)
        for i, c in enumerate(cases):
            x = i + (k - len(methods) / 2 + 0.5) * width
            rel = next((r for r in mine if r.model == c and r.method == m and r.metric == st.REL_ERROR), None)
            if rel is not None:
                ax.bar(x, max(rel.value, FLOOR), width, color=sty["color"], label=m if i == 0 else None)
            elif any(r.model == c and r.method == m for r in mine):
                ax.text(x, FLOOR * 3, "refused", rotation=90, fontsize=6.5, ha="center", va="bottom",
                        color=sty["color"])
    ax.set_yscale("log")
    ax.set_ylim(FLOOR / 3, 10)
    ax.set_xticks(range(len(cases)), cases)
    ax.set_ylabel(f"relative error (0 drawn at {FLOOR:g})")
    ax.set_title("each scheme at its automatic step, and autodiff", fontsize=9)
    ax.grid(True, axis="y", alpha=0.25)
    legend_outside(ax, fontsize=7)


def _logistic(ax, rs):
    lm = [r for r in rs if r.extra.get("part") == st.LOGISTIC and r.metric == st.REL_ERROR]
    for m, choice in dict.fromkeys((r.method, r.extra.get("h_choice")) for r in lm):
        pts = sorted((r.extra["n"], max(r.value, FLOOR)) for r in lm
                     if r.method == m and r.extra.get("h_choice") == choice)
        sty = style(m)
        label = m if choice is None else f"{m}, h={'%.0e' % st.H_FIXED if choice == st.FIXED else choice}"
        ax.semilogy(*zip(*pts), marker=sty["marker"], color=sty["color"], ls="--" if choice == st.FIXED else "-",
                    label=label)
    ax.set_xlabel("logistic map steps n")
    ax.set_ylabel("relative error")
    ref = next((r.reference for r in lm), "")
    ax.set_title(f"chaotic logistic map (reference: {ref})", fontsize=8)
    ax.set_ylim(FLOOR / 3, 10)
    ax.grid(True, alpha=0.25)
    legend_outside(ax, fontsize=7)


def fig_stability(records):
    """Left: relative error of each scheme (automatic h) and autodiff on each hard case
    (refusals marked). Right: the logistic map, relative error vs n."""
    rs = [r for r in records if r.section == st.SECTION]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 4.6), gridspec_kw={"width_ratios": [1.3, 1]},
                                 layout="constrained")
    _hard_cases(a1, rs)
    _logistic(a2, rs)
    return fig
