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
``gradient`` -> ``(grads shaped like params, label)`` for all of them;
``hessian`` -> ``(H, label)``, the (n, n) Hessian over ``params.Layout``; ``mixed_partials``
-> ``({(a, b): value}, label)`` for two coordinates (what the second-order error model reads);
``along`` -> f and its slope at points moved along one coordinate.

    >>> from diffcompare import models
    >>> m = models.get("softplus")
    >>> g, label = gradient(m, m.params)               # doctest: +SKIP
    >>> label
    'SymPy derivative at 50 digits (mpmath)'
"""
from __future__ import annotations

import numpy as np

from .errors import DiffcompareError

__all__ = ["derivatives", "gradient", "DIGITS", "SYMPY_LABEL", "MPMATH_LABEL", "AUTODIFF_LABEL",
           "hessian", "mixed_partials", "along", "HESSIAN_LABEL", "MPMATH_HESSIAN_LABEL"]

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


# --- second derivatives ------------------------------------------------------------------------

HESSIAN_LABEL = f"SymPy Hessian at {DIGITS} digits (mpmath)"
MPMATH_HESSIAN_LABEL = f"mpmath.diff of the SymPy model at {DIGITS} digits"


def _coordinate(params, k):
    from .params import Layout
    return Layout(params).locate(k)


def _at(sp, params, coords):
    """SymPy params with each flat coordinate ``k`` of ``coords`` (k -> expression) replaced."""
    out = dict(sp)
    for k, value in coords.items():
        name, index = _coordinate(params, k)
        out = _with_coord(out, name, index, value)
    return out


def mixed_partials(f, params, i, j, orders, digits=DIGITS, max_nodes=MAX_NODES):
    """``({(a, b): d^(a+b) f / dx_i^a dx_j^b}, label)`` at the flat coordinates ``i`` and
    ``j`` of the params' layout (``params.Layout``), at ``digits`` digits: the model runs on
    SymPy numbers holding the params' exact binary values with ``x_i + s`` and ``x_j + t`` in
    place, and ``sympy.diff`` in s and t is evaluated at 0 (for ``i == j`` every order is in
    s: ask for ``(a, 0)``). What the second-order error model needs: ``(1, 1)`` is H_ij,
    ``(1, 3)`` the truncation of central differences of the gradient, and so on."""
    import mpmath
    import sympy

    from .namespaces import SYMPY
    g = _hi_model(f)
    sp = _sym_params(params, digits + 10)
    s, t = sympy.Symbol("s", real=True), sympy.Symbol("t", real=True)
    x_i, x_j = (_sym_value(sp, params, k) for k in (i, j))
    coords = {i: x_i + s} if i == j else {i: x_i + s, j: x_j + t}
    expr = g(_at(sp, params, coords), SYMPY)
    if _small(expr, max_nodes):
        # one derivative at a time, each built on the last (a derivative of order 6 from
        # scratch per order, or subs() of it, costs seconds where this costs a tenth)
        known, out = {(0, 0): expr}, {}
        for a, b in sorted(orders):
            for k in range(1, a + 1):
                if (k, 0) not in known:
                    known[(k, 0)] = sympy.diff(known[(k - 1, 0)], s)
            for k in range(1, b + 1):
                if (a, k) not in known:
                    known[(a, k)] = sympy.diff(known[(a, k - 1)], t)
            out[(a, b)] = float(sympy.N(known[(a, b)].xreplace({s: 0, t: 0}), digits))
        return out, HESSIAN_LABEL

    def hi(ss, tt=0):
        coords = {i: x_i + sympy.Float(ss, precision=mpmath.mp.prec)}
        if i != j:
            coords[j] = x_j + sympy.Float(tt, precision=mpmath.mp.prec)
        return mpmath.mpf(sympy.N(g(_at(sp, params, coords), SYMPY), mpmath.mp.dps)._mpf_)
    with mpmath.workdps(digits):
        if i == j:
            return {(a, b): float(mpmath.diff(hi, 0, a)) for a, b in orders}, MPMATH_HESSIAN_LABEL
        return {(a, b): float(mpmath.diff(hi, (0, 0), (a, b))) for a, b in orders}, MPMATH_HESSIAN_LABEL


def along(f, params, i, shifts, digits=DIGITS):
    """``[(f, df/dx_i)]`` at ``x_i + shift`` for each (exactly representable) shift, at
    ``digits`` digits: the reference a measured evaluation noise of f or of the gradient's
    entry i is taken against."""
    import sympy

    from .namespaces import SYMPY
    g = _hi_model(f)
    sp = _sym_params(params, digits + 10)
    s = sympy.Symbol("s", real=True)
    expr = g(_at(sp, params, {i: _sym_value(sp, params, i) + s}), SYMPY)
    d1 = sympy.diff(expr, s)
    out = []
    for dx in shifts:
        at = {s: sympy.Float(float(dx), digits + 10)}
        out.append((float(sympy.N(expr.xreplace(at), digits)), float(sympy.N(d1.xreplace(at), digits))))
    return out


def _sym_value(sp, params, k):
    name, index = _coordinate(params, k)
    v = sp[name]
    return v[index] if isinstance(v, np.ndarray) else v


def hessian(f, params, digits=DIGITS, max_nodes=MAX_NODES):
    """``(H, label)``: the (n, n) Hessian over the params' layout at ``digits`` digits, by
    SymPy from the model run with every coordinate ``x_k + t_k`` (the upper triangle,
    ``sympy.diff`` twice, evaluated at t = 0); an entry whose expression is too big goes to
    ``mixed_partials`` (mpmath), and ``label`` names the weakest reference any entry needed."""
    import sympy

    from .namespaces import SYMPY
    from .params import Layout
    n = Layout(params).n
    g = _hi_model(f)
    sp = _sym_params(params, digits + 10)
    ts = sympy.symbols(f"t0:{n}", real=True)
    expr = g(_at(sp, params, {k: _sym_value(sp, params, k) + ts[k] for k in range(n)}), SYMPY)
    zero = dict.fromkeys(ts, 0)
    H, label = np.empty((n, n)), HESSIAN_LABEL
    small = _small(expr, max_nodes)
    for i in range(n):
        di = sympy.diff(expr, ts[i]) if small else None
        for j in range(i, n):
            if small:
                H[i, j] = float(sympy.N(sympy.diff(di, ts[j]).xreplace(zero), digits))
            else:
                d, label = mixed_partials(f, params, i, j, [(2, 0) if i == j else (1, 1)], digits, max_nodes)
                H[i, j] = next(iter(d.values()))
            H[j, i] = H[i, j]
    return H, label
