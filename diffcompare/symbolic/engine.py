"""SymEngine beside SymPy (the optional ``fast`` extra): the same expression converted over
its DAG, so SymEngine's differentiation can be timed on exactly what SymPy differentiates."""
from __future__ import annotations

import sympy

from .sizes import dag_fold

__all__ = ["symengine", "to_symengine"]


def symengine():
    """The ``symengine`` module, or None when it is not installed."""
    try:
        import symengine as se
    except ImportError:
        return None
    return se


def to_symengine(exprs, se=None):
    """SymPy expressions -> SymEngine, converted over the DAG with memoisation (a tree of
    10^60 nodes converts in time linear in its DAG). Add, Mul, Pow, exp, log, numbers and
    symbols map one to one; anything else goes through ``symengine.sympify`` of that node
    (a SymPy object, never text)."""
    se = se or symengine()

    def convert(e, a):
        if e.is_Symbol:
            return se.Symbol(e.name)
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
        if isinstance(e, sympy.exp):
            return se.exp(*a)
        if isinstance(e, sympy.log):
            return se.log(*a)
        return se.sympify(e)
    return dag_fold(exprs, convert)[0]
