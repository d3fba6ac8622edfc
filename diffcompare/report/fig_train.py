"""Training figures: each takes the training records and returns a matplotlib Figure.

Renderers never compute a training run and never write files (report/io.py does). Curves
that leave the range -- a diverged run -- are cut at a ceiling stated on the axis and marked
where they leave it (▲), so the axis shows the converging runs, not 1e59. Legends sit outside
the axes, never on a curve.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..experiments import training_lecture as lec  # noqa: E402
from ..experiments import training_margin as mar  # noqa: E402
from ..experiments import training_newton as newt  # noqa: E402
from ..experiments import training_optim as opt_  # noqa: E402
from ..experiments import training_sources as src  # noqa: E402
from ._style import COLORS  # noqa: E402

__all__ = ["loss_curve", "lr_sweep", "literal_update", "svm_vs_perceptron", "second_order",
           "momentum_contours", "gradient_sources", "sgd_vs_full", "smallest_perceptron",
           "optimizers", "digits", "FIGURES"]


def _mine(records, experiment):
    """The records of one experiment (all of them if none is tagged, e.g. a direct call)."""
    tagged = [r for r in records if r.extra.get("experiment") == experiment]
    return tagged or [r for r in records if "experiment" not in r.extra]


def _value(records, metric, default=None):
    return next((r.value for r in records if r.metric == metric), default)


def _legend(ax, **kw):
    """The legend beside the axes, where it cannot hide a curve: to the right, or below when
    its labels are long (a wide legend on the right would squeeze the plot to a strip)."""
    labels = ax.get_legend_handles_labels()[1]
    if labels and len(labels) <= 3 and max(len(t) for t in labels) > 45:
        ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, frameon=False, **kw)
    else:
        ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)


def _clipped(ax, x, y, ceiling, **kw):
    """Plot y (log scale: non-positive values dropped) up to its first point past
    ``ceiling``; mark that exit with ▲ at the ceiling. Returns True if the curve left."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    out = np.flatnonzero(~np.isfinite(y) | (y > ceiling))
    end = out[0] if out.size else len(y)
    shown = np.where(y[:end] > 0, y[:end], np.nan)
    line, = ax.plot(x[:end], shown, **kw)
    if out.size:
        ax.plot([x[end]], [ceiling], "^", color=line.get_color(), ms=8, clip_on=False)
        if end:
            ax.plot([x[end - 1], x[end]], [shown[-1], ceiling], ":", color=line.get_color(), lw=1)
    return bool(out.size)


def _floor(ax, floor, label="least-squares floor"):
    if floor is not None:
        ax.axhline(floor, color="k", ls="--", lw=1, label=f"{label} {floor:.4g}")


def _axes(ax, xlabel, ylabel, title, logy=True):
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)


def loss_curve(histories, title="training loss", xlabel="epoch", logy=True, floor=None, dashed=()):
    """``histories``: label -> loss per epoch (``[0]`` = before training), or label ->
    (epochs, losses) for a downsampled history; the labels in ``dashed`` are drawn dashed
    (past ten curves colours repeat: the style tells them apart)."""
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for label, h in histories.items():
        x, y = h if isinstance(h, tuple) else (np.arange(len(h)), h)
        y = np.asarray(y, float)
        ax.plot(x, np.where(np.isfinite(y) & (y > 0), y, np.nan) if logy else y, label=label,
                lw=1.6, ls="--" if label in dashed else "-")
    _floor(ax, floor)
    _axes(ax, xlabel, "loss", title, logy)
    _legend(ax)
    fig.tight_layout()
    return fig


def _history(r):
    h = r.extra["history"]
    return r.extra.get("history_epochs", list(range(len(h)))), h


def smallest_perceptron(records):
    """The lecture's y = w x: loss per full-batch gradient-descent step, down to the least-squares
    floor (dashed)."""
    records = _mine(records, "smallest_perceptron")
    r = next(r for r in records if r.metric == lec.W_FINAL)
    return loss_curve({f"autodiff, {r.setting} (w = {r.value:.6f})": _history(r)},
                      title="world's smallest perceptron: gradient descent", xlabel="step",
                      floor=_value(records, lec.LOSS_FLOOR))


