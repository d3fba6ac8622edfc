"""The complex step's namespace: numpy on complex arrays that refuse what is not analytic.

The complex step ``Im f(x + ih) / h`` is exact to rounding (it subtracts nothing), but only
for an ``f`` that is complex-analytic along the way: ``abs``, ``maximum``, a comparison, a
``float()`` of a perturbed value would silently drop or garble the imaginary part that
carries the derivative. :class:`Tracked` arrays *refuse* those ops (``NotComplexSafe``) once
the perturbation reaches them, so the method returns no number rather than a wrong one.
"""
from __future__ import annotations

import numpy as np

from .errors import DiffcompareError
from .namespaces import Namespace
from .primitives import ROWS

__all__ = ["NotComplexSafe", "Tracked", "COMPLEX", "track"]


class NotComplexSafe(DiffcompareError):
    """The complex step met an op that is not complex-analytic (abs, max, a comparison...),
    or a function that is not real-valued at the point."""


_UNSAFE = {np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
           np.maximum, np.minimum, np.fmax, np.fmin, np.absolute, np.fabs, np.sign, np.heaviside,
           np.floor, np.ceil, np.rint, np.trunc}


def _has_imag(a):
    return np.iscomplexobj(a) and bool(np.any(np.imag(a) != 0))


class Tracked(np.ndarray):
    """A complex array that refuses every op that is not complex-analytic once its
    imaginary part is nonzero (a comparison, abs, max, sign, float()...): those would
    silently drop or garble the imaginary part that carries the derivative."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raw = [np.asarray(a) if isinstance(a, Tracked) else a for a in inputs]
        if ufunc in _UNSAFE and any(_has_imag(a) for a in raw):
            raise NotComplexSafe(
                f"complex step: the function applies {ufunc.__name__} to a value carrying the "
                "perturbation, which is not complex-analytic (abs, maximum, minimum, step, sign "
                "and comparisons are not); use central differences or autodiff")
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(o) for o in kwargs["out"])
        return track(getattr(ufunc, method)(*raw, **kwargs))

    def __getitem__(self, index):
        return track(np.asarray(self)[index])

    def _refuse(self, *_):
        raise NotComplexSafe("complex step: the function converts a perturbed value to a real "
                             "Python number (float()/int()), which drops the derivative")

    __float__ = __int__ = __index__ = _refuse

    def __bool__(self):
        if _has_imag(np.asarray(self)):
            raise NotComplexSafe("complex step: the function branches on a perturbed value")
        return bool(np.asarray(self))


def track(r):
    if isinstance(r, (np.ndarray, np.generic)) and r.dtype.kind in "fc":
        return np.asarray(r).view(Tracked)
    return r


def _complex_sigmoid(x):
    # Both branches are the same analytic function; pick by the real part so neither overflows.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x = np.asarray(x) if not isinstance(x, Tracked) else x
        pos = 1.0 / (1.0 + np.exp(-x))
        e = np.exp(x)
        neg = e / (1.0 + e)
        return track(np.where(np.real(np.asarray(x)) >= 0, np.asarray(pos), np.asarray(neg)))


def _complex_logsumexp(x, axis=None, keepdims=False):
    # Any shift is exact; shifting by the max of the REAL parts keeps it analytic.
    raw = np.asarray(x)
    m = np.max(np.real(raw), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    r = np.log(np.sum(np.exp(raw - m), axis=axis, keepdims=True)) + m
    r = r if keepdims else (np.squeeze(r, axis=axis) if axis is not None else r.reshape(()))
    return track(r)


def _build_complex():
    fns = {r.name: r.impl for r in ROWS}        # every other row is analytic in numpy already,
    fns["sigmoid"] = _complex_sigmoid           # or refuses through Tracked (abs, max, sign...)
    fns["logsumexp"] = _complex_logsumexp
    fns["name"] = lambda x, label: x
    return Namespace("COMPLEX", fns)


COMPLEX = _build_complex()


