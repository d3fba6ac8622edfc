"""Compiled symbolic derivatives, evaluated under IEEE semantics -- by SymEngine's
``Lambdify`` when it is installed (the ``fast``/``test`` extras), else SymPy's ``lambdify``.

Why SymEngine: its ``Lambdify`` compiles the expressions (with its own cse) to machine code
(LLVM) or a tree of C++ closures, 10-50x faster per call than the Python that SymPy's
``lambdify`` writes (``benchmarks/bench_symbolic.py``). It computes in C doubles, so IEEE
semantics come for free.

Why IEEE either way: every other method returns IEEE values where the maths has none (log at
0 is -inf, 1/x at 0 is inf, 10**x at 400 is inf, x**1.5 at x < 0 is nan); SymPy's
lambdified code on Python floats raises ``ZeroDivisionError``, ``OverflowError`` or returns a
complex number there. So its arguments are numpy float64 scalars (or arrays), operators and
functions follow numpy's rules, floating-point warnings are silenced (the inf or nan is the
answer), and a complex result is nan where its imaginary part is not 0 -- as numpy's own log
of a negative number is.
"""
from __future__ import annotations

import numpy as np
import sympy

from ..errors import BadOptionError
from .engine import symengine, to_symengine

__all__ = ["Compiled", "compile_exprs", "EVALUATORS"]

EVALUATORS = ("auto", "symengine", "sympy")


class Compiled:
    """A compiled list of expressions as one function of one float64 array: ``self(x)`` with
    ``x`` of shape (nargs,) -> (nexprs,), or (samples, nargs) -> (samples, nexprs);
    ``kind`` names the compiler."""

    def __init__(self, fn, kind, vectorised):
        self._fn, self.kind, self._vectorised = fn, kind, vectorised

    def __call__(self, x):
        with np.errstate(all="ignore"):
            if self._vectorised:
                return self._fn(x)
            res = [_real(r) for r in self._fn(*x.T)]     # float64 scalars or sample columns
            if x.ndim == 1:
                return np.array(res, dtype=float)
            return np.stack(np.broadcast_arrays(*res, x[:, 0]), axis=-1)[:, :-1]


def _real(r):
    if isinstance(r, complex) or np.iscomplexobj(r):
        r = np.asarray(r)
        return np.where(r.imag == 0, r.real, np.nan)[()]
    return np.asarray(r, dtype=float)


def compile_exprs(args, replacements, reduced, evaluator="auto"):
    """The expressions ``reduced`` (after cse: with their ``replacements``, none without) as
    one function of ``args``. ``evaluator``: "symengine" (an error when it is not installed),
    "sympy", or "auto" (SymEngine when installed and it knows every function, else SymPy)."""
    if evaluator not in EVALUATORS:
        raise BadOptionError(f"evaluator must be one of {', '.join(EVALUATORS)}, got {evaluator!r}")
    se = symengine() if evaluator != "sympy" else None
    if evaluator == "symengine" and se is None:
        raise BadOptionError("evaluator='symengine' needs symengine (pip install 'diffcompare[fast]')")
    if se is not None:
        try:
            return _symengine_lambdify(se, args, replacements, reduced)
        except BadOptionError:
            if evaluator == "symengine":
                raise
    cse = (lambda exprs: (replacements, reduced)) if replacements else False
    return Compiled(sympy.lambdify(args, list(reduced), modules="numpy", cse=cse), "sympy.lambdify", False)


def _symengine_lambdify(se, args, replacements, reduced):
    """SymEngine's Lambdify of the outputs, the cse replacements substituted back as shared
    SymEngine nodes (converted one by one, so nothing deep is ever walked recursively)."""
    known = {}
    for sym, e in replacements:
        known[sym] = to_symengine([e], se, known)[0]
    outs = to_symengine(list(reduced), se, known)
    se_args = to_symengine(list(args), se)
    for backend in ("llvm", "lambda"):
        try:
            fn = se.Lambdify(se_args, outs, backend=backend, cse=True, real=True)
        except (RuntimeError, ValueError, TypeError):     # no LLVM in this build of SymEngine
            continue
        return Compiled(fn, f"symengine.Lambdify ({backend})", True)
    raise BadOptionError("SymEngine could not compile the derivative")
