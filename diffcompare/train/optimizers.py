"""Optimizers as small ``init``/``step`` pairs with the gradient passed in (the autograd
``misc/optimizers.py`` shape): the optimizer never sees the model, so any gradient source --
autodiff, symbolic, finite differences -- drives it the same way.

``init(params) -> state`` and ``step(params, grads, state, lr, t) -> (params, state)``;
``params``/``grads`` are dicts name -> float or ndarray, ``t`` counts steps from 1. Nothing
is mutated in place: a step returns new dicts.

Which samples a step sees (full batch, one random sample, a minibatch) is the loop's job;
each optimizer names its default in ``sampling``. The quasi-Newton and Newton methods are not
hand-written: ``minimize`` hands the flat problem (through ``params.Layout``) to
``scipy.optimize.minimize`` -- ``lbfgs`` as ``L-BFGS-B`` with ``jac=True``; ``newton-cg`` and
``trust-ncg`` also with ``hessp=``, a Hessian-vector product ``hvp(params, v) -> dict``, so
conjugate gradients solve for the Newton step without ever forming the Hessian.

    >>> p, s = gd.step({"w": 1.0}, {"w": 2.0}, gd.init({"w": 1.0}), lr=0.1, t=1)
    >>> p
    {'w': 0.8}
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..errors import BadOptionError, UnknownNameError
from ..params import Layout

__all__ = ["Optimizer", "OPTIMIZERS", "get", "minimize", "gd", "sgd", "minibatch", "schedule",
           "momentum", "adagrad", "adadelta", "adam", "lbfgs", "newton_cg", "trust_ncg", "check_lr"]


@dataclass(frozen=True)
class Optimizer:
    name: str
    init: Callable
    step: Optional[Callable]   # None: scipy runs the whole minimisation (``minimize``)
    sampling: str              # "full", "one" (one random sample) or "batch"
    default_lr: float
    description: str
    scipy: Optional[str] = None    # scipy.optimize.minimize's method name
    needs_hvp: bool = False        # takes a Hessian-vector product (``hessp=``)


def _zeros(params):
    return {k: np.zeros_like(v) if isinstance(v, np.ndarray) else 0.0 for k, v in params.items()}


def _none(params):
    return {}


# --- plain descent: theta <- theta - eta grad (gd, sgd and minibatch differ only in sampling)

def _descent(params, grads, state, lr, t):
    return {k: v - lr * grads[k] for k, v in params.items()}, state


def _schedule(params, grads, state, lr, t):
    """The lecture's most common schedule eta_t = eta_0 / sqrt(t)."""
    eta = lr / np.sqrt(t)
    return {k: v - eta * grads[k] for k, v in params.items()}, state


MU = 0.9   # the lecture's momentum coefficient (``vel = vel * 0.9 + ...``)


def _momentum(params, grads, state, lr, t):
    """The lecture's snippet ``vel = vel * 0.9 + step_size * weights_grad; weights += vel``
    with ``weights_grad`` read as the *descent* direction -dL/dtheta (as written, with the
    loss gradient, it would climb): vel <- 0.9 vel - eta grad; theta <- theta + vel."""
    vel = {k: MU * state[k] - lr * grads[k] for k in params}
    return {k: v + vel[k] for k, v in params.items()}, vel


EPS_ADAGRAD = 1e-8


def _adagrad_init(params):
    return _zeros(params)


def _adagrad(params, grads, state, lr, t):
    """G <- G + g^2; theta <- theta - eta g / (sqrt(G) + eps): each coordinate's step shrinks
    with its own gradient history."""
    G = {k: state[k] + grads[k] * grads[k] for k in params}
    return {k: v - lr * grads[k] / (np.sqrt(G[k]) + EPS_ADAGRAD) for k, v in params.items()}, G


RHO, EPS_ADADELTA = 0.95, 1e-6


def _adadelta_init(params):
    return {"g2": _zeros(params), "d2": _zeros(params)}


def _adadelta(params, grads, state, lr, t):
    """Zeiler (2012): running averages of g^2 and of the squared updates; the step is
    -sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) g, scaled by ``lr`` (1.0 is Zeiler's)."""
    g2 = {k: RHO * state["g2"][k] + (1 - RHO) * grads[k] * grads[k] for k in params}
    dx = {k: -np.sqrt(state["d2"][k] + EPS_ADADELTA) / np.sqrt(g2[k] + EPS_ADADELTA) * grads[k]
          for k in params}
    d2 = {k: RHO * state["d2"][k] + (1 - RHO) * dx[k] * dx[k] for k in params}
    return {k: v + lr * dx[k] for k, v in params.items()}, {"g2": g2, "d2": d2}


