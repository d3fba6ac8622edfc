"""The ``xp`` math namespaces a model is written against -- the same idea as SymPy's
``lambdify`` ("nothing more than a namespace translation").

Every namespace offers the same vocabulary, built from the primitive table (plus ``name``,
which labels a value for printed traces and is the identity everywhere else):

    exp log sin cos sinh cosh tanh sigmoid sqrt abs maximum minimum step sign
    sum mean logsumexp matmul reshape transpose getitem        + Python operators

========  ================================================================
NUMPY     floats and numpy arrays (the plain evaluation; primitives.py)
SYMPY     SymPy scalars, or numpy object arrays of SymPy expressions, with
          elementwise functions mapped over them (so ``matmul`` works on symbols)
TRACER    our reverse-mode tracer (``Box`` values; tracer.py)
FORWARD   our forward mode (``Dual`` values; forward.py)
AUTOGRAD  ``autograd.numpy`` -- the reference implementation
========  ================================================================

Each mode builds its own namespace from the table; this module gathers them. SYMPY and
AUTOGRAD are built on first use (``namespaces.SYMPY``), so importing diffcompare imports
neither SymPy nor autograd.
"""
from __future__ import annotations

import functools
import operator

import numpy as np

from .errors import UnknownOpError
from .forward import FORWARD
from .primitives import NUMPY, ROWS, TABLE, VOCABULARY, Namespace, _identity_name
from .tracer import TRACER

__all__ = ["Namespace", "NUMPY", "SYMPY", "TRACER", "FORWARD", "AUTOGRAD", "VOCABULARY", "get"]  # noqa: F822 (lazy)


def _sym_elementwise(prim):
    uf = np.frompyfunc(prim.sym, prim.nargs, 1)

    def f(*args):
        if any(isinstance(a, np.ndarray) for a in args):
            return uf(*args)
        return prim.sym(*args)
    f.__name__ = prim.name
    return f


@functools.cache
def _sympy_namespace():
    fns = {r.name: _sym_elementwise(r) if r.elementwise else r.sym for r in ROWS}
    fns["name"] = _identity_name
    return Namespace("SYMPY", fns)


@functools.cache
def _autograd_namespace():
    import autograd.numpy as anp
    from autograd.extend import defvjp, primitive
    from autograd.scipy.special import logsumexp

    scatter = primitive(TABLE["scatter"].impl)
    defvjp(scatter, lambda ans, g, index, shape: lambda gbar: gbar[index])

    def step(x):
        return anp.where(x > 0, 1.0, anp.where(x < 0, 0.0, 0.5))

    def sigmoid(x):
        return 0.5 * (anp.tanh(0.5 * x) + 1.0)

    fns = dict(
        add=operator.add, sub=operator.sub, mul=operator.mul, div=operator.truediv,
        neg=operator.neg, pow=operator.pow,
        exp=anp.exp, log=anp.log, sin=anp.sin, cos=anp.cos, sinh=anp.sinh, cosh=anp.cosh, tanh=anp.tanh,
        sigmoid=sigmoid,
        sqrt=anp.sqrt, abs=anp.abs, maximum=anp.maximum, minimum=anp.minimum, step=step,
        sign=anp.sign, matmul=anp.matmul, sum=anp.sum, mean=anp.mean, logsumexp=logsumexp,
        reshape=anp.reshape, transpose=anp.transpose, getitem=operator.getitem,
        broadcast_to=anp.broadcast_to, scatter=scatter, name=_identity_name)
    missing = set(TABLE) - set(fns)
    if missing:                                   # a row added to the table but not here
        raise UnknownOpError(f"the AUTOGRAD namespace lacks {sorted(missing)}")
    return Namespace("AUTOGRAD", fns)


_LAZY = {"SYMPY": _sympy_namespace, "AUTOGRAD": _autograd_namespace}


def __getattr__(name):
    if name in _LAZY:
        return _LAZY[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get(name):
    """A namespace by name: numpy, sympy, tracer, forward, autograd."""
    key = str(name).upper()
    if key in ("NUMPY", "TRACER", "FORWARD"):
        return {"NUMPY": NUMPY, "TRACER": TRACER, "FORWARD": FORWARD}[key]
    if key in _LAZY:
        return _LAZY[key]()
    raise UnknownOpError(f"unknown namespace {name!r}; known: numpy, sympy, tracer, forward, autograd")