def lr_sweep(records):
    """Loss per epoch at each learning rate: diverging runs are cut at 10× the starting loss and
    marked ▲ where they leave; the least-squares floor is dashed."""
    records = _mine(records, "lr_sweep")
    crit, floor = _value(records, lec.CRITICAL_LR), _value(records, lec.LOSS_FLOOR)
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    runs = [r for r in records if r.metric == lec.W_ERROR and "history" in r.extra]
    ceiling = 10 * max(r.extra["history"][0] for r in runs)
    for r in sorted(runs, key=lambda r: r.extra["lr"]):
        x, h = _history(r)
        _clipped(ax, x, h, ceiling, lw=1.5, label=f"η = {r.extra['lr']:g}: {r.extra['status']} "
                 f"(|1 − η·mean x²| = {r.extra['factor']:.3g})")
    _floor(ax, floor)
    ax.set_ylim(floor / 2 if floor else None, ceiling * 1.5)
    _axes(ax, "epoch (full-batch step)", "loss (▲ = cut at 10× the start)",
          "smallest perceptron: learning-rate sweep"
          + (f"\n(diverges above η = 2/mean(x²) = {crit:.4f})" if crit else ""))
    _legend(ax)
    fig.tight_layout()
    return fig


def literal_update(records):
    """The lecture's update w = w + (y − ŷ)x as written (η = 1) on its own table beside
    η = 0.01, and the factor each step multiplies the error by: the threshold η < 2/mean(x²)."""
    records = _mine(records, "literal_update")
    floor, crit = _value(records, lec.LOSS_FLOOR), _value(records, lec.CRITICAL_LR)
    crit_row = _value(records, lec.CRITICAL_LR_SAMPLE)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.5, 5.4), gridspec_kw={"width_ratios": [1.25, 1]})
    ceiling = 1e9
    series = [r for r in records if r.metric in (lec.PASS_END_W, lec.STEP_FACTOR)]
    diverged = {r.extra["eta"]: r.value for r in records if r.metric == lec.DIVERGED_AT}
    for r in sorted(series, key=lambda r: (-r.extra["eta"], r.extra["sampling"])):
        eta, how = r.extra["eta"], r.extra["sampling"]
        note = f", ×{r.value:.4g} per step" if r.metric == lec.STEP_FACTOR else f", ends each pass at w = {r.value:.4g}"
        if how == "full-batch" and eta in diverged:
            note += f", inf at step {diverged[eta]}"
        _clipped(ax, np.arange(len(r.extra["losses"])), r.extra["losses"], ceiling,
                 ls="-" if eta >= 1 else "--", marker="o" if how == "per-sample" else "s", ms=3, lw=1.2,
                 label=f"η = {eta:g}, {how}{note}")
    _floor(ax, floor)
    ax.set_ylim(floor / 3, ceiling * 2)
    _axes(ax, "step (per sample: one table row; full batch: the mean over all four)",
          "mean loss on the table (▲ = past 1e9)", "w = w + η(y − ŷ)x on the lecture's table")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1)
    curvature = next(r.extra["curvature"] for r in series)
    rows = next((r.extra["row_x2"] for r in series if "row_x2" in r.extra), [])
    eta = np.geomspace(1e-3, 2.0, 600)
    for x2 in rows:
        ax2.plot(eta, np.abs(1 - eta * x2), lw=0.8, alpha=0.6, label=f"one row, x² = {x2:g}")
    ax2.plot(eta, np.abs(1 - eta * curvature), "k", lw=2, label=f"full batch, mean x² = {curvature:.4g}")
    ax2.axhline(1.0, color="r", lw=1)
    ax2.axvspan(crit, 2.0, color="r", alpha=0.07, label=f"full batch diverges: η > 2/mean x² = {crit:.4g}")
    if crit_row:
        ax2.axvline(crit_row, color="0.4", ls=":", lw=1, label=f"every row contracts: η < 2/max x² = {crit_row:g}")
    for e in (1.0, 0.01):
        ax2.plot([e], [max(abs(1 - e * curvature), 1e-3)], "ko", ms=6)
        ax2.annotate(f"η = {e:g}", (e, max(abs(1 - e * curvature), 1e-3)), textcoords="offset points",
                     xytext=(0, -14), fontsize=8, ha="center")
    ax2.set_xscale("log")
    ax2.set_ylim(1e-3, 300)
    _axes(ax2, "learning rate η", "|1 − η x²|: error factor per step",
          "a step multiplies w − w* by 1 − η x² (diverges above the red line)")
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.tight_layout()
    return fig


