"""The structural rows' rules (matmul, the reductions, reshape, transpose, getitem and their
cotangents broadcast_to and scatter): each vjp is ``fn(xp, ybar, out, *args, **kw)``, written
with ``xp`` functions and Python operators only, so every mode runs it -- numbers (the reverse
sweep), dual numbers (forward-over-reverse), source fragments (the compiled program). jvps carry
a leading axis of directions on the tangents. The table that uses them is ``primitives.py``;
``unbroadcast`` is the ONE place broadcasting is undone in the reverse pass.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["unbroadcast"]


def _shape(x):
    c = x.__class__
    if c is np.ndarray:
        return x.shape
    if c is float:
        return ()
    v = getattr(x, "value", None)                 # a dual number's (or a box's) primal array
    if v.__class__ is np.ndarray:
        return v.shape
    return getattr(x, "shape", ())


def unbroadcast(g, x, xp=None):
    """Sum a cotangent ``g`` back to the shape of argument ``x`` -- the ONE place where
    broadcasting is undone in the reverse pass (numbers directly; other values through
    ``xp.sum``)."""
    if g.__class__ is np.ndarray and x.__class__ is np.ndarray:     # the common case: a bias
        xs, gs = x.shape, g.shape
        if len(gs) == len(xs) + 1 and gs[1:] == xs:
            return np.add.reduce(g, axis=0)
    else:
        xv, gv = getattr(x, "value", x), getattr(g, "value", g)        # a dual's (a box's) primal
        xs = xv.shape if xv.__class__ is np.ndarray else _shape(x)
        gs = gv.shape if gv.__class__ is np.ndarray else _shape(g)
    if gs == xs:
        return g
    lead = len(gs) - len(xs)
    if g.__class__ is not np.ndarray and xp is not None:      # a dual number, source, ...
        if lead == 1 and gs[1:] == xs:                        # a bias
            return xp.sum(g, axis=(0,))
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
    if ybar.__class__ is np.ndarray and ybar.dtype.kind == "f":
        xs = _shape(x)           # a cotangent of numbers (x may be dual): numbers, directly
        if axis is not None and not keepdims:
            if axis.__class__ is int and -len(xs) <= axis < len(xs):
                a = axis % len(xs)
                ybar = ybar.reshape(xs[:a] + (1,) + xs[a + 1:])
            else:
                ybar = ybar.reshape(_kept(xs, axis))
        return ybar if ybar.shape == xs else _broadcast_to(ybar, xs)
    xs = _shape(x)
    if axis is not None and not keepdims:
        ybar = xp.reshape(ybar, _kept(xs, axis))
    if ybar.__class__ is np.ndarray and ybar.shape == xs:    # reduced over axes of length 1
        return ybar
    return xp.broadcast_to(ybar, xs)


def _reshape(x, shape):
    return x.reshape(shape) if x.__class__ is np.ndarray else np.reshape(x, shape)


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


def _ndim(x):
    if x.__class__ is np.ndarray:
        return x.ndim
    v = getattr(x, "value", None)                 # a dual's (a box's) primal
    return v.ndim if v.__class__ is np.ndarray else len(_shape(x))


def _matmul_vjp_a(xp, ybar, out, a, b):
    na = a.ndim if a.__class__ is np.ndarray else _ndim(a)
    nb = b.ndim if b.__class__ is np.ndarray else _ndim(b)
    if na == 2 and nb == 2:                                   # the common case, directly
        return ybar @ b.T
    if nb == 1:                                               # out[..., i] = sum_k a[..., i, k] b[k]
        return unbroadcast(_column(xp, ybar) * b, a, xp)
    if na == 1:                                               # out[..., j] = sum_k a[k] b[..., k, j]
        g = b @ _column(xp, ybar)
        return unbroadcast(xp.reshape(g, _shape(g)[:-1]), a, xp)
    return unbroadcast(ybar @ _swap(xp, b), a, xp)


def _matmul_vjp_b(xp, ybar, out, a, b):
    na = a.ndim if a.__class__ is np.ndarray else _ndim(a)
    nb = b.ndim if b.__class__ is np.ndarray else _ndim(b)
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
        t = np.einsum("...k,nk->n...", a, db) if _ndim(b) == 1 else a @ db
        r = t if r is None else r + t
    return r


def _tangent_axis(axis):
    """A reduction axis of the primal, seen from a tangent with a leading directions axis."""
    if axis is None:
        return None
    if axis.__class__ is tuple:
        if len(axis) == 1:
            a = axis[0]
            return (a + 1 if a >= 0 else a,)
        return tuple(a + 1 if a >= 0 else a for a in axis)
    return axis + 1 if axis >= 0 else axis


def _sum_jvp(xdots, out, x, axis=None, keepdims=False):
    (d,) = xdots
    ax = tuple(range(1, d.ndim)) if axis is None else _tangent_axis(axis)
    return np.add.reduce(d, axis=ax, keepdims=keepdims and axis is not None)


def _mean_jvp(xdots, out, x, axis=None, keepdims=False):
    return _sum_jvp(xdots, out, x, axis, keepdims) * (np.size(out) / np.size(x))


def _mean_vjp(xp, ybar, out, x, axis=None, keepdims=False):
    if axis is None and not keepdims and (ybar.__class__ is float or isinstance(ybar, np.floating)):
        xs = _shape(x)           # the whole mean, of a number (x may be dual): numbers, directly
        return _broadcast_to(ybar * (1 / math.prod(xs)), xs)
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
    if axes is None and d.ndim == 3:                          # a matrix's .T
        return d.transpose(0, 2, 1)
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
