"""Figure for the gradient-check experiment (records from ``diffcompare.experiments.gradcheck``):
one row per family of checks; left, the share of seeded bugs caught per checker and setting;
right, on correct derivatives, the share reported fail (solid) and inconclusive (hatched)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..experiments.gradcheck import DETECTION, FALSE_ALARMS, INCONCLUSIVE  # noqa: E402

__all__ = ["fig_gradcheck"]


def _get(recs, method, metric, group):
    return next((r for r in recs if r.method == method and r.metric == metric and
                 (r.extra.get("dtype"), r.extra.get("suite")) == group), None)


def fig_gradcheck(records):
    recs = [r for r in records if r.section == "gradcheck"]
    drawn = [r for r in recs if r.value is not None]
    families = list(dict.fromkeys(r.extra.get("family", "") for r in drawn)) or [""]
    checkers = list(dict.fromkeys(r.method for r in drawn))
    fig, axes = plt.subplots(len(families), 2, figsize=(11, 2.9 * len(families)), squeeze=False)
    width = 0.8 / max(1, len(checkers))
    colors = {c: f"C{i}" for i, c in enumerate(checkers)}
    for row, fam in zip(axes, families):
        fr = [r for r in drawn if r.extra.get("family", "") == fam]
        # only groups where some checker has a number: no empty group
        groups = list(dict.fromkeys((r.extra.get("dtype"), r.extra.get("suite")) for r in fr))
        for j, chk in enumerate(checkers):
            xs = [i + (j - (len(checkers) - 1) / 2) * width for i in range(len(groups))]
            for x, g in zip(xs, groups):
                det = _get(fr, chk, DETECTION, g)
                if det is not None:                      # absent (skipped, n/a): not drawn as 0
                    row[0].bar(x, 100 * det.value, width, color=colors[chk])
                    row[0].annotate(f"{100 * det.value:.0f}", (x, 100 * det.value), ha="center",
                                    va="bottom", fontsize=6)
                fa, inc = _get(fr, chk, FALSE_ALARMS, g), _get(fr, chk, INCONCLUSIVE, g)
                if fa is not None and fa.extra.get("correct"):
                    n = fa.extra["correct"]
                    a = 100 * fa.value / n
                    row[1].bar(x, a, width, color=colors[chk])
                    if inc is not None:
                        row[1].bar(x, 100 * inc.extra["correct"] / n, width, bottom=a, color=colors[chk],
                                   alpha=0.35, hatch="//")
        for ax, title in ((row[0], "bugs caught, %"), (row[1], "correct: fail (solid) / inconclusive (hatched), %")):
            ax.set_xticks(range(len(groups)))
            ax.set_xticklabels([f"{dt}\n{s}" for dt, s in groups], fontsize=7)
            ax.set_ylim(0, 110)
            ax.set_title(f"{fam}: {title}" if fam else title, fontsize=9)
            ax.tick_params(axis="y", labelsize=7)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[c]) for c in checkers]
    skipped = sorted({r.method for r in recs if r.value is None and r.extra.get("skipped")})
    note = f"; not drawn: {', '.join(skipped)} (skipped: not installed)" if skipped else ""
    fig.legend(handles, checkers, loc="upper center", ncol=max(1, len(checkers)), fontsize=8, frameon=False)
    fig.suptitle("Gradient checks on seeded bugs" + note, fontsize=10, y=0.995)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig
