"""Forward mode: dual numbers driven by the SAME table as reverse mode.

A ``Dual`` carries a primal ``value`` and a ``tangent`` with one leading axis of directions,
so one forward pass pushes many unit directions at once: ``tangent[j]`` is d value / d
theta_j. Elementwise rows use their local partials (``ydot = sum_k partial_k * xdot_k``),
structural rows their ``jvp``. The n directions go in chunks (``chunk`` per pass, fewer
when the model's values are large) so memory stays bounded whatever n is.

NaN stays in its entry, as in reverse mode: at ``sqrt(0)`` the partial is inf, and
``inf * 0`` would put a nan into every direction whose tangent is 0 there -- including the
directions that do not even reach that entry, where reverse mode multiplies nothing. So a
pass whose result is not finite is run again with a *dependence mask* beside each tangent
(True where the entry depends on the direction; propagated by OR for elementwise rows and by
the row's own jvp over ones for structural rows), and a non-finite partial times a tangent
entry that does not depend on its direction gives 0. Finite passes (nearly all) pay nothing.
"""
from __future__ import annotations

import functools
import time

import numpy as np

from .errors import BadOptionError, BadParamsError, IntractableError
from .params import Layout, check_params, scalar_output
from .traced import Traced
from .vocabulary import NUMPY, namespace

__all__ = ["Dual", "FORWARD", "make", "jvp", "CHUNK", "TANGENT_BYTES"]

CHUNK = 256                 # directions per forward pass, at most
TANGENT_BYTES = 256 << 20   # ... and fewer when one pass's largest tangent would pass this


class Dual(Traced):
    __slots__ = ("value", "tangent", "mask")

    def __init__(self, value, tangent, mask=None):
        self.value, self.tangent, self.mask = value, tangent, mask

    # read on every op of the reverse sweep over duals (unbroadcast, the matmul vjps):
    # an array's own shape, not np.shape's dispatch
    shape = property(lambda self: self.value.shape if self.value.__class__ is np.ndarray else np.shape(self.value))


def _align(xdot, x, out):
    """Line a tangent (n, *x.shape) up with the output: insert the axes broadcasting adds."""
    extra = (out.ndim if out.__class__ is np.ndarray else np.ndim(out)) - \
        (x.ndim if x.__class__ is np.ndarray else np.ndim(x))
    if extra > 0:
        xdot = xdot.reshape((xdot.shape[0],) + (1,) * extra + np.shape(x))
    return xdot


def _finite(d):
    return np.isfinite(d).all() if isinstance(d, np.ndarray) else d - d == 0


def apply(prim, *args, **kw):
    """``prim`` applied to values some of which are dual: the primal, and its tangent."""
    vals = [a.value if a.__class__ is Dual else a for a in args]
    return tangent(prim, prim.impl(*vals, **kw) if kw else prim.impl(*vals), vals, args, kw)


def tangent(prim, out, vals, args, kw):
    """The dual of ``out = prim(*vals, **kw)`` (already computed) from the args' tangents."""
    # The hot path of forward mode and of forward-over-reverse: no masks. An elementwise row
    # costs one product per dual argument (none for a constant partial of +-1), a structural
    # row its jvp, and nothing else.
    partials = prim.partials
    if len(args) == 1:
        a = args[0]
        if a.__class__ is not Dual:
            return out
        if a.mask is None:
            if prim.vjps is not None:
                t = [a.tangent]
                return Dual(out, prim.jvp(t, out, vals[0], **kw) if kw else prim.jvp(t, out, vals[0]))
            if partials is not None:                 # elementwise: out has x's shape
                t, c, w = a.tangent, prim.constant, prim.passes
                if c is not None:
                    c = c[0]
                    return Dual(out, t if c == 1.0 else -t if c == -1.0 else c * t)
                if w is not None and w[0] is not None:   # the partial is out (exp) or x as is
                    return Dual(out, (out if w[0] == 0 else vals[0]) * t)
                return Dual(out, partials[0](NUMPY, out, vals[0]) * t)
            return out                               # no gradient (step, sign): a constant
        return _masked(prim, out, vals, args, kw, a)
    for first in args:
        if first.__class__ is Dual:
            break
    else:
        return out
    if first.mask is not None:
        return _masked(prim, out, vals, args, kw, first)
    if prim.vjps is not None:
        xdots = [a.tangent if a.__class__ is Dual else None for a in args]
        return Dual(out, prim.jvp(xdots, out, *vals, **kw) if kw else prim.jvp(xdots, out, *vals))
    if partials is None:
        return _masked(prim, out, vals, args, kw, first)
    shape = out.shape if out.__class__ is np.ndarray else np.shape(out)
    consts = prim.constant
    ydot, k = None, -1
    for a in args:
        k += 1
        if a.__class__ is not Dual:
            continue
        t = a.tangent
        if t.ndim - 1 != len(shape):
            t = _align(t, vals[k], out)
        if consts is None:
            t = partials[k](NUMPY, out, *vals) * t
        elif consts[k] != 1.0:
            t = -t if consts[k] == -1.0 else consts[k] * t
        ydot = t if ydot is None else ydot + t
    if ydot.shape[1:] != shape:
        ydot = np.broadcast_to(ydot, (first.tangent.shape[0],) + shape)
    return Dual(out, ydot)


def _masked(prim, out, vals, args, kw, first):
    """``tangent`` with dependence masks, and rows without a gradient."""
    n = first.tangent.shape[0]
    shape = np.shape(out)
    full = (n,) + shape
    masked = first.mask is not None
    if prim.partials is None and prim.vjps is None:          # no gradient
        return Dual(out, np.zeros(full), np.zeros(full, bool) if masked else None)
    mask = None
    if prim.elementwise:
        ydot, consts = None, prim.constant
        for k, a in enumerate(args):
            if a.__class__ is not Dual:
                continue
            t = a.tangent
            if t.ndim - 1 != len(shape):
                t = _align(t, vals[k], out)
            if consts is not None and consts[k] in (1.0, -1.0):     # add, sub, neg: no product
                d = consts[k]
                t = t if d == 1.0 else -t
            else:
                d = prim.partials[k](NUMPY, out, *vals)
                t = d * t
            if masked:
                m = _align(a.mask, vals[k], out)
                if not _finite(d):
                    t = np.where(m, t, 0.0)
                mask = m if mask is None else mask | m
            ydot = t if ydot is None else ydot + t
        if ydot.shape != full:
            ydot = np.broadcast_to(ydot, full)
        if masked:
            mask = np.broadcast_to(mask, full)
    else:
        xdots, masks = [None] * len(args), [None] * len(args)
        for k, a in enumerate(args):
            if a.__class__ is Dual:
                xdots[k] = a.tangent
                masks[k] = a.mask.astype(float) if masked else None
        ydot = prim.jvp(xdots, out, *vals, **kw)
        if masked:                       # the row's own jvp, over ones: where anything flows
            ones = [np.ones(np.shape(v)) if isinstance(v, np.ndarray) else 1.0 for v in vals]
            mask = prim.jvp(masks, np.ones(np.shape(out)), *ones, **kw) > 0
    return Dual(out, ydot, mask)


