"""The training experiments the report shows: each a function ``(quick: bool) -> [Record]``
(``quick`` = small, about 2 s or less). Records of section ``"train"``; every accuracy figure
names its reference. Series a figure needs (loss curves, trajectories) ride in ``extra``.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import api, models
from ..records import Record
from ..train import optimizers
from ..train.data import Problem, problem
from ..train.loop import TrainingDivergedError, train
from . import silent

__all__ = ["EXPERIMENTS", "smallest_perceptron", "losses", "gradient_sources", "lr_sweep",
           "momentum_vs_gd", "sgd_vs_full", "optimizers_compare", "digits", "ill_conditioned", "all_records"]

SECTION = "train"
LS_REF = "least squares w = Σxy/Σx²"


def _w_ls():
    x, y = models.LECTURE_X, models.LECTURE_Y
    return float(np.sum(x * y) / np.sum(x * x))


def _rec(model, method, metric, value, unit="", setting="", reference="", **extra):
    return Record(SECTION, model, method, metric, value, unit, setting, reference, extra)


def smallest_perceptron(quick=True):
    """The world's smallest perceptron y = w x on the lecture's table: full-batch descent
    reaches least squares; one in-order pass of the lecture's one-line update
    w <- w + eta (y - yhat) x equals SGD steps with our gradient of L = (y - yhat)^2 / 2."""
    w_ls = _w_ls()
    res = train("perceptron", "lecture", method="autodiff", optimizer="gd")
    out = [_rec("perceptron", "autodiff", "w_final", res.params["w"], setting="gd, lr 0.01, 100 epochs",
                history=res.history),
           _rec("perceptron", "autodiff", "w_error", abs(res.params["w"] - w_ls),
                setting="gd, lr 0.01, 100 epochs", reference=LS_REF),
           _rec("perceptron", "exact", "w_least_squares", w_ls, reference=LS_REF)]
    eta, w_hand, w_ours = 0.01, 0.5, 0.5
    x, y = models.LECTURE_X, models.LECTURE_Y
    diff = 0.0
    for _ in range(3 if quick else 20):
        for xi, yi in zip(x, y):
            w_hand = w_hand + eta * (yi - w_hand * xi) * xi               # the lecture's line
            _, g = api.value_and_grad(lambda p, xp, xi=xi, yi=yi: models.LOSSES["l2"](p["w"] * xi, yi, xp),
                                      "autodiff")({"w": w_ours})
            w_ours, _ = optimizers.sgd.step({"w": w_ours}, g, {}, eta, 1)
            w_ours = w_ours["w"]
            diff = max(diff, abs(w_ours - w_hand))
    out.append(_rec("perceptron", "autodiff", "lecture_update_max_diff", diff,
                    setting=f"in-order per-sample passes, lr {eta}",
                    reference="hand update w + η(y − ŷ)x"))
    return out


def _available(method):
    """None if the method's backend imports, else the reason."""
    try:
        api.backend(method, {})
        return None
    except ImportError as e:
        return f"backend not available: {e}"


def gradient_sources(quick=True, models_=None, steps=None):
    """Train the same model from the same start with every gradient METHOD (full-batch gd,
    trajectory recorded). Exact sources must agree with the ``autodiff`` trajectory to
    rounding; finite differences drift, and we report by how much."""
    steps = steps or (30 if quick else 200)
    models_ = models_ or (("perceptron", "mlp4") if quick else ("perceptron", "perceptron2", "mlp4"))
    lrs = {"perceptron": 0.01, "perceptron2": 0.05, "mlp4": 2.0}
    out = []
    for name in models_:
        prob = problem(name, "lecture")
        ref = train(prob, method="autodiff", optimizer="gd", epochs=steps, lr=lrs[name],
                    record_trajectory=True)
        R = np.array(ref.trajectory)
        for m in api.METHODS:
            setting = f"gd, lr {lrs[name]}, {steps} steps"
            why = _available(m)
            if why is None:
                try:
                    r = train(prob, method=m, optimizer="gd", epochs=steps, lr=lrs[name],
                              record_trajectory=True)
                except Exception as e:    # a peer method's failure never hides the others
                    why = f"failed: {type(e).__name__}: {e}"
            if why is not None:
                out.append(_rec(name, m, "unavailable", why, setting=setting))
                continue
            T = np.array(r.trajectory)
            per_step = np.max(np.abs(T - R), axis=1)
            kind = "exact" if m in api.EXACT_METHODS else "finite-difference"
            out.append(_rec(name, m, "trajectory_max_diff", float(per_step.max()), setting=setting,
                            reference="autodiff trajectory (max |Δθ| over steps and params)",
                            kind=kind, per_step=per_step.tolist()))
            out.append(_rec(name, m, "final_loss", r.loss, setting=setting, kind=kind))
    return out


