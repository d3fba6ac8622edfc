"""Finite-difference figures, from records (``stepsweep.sweep_records`` /
``stepsweep.stability_records``) to matplotlib Figures. Nothing is computed here beyond
grouping and the sum of the model's two terms."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt

from ._style import style

__all__ = ["fig_vcurve", "fig_stability", "FLOOR"]

FLOOR = 1e-18     # an error of exactly 0 is drawn here (a log axis has no 0)


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def fig_vcurve(records, schemes=None):
    """One panel per (model, curve): measured RMS error vs h per scheme (markers), the error
    model sqrt(truncation^2 + round-off^2) (thin line), and the model's optimum (h*, E*) as
    an open circle, the automatic step as a cross."""
    rs = [r for r in records if r.section == "fd_sweep"]
    groups = list(dict.fromkeys((r.model, r.extra.get("curve")) for r in rs if r.metric == "abs_error"))
    n = max(len(groups), 1)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n + 1.8, 4.2), squeeze=False)
    for ax, (model, curve) in zip(axes[0], groups):
        mine = [r for r in rs if r.model == model and r.extra.get("curve") == curve]
        ref = next((r.reference for r in mine if r.metric == "abs_error"), "?")
        names = [s for s in dict.fromkeys(r.method for r in mine if r.metric == "abs_error")
                 if schemes is None or s in schemes]
        for s in names:
            st = style(s)
            pts = sorted((r.extra["h"], r.value, r.extra["truncation"], r.extra["roundoff"])
                         for r in mine if r.method == s and r.metric == "abs_error")
            meas = [(h, max(e, FLOOR)) for h, e, _, _ in pts if _num(e)]
            if meas:
                ax.loglog(*zip(*meas), ls="none", marker=st["marker"], color=st["color"], ms=3.5,
                          label=s)
            model_pts = [(h, max(math.hypot(t, r), FLOOR)) for h, _, t, r in pts]
            ax.loglog(*zip(*model_pts), color=st["color"], lw=0.9, alpha=0.7)
            summary = {r.metric: r for r in mine if r.method == s}
            th = summary.get("theory_error")
            if th is not None and _num(th.value) and _num(th.extra.get("h")):
                ax.loglog([th.extra["h"]], [max(th.value, FLOOR)], "o", mfc="none", mec=st["color"], ms=9)
            au = summary.get("auto_error")
            if au is not None and _num(au.value) and _num(au.extra.get("h")):
                ax.loglog([au.extra["h"]], [max(au.value, FLOOR)], "x", color=st["color"], ms=8, mew=1.6)
        ax.set_title(f"{model} {curve}", fontsize=9)
        ax.set_xlabel("step h")
        ax.set_ylabel(f"|error| (RMS near h) vs {ref}", fontsize=8)
        ax.grid(True, alpha=0.25)
        ax.set_ylim(FLOOR / 3, 10)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  title="markers measured, lines model\no model optimum, x automatic h",
                  title_fontsize=7)
    fig.suptitle("Finite differences: truncation (h^p) against round-off (u|f|/h)", fontsize=10)
    fig.tight_layout()
    return fig


def fig_stability(records):
    """Left: relative error of each scheme (automatic h) and autodiff on each hard case
    (refusals marked). Right: the logistic map, relative error vs n."""
    rs = [r for r in records if r.section == "fd_stability"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [1.4, 1]})
    cases = [c for c in dict.fromkeys(r.model for r in rs) if c != "logistic_map"]
    methods = list(dict.fromkeys(r.method for r in rs if r.model in cases and r.method != "reference"
                                 and r.metric in ("rel_error", "refused") and "float64 auto" not in r.setting))
    width = 0.8 / max(len(methods), 1)
    for k, m in enumerate(methods):
        st = style(m)
        for i, c in enumerate(cases):
            hit = [r for r in rs if r.model == c and r.method == m and "float64 auto" not in r.setting]
            x = i + (k - len(methods) / 2 + 0.5) * width
            rel = next((r for r in hit if r.metric == "rel_error"), None)
            if rel is not None:
                a1.bar(x, max(rel.value, FLOOR), width, color=st["color"], label=m if i == 0 else None)
            elif any(r.metric == "refused" for r in hit):
                a1.text(x, 1e-16, "refused", rotation=90, fontsize=6, ha="center", va="bottom",
                        color=st["color"])
                if i == 0 or not any(r.method == m for r in rs if r.model in cases[:i]):
                    a1.bar(x, 0, width, color=st["color"], label=m)
    a1.set_yscale("log")
    a1.set_ylim(FLOOR / 3, 10)
    a1.set_xticks(range(len(cases)), cases)
    a1.set_ylabel("relative error (0 drawn at 1e-18)")
    a1.set_title("what each scheme returns at its automatic step", fontsize=9)
    a1.grid(True, axis="y", alpha=0.25)
    a1.legend(fontsize=7, ncol=2)
    lm = [r for r in rs if r.model == "logistic_map" and r.metric == "rel_error"]
    for key in dict.fromkeys((r.method, r.setting.split(" ", 1)[1] if " " in r.setting else "") for r in lm):
        m, h = key
        pts = sorted((r.extra["n"], max(r.value, FLOOR)) for r in lm
                     if r.method == m and (r.setting.split(" ", 1)[1] if " " in r.setting else "") == h)
        st = style(m)
        a2.semilogy(*zip(*pts), marker=st["marker"], color=st["color"],
                    ls="--" if h == "h=3e-07" else "-", label=f"{m} {h}".strip())
    a2.set_xlabel("logistic map steps n")
    a2.set_ylabel("relative error")
    ref = next((r.reference for r in lm), "")
    a2.set_title(f"chaotic logistic map (reference: {ref})", fontsize=8)
    a2.set_ylim(FLOOR / 3, 10)
    a2.grid(True, alpha=0.25)
    a2.legend(fontsize=7)
    fig.tight_layout()
    return fig
