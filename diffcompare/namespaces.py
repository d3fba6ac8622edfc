"""The ``xp`` math namespaces a model is written against -- the same idea as SymPy's
``lambdify`` ("nothing more than a namespace translation").

Every namespace offers the same vocabulary, built from the primitive table (plus ``name``,
which labels a value for printed traces and is the identity everywhere else):

    exp log sin cos tanh sigmoid sqrt abs maximum minimum step sign
    sum mean logsumexp matmul reshape transpose getitem        + Python operators

========  ================================================================
NUMPY     floats and numpy arrays (the plain evaluation)
SYMPY     SymPy scalars, or numpy object arrays of SymPy expressions, with
          elementwise functions mapped over them (so ``matmul`` works on symbols)
TRACER    our reverse-mode tracer (``Box`` values)
FORWARD   our forward mode (``Dual`` values)
AUTOGRAD  ``autograd.numpy`` -- the reference implementation
========  ================================================================
"""
from __future__ import annotations

import numpy as np

from . import forward as _forward
from . import tracer as _tracer
from .errors import UnknownOpError
from .primitives import ROWS, TABLE

__all__ = ["Namespace", "NUMPY", "SYMPY", "TRACER", "FORWARD", "AUTOGRAD", "VOCABULARY", "get"]

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


def _sym_elementwise(prim):
    uf = np.frompyfunc(prim.sym, prim.nargs, 1)

    def f(*args):
        if any(isinstance(a, np.ndarray) for a in args):
            return uf(*args)
        return prim.sym(*args)
    f.__name__ = prim.name
    return f


def _tracer_name(x, label):
    if x.__class__ is _tracer.Box:
        x.tape.labels[x.index] = label
    return x


def _build_numpy():
    fns = {r.name: r.impl for r in ROWS}
    fns["name"] = _identity_name
    return Namespace("NUMPY", fns)


def _build_sympy():
    fns = {}
    for r in ROWS:
        fns[r.name] = _sym_elementwise(r) if r.elementwise else r.sym
    fns["name"] = _identity_name
    return Namespace("SYMPY", fns)


def _keyword_metadata(prim, fn):
    """Let a structural row take its metadata positionally too (``xp.reshape(a, (3, 1))``,
    ``xp.sum(a, 0)``), as NUMPY does; the recorders take it by keyword."""
    if prim.elementwise or prim.nargs != 1:
        return fn
    import inspect
    names = list(inspect.signature(prim.vjps[0]).parameters)[3:]

    def f(x, *meta, **kw):
        if meta:
            if len(meta) > len(names):
                raise TypeError(f"{prim.name}() takes at most {len(names)} metadata arguments")
            kw = dict(zip(names, meta), **kw)
        return fn(x, **kw)
    f.__name__ = prim.name
    return f


def _build_tracer():
    fns = {r.name: _keyword_metadata(r, _tracer.traced(r)) for r in ROWS}
    fns["name"] = _tracer_name
    return Namespace("TRACER", fns)


def _build_forward():
    fns = {r.name: _keyword_metadata(r, _forward.forward_op(r)) for r in ROWS}
    fns["name"] = _identity_name
    return Namespace("FORWARD", fns)


def _build_autograd():
    import operator

    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    def step(x):
        return anp.where(x > 0, 1.0, anp.where(x < 0, 0.0, 0.5))

    def sigmoid(x):
        return 0.5 * (anp.tanh(0.5 * x) + 1.0)

    fns = dict(
        add=operator.add, sub=operator.sub, mul=operator.mul, div=operator.truediv,
        neg=operator.neg, pow=operator.pow,
        exp=anp.exp, log=anp.log, sin=anp.sin, cos=anp.cos, tanh=anp.tanh, sigmoid=sigmoid,
        sqrt=anp.sqrt, abs=anp.abs, maximum=anp.maximum, minimum=anp.minimum, step=step,
        sign=anp.sign, matmul=anp.matmul, sum=anp.sum, mean=anp.mean, logsumexp=logsumexp,
        reshape=anp.reshape, transpose=anp.transpose, getitem=operator.getitem,
        name=_identity_name)
    missing = set(TABLE) - set(fns)
    assert not missing, f"AUTOGRAD namespace lacks {missing}"
    return Namespace("AUTOGRAD", fns)


NUMPY = _build_numpy()
SYMPY = _build_sympy()
TRACER = _build_tracer()
FORWARD = _build_forward()
_tracer._NP = NUMPY


class _LazyAutograd:
    """autograd is imported on first use (it is the reference, not needed to run a model)."""

    _ns = None

    def __getattr__(self, attr):
        if _LazyAutograd._ns is None:
            _LazyAutograd._ns = _build_autograd()
        return getattr(_LazyAutograd._ns, attr)

    def __repr__(self):
        return "<xp AUTOGRAD>"


AUTOGRAD = _LazyAutograd()

_BY_NAME = {"numpy": NUMPY, "sympy": SYMPY, "tracer": TRACER, "forward": FORWARD, "autograd": AUTOGRAD}


def get(name):
    try:
        return _BY_NAME[name.lower()]
    except KeyError:
        raise UnknownOpError(f"unknown namespace {name!r}; known: {', '.join(_BY_NAME)}") from None