def svm_vs_perceptron(records):
    """The separating line and margin each finds on the same separable points: the perceptron
    stops at the first line that separates; the SVM (hinge + L2) widens the margin to its
    maximum."""
    records = [r for r in _mine(records, "svm_vs_perceptron") if r.metric == mar.MARGIN]
    ref = next(r for r in records if r.method == "sklearn")
    X, y = np.asarray(ref.extra["X"]), np.asarray(ref.extra["y"])
    fig, ax = plt.subplots(figsize=(7.8, 5.2))
    ax.scatter(*X[y > 0].T, c="C0", marker="o", s=22, label="class +1")
    ax.scatter(*X[y < 0].T, c="C3", marker="s", s=22, label="class −1")
    sv = X[ref.extra["support"]]
    ax.scatter(*sv.T, s=120, facecolors="none", edgecolors="k", lw=1, label="support vectors (exact SVM)")
    lo, hi = X.min(axis=0) - 0.8, X.max(axis=0) + 0.8
    xs = np.linspace(lo[0], hi[0], 2)
    for r in sorted(records, key=lambda r: (r.method == "sklearn", r.model)):
        w, b = np.asarray(r.extra["w"]), r.extra["b"]
        exact = r.method == "sklearn"
        color = "0.2" if exact else "C2" if r.model == "perceptron" else "C1"
        # the boundary w·x + b = 0, then (not for the exact one: it is the SVM's) both edges
        # of the margin band, w·x + b = ±margin·|w|
        for off in (0.0,) if exact else (0.0, r.value, -r.value):
            ax.plot(xs, (off * np.linalg.norm(w) - b - w[0] * xs) / w[1],
                    (":" if exact else "-") if off == 0 else "--", color=color, lw=1.8 if off == 0 else 0.9,
                    label=None if off else f"{'exact max margin' if exact else r.model}: margin {r.value:.3f}")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    _axes(ax, "x₁", "x₂", "SVM vs perceptron: the separating line and its margin band (dashed)", logy=False)
    _legend(ax)
    fig.tight_layout()
    return fig


def second_order(records):
    """Newton-CG (our HVP handed to scipy) beside L-BFGS and first-order descent on the
    lecture's MLP: loss above the best found, against gradients + HVPs and against wall-clock
    seconds of one run."""
    records = _mine(records, "second_order")
    names = list(dict.fromkeys(r.model for r in records if r.metric == src.FINAL_LOSS))
    fig, axes = plt.subplots(len(names), 2, figsize=(11.5, 3.9 * len(names)), squeeze=False)
    for (ax, ax2), name in zip(axes, names):
        best = _value([r for r in records if r.model == name], newt.BEST_LOSS)
        for r in (r for r in records if r.model == name and r.metric == src.FINAL_LOSS):
            c = r.extra["curve"]
            excess = np.maximum(np.asarray(c["loss"]) - best, 1e-16)
            kw = dict(lw=2 if r.extra["second_order"] else 1.3, ls="-" if r.extra["second_order"] else "--",
                      label=f"{r.extra['optimizer']}: {r.value:.6g}")
            cost = np.asarray(c["steps"]) + np.asarray(c["hvps"])
            done = cost > 0          # the start (no work yet) has no place on a log axis
            ax.plot(cost[done], excess[done], **kw)
            ax2.plot(np.asarray(c["seconds"])[done], excess[done], **kw)
        ax.set_xscale("log")
        ax2.set_xscale("log")
        _axes(ax, "gradient evaluations + Hessian-vector products", "loss − best (floor 1e-16)",
              f"{name}: loss above the best ({best:.6g}) per unit of work")
        _axes(ax2, "seconds (one run)", "loss − best", f"{name}: the same against wall time")
        _legend(ax2, title="final loss")
    fig.tight_layout()
    return fig


