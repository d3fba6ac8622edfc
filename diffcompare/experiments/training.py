"""The training experiments the report shows, one after another.

Each experiment is a function ``(quick: bool) -> [Record]`` in a module of its theme:

``training_lecture``  the smallest perceptron, the learning-rate sweep, the lecture's literal
                      update at η = 1
``training_sources``  every gradient source trains the same model; each loss's gradient
``training_optim``    momentum, SGD vs batch, every optimizer, digits
``training_margin``   SVM (hinge + L2) vs perceptron: the margin each finds
``training_newton``   Newton-CG with Hessian-vector products beside L-BFGS and first order

Every record says which experiment made it (``extra["experiment"]``), so a figure handed all
of the section's records picks out its own.
"""
from __future__ import annotations

from . import silent
from .training_lecture import literal_update, lr_sweep, smallest_perceptron
from .training_margin import svm_vs_perceptron
from .training_newton import second_order
from .training_optim import digits, momentum_vs_gd, optimizers_compare, sgd_vs_full
from .training_sources import gradient_sources, losses

__all__ = ["EXPERIMENTS", "run"]

EXPERIMENTS = {"smallest_perceptron": smallest_perceptron, "literal_update": literal_update,
               "lr_sweep": lr_sweep, "losses": losses, "gradient_sources": gradient_sources,
               "svm_vs_perceptron": svm_vs_perceptron, "momentum_vs_gd": momentum_vs_gd,
               "sgd_vs_full": sgd_vs_full, "optimizers": optimizers_compare,
               "second_order": second_order, "digits": digits}


def _tagged(name, fn):
    def run_one(quick=True):
        out = fn(quick)
        for r in out:
            r.extra.setdefault("experiment", name)
        return out
    run_one.__name__, run_one.__doc__ = fn.__name__, fn.__doc__
    return run_one


EXPERIMENTS = {name: _tagged(name, fn) for name, fn in EXPERIMENTS.items()}


def run(quick=False, progress=silent):
    """Every training experiment's records, one experiment at a time (progress says which)."""
    out = []
    for i, (name, fn) in enumerate(EXPERIMENTS.items()):
        progress(f"training: {name}", i, len(EXPERIMENTS))
        out += list(fn(quick))
    return out
