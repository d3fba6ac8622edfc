"""Training figures: each takes records (or plain results) and returns a matplotlib Figure.
Renderers never compute a training run and never write files (report/io.py does)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["loss_curve", "lr_sweep", "momentum_contours", "gradient_sources", "sgd_vs_full",
           "smallest_perceptron", "optimizers", "digits", "FIGURES"]


def _mine(records, experiment):
    """The records of one experiment (all of them if none is tagged, e.g. a direct call)."""
    tagged = [r for r in records if r.extra.get("experiment") == experiment]
    if tagged:
        return tagged
    return [r for r in records if "experiment" not in r.extra]


def _positive(h):
    h = np.asarray(h, dtype=float)
    return np.where(np.isfinite(h) & (h > 0), h, np.nan)


def loss_curve(histories, title="training loss", xlabel="epoch", logy=True):
    """``histories``: label -> loss per epoch (``[0]`` = before training)."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for label, h in histories.items():
        ax.plot(np.arange(len(h)), _positive(h) if logy else h, label=label, lw=1.6)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def lr_sweep(records):
    """Loss per epoch at each learning rate (records from ``experiments.lr_sweep``)."""
    records = _mine(records, "lr_sweep")
    fig, ax = plt.subplots(figsize=(6, 3.8))
    crit = next((r.value for r in records if r.metric == "critical_lr"), None)
    for r in records:
        if r.metric != "w_error" or "history" not in r.extra:
            continue
        ax.plot(_positive(r.extra["history"]), lw=1.5,
                label=f"η = {r.extra['lr']:g} ({r.extra['status']})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch (full-batch step)")
    ax.set_ylabel("loss")
    ax.set_title("smallest perceptron: learning-rate sweep"
                 + (f" (diverges above η = 2/mean(x²) = {crit:.4f})" if crit else ""), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def momentum_contours(records):
    """Both trajectories (records from ``experiments.momentum_vs_gd``) over the contours of
    f = (a x² + b y²)/2."""
    records = _mine(records, "momentum_vs_gd")
    runs = [r for r in records if r.metric == "steps_to_tol"]
    a, b = runs[0].extra["a"], runs[0].extra["b"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [1.4, 1]})
    xs, ys = np.linspace(-4.5, 1.5, 200), np.linspace(-2.0, 2.0, 200)
    X, Y = np.meshgrid(xs, ys)
    F = 0.5 * (a * X ** 2 + b * Y ** 2)
    ax.contour(X, Y, F, levels=np.geomspace(1e-2, F.max(), 14), colors="0.75", linewidths=0.7)
    for r, c in zip(runs, ("C0", "C3")):
        t = np.asarray(r.extra["trajectory"])[:120]
        steps = r.value if r.value is not None else ">" + str(len(r.extra["history"]) - 1)
        ax.plot(t[:, 0], t[:, 1], ".-", color=c, ms=2.5, lw=0.9,
                label=f"{r.extra['optimizer']}: {steps} steps to f < 1e-6")
        ax2.plot(_positive(r.extra["history"]), color=c, label=r.extra["optimizer"])
    ax.plot([0], [0], "k*", ms=9)
    ax.set_title(f"f = ({a:g}x² + {b:g}y²)/2: first 120 steps", fontsize=9)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=8, loc="upper right")
    ax2.set_yscale("log")
    ax2.set_xlabel("step")
    ax2.set_ylabel("f")
    ax2.set_title("loss per step (same learning rate)", fontsize=9)
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def gradient_sources(records):
    """Max |θ − θ_autodiff| after each step, per gradient method (records from
    ``experiments.gradient_sources``); exact sources sit at rounding level, finite
    differences drift."""
    records = _mine(records, "gradient_sources")
    runs = [r for r in records if r.metric == "trajectory_max_diff"]
    names = list(dict.fromkeys(r.model for r in runs))
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.6), squeeze=False)
    colors = {}      # one colour per method across the panels
    for ax, name in zip(axes[0], names):
        for r in runs:
            if r.model != name or r.method == "autodiff":
                continue
            d = np.asarray(r.extra["per_step"], dtype=float)
            ax.plot(np.arange(1, len(d) + 1), np.maximum(d, 1e-18),
                    "-" if r.extra.get("kind") == "exact" else "--", lw=1.3, label=r.method,
                    color=colors.setdefault(r.method, f"C{len(colors) % 10}"))
        ax.set_yscale("log")
        ax.set_title(f"{name}: drift from the autodiff trajectory", fontsize=9)
        ax.set_xlabel("step")
        ax.set_ylabel("max |Δθ| (floor 1e-18)")
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    return fig


def sgd_vs_full(records):
    """Full-batch loss per epoch for gd, one-sample SGD and minibatches (records from
    ``experiments.sgd_vs_full``)."""
    records = _mine(records, "sgd_vs_full")
    runs = [r for r in records if r.metric == "final_loss"]
    return loss_curve({r.setting: r.extra["history"] for r in runs},
                      title=f"{runs[0].model}: full batch vs SGD vs minibatch (same epochs)")


def optimizers(records):
    """Loss per epoch of every optimizer (records from ``experiments.optimizers_compare``)."""
    records = _mine(records, "optimizers")
    runs = [r for r in records if r.metric == "final_loss"]
    return loss_curve({r.setting.rsplit(",", 1)[0]: r.extra["history"] for r in runs},
                      title=f"{runs[0].model} on the lecture table: every optimizer, same start")


def _history_of(records, metric):
    r = next(r for r in records if r.metric == metric and "history" in r.extra)
    return r


def smallest_perceptron(records):
    """The lecture's y = w x: loss per full-batch step down to the least-squares floor."""
    records = _mine(records, "smallest_perceptron")
    r = _history_of(records, "w_final")
    return loss_curve({f"autodiff, {r.setting} (w = {r.value:.6f})": r.extra["history"]},
                      title="world's smallest perceptron: gradient descent", xlabel="step")


def digits(records):
    records = _mine(records, "digits")
    r = _history_of(records, "test_accuracy")
    return loss_curve({f"{r.setting}: test accuracy {r.value:.3f}": r.extra["history"]},
                      title="digits MLP trained with our tracer")


# experiment name (diffcompare.experiments.training.EXPERIMENTS) -> figure of its records
FIGURES = {"smallest_perceptron": smallest_perceptron, "gradient_sources": gradient_sources,
           "lr_sweep": lr_sweep, "momentum_vs_gd": momentum_contours, "sgd_vs_full": sgd_vs_full,
           "optimizers": optimizers, "digits": digits}
