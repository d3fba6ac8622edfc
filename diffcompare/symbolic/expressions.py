"""The model as a SymPy expression: the SAME ``f(params, xp)`` run with ``xp = SYMPY``.

Params become real SymPy symbols (arrays become object arrays of symbols ``W1_0_1``...);
scalar float data become symbols too (``x``, so the expression is the lecture's
``D[Log[1+Exp[w x+b]], w]`` and the value is passed at call time); per-sample data arrays
are replaced by ONE symbolic row. Why one row and not object arrays of all N samples: a
model that reduces over samples (``xp.mean``/``xp.sum``) is ``mean_i g(params, row_i)``, so
differentiating ``g`` once and evaluating the lambdified derivative over the data columns
(numpy broadcasting) gives the gradient at a cost that does not grow with N; substituting
all N rows would differentiate N copies (``method.make`` checks the decomposition).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import sympy

from ..namespaces import SYMPY, Namespace
from ..primitives import ROWS

__all__ = ["ModelExpr", "build", "memo_namespace", "exact", "exact_expr", "as_expr", "flat_exprs"]


def exact(v):
    """A Python float as an exact SymPy number (1.0 -> 1, 0.5 -> 1/2): the table's partials
    are written with float literals, and ``1.0*x`` would stay a distinct node in SymPy."""
    if v.__class__ is float:
        return sympy.Integer(int(v)) if v.is_integer() else sympy.Rational(v)
    return v


def exact_expr(e):
    """``exact`` applied to every float inside a SymPy expression."""
    if isinstance(e, sympy.Basic):
        fl = e.atoms(sympy.Float)
        if fl:
            e = e.xreplace({f: exact(float(f)) for f in fl})
        return e
    return exact(e)


def as_expr(v):
    """A number or a SymPy expression as a SymPy expression (numbers only: never text)."""
    if isinstance(v, sympy.Basic):
        return v
    if isinstance(v, (int, np.integer)):
        return sympy.Integer(int(v))
    return sympy.Float(float(v))


def flat_exprs(grads):
    """A dict of expressions or object arrays as one flat list, in the dict's order."""
    out = []
    for g in grads.values():
        out.extend(np.asarray(g, dtype=object).ravel().tolist() if isinstance(g, np.ndarray) else [g])
    return [as_expr(e) for e in out]


@dataclasses.dataclass
class ModelExpr:
    expr: object                 # the model's output as a SymPy expression
    params: dict                 # name -> Symbol or object array of Symbols
    data_syms: dict              # scalar data name -> Symbol
    row_syms: dict               # per-sample data name -> object array (1, ...) of Symbols
    n_samples: int               # 0 when no per-sample data
    substituted: bool = False    # full data substituted (not per-sample)

    def flat_params(self):
        out = []
        for v in self.params.values():
            out.extend(v.ravel().tolist() if isinstance(v, np.ndarray) else [v])
        return out

    def data_args(self):
        out = list(self.data_syms.values())
        for v in self.row_syms.values():
            out.extend(v.ravel().tolist())
        return out


def _symbols(name, value, real=True):
    if isinstance(value, np.ndarray):
        arr = np.empty(value.shape, dtype=object)
        for idx in np.ndindex(value.shape):
            arr[idx] = sympy.Symbol("_".join([name, *map(str, idx)]), real=real)
        return arr
    return sympy.Symbol(name, real=real)


def _sample_arrays(data):
    """Data entries that are float arrays sharing one leading (sample) axis."""
    arrs = {k: v for k, v in data.items()
            if isinstance(v, np.ndarray) and v.ndim >= 1 and v.dtype.kind == "f"}
    if not arrs:
        return {}, 0
    n = {v.shape[0] for v in arrs.values()}
    if len(n) != 1:
        return {}, 0
    return arrs, n.pop()


def memo_namespace(memo):
    """SYMPY with every elementwise function memoised in ``memo`` (a dict kept by the
    caller): building a deeper model again after a shallower one reuses the shallower
    layers' nodes (``exp``/``log`` evaluation asks assumptions, ~7 ms a layer). SymPy is
    deterministic, so the expressions are the same as a fresh build's (tested with ==)."""
    fns = {}
    for r in ROWS:
        base = getattr(SYMPY, r.name)
        if not r.elementwise:
            fns[r.name] = base
            continue

        def f(*args, _name=r.name, _base=base):
            if any(isinstance(a, np.ndarray) for a in args):
                return _base(*args)
            key = (_name,) + args
            got = memo.get(key)
            if got is None:
                got = memo[key] = _base(*args)
            return got
        fns[r.name] = f
    fns["name"] = SYMPY.name
    return Namespace("SYMPY", fns)


def build(f, params, per_sample=True, symbolic_scalars=True, real=True, xp=None):
    """Run ``f`` over SymPy symbols: see the module docstring for how data are treated.

    ``real=False`` makes symbols without assumptions: the same expression for the
    catalogue's chains, built far faster at depth (with real symbols, ``exp``'s evaluation
    asks ``is_zero`` of its argument, which walks the whole uncached argument tree --
    quadratic or worse in the depth)."""
    psyms = {k: _symbols(k, np.asarray(v) if isinstance(v, np.ndarray) else v, real)
             for k, v in params.items()}
    data = dict(getattr(f, "data", {}) or {})
    kwargs, dsyms, rsyms, n = {}, {}, {}, 0
    if symbolic_scalars:
        for k, v in data.items():
            if isinstance(v, float):
                dsyms[k] = kwargs[k] = sympy.Symbol(k, real=real)
    arrs, n_all = _sample_arrays(data)
    if arrs and per_sample:
        n = n_all
        for k, v in arrs.items():
            rsyms[k] = kwargs[k] = _symbols(k, np.empty((1,) + v.shape[1:]), real)
    elif arrs:
        for k, v in arrs.items():
            kwargs[k] = np.array([exact(float(t)) for t in v.ravel()], dtype=object).reshape(v.shape)
    xp = SYMPY if xp is None else xp
    expr = f(psyms, xp, **kwargs) if kwargs else f(psyms, xp)
    if isinstance(expr, np.ndarray):
        expr = expr.reshape(-1)[0] if expr.size == 1 else expr
    expr = as_expr(expr)
    return ModelExpr(expr, psyms, dsyms, rsyms, n, substituted=bool(arrs) and not per_sample)
