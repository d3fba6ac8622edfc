"""The public entry points: ``grad``, ``value_and_grad``, ``trace``, ``METHODS``.

Every method is a backend ``make(f, params, **options) -> call`` with
``call(params) -> (value, grads, stats)``; ``make`` does the one-off work (SymPy's
differentiation and lambdify, for instance) so setup time is measured apart from call time.
"""
from __future__ import annotations

import importlib
import time

import numpy as np

from .errors import NonScalarOutputError, TracerError, UnknownNameError
from .params import check_params, like

__all__ = ["METHODS", "EXACT_METHODS", "FD_METHODS", "grad", "value_and_grad", "evaluate", "GradFn"]

# method name -> (module, options it fixes)
_BACKENDS = {
    "autodiff": ("tracer", {}),
    "autodiff-forward": ("forward", {}),
    "symbolic": ("symbolic", {}),
    "forward": ("numerical", {"scheme": "forward"}),
    "backward": ("numerical", {"scheme": "backward"}),
    "central": ("numerical", {"scheme": "central"}),
    "five-point": ("numerical", {"scheme": "five-point"}),
    "complex-step": ("numerical", {"scheme": "complex-step"}),
    "richardson": ("numerical", {"scheme": "richardson"}),
    "autograd": ("reference", {}),
}
METHODS = tuple(_BACKENDS)
EXACT_METHODS = ("autodiff", "autodiff-forward", "symbolic", "autograd")
FD_METHODS = ("forward", "backward", "central", "five-point", "complex-step", "richardson")


def _backend(method):
    try:
        module, fixed = _BACKENDS[method]
    except (KeyError, TypeError):
        raise UnknownNameError(f"unknown method {method!r}; known: {', '.join(METHODS)}") from None
    return importlib.import_module(f"diffcompare.{module}").make, fixed


def _structure(params):
    return tuple((k, v.shape, v.dtype.str) if isinstance(v, np.ndarray) else (k, v.__class__)
                 for k, v in params.items())


class GradFn:
    """``value_and_grad(f, method)`` as an object: call it with params; ``info`` holds what
    the last call cost (``setup_s``, ``call_s``, and the method's own counts: ``evals``,
    ``tape_length``, ...)."""

    def __init__(self, f, method="autodiff", with_value=True, **options):
        self.f, self.method, self.options, self.with_value = f, method, options, with_value
        self._make, fixed = _backend(method)
        self._fixed = fixed
        self._key = self._call = None
        self.info = {"method": method}

    def prepare(self, params):
        params = check_params(params)
        key = _structure(params)
        if key != self._key:
            t0 = time.perf_counter()
            self._call = _guard(self._make)(self.f, params, **self._fixed, **self.options)
            self.info["setup_s"] = time.perf_counter() - t0
            self._key = key
        return params

    def __call__(self, params):
        params = self.prepare(params)
        t0 = time.perf_counter()
        value, grads, stats = _guard(self._call)(params)
        self.info["call_s"] = time.perf_counter() - t0
        self.info.update(stats)
        if np.ndim(value) != 0:
            raise NonScalarOutputError(f"the function returned an array of shape {np.shape(value)}; "
                                       "gradients need a scalar output")
        grads = like(grads, params)
        value = float(np.real(value))
        return (value, grads) if self.with_value else grads


def _guard(fn):
    """Turn numpy's refusal of a traced value into our typed error."""
    def g(*a, **kw):
        try:
            return fn(*a, **kw)
        except TypeError as e:
            if "does not support ufuncs" in str(e) or "Box" in str(e) or "Dual" in str(e):
                raise TracerError(
                    f"a numpy function was called on a traced value ({e}); use the xp your "
                    "function receives") from None
            raise
    return g


def value_and_grad(f, method="autodiff", **options):
    """``value_and_grad(f, method)(params) -> (value, grads)``, grads shaped like params."""
    return GradFn(f, method, with_value=True, **options)


def grad(f, method="autodiff", **options):
    """``grad(f, method)(params) -> grads``, a dict shaped like params."""
    return GradFn(f, method, with_value=False, **options)


def evaluate(f, params, xp=None):
    """``f(params, NUMPY)``, checked to be a scalar."""
    from .namespaces import NUMPY
    out = f(check_params(params), xp or NUMPY)
    if np.ndim(out) != 0:
        raise NonScalarOutputError(f"the function returned an array of shape {np.shape(out)}; "
                                   "expected a scalar")
    return out
