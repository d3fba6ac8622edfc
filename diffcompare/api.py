"""The public entry points: ``grad``, ``value_and_grad``, ``evaluate``, ``METHODS``.

Every method is a backend ``make(f, params, **options) -> call`` with
``call(params) -> (value, grads, stats)``; ``make`` does the one-off work (SymPy's
differentiation and lambdify, for instance) so setup time is measured apart from call time.

A ``GradFn`` validates the params' structure (names, shapes, dtypes) once and re-validates
only when it changes, and looks for non-finite params only when the result is not finite (a
NaN or inf param shows in the value; if it does, the error names the param). A backend
whose ``call`` is marked ``validated`` (the tracer, the compiled program) checks params and
shapes its results itself, so after the first call ``GradFn`` only times it.
"""
from __future__ import annotations

import inspect
import time

import numpy as np

from . import compiled, forward, numerical, reference, tracer
from .errors import BadOptionError, BadParamsError, TracerError, UnknownNameError
from .params import check_params, like, scalar_output

__all__ = ["METHODS", "EXACT_METHODS", "FD_METHODS", "grad", "value_and_grad", "evaluate", "GradFn",
           "backend"]


def _symbolic(f, params, **options):
    from . import symbolic  # imports SymPy: only when asked for
    return symbolic.make(f, params, **options)


def _symbolic_options():
    from . import symbolic
    return symbolic.make


# method name -> (make, options it fixes)
_BACKENDS = {
    "autodiff": (tracer.make, {}),
    "autodiff-forward": (forward.make, {}),
    "autodiff-compiled": (compiled.make, {}),
    "symbolic": (_symbolic, {}),
    "forward": (numerical.make, {"scheme": "forward"}),
    "backward": (numerical.make, {"scheme": "backward"}),
    "central": (numerical.make, {"scheme": "central"}),
    "five-point": (numerical.make, {"scheme": "five-point"}),
    "complex-step": (numerical.make, {"scheme": "complex-step"}),
    "richardson": (numerical.make, {"scheme": "richardson"}),
    "autograd": (reference.make, {}),
}
METHODS = tuple(_BACKENDS)
EXACT_METHODS = ("autodiff", "autodiff-forward", "autodiff-compiled", "symbolic", "autograd")
FD_METHODS = ("forward", "backward", "central", "five-point", "complex-step", "richardson")


def backend(method, options):
    """(make, fixed options) of a method, with the user's options checked against what the
    method takes -- an unknown option is a typed error naming the ones it knows."""
    try:
        make, fixed = _BACKENDS[method]
    except (KeyError, TypeError):
        raise UnknownNameError(f"unknown method {method!r}; known: {', '.join(METHODS)}") from None
    sig = inspect.signature(_symbolic_options() if make is _symbolic else make)
    known = [p for p in list(sig.parameters)[2:] if p not in fixed]
    bad = [k for k in options if k not in known]
    if bad:
        takes = f"takes {', '.join(known)}" if known else "takes no options"
        raise BadOptionError(f"method {method!r} {takes}; got {', '.join(map(repr, bad))}")
    return make, fixed


def _structure(params):
    return [(k, v.__class__, getattr(v, "shape", None), getattr(v, "dtype", None)) for k, v in params.items()]


class GradFn:
    """``value_and_grad(f, method)`` as an object: call it with params; ``info`` holds what
    the last call cost (``setup_s``, ``call_s``, and the method's own counts: ``evals``,
    ``tape_length``, ...)."""

    def __init__(self, f, method="autodiff", with_value=True, **options):
        if not callable(f):
            raise BadParamsError(f"f must be a function f(params, xp), got {type(f).__name__}")
        self.f, self.method, self.options, self.with_value = f, method, options, with_value
        self._make, self._fixed = backend(method, options)
        self._key = self._call = self._fast = self._stats = None
        self.info = {"method": method}

    def prepare(self, params):
        """Validate params; (re)build the backend when their structure changed."""
        if self._key is not None and params.__class__ is dict and _structure(params) == self._key:
            return params
        params = check_params(params)
        key = _structure(params)
        if key != self._key:
            t0 = time.perf_counter()
            self._call = _guard(self._make)(self.f, params, **self._fixed, **self.options)
            self.info["setup_s"] = time.perf_counter() - t0
            self._key = key
        return params

    def __call__(self, params):
        fast = self._fast
        if fast is not None:
            t0 = time.perf_counter()
            try:
                value, grads, stats = fast(params)
            except TypeError as e:
                raise _typed(e) from None
            info = self.info
            info["call_s"] = time.perf_counter() - t0
            if stats is not self._stats:             # a backend that keeps one stats dict
                info.update(stats)
            return (value, grads) if self.with_value else grads
        params = self.prepare(params)
        t0 = time.perf_counter()
        value, grads, stats = _guard(self._call)(params)
        self.info["call_s"] = time.perf_counter() - t0
        if stats:
            self.info.update(stats)
        self._stats = stats
        scalar_output(value)
        value = float(np.real(value))
        if value - value != 0.0:                     # nan or inf: was a param to blame?
            check_params(params)
        if getattr(self._call, "validated", False):   # shapes its own results: later calls go direct
            self._fast = self._call
        else:
            grads = like(grads, params)
        return (value, grads) if self.with_value else grads


def _typed(e):
    """numpy's refusal of a traced value (a TypeError) as our typed error; others as they are."""
    if "does not support ufuncs" in str(e) or "Box" in str(e) or "Dual" in str(e):
        return TracerError(f"a numpy function was called on a traced value ({e}); use the xp your "
                           "function receives")
    return e


def _guard(fn):
    """Turn numpy's refusal of a traced value into our typed error."""
    def g(*a, **kw):
        try:
            return fn(*a, **kw)
        except TypeError as e:
            raise _typed(e) from None
    return g


def value_and_grad(f, method="autodiff", **options):
    """``value_and_grad(f, method)(params) -> (value, grads)``, grads shaped like params."""
    return GradFn(f, method, with_value=True, **options)


def grad(f, method="autodiff", **options):
    """``grad(f, method)(params) -> grads``, a dict shaped like params."""
    return GradFn(f, method, with_value=False, **options)


def evaluate(f, params, xp=None):
    """``f(params, NUMPY)``, checked to be a scalar."""
    from .vocabulary import NUMPY
    return scalar_output(f(check_params(params), xp or NUMPY))