def _binary(prim, reflected):
    impl, partials, jvp, c, w = prim.impl, prim.partials, prim.jvp, prim.constant, prim.passes
    # how each argument's tangent enters, as ``tangent`` would make it: a constant (float: 1 as
    # it is, -1 negated, else times it), a position in (out, x, y) of its partial (int: mul's
    # y and x), or None (the row's partial is called)
    h0, h1 = (c[0], c[1]) if c is not None else (w[0], w[1]) if w is not None else (None, None)
    square = (h0, h1) == (2, 1)               # x * x: the two equal products, made once

    def op(self, other):                    # apply() for two arguments, without packing them
        x, y = (other, self) if reflected else (self, other)
        xd, yd = x.__class__ is Dual, y.__class__ is Dual
        xv = x.value if xd else x
        yv = y.value if yd else y
        out = impl(xv, yv)
        if (xd and x.mask is not None) or (yd and y.mask is not None):
            return tangent(prim, out, (xv, yv), (x, y), _NO_KW)
        if partials is None:
            if jvp is None or not (xd or yd):
                return tangent(prim, out, (xv, yv), (x, y), _NO_KW)
            return Dual(out, jvp([x.tangent if xd else None, y.tangent if yd else None], out, xv, yv))
        # The common case: each dual argument of the output's own shape (or all floats)
        oc = out.__class__
        if oc is np.ndarray:
            shape = out.shape
            if (xd and (xv.__class__ is not np.ndarray or xv.shape != shape)) or \
                    (yd and (yv.__class__ is not np.ndarray or yv.shape != shape)):
                return tangent(prim, out, (xv, yv), (x, y), _NO_KW)
        elif oc is not float or (xd and xv.__class__ is not float) or (yd and yv.__class__ is not float):
            return tangent(prim, out, (xv, yv), (x, y), _NO_KW)
        if square and xd and x is y:
            t = xv * x.tangent
            return Dual(out, t + t)
        t = _enters(h0, x.tangent, out, xv, yv, partials[0]) if xd else None
        if yd:
            u = _enters(h1, y.tangent, out, xv, yv, partials[1])
            t = u if t is None else t + u
        return out if t is None else Dual(out, t)
    return op


def _enters(h, t, out, xv, yv, partial):
    """One argument's share of a binary row's tangent (``h`` as in ``_binary``)."""
    if h is None:
        return partial(NUMPY, out, xv, yv) * t
    if h.__class__ is int:
        return (out if h == 0 else xv if h == 1 else yv) * t
    return t if h == 1.0 else -t if h == -1.0 else h * t


def _unary(prim, x, kw):
    """apply() for one argument (the namespace's unary functions, ``-x``, ``x[i]``, ``x.T``).
    Without masks, the dual is made here, as ``tangent``'s one-argument branch makes it (this
    is the hot path of forward-over-reverse: that call and its packing are saved)."""
    if x.__class__ is not Dual:
        return prim.impl(x, **kw) if kw else prim.impl(x)
    xv = x.value
    out = prim.impl(xv, **kw) if kw else prim.impl(xv)
    if x.mask is not None:
        return tangent(prim, out, (xv,), (x,), kw or _NO_KW)
    if prim.jvp is not None:                                   # structural
        return Dual(out, prim.jvp([x.tangent], out, xv, **kw) if kw else prim.jvp([x.tangent], out, xv))
    partials = prim.partials
    if partials is None:
        return out                                             # no gradient (step, sign): a constant
    t, c, w = x.tangent, prim.constant, prim.passes
    if c is not None:
        c = c[0]
        return Dual(out, t if c == 1.0 else -t if c == -1.0 else c * t)
    if w is not None and w[0] is not None:
        return Dual(out, (out if w[0] == 0 else xv) * t)
    return Dual(out, partials[0](NUMPY, out, xv) * t)


_NO_KW = {}


def _function(prim):
    """The FORWARD namespace's function for one row."""
    if prim.nargs == 1:
        return lambda x, **kw: _unary(prim, x, kw)
    if prim.nargs == 2:
        op = _binary(prim, False)
        return lambda x, y, **kw: apply(prim, x, y, **kw) if kw else op(x, y)
    return functools.partial(apply, prim)


Dual.install(_binary, _unary)
FORWARD = namespace("FORWARD", _function)


