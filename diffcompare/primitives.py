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
per-argument vjps ``vjp_k(ybar, out, *args, **kw)`` and one ``jvp(xdots, out, *args, **kw)``
(``xdots[k]`` is None for a constant argument; forward tangents carry one leading axis of
directions).

A row with ``partials=None`` has no gradient (step, sign): its cotangent is dropped.

Adding an op = adding one row to ``ROWS``; every namespace, both modes and the table tests
pick it up.

The SymPy column is written as a function of the ``sympy`` module (``lambda sp: sp.exp``),
resolved on first use: ``import diffcompare`` does not import SymPy (0.7 s) until a symbolic
feature needs it. ``Namespace`` and the plain ``NUMPY`` namespace (the table's primal column)
live here too, so every mode can build its own namespace from the table without importing
another mode.

Partials are written so that they do not cancel and do not multiply 0 by inf where the
true value is finite: ``sigmoid: 1 / (4 cosh(x/2)**2)`` (``out * (1 - out)`` is 0 for x > 37,
true 4e-18 at x = 40; and a third of the cost of computing sigmoid(-x)), ``tanh: 1 / cosh(x)**2``
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

from .errors import UnknownOpError

__all__ = ["Primitive", "ROWS", "TABLE", "unbroadcast", "Namespace", "NUMPY", "VOCABULARY", "namespace",
           "CONSTANT_PARTIALS"]


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
    vjps: Optional[tuple] = None        # structural: fn(ybar, out, *args, **kw) per argument
    jvp: Optional[Callable] = None      # structural: fn(xdots, out, *args, **kw)
    show: str = ""                      # how a tape prints it: "{0} + {1}", "exp({0})"
    domain: tuple = (-2.0, 2.0)         # where the table tests sample it (elementwise rows)
    nargs: int = 1
    notes: str = field(default="", compare=False)

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


def _sigmoid_np(x):
    # scipy's expit is the same two exact branches, in one ufunc pass (5x fewer than in numpy).
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


# --- structural rules: vjps written against xp, so every mode runs them ------------------
# A structural vjp is ``fn(xp, ybar, out, *args, **kw)``, written with ``xp`` functions and
# Python operators only: on numbers it is the reverse sweep, on dual numbers (xp = FORWARD)
# it is forward-over-reverse (Hessian-vector products), on source fragments it is code.
# jvps carry a leading axis of directions on the tangents.

def _shape(x):
    return x.shape if x.__class__ is np.ndarray else getattr(x, "shape", ())


def unbroadcast(g, x, xp=None):
    """Sum a cotangent ``g`` back to the shape of argument ``x`` -- the ONE place where
    broadcasting is undone in the reverse pass (numbers directly; other values through
    ``xp.sum``)."""
    xs = _shape(x)
    gs = _shape(g)
    if gs == xs:
        return g
    lead = len(gs) - len(xs)
    if g.__class__ is not np.ndarray and xp is not None:      # a dual number, source, ...
        if lead > 0:
            g = xp.sum(g, axis=tuple(range(lead)))
        axes = tuple(i for i, n in enumerate(xs) if n == 1 and _shape(g)[i] != 1)
        return xp.sum(g, axis=axes, keepdims=True) if axes else g
    if lead > 0:
        g = np.add.reduce(g, axis=0) if lead == 1 else g.sum(axis=tuple(range(lead)))
        if lead == 1 and g.shape == xs and xs:                # a bias: done
            return g
    axes = tuple(i for i, n in enumerate(xs) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if not xs and isinstance(x, float):
        return float(g) if g.dtype != object else g[()]
    return g


def _kept(shape, axis):
    """The shape of a reduction over ``axis`` with keepdims."""
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand(xp, ybar, x, axis, keepdims):
    """Broadcast the cotangent of a reduction back over the reduced axes."""
    if axis is not None and not keepdims:
        ybar = xp.reshape(ybar, _kept(_shape(x), axis))
    return xp.broadcast_to(ybar, _shape(x))


def _broadcast_to(x, shape):
    # A filled array, not np.broadcast_to's read-only view: cheaper to make, and writable.
    g = np.empty(shape, np.result_type(x))
    g[...] = x
    return g


def _broadcast_jvp(xdots, out, x, shape):
    (d,) = xdots
    d = d.reshape((d.shape[0],) + (1,) * (len(shape) - np.ndim(x)) + _shape(x))
    return np.broadcast_to(d, (d.shape[0],) + tuple(shape))


def _swap(xp, a):
    """``a`` with its last two axes swapped (``.T`` of a matrix)."""
    n = len(_shape(a))
    return xp.transpose(a, axes=tuple(range(n - 2)) + (n - 1, n - 2))


def _column(xp, v):
    return xp.reshape(v, _shape(v) + (1,))


def _matmul_vjp_a(xp, ybar, out, a, b):
    na, nb = len(_shape(a)), len(_shape(b))
    if na == 2 and nb == 2:                                   # the common case, directly
        return ybar @ b.T
    if nb == 1:                                               # out[..., i] = sum_k a[..., i, k] b[k]
        return unbroadcast(_column(xp, ybar) * b, a, xp)
    if na == 1:                                               # out[..., j] = sum_k a[k] b[..., k, j]
        g = b @ _column(xp, ybar)
        return unbroadcast(xp.reshape(g, _shape(g)[:-1]), a, xp)
    return unbroadcast(ybar @ _swap(xp, b), a, xp)


def _matmul_vjp_b(xp, ybar, out, a, b):
    na, nb = len(_shape(a)), len(_shape(b))
    if na == 2 and nb == 2:
        return a.T @ ybar
    if na == 1 and nb == 1:
        return unbroadcast(ybar * a, b, xp)
    if nb == 1:
        g = _swap(xp, a) @ _column(xp, ybar)
        return unbroadcast(xp.reshape(g, _shape(g)[:-1]), b, xp)
    if na == 1:
        ys = _shape(ybar)
        return unbroadcast(_column(xp, a) * xp.reshape(ybar, ys[:-1] + (1, ys[-1])), b, xp)
    return unbroadcast(_swap(xp, a) @ ybar, b, xp)


def _matmul_jvp(xdots, out, a, b):
    # Tangents carry a leading axis of directions, over which matmul broadcasts -- except
    # a 1-D right operand, whose tangent (n, k) would be read as a matrix.
    da, db = xdots
    r = None if da is None else da @ b
    if db is not None:
        t = np.einsum("...k,nk->n...", a, db) if np.ndim(b) == 1 else a @ db
        r = t if r is None else r + t
    return r


def _tangent_axis(axis):
    """A reduction axis of the primal, seen from a tangent with a leading directions axis."""
    if axis is None:
        return None
    if isinstance(axis, tuple):
        return tuple(a + 1 if a >= 0 else a for a in axis)
    return axis + 1 if axis >= 0 else axis


def _sum_jvp(xdots, out, x, axis=None, keepdims=False):
    (d,) = xdots
    ax = tuple(range(1, d.ndim)) if axis is None else _tangent_axis(axis)
    return d.sum(axis=ax, keepdims=keepdims and axis is not None)


def _mean_jvp(xdots, out, x, axis=None, keepdims=False):
    return _sum_jvp(xdots, out, x, axis, keepdims) * (np.size(out) / np.size(x))


def _mean_vjp(xp, ybar, out, x, axis=None, keepdims=False):
    return _expand(xp, ybar * (_size(out) / _size(x)), x, axis, keepdims)


def _size(x):
    return math.prod(_shape(x))


def _lse_vjp(xp, ybar, out, x, axis=None, keepdims=False):
    if axis is not None and not keepdims:
        kept = _kept(_shape(x), axis)
        ybar, out = xp.reshape(ybar, kept), xp.reshape(out, kept)
    return ybar * xp.exp(x - out)


def _lse_jvp(xdots, out, x, axis=None, keepdims=False):
    (d,) = xdots
    o = out if (axis is None or keepdims) else np.expand_dims(out, axis)
    p = np.exp(x - o)
    ax = tuple(range(1, d.ndim)) if axis is None else _tangent_axis(axis)
    return (d * p).sum(axis=ax, keepdims=keepdims and axis is not None)


def _reshape_jvp(xdots, out, x, shape):
    (d,) = xdots
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return d.reshape((d.shape[0],) + shape)


def _transpose_jvp(xdots, out, x, axes=None):
    (d,) = xdots
    axes = tuple(reversed(range(np.ndim(x)))) if axes is None else axes
    return d.transpose((0,) + tuple(a + 1 for a in axes))


def _transpose_vjp(xp, ybar, out, x, axes=None):
    return xp.transpose(ybar, axes=None if axes is None else tuple(int(i) for i in np.argsort(axes)))


def _getitem(x, index):
    return x[index]


def _getitem_jvp(xdots, out, x, index):
    (d,) = xdots
    index = index if isinstance(index, tuple) else (index,)
    return d[(slice(None),) + index]


def _scatter(g, index, shape):
    """A zero array of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate):
    the cotangent of ``x[index]``."""
    dt = np.result_type(g)
    z = np.zeros(shape, dtype=dt)
    np.add.at(z, index, g)
    return z


def _scatter_jvp(xdots, out, g, index, shape):
    (d,) = xdots
    z = np.zeros((d.shape[0],) + tuple(shape), dtype=d.dtype)
    np.add.at(z, (slice(None),) + (index if isinstance(index, tuple) else (index,)), d)
    return z


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
      (lambda xp, out, x: 0.25 * _inverse_square(xp.cosh(0.5 * x)),), show="sigmoid({0})", domain=(-4.0, 4.0)),
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
    P("reshape", np.reshape, lambda sp: np.reshape, None,
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


CONSTANT_PARTIALS = {r.name: c for r in ROWS if r.partials is not None and (c := _constant_partials(r)) is not None}
"""Rows whose partials are constants: the sweeps add the cotangent itself, not times 1."""


# --- namespaces: a bag of functions, and the plain one over the table's primal column ------

VOCABULARY = tuple(r.name for r in ROWS if r.name not in ("add", "sub", "mul", "div", "neg", "pow")) + ("name",)


class Namespace:
    """A named bag of functions; asking for a function it lacks is a clear error."""

    def __init__(self, name, functions):
        self.__name__ = name
        self._functions = dict(functions)
        self.__dict__.update(self._functions)

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise UnknownOpError(
            f"namespace {self.__name__} has no op {attr!r}: models may use only "
            f"{', '.join(VOCABULARY)} and Python operators. To add an op, add one row to "
            "ROWS in diffcompare/primitives.py (primal, SymPy primal, one partial per argument)")

    def __repr__(self):
        return f"<xp {self.__name__}>"


def _identity_name(x, label):
    return x


def _keyword_metadata(prim, fn):
    """Let a structural row take its metadata positionally too (``xp.reshape(a, (3, 1))``,
    ``xp.sum(a, 0)``), as numpy does; the modes' functions take it by keyword."""
    if prim.elementwise or prim.nargs != 1:
        return fn
    names = prim.vjps[0].__code__.co_varnames[4:prim.vjps[0].__code__.co_argcount]

    def f(x, *meta, **kw):
        if len(meta) > len(names):
            raise TypeError(f"{prim.name}() takes at most {len(names)} metadata arguments")
        return fn(x, **dict(zip(names, meta), **kw)) if meta else fn(x, **kw)
    f.__name__ = prim.name
    return f


def namespace(name, op, label=_identity_name):
    """The namespace of one mode: ``op(prim)`` is its function for a row; ``label(x, name)``
    names a value (the tracer records it, elsewhere the identity)."""
    fns = {r.name: _keyword_metadata(r, op(r)) for r in ROWS}
    fns["name"] = label
    return Namespace(name, fns)


NUMPY = Namespace("NUMPY", dict({r.name: r.impl for r in ROWS}, name=_identity_name))