B1, B2, EPS_ADAM = 0.9, 0.999, 1e-8


def _adam_init(params):
    return {"m": _zeros(params), "v": _zeros(params)}


def _adam(params, grads, state, lr, t):
    """Kingma & Ba (2015), with bias correction (the same update as scikit-learn's)."""
    m = {k: B1 * state["m"][k] + (1 - B1) * grads[k] for k in params}
    v = {k: B2 * state["v"][k] + (1 - B2) * grads[k] * grads[k] for k in params}
    c1, c2 = 1 - B1 ** t, 1 - B2 ** t
    new = {k: p - lr * (m[k] / c1) / (np.sqrt(v[k] / c2) + EPS_ADAM) for k, p in params.items()}
    return new, {"m": m, "v": v}


gd = Optimizer("gd", _none, _descent, "full", 0.01, "full-batch gradient descent")
sgd = Optimizer("sgd", _none, _descent, "one", 0.01, "SGD on one random sample per step")
minibatch = Optimizer("minibatch", _none, _descent, "batch", 0.01, "minibatch SGD")
schedule = Optimizer("schedule", _none, _schedule, "batch", 0.01, "eta_t = eta_0 / sqrt(t)")
momentum = Optimizer("momentum", _zeros, _momentum, "batch", 0.01,
                     "vel <- 0.9 vel - eta grad; theta <- theta + vel")
adagrad = Optimizer("adagrad", _adagrad_init, _adagrad, "batch", 0.1, "Adagrad")
adadelta = Optimizer("adadelta", _adadelta_init, _adadelta, "batch", 1.0, "Adadelta")
adam = Optimizer("adam", _adam_init, _adam, "batch", 0.001, "Adam")
lbfgs = Optimizer("lbfgs", _none, None, "full", 1.0,
                  "L-BFGS-B via scipy.optimize.minimize (lr unused)", scipy="L-BFGS-B")
# Both take the Newton step from conjugate gradients on Hessian-vector products; the
# line-search variant stops CG at negative curvature, the trust-region one (Steihaug) follows
# it to the region's edge -- which matters on a non-convex MLP.
newton_cg = Optimizer("newton-cg", _none, None, "full", 1.0,
                      "Newton-CG via scipy.optimize.minimize with our HVP (lr unused)",
                      scipy="Newton-CG", needs_hvp=True)
trust_ncg = Optimizer("trust-ncg", _none, None, "full", 1.0,
                      "trust-region Newton-CG via scipy.optimize.minimize with our HVP (lr unused)",
                      scipy="trust-ncg", needs_hvp=True)

OPTIMIZERS = {o.name: o for o in (gd, sgd, minibatch, schedule, momentum, adagrad, adadelta,
                                  adam, lbfgs, newton_cg, trust_ncg)}


def get(name):
    try:
        return OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise UnknownNameError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}") from None


def check_lr(lr):
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not np.isfinite(lr) \
            or lr <= 0:
        raise BadOptionError(f"the learning rate must be a finite number > 0, got {lr!r}")
    return float(lr)


def minimize(opt, value_and_grad, params, maxiter, callback=None, hvp=None, tol=None):
    """Minimise with ``scipy.optimize.minimize(method=opt.scipy, jac=True)``: one call gives
    value and gradient. ``value_and_grad(params) -> (value, grads)``; ``hvp(params, v) ->
    dict like params`` for the Newton methods; ``callback(params)`` after each iteration;
    ``tol``: scipy's own stopping tolerance (None: scipy's default for the method).
    Returns (params, scipy's OptimizeResult)."""
    from scipy.optimize import minimize as _minimize

    if opt.scipy is None:
        raise BadOptionError(f"optimizer {opt.name!r} steps by itself; it does not run through scipy")
    if opt.needs_hvp and hvp is None:
        raise BadOptionError(f"optimizer {opt.name!r} needs a Hessian-vector product (hvp=)")
    layout = Layout(params)

    def fun(theta):
        v, g = value_and_grad(layout.unflatten(theta))
        return v, layout.flatten(g)

    kw = {}
    if opt.needs_hvp:
        kw["hessp"] = lambda theta, v: layout.flatten(hvp(layout.unflatten(theta), layout.unflatten(v)))
    cb = None if callback is None else (lambda theta: callback(layout.unflatten(np.array(theta))))
    res = _minimize(fun, layout.flatten(params), jac=True, method=opt.scipy, callback=cb, tol=tol,
                    options={"maxiter": int(maxiter)}, **kw)
    return layout.unflatten(np.asarray(res.x, dtype=np.float64)), res