def lr_sweep(quick=True, lrs=(0.001, 0.005, 0.02, 0.06, 0.07, 0.1)):
    """Full-batch descent on the smallest perceptron at several learning rates. The loss is
    a quadratic in w with curvature mean(x^2) = 29.3, so descent converges only for
    eta < 2 / 29.3 = 0.068: too big diverges, too small crawls."""
    epochs = 40 if quick else 100
    w_ls = _w_ls()
    curvature = float(np.mean(models.LECTURE_X ** 2))
    out = [_rec("perceptron", "exact", "critical_lr", 2 / curvature, reference="2 / mean(x²)")]
    for lr in lrs:
        setting = f"lr {lr:g}"
        try:
            r = train("perceptron", "lecture", optimizer="gd", epochs=epochs, lr=lr)
            err = abs(r.params["w"] - w_ls)
            status = "diverged" if r.history[-1] > r.history[0] else \
                "converged" if err < 1e-4 else "slow"
            out.append(_rec("perceptron", "autodiff", "w_error", err, setting=setting,
                            reference=LS_REF, status=status, lr=lr, history=r.history))
        except TrainingDivergedError as e:
            out.append(_rec("perceptron", "autodiff", "w_error", float("inf"), setting=setting,
                            reference=LS_REF, status="diverged", lr=lr, message=str(e)))
    return out


def ill_conditioned(a=1.0, b=25.0):
    """f(x, y) = (a x^2 + b y^2) / 2 -- condition number b / a -- as a data-free Problem."""
    def fn(params, xp):
        return 0.5 * (a * params["x"] * params["x"] + b * params["y"] * params["y"])
    m = models.Model("quadratic", fn, lambda rng: {"x": -4.0, "y": 1.5}, {},
                     f"({a:g} x² + {b:g} y²)/2", {"a": a, "b": b})
    return Problem(m, (), 1, "none")


def momentum_vs_gd(quick=True, lr=0.018, tol=1e-6, b=50.0):
    """Plain descent vs the lecture's momentum (0.9) at the same learning rate on an
    ill-conditioned 2-D quadratic (condition number 50): steps to reach f < tol, and both
    trajectories (in ``extra``) for the contour figure. Plain descent creeps along the
    shallow axis at rate 1 - lr = 0.982 per step; momentum at about sqrt(0.9) = 0.949."""
    steps = 600
    prob = ill_conditioned(1.0, b)
    out = []
    for opt in ("gd", "momentum"):
        r = train(prob, optimizer=opt, epochs=steps, lr=lr, record_trajectory=True)
        traj = [[-4.0, 1.5]] + [list(map(float, t)) for t in r.trajectory]
        reached = next((i for i, h in enumerate(r.history) if h < tol), None)
        out.append(_rec("quadratic", "autodiff", "steps_to_tol", reached, unit="steps",
                        setting=f"{opt}, lr {lr}", reference=f"f < {tol:g} (minimum f = 0)",
                        optimizer=opt, trajectory=traj, history=r.history, a=1.0, b=b))
        out.append(_rec("quadratic", "autodiff", "final_f", r.loss, setting=f"{opt}, lr {lr}, {steps} steps",
                        reference="minimum f = 0", optimizer=opt))
    return out


def sgd_vs_full(quick=True, seed=0):
    """Full batch vs one-sample SGD vs minibatches at the same number of epochs (passes over
    the data): SGD takes n noisy steps per pass. Quick: perceptron2 on its 6-row table;
    full: the digits MLP."""
    if quick:
        prob, epochs, runs = problem("perceptron2", "lecture"), 30, (("gd", None, 0.05),
                                                                     ("sgd", None, 0.05),
                                                                     ("minibatch", 2, 0.05))
    else:
        prob, epochs, runs = problem("mlp", "digits", seed=seed), 5, (("gd", None, 0.5),
                                                                      ("sgd", None, 0.01),
                                                                      ("minibatch", 32, 0.1))
    out = []
    for opt, bs, lr in runs:
        r = train(prob, optimizer=opt, epochs=epochs, lr=lr, batch_size=bs, seed=seed, blas_threads=1)
        setting = f"{opt}, batch {r.batch_size or 'full'}, lr {lr:g}, {epochs} epochs"
        out.append(_rec(prob.model.name, "autodiff", "final_loss", r.loss, setting=setting,
                        optimizer=opt, history=r.history, steps=r.steps, step_losses=r.step_losses))
        out.append(_rec(prob.model.name, "autodiff", "steps", r.steps, unit="steps", setting=setting,
                        optimizer=opt))
        out.append(_rec(prob.model.name, "autodiff", "train_s", r.seconds, unit="s", setting=setting,
                        optimizer=opt))
        if r.test_accuracy is not None:
            out.append(_rec(prob.model.name, "autodiff", "test_accuracy", r.test_accuracy,
                            setting=setting, reference="held-out 20% of load_digits (seeded split)",
                            optimizer=opt))
    return out


