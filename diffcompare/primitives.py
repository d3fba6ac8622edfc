"""THE table of primitive ops: one row per op, and nothing else knows a derivative.

An *elementwise* row gives its primal and ONE local partial derivative per argument,
written against a namespace ``xp`` and allowed to use the op's own output ``out``
(``exp: out``, ``tanh: 1 - out*out``), as in ChainRules.jl/DiffRules.jl. From that single
expression both modes are derived:

    reverse:  xbar_k = unbroadcast(ybar * partial_k(xp, out, *args))
    forward:  ydot   = sum_k partial_k(xp, out, *args) * xdot_k

and because the partials are written against ``xp`` they run on floats and arrays (NUMPY)
and on SymPy expressions (SYMPY) -- which is how the table is tested against ``sympy.diff``
and how the symbolic reverse sweep builds derivative DAGs.

A *structural* row (matmul, sum, reshape, ...) moves entries around, so it gives explicit
per-argument vjps ``vjp_k(xp, ybar, out, *args, **kw)`` -- written against ``xp`` too, so every
mode runs them (``structural.py``) -- and one ``jvp(xdots, out, *args, **kw)`` (``xdots[k]`` is
None for a constant argument; forward tangents carry one leading axis of directions).

A row with ``partials=None`` has no gradient (step, sign): its cotangent is dropped.

Adding an op = adding one row to ``ROWS``; every namespace, both modes and the table tests
pick it up.

The SymPy column is written as a function of the ``sympy`` module (``lambda sp: sp.exp``),
resolved on first use: ``import diffcompare`` does not import SymPy (0.7 s) until a symbolic
feature needs it. ``vocabulary.py`` turns the table into namespaces (NUMPY is its primal
column; each mode builds its own from the rows).

Partials are written so that they do not cancel and do not multiply 0 by inf where the
true value is finite: ``sigmoid: 0.5 / (1 + cosh(x))``, which is ``1 / (4 cosh(x/2)**2)``
(``out * (1 - out)`` is 0 for x > 37, true 4e-18 at x = 40; and a third of the cost of computing
sigmoid(-x)), ``tanh: 1 / cosh(x)**2``
(``1 - out**2`` is 0 for x > 19; as cheap),
``pow: y * x**(y-1)`` with 0 where ``y == 0`` (``x**0`` at 0 is 1, its slope 0, not 0 * inf).
"""
from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from .structural import (  # the structural rows' rules
    _broadcast_jvp,
    _broadcast_to,
    _expand,
    _getitem,
    _getitem_jvp,
    _lse_jvp,
    _lse_vjp,
    _matmul_jvp,
    _matmul_vjp_a,
    _matmul_vjp_b,
    _mean_jvp,
    _mean_vjp,
    _reshape,
    _reshape_jvp,
    _scatter,
    _scatter_jvp,
    _shape,
    _sum_jvp,
    _transpose_jvp,
    _transpose_vjp,
    unbroadcast,
)

__all__ = ["Primitive", "ROWS", "TABLE", "unbroadcast", "CONSTANT_PARTIALS"]


@functools.cache
def _sympy():
    import sympy
    return sympy


@dataclass(frozen=True)
class Primitive:
    name: str
    impl: Callable                      # primal on floats / numpy arrays
    sympy: Callable                     # sp -> primal on ONE SymPy scalar (elementwise) or object arrays
    partials: Optional[tuple] = None    # elementwise: fn(xp, out, *args) per argument
    vjps: Optional[tuple] = None        # structural: fn(xp, ybar, out, *args, **kw) per argument
    jvp: Optional[Callable] = None      # structural: fn(xdots, out, *args, **kw)
    show: str = ""                      # how a tape prints it: "{0} + {1}", "exp({0})"
    domain: tuple = (-2.0, 2.0)         # where the table tests sample it (elementwise rows)
    nargs: int = 1
    notes: str = field(default="", compare=False)
    constant: Optional[tuple] = field(default=None, init=False, compare=False, repr=False)
    """(c_0, c_1, ...) when every partial is a constant (add: 1, 1): set below from the table."""
    passes: Optional[tuple] = field(default=None, init=False, compare=False, repr=False)
    """Per argument, where its partial is one of the rule's own inputs (mul: y, x; exp: out),
    as a position in (out, *args), else None: the sweep multiplies it in without a call."""

    @property
    def elementwise(self) -> bool:
        return self.vjps is None

    @functools.cached_property
    def sym(self):
        """The SymPy primal (SymPy imported on first use)."""
        return self.sympy(_sympy())

    def __repr__(self):
        return f"<primitive {self.name}>"