def chunk_size(params, chunk=CHUNK, limit=TANGENT_BYTES):
    """Directions per pass: ``chunk``, fewer if a pass's param tangents would pass ``limit``
    bytes (a tangent is directions x the value's size x 8 bytes; the model's intermediate
    values are assumed no larger than its largest param or ten times the params' total)."""
    biggest = max(max((int(np.size(v)) for v in params.values()), default=1), 1)
    per_direction = 8 * max(biggest, sum(int(np.size(v)) for v in params.values()) // 10, 1)
    return max(1, min(chunk, limit // per_direction))


DEFAULT_BUDGET = 60.0      # estimated seconds a gradient may take before the method refuses


def make(f, params, chunk=CHUNK, budget=DEFAULT_BUDGET):
    """The ``autodiff-forward`` method: one forward pass per chunk of unit directions. The
    first pass is timed; if all of them would pass ``budget`` seconds the gradient is refused
    (``IntractableError`` naming the estimate; ``budget=None`` allows it)."""
    if not (isinstance(chunk, int) and not isinstance(chunk, bool) and chunk > 0):
        raise BadOptionError(f"chunk must be a positive integer, got {chunk!r}")
    if budget is not None and not (isinstance(budget, (int, float)) and budget > 0):
        raise BadOptionError(f"budget must be a positive number of seconds or None, got {budget!r}")
    layout = Layout(params)
    step = chunk_size(params, chunk)

    def run(params, lo, hi, masked):
        duals = {}
        for name, sl in zip(layout.names, layout.slices):
            v = params[name]
            # tangents in the param's own float type: a float32 model is differentiated in float32
            t = np.zeros((hi - lo, sl.stop - sl.start), dtype=v.dtype if isinstance(v, (np.ndarray, np.floating)) else float)
            a, b = max(sl.start, lo), min(sl.stop, hi)
            if a < b:
                t[np.arange(a - lo, b - lo), np.arange(a - sl.start, b - sl.start)] = 1.0
            t = t.reshape((hi - lo,) + np.shape(v))
            duals[name] = Dual(v, t, t != 0 if masked else None)
        return scalar_output(f(duals, FORWARD))

    def call(params):
        flat = np.zeros(layout.n)
        value, passes = None, 0
        for lo in range(0, max(layout.n, 1), step):
            hi = min(lo + step, layout.n)
            t0 = time.perf_counter()
            out = run(params, lo, hi, False)
            passes += 1
            if passes == 1 and budget is not None and layout.n > hi:
                _within_budget((time.perf_counter() - t0) * layout.n / (hi - lo), layout.n, step, budget)
            if out.__class__ is not Dual:            # f does not depend on params
                value = out
                break
            if not _finite(out.tangent):             # keep each nan in its own entry
                out = run(params, lo, hi, True)
                passes += 1
            value = out.value
            flat[lo:hi] = out.tangent
        return value, layout.unflatten(flat, cast=False), {"forward_passes": passes}
    return call


def _within_budget(estimate, n, step, budget):
    if estimate > budget:
        raise IntractableError(
            f"forward mode: a gradient needs {(n + step - 1) // step:,} passes of {step} directions "
            f"(n = {n:,} parameters), about {estimate:.3g} s -- past the budget of {budget:g} s; pass "
            "budget=SECONDS (or budget=None) to allow it, or use autodiff (reverse mode: one pass)",
            budget=budget, step="forward mode", kind="estimate")


def jvp(f, params, tangents):
    """``(value, directional derivative)`` of ``f`` at ``params`` along ``tangents`` (a dict
    shaped like params), in ONE forward pass -- what forward mode does best."""
    params = check_params(params)
    tangents = check_params(tangents)
    if set(tangents) != set(params):
        raise BadParamsError(f"tangents must have the params' names {sorted(params)}, got {sorted(tangents)}")
    duals = {}
    for k, v in params.items():
        t = np.asarray(tangents[k], dtype=float)
        if t.shape != np.shape(v):
            raise BadParamsError(f"tangent {k!r} has shape {t.shape}, the param {np.shape(v)}")
        duals[k] = Dual(v, t[None])
    out = scalar_output(f(duals, FORWARD))
    if out.__class__ is not Dual:
        return out, 0.0
    return out.value, float(out.tangent[0])
