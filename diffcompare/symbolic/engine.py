"""SymEngine beside SymPy (the optional ``fast`` extra): the same expression converted over
its DAG, so SymEngine's differentiation can be timed on exactly what SymPy differentiates."""
from __future__ import annotations

import sympy

from ..errors import BadOptionError
from .sizes import dag_fold

__all__ = ["symengine", "to_symengine"]


def symengine():
    """The ``symengine`` module, or None when it is not installed."""
    try:
        import symengine as se
    except ImportError:
        return None
    return se


def to_symengine(exprs, se=None, known=None):
    """SymPy expressions -> SymEngine, converted over the DAG with memoisation (a tree of
    10^60 nodes converts in time linear in its DAG). Add, Mul, Pow, numbers and symbols map
    one to one, a function to SymEngine's function of the same name (exp, log, tanh...);
    anything else is a BadOptionError naming it. ``known``: SymPy symbols that stand for
    SymEngine expressions already converted (cse replacements)."""
    se = se or symengine()
    known = known or {}

    def convert(e, a):
        if e.is_Symbol:
            return known[e] if e in known else se.Symbol(e.name)
        if e.is_Integer:
            return se.Integer(int(e))
        if e.is_Rational:
            return se.Rational(int(e.p), int(e.q))
        if e.is_Add:
            return se.Add(*a)
        if e.is_Mul:
            return se.Mul(*a)
        if e.is_Pow:
            return se.Pow(*a)
        if e.is_Float:
            return se.RealDouble(float(e))
        fn = getattr(se, e.func.__name__, None) if isinstance(e, sympy.Function) else None
        if fn is None:
            raise BadOptionError(f"SymEngine has no counterpart of SymPy's {e.func.__name__}")
        return fn(*a)
    return dag_fold(exprs, convert)[0]