def momentum_contours(records):
    """Plain gradient descent and momentum at the same learning rate: both trajectories over the
    contours of f = (a x² + b y²)/2, and f per step."""
    records = _mine(records, "momentum_vs_gd")
    runs = [r for r in records if r.metric == opt_.STEPS_TO_TOL]
    a, b = runs[0].extra["a"], runs[0].extra["b"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1.4, 1]})
    X, Y = np.meshgrid(np.linspace(-4.5, 1.5, 200), np.linspace(-2.0, 2.0, 200))
    F = 0.5 * (a * X ** 2 + b * Y ** 2)
    ax.contour(X, Y, F, levels=np.geomspace(1e-2, F.max(), 14), colors="0.75", linewidths=0.7)
    for r, c in zip(runs, ("C0", "C3")):
        t = np.asarray(r.extra["trajectory"])[:120]
        steps = r.value if r.value is not None else ">" + str(len(r.extra["history"]) - 1)
        ax.plot(t[:, 0], t[:, 1], ".-", color=c, ms=2.5, lw=0.9,
                label=f"{r.extra['optimizer']}: {steps} steps to f < {r.extra['tol']:g}")
        ax2.plot(np.where(np.asarray(r.extra["history"]) > 0, r.extra["history"], np.nan), color=c,
                 label=r.extra["optimizer"])
    ax.plot([0], [0], "k*", ms=9)
    _axes(ax, "x", "y", f"f = ({a:g}x² + {b:g}y²)/2: first 120 steps", logy=False)
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.08), ncol=2)
    _axes(ax2, "step", "f", "loss per step (same learning rate)")
    _legend(ax2)
    fig.tight_layout()
    return fig


def gradient_sources(records):
    """Max |θ − θ_autodiff| after each step, per gradient method: exact sources sit at
    rounding level, finite differences drift."""
    records = _mine(records, "gradient_sources")
    runs = [r for r in records if r.metric == src.TRAJECTORY_MAX_DIFF]
    names = list(dict.fromkeys(r.model for r in runs))
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names) + 1.5, 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        for r in runs:
            if r.model != name or r.method == "autodiff":
                continue
            d = np.asarray(r.extra["per_step"], dtype=float)
            ax.plot(np.arange(1, len(d) + 1), np.maximum(d, 1e-18),
                    "-" if r.extra.get("kind") == src.EXACT else "--", lw=1.3, label=r.method,
                    color=COLORS.get(r.method, "0.3"))      # each method's colour in every figure
        _axes(ax, "step", "max |Δθ| (floor 1e-18)", f"{name}: drift from the autodiff trajectory")
    _legend(axes[0][-1])
    fig.tight_layout()
    return fig


def sgd_vs_full(records):
    """Full-batch loss per epoch for gd, one-sample SGD and minibatches (same epochs)."""
    runs = [r for r in _mine(records, "sgd_vs_full") if r.metric == src.FINAL_LOSS]
    return loss_curve({r.setting: _history(r) for r in runs},
                      title=f"{runs[0].model}: full batch vs SGD vs minibatch (same epochs)")


def optimizers(records):
    """Loss per epoch of every optimizer from the same start (scipy's: per iteration)."""
    runs = [r for r in _mine(records, "optimizers") if r.metric == src.FINAL_LOSS]
    label = {id(r): r.extra["optimizer"] + (" (scipy)" if r.extra["scipy"] else f" (lr {r.extra['lr']:g})")
             for r in runs}
    return loss_curve({label[id(r)]: _history(r) for r in runs},
                      title=f"{runs[0].model} on the lecture table: every optimizer, same start",
                      xlabel="epoch (scipy: iteration)",
                      dashed={label[id(r)] for r in runs if r.extra["scipy"]})


def digits(records):
    """Training loss per epoch of the digits MLP trained with our tracer's gradients."""
    r = next(r for r in _mine(records, "digits") if r.metric == opt_.TEST_ACCURACY)
    return loss_curve({f"{r.setting}: test accuracy {r.value:.3f}": _history(r)},
                      title="digits MLP trained with our tracer")


# experiment name (diffcompare.experiments.training.EXPERIMENTS) -> figure of its records, in
# the order the section's findings go (a quick report draws the first two). The smallest
# perceptron's own descent is not on the page: the learning-rate sweep draws the same
# descent to the same floor beside the rates that diverge.
FIGURES = {"literal_update": literal_update, "lr_sweep": lr_sweep, "gradient_sources": gradient_sources,
           "svm_vs_perceptron": svm_vs_perceptron, "momentum_vs_gd": momentum_contours,
           "second_order": second_order, "optimizers": optimizers, "sgd_vs_full": sgd_vs_full,
           "digits": digits}
