"""Figure for the gradient-check experiment (records from ``diffcompare.experiments.gradcheck``):
one row per family of checks; left, the share of seeded bugs caught per checker and setting;
right, on correct derivatives, the share reported fail (solid) and inconclusive (hatched).

Only the checkers that ran in a family get a slot in its groups (no gap for a peer that
does not apply), a skipped peer is named under the title instead of drawn as 0%, and a panel
whose bars are all 0 says so in words."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..experiments.gradcheck import DETECTION, FALSE_ALARMS, INCONCLUSIVE, OURS, SECTION  # noqa: E402
from ..records import is_number  # noqa: E402

__all__ = ["fig_gradcheck"]


def _group(r):
    return r.extra.get("dtype"), r.extra.get("suite")


def _get(recs, method, metric, group):
    return next((r for r in recs if r.method == method and r.metric == metric and _group(r) == group), None)


def _detection(ax, fr, checkers, groups, colors, width):
    for j, chk in enumerate(checkers):
        for i, g in enumerate(groups):
            det = _get(fr, chk, DETECTION, g)
            if det is None:
                continue
            x = i + (j - (len(checkers) - 1) / 2) * width
            ax.bar(x, 100 * det.value, width, color=colors[chk])
            ax.annotate(f"{100 * det.value:.0f}", (x, 100 * det.value), ha="center", va="bottom", fontsize=6.5,
                        xytext=(0, 1), textcoords="offset points")
    ax.set_ylim(0, 112)


def _correct(ax, fr, checkers, groups, colors, width):
    """Fail (solid) and inconclusive (hatched, stacked) shares of the correct derivatives;
    returns the largest stacked share."""
    top, shares = 0.0, []
    for j, chk in enumerate(checkers):
        for i, g in enumerate(groups):
            fa, inc = _get(fr, chk, FALSE_ALARMS, g), _get(fr, chk, INCONCLUSIVE, g)
            if fa is None or not fa.extra.get("correct"):
                continue
            n = fa.extra["correct"]
            x = i + (j - (len(checkers) - 1) / 2) * width
            a = 100 * fa.value / n
            b = 100 * inc.extra["correct"] / n if inc is not None else 0.0
            ax.bar(x, a, width, color=colors[chk])
            ax.bar(x, b, width, color=colors[chk], bottom=a, alpha=0.35, hatch="//")
            top = max(top, a + b)
            shares.append((x, a + b))
    ax.set_ylim(0, max(10.0, 1.25 * top))
    for x, v in shares if top > 0 else ():          # a 0 is written, not left as a missing bar
        ax.annotate(f"{v:.0f}", (x, v), ha="center", va="bottom", fontsize=6.5, xytext=(0, 1),
                    textcoords="offset points")
    if top == 0:
        ax.text(0.5, 0.5, "every correct derivative passed\n(0% fail, 0% inconclusive)", transform=ax.transAxes,
                ha="center", va="center", fontsize=9, color="0.35")


def fig_gradcheck(records):
    recs = [r for r in records if r.section == SECTION and r.metric in (DETECTION, FALSE_ALARMS, INCONCLUSIVE)]
    drawn = [r for r in recs if is_number(r.value)]
    families = list(dict.fromkeys(r.extra.get("family", "") for r in drawn)) or [""]
    checkers = sorted(dict.fromkeys(r.method for r in drawn if r.metric == DETECTION), key=lambda c: c != OURS)
    colors = {c: f"C{i}" for i, c in enumerate(checkers)}
    fig, axes = plt.subplots(len(families), 2, figsize=(11, 2.7 * len(families) + 0.9), squeeze=False)
    for row, fam in zip(axes, families):
        fr = [r for r in drawn if r.extra.get("family", "") == fam]
        groups = list(dict.fromkeys(_group(r) for r in fr))
        here = [c for c in checkers if any(r.method == c and r.metric == DETECTION for r in fr)]
        width = 0.8 / max(3, len(here))          # one bar width in every row
        _detection(row[0], fr, here, groups, colors, width)
        _correct(row[1], fr, here, groups, colors, width)
        for ax, title in ((row[0], "seeded bugs caught, %"),
                          (row[1], "correct derivatives: fail (solid) + inconclusive (hatched), %")):
            ax.set_xticks(range(len(groups)))
            ax.set_xticklabels([f"{dt}\n{s} suite" for dt, s in groups], fontsize=7.5)
            ax.set_xlim(-0.6, len(groups) - 0.4)
            ax.set_title(f"{fam}: {title}" if fam else title, fontsize=9)
            ax.tick_params(axis="y", labelsize=7)
            ax.grid(axis="y", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[c]) for c in checkers]
    skipped = sorted({r.method for r in recs if r.value is None and r.extra.get("skipped")})
    fig.suptitle("Gradient checks on seeded bugs, per family of checks", fontsize=11, y=0.995)
    fig.legend(handles, checkers, loc="upper center", bbox_to_anchor=(0.5, 0.975), ncol=max(1, len(checkers)),
               fontsize=8.5, frameon=False)
    bottom = 0.0
    if skipped:
        fig.text(0.5, 0.005, f"not drawn (skipped, not counted as 0%): {', '.join(skipped)}", ha="center",
                 va="bottom", fontsize=8, color="0.3")
        bottom = 0.3 / fig.get_figheight()
    fig.tight_layout(rect=(0, bottom, 1, 1 - 0.5 / fig.get_figheight()))
    return fig
