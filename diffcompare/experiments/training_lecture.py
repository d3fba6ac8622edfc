"""The lecture's world's smallest perceptron y = w x on its own 4-row table, three ways.

``smallest_perceptron``  full-batch descent reaches least squares; one in-order pass of the
                         lecture's one-line update w <- w + eta (y - yhat) x equals SGD steps
                         with our gradient of L = (y - yhat)^2 / 2.
``lr_sweep``             full-batch descent at several learning rates around the threshold.
``literal_update``       the update exactly as the slide writes it (eta = 1, "for n = 1..N"),
                         beside eta = 0.01, and where the threshold comes from.

Why a threshold: the mean loss is a quadratic in w with curvature c = mean(x²) = 29.3, so a
full-batch step multiplies w − w_LS by 1 − η c and descent converges iff |1 − η c| < 1, i.e.
η < 2/c = 0.068. One sample's step multiplies w − y_n/x_n by 1 − η x_n²: every row contracts
iff η < 2/max(x²) = 0.02. At η = 1 the rows' factors are −99, −3, −11.25 and 0.
"""
from __future__ import annotations

import numpy as np

from .. import api, models
from ..namespaces import NUMPY
from ..train import TrainingDivergedError, optimizers, train
from .training_common import LS_REF, loss_least_squares, record, w_least_squares

__all__ = ["smallest_perceptron", "lr_sweep", "literal_update", "W_FINAL", "W_ERROR",
           "W_LEAST_SQUARES", "LOSS_FLOOR", "LECTURE_UPDATE_MAX_DIFF", "CRITICAL_LR",
           "CRITICAL_LR_SAMPLE", "PASS_END_W", "MAX_LOSS", "STEP_FACTOR", "DIVERGED_AT",
           "CONVERGED", "SLOW", "DIVERGED"]

W_FINAL = "w_final"
W_ERROR = "w_error"
W_LEAST_SQUARES = "w_least_squares"
LOSS_FLOOR = "loss_least_squares"
LECTURE_UPDATE_MAX_DIFF = "lecture_update_max_diff"
CRITICAL_LR = "critical_lr"
CRITICAL_LR_SAMPLE = "critical_lr_per_sample"
PASS_END_W = "pass_end_w"            # per-sample updates in table order: w after the last pass
MAX_LOSS = "max_loss"                # the largest full loss met on the way
STEP_FACTOR = "step_factor"          # full batch: measured (w_k − w_LS) / (w_k-1 − w_LS)
DIVERGED_AT = "diverged_at_step"     # full batch: the step whose loss is no longer finite
CONVERGED, SLOW, DIVERGED = "converged", "slow", "diverged"     # lr_sweep's extra["status"]

CURVATURE_REF = "2 / mean(x²): the mean loss's curvature is mean(x²)"
W0 = 0.5                             # the perceptron's starting weight (models.perceptron)


def _full_loss(w):
    return float(models.get("perceptron")({"w": float(w)}, NUMPY))


def _per_sample(eta, passes):
    """w after each step of the lecture's loop ``for n = 1..N: w = w + eta (y_n − yhat) x_n``,
    in table order, twice: by the slide's line as written, and by an SGD step with our
    autodiff gradient of the row's loss ½(y_n − w x_n)². Returns (hand, ours)."""
    x, y = models.LECTURE_X, models.LECTURE_Y
    m = models.get("perceptron")
    rows = [api.value_and_grad(m.with_data(x=x[i:i + 1], y=y[i:i + 1]), "autodiff") for i in range(len(x))]
    hand, ours, w_hand, w_ours = [], [], W0, W0
    for _ in range(passes):
        for i, (xi, yi) in enumerate(zip(x, y)):
            w_hand = w_hand + eta * (yi - w_hand * xi) * xi              # the slide's line
            _, g = rows[i]({"w": w_ours})
            w_ours = optimizers.sgd.step({"w": w_ours}, g, {}, eta, 1)[0]["w"]
            hand.append(float(w_hand))
            ours.append(float(w_ours))
    return hand, ours


def _max_rel_diff(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1.0)))


def smallest_perceptron(quick=True):
    """The world's smallest perceptron y = w x on the lecture's table: full-batch descent
    reaches least squares; in-order passes of the lecture's one-line update equal SGD steps
    with our gradient of L = (y − ŷ)²/2."""
    w_ls = w_least_squares()
    res = train("perceptron", "lecture", method="autodiff", optimizer="gd")
    setting = f"gd, lr {res.lr:g}, {res.epochs} epochs"
    hand, ours = _per_sample(0.01, 3 if quick else 20)
    return [record("perceptron", "autodiff", W_FINAL, res.params["w"], setting=setting, history=res.history,
                   history_epochs=res.history_epochs),
            record("perceptron", "autodiff", W_ERROR, abs(res.params["w"] - w_ls), setting=setting,
                   reference=LS_REF),
            record("perceptron", "exact", W_LEAST_SQUARES, w_ls, reference=LS_REF),
            record("perceptron", "exact", LOSS_FLOOR, loss_least_squares(), reference=LS_REF),
            record("perceptron", "autodiff", LECTURE_UPDATE_MAX_DIFF, _max_rel_diff(hand, ours),
                   setting="in-order per-sample passes, lr 0.01",
                   reference="hand update w + η(y − ŷ)x (relative to max(|w|, 1))", eta=0.01)]


