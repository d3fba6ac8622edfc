"""Gradient checks you can leave on in CI: catch real bugs, never cry wolf, never pass what
was not measured.

``gradcheck(f, params, grad)`` compares a hand-written gradient with finite differences of
``f``, and the tolerance is not a fixed atol/rtol but an *error model of the differences
themselves* (``probe.py``): truncation from the Richardson pair, noise of ``f`` measured at
the point, the analytic value's own rounding. So a 1e8 offset in ``f`` or float32 arithmetic
widens the tolerance exactly as much as the numerics require. Where ``f`` is once but not
twice differentiable the differences converge at first order; the check sees it and judges
with one-sided differences from each side. A kink, noise, a non-finite ``f`` or entries the
dtype cannot resolve make the check "inconclusive" with the reason -- never "fail", never
"pass". A failing random direction is narrowed to its culprit entries by bisection (one
wrong entry among 10^6 is named in a few hundred evaluations), and the message says what
kind of bug the numbers suggest (a factor 2, a sign, zeros, a transpose).

The same probes check vector functions' derivatives (``vjp=``, ``jvp=``) and second
derivatives against the checked gradient (``hvp=``, ``hess=``).

>>> import numpy as np
>>> f = lambda x: np.sum(np.sin(x))
>>> gradcheck(f, np.linspace(0, 1, 5), grad=np.cos).status
'pass'
>>> gradcheck(f, np.linspace(0, 1, 5), grad=lambda x: -np.cos(x)).status
'fail'
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import BadOptionError, BadParamsError
from ..params import Layout, check_params
from . import engine
from .result import Entry, GradcheckError, GradcheckInputError, GradcheckResult
from .targets import Target

__all__ = ["gradcheck", "assert_gradcheck", "GradcheckResult", "Entry", "GradcheckError",
           "GradcheckInputError", "MIN_EVALS"]

MIN_EVALS = 24        # f at the point (3), the noise ladders of one direction (8), one probe (6+)
METHOD = ("central differences on a Richardson window (h, 2h, 4h) along signed random directions, "
          "per-block directions and sampled coordinates; one-sided at first-order points; "
          "bisection to the culprits")


def _options(points, directions, coords, tol, radius, max_evals, seed):
    def whole(v, name, lo):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < lo:
            raise BadOptionError(f"{name} must be an integer >= {lo}, got {v!r}")
        return int(v)
    points, directions, coords = whole(points, "points", 1), whole(directions, "directions", 0), \
        whole(coords, "coords", 0)
    if directions == 0 and coords == 0:
        raise BadOptionError("directions=0 and coords=0 leave nothing to probe: the check would be vacuous")
    if not (isinstance(tol, numbers.Real) and math.isfinite(tol) and tol > 0):
        raise BadOptionError(f"tol must be a positive finite number, got {tol!r}")
    if not (isinstance(radius, numbers.Real) and math.isfinite(radius) and radius >= 0):
        raise BadOptionError(f"radius must be a finite number >= 0, got {radius!r}")
    if max_evals is not None:
        max_evals = whole(max_evals, "max_evals", 1)
        if max_evals < MIN_EVALS:
            raise BadOptionError(f"max_evals={max_evals} is below the {MIN_EVALS} evaluations of f one probe "
                                 "needs (f at the point, its noise, one direction)")
    whole(seed, "seed", 0)
    return points, directions, coords, float(tol), float(radius), max_evals


def _layout(params):
    if isinstance(params, dict):
        items = params
    elif isinstance(params, (np.ndarray, list, tuple, numbers.Real)) and not isinstance(params, bool):
        items = {"x": params}
    else:
        raise GradcheckInputError(f"params must be an array or a dict of arrays, got {type(params).__name__}")
    try:
        check_params(items)
    except BadParamsError as e:
        raise GradcheckInputError(str(e)) from None
    if isinstance(params, (list, tuple)):
        params = np.asarray(params, dtype=np.float64)
    return params, Layout(params, error=GradcheckInputError)


def _method_grad(f, params, name):
    from ..api import METHODS
    from ..api import grad as dc_grad
    from ..namespaces import NUMPY
    if name not in METHODS:
        raise GradcheckInputError(f"unknown method {name!r}; known: {', '.join(METHODS)}")
    if not isinstance(params, dict):
        raise GradcheckInputError("with a method name, f must be an xp-model f(params, xp) and params a dict")
    return (lambda p: f(p, NUMPY)), dc_grad(f, method=name)


def gradcheck(f, params, grad=None, *, vjp=None, jvp=None, hvp=None, hess=None, seed=0, points=3,
              directions=4, coords=4, tol=1.0, radius=0.05, max_evals=None):
    """Check a derivative of ``f`` at ``params`` and ``points - 1`` nearby points.

    ``f``: plain numpy, of one array (``params`` an array) or of a dict of arrays. Give one of
    ``grad`` (``grad(params)`` shaped like params; or a method name from
    ``diffcompare.METHODS``, then ``f`` is an xp-model ``f(params, xp)``), ``vjp``
    (``vjp(params, ybar)`` shaped like params, ``f`` returning an array) or ``jvp``
    (``jvp(params, xdot)`` shaped like f's output). With ``grad``, ``hvp(params, v)`` (shaped
    like params) or ``hess(params)`` (an (n, n) array over the flat layout of
    ``diffcompare.params.Layout``) are checked against differences of the gradient, after the
    gradient itself. Options: ``directions`` random signed directions per point, ``coords``
    sampled coordinates per param block, ``tol`` a factor on the modelled error, ``radius``
    of the nearby points relative to each block's scale, ``max_evals`` a hard bound on
    evaluations of f (refused below ``MIN_EVALS``). Returns a ``GradcheckResult``.
    """
    given = [k for k, v in (("grad", grad), ("vjp", vjp), ("jvp", jvp)) if v is not None]
    if len(given) != 1:
        raise GradcheckInputError("give exactly one of grad=, vjp=, jvp= (got "
                                  f"{', '.join(given) or 'none'})")
    if (hvp is not None or hess is not None) and (grad is None or (hvp is not None and hess is not None)):
        raise GradcheckInputError("hvp= or hess= (one of them) is checked against the gradient: give grad= too")
    if not callable(f):
        raise GradcheckInputError(f"f must be callable, got {type(f).__name__}")
    opts = _options(points, directions, coords, tol, radius, max_evals, seed)
    params, L = _layout(params)
    kind, analytic = given[0], grad if grad is not None else vjp if vjp is not None else jvp
    if isinstance(analytic, str) and kind == "grad":
        f, analytic = _method_grad(f, params, analytic)
    if not callable(analytic):
        raise GradcheckInputError(f"{kind} must be a callable (grad may also be a method name from "
                                  "diffcompare.METHODS)")
    res = _run(Target(kind, f, analytic, L), L, params, opts, seed)
    second = hvp if hvp is not None else hess
    if second is None:
        return res
    if not callable(second):
        raise GradcheckInputError(f"{'hvp' if hvp is not None else 'hess'} must be a callable")
    if res.status == "fail":
        res.reason = "the gradient itself fails, so its differences cannot check second derivatives: " + res.reason
        return res
    res2 = _run(Target("hvp" if hvp is not None else "hess", f, second, L, grad=analytic), L, params, opts, seed)
    if res.status == "inconclusive" and res2.status == "pass":
        res2.status, res2.reason = "inconclusive", "the gradient check was inconclusive: " + res.reason
    res2.evals += res.evals
    return res2


def _run(target, L, params, opts, seed):
    points, directions, coords, tol, radius, max_evals = opts
    target.first(params)                   # one evaluation: the output's shape and dtype
    res = engine.run(target, L, params, L.flatten(params), seed=seed, points=points, directions=directions,
                     coords=coords, tol=tol, radius=radius, method=METHOD,
                     max_evals=None if max_evals is None else max_evals - 1)
    res.evals += 1
    return res


def assert_gradcheck(f, params, grad=None, *, allow_inconclusive=True, **options):
    """``gradcheck`` that raises ``GradcheckError`` (an AssertionError) on "fail" (and on
    "inconclusive" if ``allow_inconclusive`` is False); returns the result otherwise."""
    res = gradcheck(f, params, grad, **options)
    if res.status == "fail" or (res.status == "inconclusive" and not allow_inconclusive):
        raise GradcheckError(res)
    return res
