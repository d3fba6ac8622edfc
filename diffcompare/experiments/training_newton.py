"""Second-order training: Newton-CG with a Hessian-vector product, beside L-BFGS and the
first-order optimizers, on the lecture's MLPs.

The lecture's last optimisation slide names "second order methods that use the Hessian (or
its approximation): BFGS, LBFGS". Newton-CG never forms the Hessian: conjugate gradients
solve H p = −g for the Newton step with Hessian-vector products only -- here ``dc.hvp``'s
autodiff, forward-over-reverse through our tracer (dual numbers through the reverse sweep),
a small multiple of one gradient's work. L-BFGS approximates H from
the last gradients; the first-order rules use none of it.

Cost is counted in gradient evaluations plus Hessian-vector products (each HVP costs a small
multiple of a gradient -- see the speed section), and in seconds: every run is repeated and
its CPU time kept as median [min-max]. ``COST_TO_TARGET``: gradients + HVPs until the loss
is 99.99% of the way from the start to the lowest loss any optimizer reached.
"""
from __future__ import annotations

import time

from ..timing import measure
from ..train.data import problem
from ..train.loop import train
from .training_common import FINAL_LOSS, GRADIENT_EVALS, record, timing_record

__all__ = ["second_order", "FINAL_LOSS", "GRADIENT_EVALS", "HVP_EVALS", "ITERATIONS", "RUN_S",
           "COST_TO_TARGET", "BEST_LOSS", "FIRST_ORDER_LRS", "SCIPY_TOL"]

HVP_EVALS = "hvp_evals"
ITERATIONS = "iterations"
RUN_S = "run_s"
COST_TO_TARGET = "cost_to_target"
BEST_LOSS = "best_loss"

SCIPY_TOL = 1e-14            # let the scipy methods run to rounding, not to their default stop
FIRST_ORDER_LRS = {"mlp4": {"gd": 2.0, "momentum": 0.2, "adam": 0.05},
                   "mlp": {"gd": 0.5, "momentum": 0.1, "adam": 0.02}}
TARGET_SHARE = 1e-4          # the target: 99.99% of the way from the start to the best loss
HVP_SOURCE = "autodiff (forward-over-reverse, dc.hvp)"


def _runs(name, quick):
    first, second = (300, 50) if quick else (1000, 200)
    for opt, lr in FIRST_ORDER_LRS[name].items():
        yield opt, dict(optimizer=opt, lr=lr, epochs=first)
    for opt in ("lbfgs", "newton-cg", "trust-ncg"):
        yield opt, dict(optimizer=opt, epochs=second, tol=SCIPY_TOL)


def _cost_to(curve, target):
    for loss, steps, hvps in zip(curve["loss"], curve["steps"], curve["hvps"]):
        if loss <= target:
            return steps + hvps
    return None


def second_order(quick=True):
    """The lecture's MLP (mlp4: four sigmoid layers, four params; in the full run also a
    tanh MLP 1-8-1 on the lecture's table) trained by gd, momentum, Adam, L-BFGS and the two
    Newton-CG variants from the same start: loss against gradients + HVPs and against
    seconds."""
    out = []
    for name in (("mlp4",) if quick else ("mlp4", "mlp")):
        prob = problem(name, "lecture")
        results = {}
        for opt, kw in _runs(name, quick):
            last = []
            # CPU time of this process: the machine is shared, and one BLAS thread keeps
            # the run's CPU time its own
            t = measure(lambda kw=kw: last.append(train(prob, blas_threads=1, **kw)), repeats=2 if quick else 3,
                        min_time=0.0, clock=time.process_time)
            results[opt] = (kw, last[-1], t)
        first = next(iter(results.values()))[1].history[0]
        best = min(r.loss for _, r, _ in results.values())
        target = best + TARGET_SHARE * (first - best)
        out.append(record(name, "autodiff", BEST_LOSS, best, reference="lowest final loss of any optimizer here"))
        for opt, (kw, r, t) in results.items():
            setting = f"{opt}" + (f", lr {kw['lr']:g}" if "lr" in kw else f", tol {SCIPY_TOL:g}") + \
                f", at most {kw['epochs']} iterations"
            mine = dict(optimizer=opt, second_order=opt in ("newton-cg", "trust-ncg"),
                        hvp=HVP_SOURCE if r.info.get("hvps") else "")
            out += [record(name, "autodiff", FINAL_LOSS, r.loss, setting=setting, curve=r.curve,
                           message=r.info.get("scipy_message", ""), **mine),
                    record(name, "autodiff", GRADIENT_EVALS, r.steps, unit="evaluations", setting=setting, **mine),
                    record(name, "autodiff", HVP_EVALS, r.info.get("hvps", 0), unit="products", setting=setting,
                           **mine),
                    record(name, "autodiff", ITERATIONS, r.epochs, unit="iterations", setting=setting, **mine),
                    record(name, "autodiff", COST_TO_TARGET, _cost_to(r.curve, target), unit="gradients + HVPs",
                           setting=setting, reference=f"loss <= {target:.6g} ({1 - TARGET_SHARE:.2%} of the way to the best)",
                           **mine),
                    timing_record(name, "autodiff", RUN_S, t, setting=setting,
                                  reference="CPU time of the whole run, median [min-max] over repeats", **mine)]
    return out
