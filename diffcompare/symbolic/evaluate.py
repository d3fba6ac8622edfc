"""Compiled symbolic derivatives, evaluated under IEEE semantics.

Every other method returns IEEE values where the maths has none (log at 0 is -inf, 1/x at 0
is inf, 10**x at 400 is inf, x**1.5 at x < 0 is nan); SymPy's lambdified code on Python
floats raises ``ZeroDivisionError``, ``OverflowError`` or returns a complex number there.
So the arguments are numpy float64 scalars (or arrays), operators and functions follow
numpy's rules, floating-point warnings are silenced (the inf or nan is the answer), and a
complex result is nan where its imaginary part is not 0 -- as numpy's own log of a negative
number is.
"""
from __future__ import annotations

import numpy as np
import sympy

__all__ = ["Compiled", "compile_exprs"]


class Compiled:
    """A compiled list of expressions: ``self(*args) -> list`` of float64 values (or arrays,
    with per-sample columns as arguments); ``kind`` names the compiler."""

    def __init__(self, fn, kind):
        self._fn, self.kind = fn, kind

    def __call__(self, *args):
        with np.errstate(all="ignore"):
            return [_real(r) for r in self._fn(*args)]


def _real(r):
    if isinstance(r, complex) or np.iscomplexobj(r):
        r = np.asarray(r)
        return np.where(r.imag == 0, r.real, np.nan)[()]
    return r


def compile_exprs(args, replacements, reduced):
    """The expressions ``reduced`` (after cse: with their ``replacements``, none without)
    as one function of ``args``, lambdified to numpy."""
    cse = (lambda exprs: (replacements, reduced)) if replacements else False
    return Compiled(sympy.lambdify(args, list(reduced), modules="numpy", cse=cse), "sympy.lambdify")
