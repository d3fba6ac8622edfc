"""The same training with every gradient source, and each loss's gradient at its kinks.

``gradient_sources``  one model, one optimizer, one start: exact sources give the autodiff
                      trajectory to rounding, finite differences drift (by how much).
``losses``            dL/dw of the perceptron under each of the lecture's losses at smooth
                      points, kinks and jumps, by several gradient methods.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import api, models
from ..train.data import problem
from ..train.loop import train
from .training_common import FINAL_LOSS, attempt, record, refusal

__all__ = ["gradient_sources", "losses", "TRAJECTORY_MAX_DIFF", "FINAL_LOSS", "DL_DW", "W_MOVED",
           "EXACT", "FINITE_DIFFERENCE", "PM_X", "PM_Y"]

TRAJECTORY_MAX_DIFF = "trajectory_max_diff"
DL_DW = "dL_dw"
W_MOVED = "w_moved"
EXACT, FINITE_DIFFERENCE = "exact", "finite-difference"      # extra["kind"]

TRAJECTORY_REF = "autodiff trajectory (max |Δθ| over steps and params)"
SOURCE_LRS = {"perceptron": 0.01, "perceptron2": 0.05, "mlp4": 2.0}


def gradient_sources(quick=True, models_=None, steps=None):
    """Train the same model from the same start with every gradient METHOD (full-batch gd,
    trajectory recorded). Exact sources must agree with the ``autodiff`` trajectory to
    rounding; finite differences drift, and we report by how much."""
    steps = steps or (30 if quick else 200)
    models_ = models_ or (("perceptron", "mlp4") if quick else ("perceptron", "perceptron2", "mlp4"))
    out = []
    for name in models_:
        prob, lr = problem(name, "lecture"), SOURCE_LRS[name]
        setting = f"gd, lr {lr}, {steps} steps"
        ref = np.array(train(prob, method="autodiff", optimizer="gd", epochs=steps, lr=lr,
                             record_trajectory=True).trajectory)
        for m in api.METHODS:
            r, why = attempt(m, lambda m=m: train(prob, method=m, optimizer="gd", epochs=steps, lr=lr,
                                                  record_trajectory=True))
            if why is not None:
                out.append(refusal(name, m, setting, *why))
                continue
            per_step = np.max(np.abs(np.array(r.trajectory) - ref), axis=1)
            kind = EXACT if m in api.EXACT_METHODS else FINITE_DIFFERENCE
            out.append(record(name, m, TRAJECTORY_MAX_DIFF, float(per_step.max()), setting=setting,
                              reference=TRAJECTORY_REF, kind=kind, per_step=per_step.tolist()))
            out.append(record(name, m, FINAL_LOSS, r.loss, setting=setting, kind=kind))
    return out


# A +-1-labelled table for the classification losses (the lecture's y are all positive).
PM_X = np.array([2.0, -1.0, 0.5, -3.0, 1.5, -0.25])
PM_Y = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])


def _dl_dw(m, meth, w):
    with warnings.catch_warnings():       # autograd: "output independent of input"
        warnings.simplefilter("ignore")
        return float(api.grad(m, meth)({"w": float(w)})["w"])


def losses(quick=True, ws=(0.3, 0.5, 0.0)):
    """dL/dw of the perceptron y = w x under each loss, by gradient methods, on a ±1 table
    at three points: w = 0.3 (smooth for every loss), w = 0.5 (sample x = 2, y = 1 sits on
    the kink of l1 and hinge) and w = 0 (every sample sits on the zero-one loss's jump).
    Zero-one is a metric: its derivative is 0 wherever it exists, so exact methods return 0
    and gradient descent cannot move -- while a finite difference straddling the jump returns
    O(1/h). At a kink each method picks its own one-sided answer. Reference: autograd."""
    out = []
    methods = ("autodiff", "autodiff-forward", "central", "forward", "autograd") if quick \
        else api.METHODS
    for loss in ("l2", "l1", "zero_one", "hinge", "logistic"):
        m = models.get("perceptron", loss=loss, x=PM_X, y=PM_Y)
        for w in ws:
            setting = f"loss {loss}, w={w:g}"
            for meth in methods:
                g, why = attempt(meth, lambda meth=meth: _dl_dw(m, meth, w))
                if why is not None:
                    out.append(refusal("perceptron", meth, setting, *why, loss=loss, w=float(w)))
                    continue
                out.append(record("perceptron", meth, DL_DW, g, setting=setting, reference="autograd",
                                  loss=loss, w=float(w)))
    r = train(problem("perceptron", "lecture", loss="zero_one", x=PM_X, y=PM_Y), optimizer="gd",
              epochs=20, lr=0.1, params={"w": -0.5})
    out.append(record("perceptron", "autodiff", W_MOVED, abs(r.params["w"] + 0.5),
                      setting="loss zero_one, gd lr 0.1, 20 epochs from w = -0.5",
                      reference="start w = -0.5", final_loss=r.loss))
    return out