# --- primal implementations -------------------------------------------------------------
# Python floats take the math module (5-10x cheaper than a numpy ufunc on a scalar); where
# math raises (overflow, log(0), sqrt(-1)) numpy gives the IEEE answer (inf, -inf, nan) with
# its usual warning, so both paths return the same numbers.

def _fast(math_fn, np_fn):
    def f(x):
        if isinstance(x, float):
            try:
                return math_fn(x)
            except (OverflowError, ValueError):
                pass
        return np_fn(x)
    f.__name__ = np_fn.__name__
    f.scalar, f.array = math_fn, np_fn          # for code generation (compiled.py)
    return f


def _div(x, y):
    try:
        return x / y
    except ZeroDivisionError:          # Python floats raise; IEEE gives +-inf or nan
        return np.divide(np.float64(x), y)


def _pow(x, y):
    if isinstance(x, float) and isinstance(y, (float, int)):
        try:
            r = x ** y
            if not isinstance(r, complex):
                return r
        except (ZeroDivisionError, OverflowError):
            pass
        return np.power(np.float64(x), y)   # nan for a negative base, inf for 0**-1
    return x ** y


def _times0(a, b):
    """``a * b``, but 0 where ``a`` is 0 even if ``b`` is inf (``0**-1``) or -inf (``log 0``);
    SymPy values multiply plainly (the table's symbolic form)."""
    if a.__class__ is float or isinstance(a, (int, np.floating)):
        return 0.0 if a == 0 else a * b
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        p = a * b
        zero = a == 0
        return np.where(zero, 0.0, p) if zero.any() else p
    return a * b


def _inverse_square(c):
    return 1.0 / (c * c)


def _sym_mean(sp, x, axis=None, keepdims=False):
    s = np.sum(x, axis=axis, keepdims=keepdims)
    return s * sp.Rational(np.size(s), np.size(x))


def _sigmoid_math(x):
    # Both branches are exact and neither overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@functools.cache
def _expit():
    from scipy.special import expit  # imported on first use: scipy.special takes ~0.3 s
    return expit


# Below these, exp(-x) overflows (and warns) in the one-branch sigmoid.
_EXP_SAFE = {np.dtype(np.float64): -709.0, np.dtype(np.float32): -88.0}


def _sigmoid_np(x):
    # 1 / (1 + exp(-x)) is exact to ~1 ulp wherever exp(-x) is finite (for x < 0 the sum does
    # not cancel), in four in-place passes: 2x faster than scipy's expit, which is the same
    # two exact branches in one (slower) ufunc pass and takes over where exp(-x) would
    # overflow (and for NaN, float16, ...).
    if x.__class__ is np.ndarray and x.size:
        lo = _EXP_SAFE.get(x.dtype)
        if lo is not None and x.min() > lo:
            t = np.negative(x)
            np.exp(t, out=t)
            t += 1.0
            return np.reciprocal(t, out=t)
    return _expit()(x)


def _step(x):
    return np.heaviside(x, 0.5) if not isinstance(x, float) else (1.0 if x > 0 else 0.0 if x < 0 else 0.5 if x == 0 else x)


def _sign(x):
    return np.sign(x) if not isinstance(x, float) else (1.0 if x > 0 else -1.0 if x < 0 else x * 0.0)


def _maximum(x, y):
    if isinstance(x, float) and isinstance(y, float):
        return x if x > y else y if y > x else (x if x == y else np.maximum(x, y))
    return np.maximum(x, y)


def _minimum(x, y):
    if isinstance(x, float) and isinstance(y, float):
        return x if x < y else y if y < x else (x if x == y else np.minimum(x, y))
    return np.minimum(x, y)


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else (np.squeeze(r, axis=axis) if axis is not None else r.reshape(())[()])


def _sym_logsumexp(x, axis=None, keepdims=False):
    sp = _sympy()
    s = np.sum(_map1(sp.exp)(x), axis=axis, keepdims=keepdims)
    return _map1(sp.log)(s) if isinstance(s, np.ndarray) else sp.log(s)


def _map1(f):
    uf = np.frompyfunc(f, 1, 1)
    return lambda x: uf(x) if isinstance(x, np.ndarray) else f(x)


