"""The lecture's optimisation notes, measured: momentum, SGD vs batch, every optimizer, digits.

``momentum_vs_gd``  plain descent vs momentum 0.9 on an ill-conditioned quadratic
``sgd_vs_full``     full batch vs one-sample SGD vs minibatches at the same epochs
``optimizers``      every optimizer on the lecture-table MLP from the same start
``digits``          an MLP on scikit-learn's digits, trained with our tracer's gradients

Times are seconds per epoch with their spread over the run's epochs (``Record.timing``).
"""
from __future__ import annotations

from .. import models
from ..train.data import Problem, problem
from ..train.loop import train
from ..train.optimizers import OPTIMIZERS
from .training_common import FINAL_LOSS, GRADIENT_EVALS, record, timing_record

__all__ = ["momentum_vs_gd", "sgd_vs_full", "optimizers_compare", "digits", "ill_conditioned",
           "STEPS_TO_TOL", "FINAL_F", "FINAL_LOSS", "STEPS", "EPOCH_S", "TEST_ACCURACY",
           "TRAIN_ACCURACY", "GRADIENT_EVALS", "OPTIMIZER_LRS", "DIGITS_REF"]

STEPS_TO_TOL = "steps_to_tol"
FINAL_F = "final_f"
STEPS = "steps"
EPOCH_S = "epoch_s"
TEST_ACCURACY = "test_accuracy"
TRAIN_ACCURACY = "train_accuracy"

DIGITS_REF = "held-out 20% of load_digits (359 images, seeded split)"
EPOCH_REF = "wall time per epoch, median [min-max] over the run's epochs"


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
        out.append(record("quadratic", "autodiff", STEPS_TO_TOL, reached, unit="steps",
                          setting=f"{opt}, lr {lr}", reference=f"f < {tol:g} (minimum f = 0)",
                          optimizer=opt, trajectory=traj, history=r.history, a=1.0, b=b, tol=tol))
        out.append(record("quadratic", "autodiff", FINAL_F, r.loss, setting=f"{opt}, lr {lr}, {steps} steps",
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
        mine = dict(optimizer=opt, batch=r.batch_size, lr=lr)
        out.append(record(prob.model.name, "autodiff", FINAL_LOSS, r.loss, setting=setting,
                          history=r.history, history_epochs=r.history_epochs, **mine))
        out.append(record(prob.model.name, "autodiff", STEPS, r.steps, unit="steps", setting=setting, **mine))
        out.append(timing_record(prob.model.name, "autodiff", EPOCH_S, r.epoch_timing(), setting=setting,
                                 reference=EPOCH_REF, **mine))
        if r.test_accuracy is not None:
            out.append(record(prob.model.name, "autodiff", TEST_ACCURACY, r.test_accuracy,
                              setting=setting, reference=DIGITS_REF, **mine))
    return out


OPTIMIZER_LRS = {"gd": 0.5, "sgd": 0.2, "minibatch": 0.3, "schedule": 1.0, "momentum": 0.1,
                 "adagrad": 0.1, "adadelta": 1.0, "adam": 0.02, "lbfgs": 1.0, "newton-cg": 1.0,
                 "trust-ncg": 1.0}


def optimizers_compare(quick=True, seed=0):
    """Every optimizer on the same small problem (a tanh MLP 1-8-1 on the lecture's table,
    scaled by 1/10) from the same start, each at a hand-picked learning rate
    (``OPTIMIZER_LRS``): the loss per epoch, the number of gradient evaluations, and the
    final loss. The scipy methods stop when scipy declares convergence. Learning rates were
    tuned by hand once; the comparison says what each rule does here, not which is best in
    general."""
    epochs = 60 if quick else 400
    prob = problem("mlp", "lecture")
    out = []
    for opt in OPTIMIZERS:
        lr = OPTIMIZER_LRS[opt]
        r = train(prob, optimizer=opt, lr=lr, epochs=epochs, seed=seed)
        setting = f"{opt}, lr {lr:g}, batch {r.batch_size or 'full'}, {epochs} epochs"
        mine = dict(optimizer=opt, lr=lr, scipy=OPTIMIZERS[opt].scipy is not None)
        out.append(record("mlp", "autodiff", FINAL_LOSS, r.loss, setting=setting, history=r.history,
                          history_epochs=r.history_epochs, steps=r.steps, **mine))
        out.append(record("mlp", "autodiff", GRADIENT_EVALS, r.steps, unit="evaluations",
                          setting=setting, **mine))
    return out


def digits(quick=True, seed=0):
    """An MLP 64-H-10 (ReLU, softmax cross-entropy) trained on scikit-learn's digits with our
    tracer's gradients and Adam (batch 200)."""
    hidden, epochs = (32, 20) if quick else (64, 40)
    r = train("mlp", "digits", optimizer="adam", epochs=epochs, seed=seed, hidden=hidden,
              blas_threads=1)
    setting = f"64-{hidden}-10 relu, adam lr {r.lr:g}, batch 200, {epochs} epochs"
    return [record("mlp", "autodiff", TEST_ACCURACY, r.test_accuracy, setting=setting, reference=DIGITS_REF,
                   history=r.history, history_epochs=r.history_epochs),
            record("mlp", "autodiff", TRAIN_ACCURACY, r.train_accuracy, setting=setting,
                   reference="the 1438 training images"),
            timing_record("mlp", "autodiff", EPOCH_S, r.epoch_timing(), setting=setting, reference=EPOCH_REF)]
