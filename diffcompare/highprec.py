"""THE high-precision reference: a model's derivatives at the exact binary values of its
params, evaluated at 50 significant digits.

Why 50 digits and not another float64 method: an accuracy figure that compares autodiff
with autograd shows their *disagreement* (often 0), not their error. SymPy differentiates
the very same model function (run in the SYMPY namespace) and mpmath evaluates the
derivative at 50 digits, so the exact methods show their true floor (~1e-16 in float64).

How, per coordinate ``params[wrt][index]``:

1. the model runs on SymPy numbers holding the params' exact binary values (60 digits, so
   nothing is rounded on the way in) with that one coordinate replaced by ``x0 + t``;
   ``sympy.diff`` in ``t`` at ``t = 0``, evaluated at 50 digits;
2. when that expression is too big to differentiate cheaply (the logistic map doubles per
   step): ``mpmath.diff`` of the same 60-digit evaluation;
3. when SymPy cannot run the model at all: our own autodiff (first order only) -- and the
   label says so, so no figure claims a reference it did not use.

``derivatives`` -> ``({order: value}, label)`` for one coordinate;
``gradient`` -> ``(grads shaped like params, label)`` for all of them.

    >>> from diffcompare import models
    >>> m = models.get("softplus")
    >>> g, label = gradient(m, m.params)               # doctest: +SKIP
    >>> label
    'SymPy derivative at 50 digits (mpmath)'
"""
from __future__ import annotations

import numpy as np

from .errors import DiffcompareError

__all__ = ["derivatives", "gradient", "DIGITS", "SYMPY_LABEL", "MPMATH_LABEL", "AUTODIFF_LABEL"]

DIGITS = 50
SYMPY_LABEL = f"SymPy derivative at {DIGITS} digits (mpmath)"
MPMATH_LABEL = f"mpmath.diff of the SymPy model at {DIGITS} digits"
AUTODIFF_LABEL = "autodiff (own tracer): SymPy could not run the model"
MAX_NODES = 3000          # past this many nodes, differentiate numerically at high precision
_RANK = {SYMPY_LABEL: 0, MPMATH_LABEL: 1, AUTODIFF_LABEL: 2}


def _hi_model(f):
    """A Model's float32 data as exact float64 (SymPy would convert float32 via decimal text)."""
    from .models import Model
    if isinstance(f, Model):
        data = {k: v.astype(np.float64) for k, v in f.data.items()
                if isinstance(v, np.ndarray) and v.dtype == np.float32}
        if data:
            return f.with_data(**data)
    return f


def _sym_params(params, dps):
    import sympy
    out = {}
    for k, v in params.items():
        if isinstance(v, np.ndarray):
            a = np.empty(v.shape, dtype=object)
            for i in np.ndindex(v.shape):
                a[i] = sympy.Float(float(v[i]), dps)
            out[k] = a
        else:
            out[k] = sympy.Float(float(v), dps)
    return out


def _with_coord(sp, wrt, index, value):
    v = sp[wrt]
    if isinstance(v, np.ndarray):
        a = v.copy()
        a[index] = value
        return {**sp, wrt: a}
    return {**sp, wrt: value}


def _small(expr, cap):
    import sympy
    for n, _ in enumerate(sympy.preorder_traversal(expr)):
        if n >= cap:
            return False
    return True


def derivatives(f, params, wrt, index=(), orders=(0, 1), digits=DIGITS, max_nodes=MAX_NODES):
    """``({order: value}, label)``: the derivatives of ``f`` in ``params[wrt][index]``
    (order 0 is f itself) at ``digits`` significant digits, and the reference used."""
    import mpmath
    import sympy

    from .namespaces import SYMPY
    index = tuple(index) if index is not None else ()
    g = _hi_model(f)
    sp = _sym_params(params, digits + 10)
    x0 = sp[wrt][index] if isinstance(sp[wrt], np.ndarray) else sp[wrt]
    try:
        t = sympy.Symbol("t", real=True)
        expr = g(_with_coord(sp, wrt, index, x0 + t), SYMPY)
        if _small(expr, max_nodes):
            out = {}
            for k in orders:
                d = sympy.diff(expr, t, k) if k else expr
                out[k] = float(sympy.N(d.subs(t, 0), digits))
            return out, SYMPY_LABEL

        def hi(tt):
            y = g(_with_coord(sp, wrt, index, x0 + sympy.Float(tt, precision=mpmath.mp.prec)), SYMPY)
            return mpmath.mpf(sympy.N(y, mpmath.mp.dps)._mpf_)
        with mpmath.workdps(digits):
            out = {k: float(mpmath.diff(hi, 0, k)) for k in orders}
        return out, MPMATH_LABEL
    except (DiffcompareError, TypeError, ValueError, AttributeError):
        from .api import value_and_grad
        v, gr = value_and_grad(f, "autodiff")(params)
        d = gr[wrt][index] if isinstance(gr[wrt], np.ndarray) else gr[wrt]
        out = {k: (float(v) if k == 0 else float(d) if k == 1 else float("nan")) for k in orders}
        return out, AUTODIFF_LABEL


def gradient(f, params, digits=DIGITS, max_nodes=MAX_NODES):
    """``(grads, label)``: every first derivative at ``digits`` digits (float64 values,
    shaped like ``params``); ``label`` names the weakest reference any entry needed."""
    grads, worst = {}, SYMPY_LABEL
    for name, v in params.items():
        if isinstance(v, np.ndarray):
            g = np.empty(v.shape, dtype=np.float64)
            for idx in np.ndindex(v.shape):
                d, label = derivatives(f, params, name, idx, (1,), digits, max_nodes)
                g[idx] = d[1]
                worst = max(worst, label, key=_RANK.get)
        else:
            d, label = derivatives(f, params, name, (), (1,), digits, max_nodes)
            g = d[1]
            worst = max(worst, label, key=_RANK.get)
        grads[name] = g
    return grads, worst
