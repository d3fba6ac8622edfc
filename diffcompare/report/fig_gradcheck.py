"""Figure for the gradient-check experiment: per checker and dtype, the share of seeded bugs
caught and the share of correct gradients falsely failed (records from
``diffcompare.experiments.gradcheck``)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["fig_gradcheck"]


def fig_gradcheck(records):
    """Two panels: detection rate (higher is better) and false-alarm rate (lower is better),
    bars per checker, grouped by setting (dtype, suite). Skipped checkers are left out."""
    recs = [r for r in records if r.section == "gradcheck" and r.value is not None]
    settings = sorted({r.setting for r in recs})
    checkers = list(dict.fromkeys(r.method for r in recs))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    width = 0.8 / max(1, len(checkers))
    for ax, metric, title in ((axes[0], "detection_rate", "bugs caught (status fail)"),
                              (axes[1], "false_alarms", "correct gradients reported fail")):
        for j, chk in enumerate(checkers):
            ys = []
            for s in settings:
                r = next((r for r in recs if r.method == chk and r.setting == s
                          and r.metric == metric), None)
                if r is None:
                    ys.append(0.0)
                elif metric == "false_alarms":
                    ys.append(r.value / max(1, r.extra.get("correct", 1)))
                else:
                    ys.append(r.value)
            xs = [i + (j - (len(checkers) - 1) / 2) * width for i in range(len(settings))]
            bars = ax.bar(xs, [100 * y for y in ys], width, label=chk)
            for b, y in zip(bars, ys):
                ax.annotate(f"{100 * y:.0f}", (b.get_x() + b.get_width() / 2, 100 * y),
                            ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(settings)))
        ax.set_xticklabels([s.replace(", ", "\n") for s in settings], fontsize=8)
        ax.set_ylim(0, 110)
        ax.set_ylabel("%")
        ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=8, loc="lower left")
    skipped = sorted({r.method for r in records if r.section == "gradcheck" and r.value is None})
    note = f" ({', '.join(skipped)} skipped: not installed)" if skipped else ""
    fig.suptitle("Gradient checks on seeded bugs" + note, fontsize=11)
    fig.tight_layout()
    return fig