def lr_sweep(quick=True, lrs=(0.001, 0.005, 0.02, 0.06, 0.07, 0.1)):
    """Full-batch descent on the smallest perceptron at several learning rates: each step
    multiplies w − w_LS by 1 − η mean(x²), so descent converges only for η < 2/mean(x²)
    = 0.068 -- too big diverges, too small crawls."""
    epochs = 40 if quick else 100
    w_ls = w_least_squares()
    curvature = float(np.mean(models.LECTURE_X ** 2))
    out = [record("perceptron", "exact", CRITICAL_LR, 2 / curvature, reference=CURVATURE_REF),
           record("perceptron", "exact", LOSS_FLOOR, loss_least_squares(), reference=LS_REF)]
    for lr in lrs:
        setting, factor = f"lr {lr:g}", abs(1 - lr * curvature)
        try:
            r = train("perceptron", "lecture", optimizer="gd", epochs=epochs, lr=lr)
        except TrainingDivergedError as e:
            out.append(record("perceptron", "autodiff", W_ERROR, float("inf"), setting=setting,
                              reference=LS_REF, status=DIVERGED, lr=lr, factor=factor, step=e.step))
            continue
        err = abs(r.params["w"] - w_ls)
        status = DIVERGED if r.history[-1] > r.history[0] else CONVERGED if err < 1e-4 else SLOW
        out.append(record("perceptron", "autodiff", W_ERROR, err, setting=setting, reference=LS_REF,
                          status=status, lr=lr, factor=factor, history=r.history,
                          history_epochs=r.history_epochs))
    return out


def literal_update(quick=True):
    """The lecture's update w = w + (y − ŷ)x as written (η = 1) on its own table, beside
    η = 0.01: per sample in table order it never settles (each pass ends where the last row
    x = 1 puts it, w = y/x = 1.1, after swinging through w = −297); on the full batch it
    diverges by a factor 1 − η mean(x²) = −28.3 per step. η = 0.01 converges both ways."""
    x = models.LECTURE_X
    c, c_max = float(np.mean(x ** 2)), float(np.max(x ** 2))
    w_ls, passes = w_least_squares(), 4
    out = [record("perceptron", "exact", CRITICAL_LR, 2 / c, reference=CURVATURE_REF),
           record("perceptron", "exact", CRITICAL_LR_SAMPLE, 2 / c_max,
                  reference="2 / max(x²): row n's step multiplies w − y_n/x_n by 1 − η x_n²"),
           record("perceptron", "exact", LOSS_FLOOR, loss_least_squares(), reference=LS_REF),
           record("perceptron", "exact", W_LEAST_SQUARES, w_ls, reference=LS_REF)]
    for eta in (1.0, 0.01):
        hand, ours = _per_sample(eta, passes)
        losses = [_full_loss(w) for w in [W0] + ours]       # [0]: before the first step
        setting = f"per sample, table order, η = {eta:g}, {passes} passes"
        common = dict(eta=eta, sampling="per-sample", curvature=c, row_x2=(x ** 2).tolist())
        out += [record("perceptron", "autodiff", PASS_END_W, ours[-1], setting=setting, reference=LS_REF,
                       w=[W0] + ours, losses=losses, **common),
                record("perceptron", "autodiff", MAX_LOSS, max(losses), setting=setting, **common),
                record("perceptron", "autodiff", LECTURE_UPDATE_MAX_DIFF, _max_rel_diff(hand, ours),
                       setting=setting, reference="hand update w + η(y − ŷ)x (relative to max(|w|, 1))",
                       **common)]
    for eta in (1.0, 0.01):
        setting = f"full batch, η = {eta:g}"
        common = dict(eta=eta, sampling="full-batch", curvature=c)
        r = train("perceptron", "lecture", optimizer="gd", lr=eta, epochs=len(x) * passes,
                  record_trajectory=True)
        w = np.array([W0] + [t[0] for t in r.trajectory])
        ratios = (w[1:] - w_ls) / (w[:-1] - w_ls)
        out += [record("perceptron", "autodiff", STEP_FACTOR, float(np.median(ratios)), setting=setting,
                       reference=f"1 − η mean(x²) = {1 - eta * c:.6g}", w=w.tolist(),
                       losses=r.history, **common),
                record("perceptron", "autodiff", MAX_LOSS, max(r.history), setting=setting, **common)]
        try:
            train("perceptron", "lecture", optimizer="gd", lr=eta, epochs=400)
        except TrainingDivergedError as e:
            out.append(record("perceptron", "autodiff", DIVERGED_AT, e.step, unit="steps", setting=setting,
                              reference="first step whose float64 loss is not finite", **common))
    return out