def _sum(x, axis=None, keepdims=False):
    if x.__class__ is np.ndarray and x.dtype.kind == "f":     # np.sum's checks, skipped
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)


def _mean(x, axis=None, keepdims=False):
    # np.mean is np.add.reduce and one division by the count (float16 aside); done directly.
    if x.__class__ is np.ndarray and x.dtype.kind == "f" and x.itemsize >= 4 and x.size:
        s = np.add.reduce(x, axis=axis, keepdims=keepdims)
        if s.__class__ is np.ndarray:
            return s / (x.size // s.size)
        return s.dtype.type(s / x.size)                        # a scalar: every entry counted
    return np.mean(x, axis=axis, keepdims=keepdims)


# --- THE table ---------------------------------------------------------------------------

P = Primitive
ROWS = (
    # elementwise rows: primal, SymPy primal (given the sympy module), one partial per argument
    P("add", operator.add, lambda sp: operator.add, (lambda xp, out, x, y: 1.0, lambda xp, out, x, y: 1.0),
      show="{0} + {1}", nargs=2),
    P("sub", operator.sub, lambda sp: operator.sub, (lambda xp, out, x, y: 1.0, lambda xp, out, x, y: -1.0),
      show="{0} - {1}", nargs=2),
    P("mul", operator.mul, lambda sp: operator.mul, (lambda xp, out, x, y: y, lambda xp, out, x, y: x),
      show="{0}*{1}", nargs=2),
    P("div", _div, lambda sp: operator.truediv,
      (lambda xp, out, x, y: _div(1.0, y), lambda xp, out, x, y: _div(-out, y)),
      show="{0}/{1}", nargs=2, domain=(0.3, 3.0)),
    P("neg", operator.neg, lambda sp: operator.neg, (lambda xp, out, x: -1.0,), show="-{0}"),
    P("pow", _pow, lambda sp: operator.pow,
      (lambda xp, out, x, y: _times0(y, _pow(x, y - 1)), lambda xp, out, x, y: _times0(out, xp.log(x))),
      show="{0}**{1}", nargs=2, domain=(0.3, 3.0)),
    P("exp", _fast(math.exp, np.exp), lambda sp: sp.exp, (lambda xp, out, x: out,), show="exp({0})"),
    P("log", _fast(math.log, np.log), lambda sp: sp.log, (lambda xp, out, x: _div(1.0, x),), show="log({0})",
      domain=(0.1, 5.0)),
    P("sin", _fast(math.sin, np.sin), lambda sp: sp.sin, (lambda xp, out, x: xp.cos(x),), show="sin({0})"),
    P("cos", _fast(math.cos, np.cos), lambda sp: sp.cos, (lambda xp, out, x: -xp.sin(x),), show="cos({0})"),
    P("sinh", _fast(math.sinh, np.sinh), lambda sp: sp.sinh, (lambda xp, out, x: xp.cosh(x),), show="sinh({0})"),
    P("cosh", _fast(math.cosh, np.cosh), lambda sp: sp.cosh, (lambda xp, out, x: xp.sinh(x),), show="cosh({0})"),
    P("tanh", _fast(math.tanh, np.tanh), lambda sp: sp.tanh,
      (lambda xp, out, x: _inverse_square(xp.cosh(x)),), show="tanh({0})"),
    P("sigmoid", _fast(_sigmoid_math, _sigmoid_np), lambda sp: (lambda x: 1 / (1 + sp.exp(-x))),
      (lambda xp, out, x: 0.5 / (1.0 + xp.cosh(x)),), show="sigmoid({0})", domain=(-4.0, 4.0)),
    P("sqrt", _fast(math.sqrt, np.sqrt), lambda sp: sp.sqrt, (lambda xp, out, x: _div(0.5, out),),
      show="sqrt({0})", domain=(0.1, 5.0)),
    P("abs", _fast(abs, np.abs), lambda sp: sp.Abs, (lambda xp, out, x: xp.sign(x),), show="|{0}|"),
    # Ties split the gradient evenly (Heaviside(0) = 1/2), as SymPy's Max and autograd do.
    P("maximum", _maximum, lambda sp: sp.Max,
      (lambda xp, out, x, y: xp.step(x - y), lambda xp, out, x, y: xp.step(y - x)),
      show="max({0}, {1})", nargs=2),
    P("minimum", _minimum, lambda sp: sp.Min,
      (lambda xp, out, x, y: xp.step(y - x), lambda xp, out, x, y: xp.step(x - y)),
      show="min({0}, {1})", nargs=2),
    # No gradient (zero almost everywhere): the perceptron's threshold, and sign.
    P("step", _step, lambda sp: (lambda x: sp.Heaviside(x, sp.S.Half)), None, show="step({0})",
      notes="Heaviside with step(0) = 1/2 (SymPy's convention); gradient 0 a.e."),
    P("sign", _sign, lambda sp: sp.sign, None, show="sign({0})"),

    # structural rows: explicit vjp per argument and one jvp
    P("matmul", operator.matmul, lambda sp: operator.matmul, None,
      vjps=(_matmul_vjp_a, _matmul_vjp_b), jvp=_matmul_jvp, show="{0} @ {1}", nargs=2),
    P("sum", _sum, lambda sp: np.sum, None,
      vjps=(lambda xp, ybar, out, x, axis=None, keepdims=False: _expand(xp, ybar, x, axis, keepdims),),
      jvp=_sum_jvp, show="sum({0})"),
    P("mean", _mean, lambda sp: functools.partial(_sym_mean, sp), None, vjps=(_mean_vjp,), jvp=_mean_jvp,
      show="mean({0})"),
    P("logsumexp", _logsumexp, lambda sp: _sym_logsumexp, None, vjps=(_lse_vjp,), jvp=_lse_jvp,
      show="logsumexp({0})"),
    P("reshape", _reshape, lambda sp: np.reshape, None,
      vjps=(lambda xp, ybar, out, x, shape: xp.reshape(ybar, _shape(x)),), jvp=_reshape_jvp,
      show="reshape({0})"),
    P("transpose", np.transpose, lambda sp: np.transpose, None, vjps=(_transpose_vjp,), jvp=_transpose_jvp,
      show="transpose({0})"),
    P("getitem", _getitem, lambda sp: _getitem, None,
      vjps=(lambda xp, ybar, out, x, index: xp.scatter(ybar, index=index, shape=_shape(x)),),
      jvp=_getitem_jvp, show="{0}[{index}]"),
    # the cotangents of getitem and of the reductions, as rows of their own (so every mode
    # can run the vjps above): each one's vjp is the other's forward
    P("broadcast_to", _broadcast_to, lambda sp: np.broadcast_to, None,
      vjps=(lambda xp, ybar, out, x, shape: unbroadcast(ybar, x, xp),), jvp=_broadcast_jvp,
      show="broadcast_to({0}, {shape})"),
    P("scatter", _scatter, lambda sp: _scatter, None,
      vjps=(lambda xp, ybar, out, g, index, shape: xp.getitem(ybar, index=index),), jvp=_scatter_jvp,
      show="scatter({0}, {index}, {shape})"),
)
del P

TABLE = {row.name: row for row in ROWS}


def _constant_partials(prim):
    """``(c_0, c_1, ...)`` when every partial of a row is a constant (add: 1, 1; sub: 1, -1):
    a partial that returns a float when handed opaque objects cannot depend on them."""
    o = object()
    try:
        cs = tuple(rule(o, o, *[o] * prim.nargs) for rule in prim.partials)
    except Exception:
        return None
    return cs if all(c.__class__ is float for c in cs) else None


for _row in ROWS:                                         # read on the hot paths as prim.constant
    if _row.partials is not None:
        object.__setattr__(_row, "constant", _constant_partials(_row))
CONSTANT_PARTIALS = {r.name: r.constant for r in ROWS if r.constant is not None}
"""Rows whose partials are constants (the same as their ``constant``): the sweeps add the
cotangent itself, not times 1."""


def _passing_partials(prim):
    """Per argument, the position in ``(out, *args)`` of the input its partial returns as is
    (mul: ``y`` and ``x``; exp: ``out``), else None -- found by handing the rule opaque objects
    and seeing which one comes back (``None`` for the row when no partial passes one)."""
    found = []
    for rule in prim.partials:
        objs = [object() for _ in range(prim.nargs + 1)]
        try:
            r = rule(object(), *objs)
        except Exception:
            r = None
        found.append(next((i for i, o in enumerate(objs) if r is o), None))
    return tuple(found) if any(i is not None for i in found) else None


for _row in ROWS:
    if _row.partials is not None and _row.constant is None:
        object.__setattr__(_row, "passes", _passing_partials(_row))