OPTIMIZER_LRS = {"gd": 0.5, "sgd": 0.2, "minibatch": 0.3, "schedule": 1.0, "momentum": 0.1,
                 "adagrad": 0.1, "adadelta": 1.0, "adam": 0.02, "lbfgs": 1.0}


def optimizers_compare(quick=True, seed=0):
    """Every optimizer on the same small problem (a tanh MLP 1-8-1 on the lecture's table,
    scaled by 1/10) from the same start, each at a hand-picked learning rate
    (``OPTIMIZER_LRS``): the loss per epoch, the number of steps, and the final loss. L-BFGS
    stops when scipy declares convergence. Learning rates were tuned by hand once; the
    comparison says what each rule does here, not which is best in general."""
    epochs = 60 if quick else 400
    prob = problem("mlp", "lecture")
    out = []
    for opt, lr in OPTIMIZER_LRS.items():
        r = train(prob, optimizer=opt, lr=lr, epochs=epochs, seed=seed)
        setting = f"{opt}, lr {lr:g}, batch {r.batch_size or 'full'}, {epochs} epochs"
        out.append(_rec("mlp", "autodiff", "final_loss", r.loss, setting=setting, optimizer=opt,
                        history=r.history, steps=r.steps))
        out.append(_rec("mlp", "autodiff", "gradient_evals", r.steps, unit="evaluations",
                        setting=setting, optimizer=opt))
    return out


def digits(quick=True, seed=0):
    """An MLP 64-H-10 (ReLU, softmax cross-entropy) trained on scikit-learn's digits with our
    tracer's gradients and Adam (batch 200)."""
    hidden, epochs = (32, 20) if quick else (64, 40)
    r = train("mlp", "digits", optimizer="adam", epochs=epochs, seed=seed, hidden=hidden,
              blas_threads=1)
    setting = f"64-{hidden}-10 relu, adam lr {r.lr:g}, batch 200, {epochs} epochs"
    ref = "held-out 20% of load_digits (359 images, seeded split)"
    return [_rec("mlp", "autodiff", "test_accuracy", r.test_accuracy, setting=setting, reference=ref,
                 history=r.history),
            _rec("mlp", "autodiff", "train_accuracy", r.train_accuracy, setting=setting,
                 reference="the 1438 training images"),
            _rec("mlp", "autodiff", "train_s", r.seconds, unit="s", setting=setting)]


# A +-1-labelled table for the classification losses (the lecture's y are all positive).
PM_X = np.array([2.0, -1.0, 0.5, -3.0, 1.5, -0.25])
PM_Y = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])


def losses(quick=True, ws=(0.3, 0.5, 0.0)):
    """dL/dw of the perceptron y = w x under each loss, by gradient methods, on a +-1 table
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
            for meth in methods:
                why = _available(meth)
                if why is None:
                    try:
                        with warnings.catch_warnings():   # autograd: "output independent of input"
                            warnings.simplefilter("ignore")
                            g = api.grad(m, meth)({"w": float(w)})["w"]
                    except Exception as e:      # report, never hide the other methods
                        why = f"failed: {type(e).__name__}: {e}"
                if why is not None:
                    out.append(_rec("perceptron", meth, "unavailable", why, setting=f"loss {loss}, w={w:g}"))
                    continue
                out.append(_rec("perceptron", meth, "dL_dw", float(g), setting=f"loss {loss}, w={w:g}",
                                reference="autograd", loss=loss, w=float(w)))
    r = train(problem("perceptron", "lecture", loss="zero_one", x=PM_X, y=PM_Y), optimizer="gd",
              epochs=20, lr=0.1, params={"w": -0.5})
    out.append(_rec("perceptron", "autodiff", "w_moved", abs(r.params["w"] + 0.5),
                    setting="loss zero_one, gd lr 0.1, 20 epochs from w = -0.5",
                    reference="start w = -0.5", final_loss=r.loss))
    return out


EXPERIMENTS = {"smallest_perceptron": smallest_perceptron, "losses": losses, "gradient_sources": gradient_sources,
               "lr_sweep": lr_sweep, "momentum_vs_gd": momentum_vs_gd, "sgd_vs_full": sgd_vs_full,
               "optimizers": optimizers_compare, "digits": digits}


def _tagged(name, fn):
    """Every record says which experiment made it (``extra["experiment"]``), so a figure
    handed all of the section's records picks out its own."""
    def run(quick=True):
        out = fn(quick)
        for r in out:
            r.extra.setdefault("experiment", name)
        return out
    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


EXPERIMENTS = {name: _tagged(name, fn) for name, fn in EXPERIMENTS.items()}


def all_records(quick=True):
    out = []
    for fn in EXPERIMENTS.values():
        out += fn(quick)
    return out


def run(quick=False, progress=silent):
    """Every training experiment's records, one experiment at a time (progress says which)."""
    out = []
    for i, (name, fn) in enumerate(EXPERIMENTS.items()):
        progress(f"training: {name}", i, len(EXPERIMENTS))
        out += list(fn(quick))
    return out
