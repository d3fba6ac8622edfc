"""Forward mode: dual numbers driven by the SAME table as reverse mode.

A ``Dual`` carries a primal ``value`` and a ``tangent`` with one leading axis of directions,
so one forward pass pushes all n unit directions at once (in chunks, to bound memory):
``tangent[j]`` is d value / d theta_j. Elementwise rows use their local partials
(``ydot = sum_k partial_k * xdot_k``); structural rows use their ``jvp``.
"""
from __future__ import annotations

import numpy as np

from .errors import NonScalarOutputError, TracerError
from .primitives import TABLE

__all__ = ["Dual", "make", "CHUNK"]

CHUNK = 256   # directions per forward pass


class Dual:
    __slots__ = ("value", "tangent")
    __array_priority__ = 100.0

    def __init__(self, value, tangent):
        self.value, self.tangent = value, tangent

    def __add__(self, o): return apply(_T["add"], self, o)
    def __radd__(self, o): return apply(_T["add"], o, self)
    def __sub__(self, o): return apply(_T["sub"], self, o)
    def __rsub__(self, o): return apply(_T["sub"], o, self)
    def __mul__(self, o): return apply(_T["mul"], self, o)
    def __rmul__(self, o): return apply(_T["mul"], o, self)
    def __truediv__(self, o): return apply(_T["div"], self, o)
    def __rtruediv__(self, o): return apply(_T["div"], o, self)
    def __pow__(self, o): return apply(_T["pow"], self, o)
    def __rpow__(self, o): return apply(_T["pow"], o, self)
    def __matmul__(self, o): return apply(_T["matmul"], self, o)
    def __rmatmul__(self, o): return apply(_T["matmul"], o, self)
    def __neg__(self): return apply(_T["neg"], self)
    def __pos__(self): return self
    def __getitem__(self, index): return apply(_T["getitem"], self, index=index)
    def __lt__(self, o): return self.value < _primal(o)
    def __le__(self, o): return self.value <= _primal(o)
    def __gt__(self, o): return self.value > _primal(o)
    def __ge__(self, o): return self.value >= _primal(o)
    def __bool__(self): return bool(self.value)
    def __len__(self): return len(self.value)

    shape = property(lambda self: np.shape(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    size = property(lambda self: np.size(self.value))
    dtype = property(lambda self: np.result_type(self.value))
    T = property(lambda self: apply(_T["transpose"], self))

    def _escape(self, *_, **__):
        raise TracerError("a numpy/math function (or float()) was called on a dual number "
                          "behind the namespace's back: use the xp your function receives")

    __array__ = __float__ = __int__ = __complex__ = __index__ = _escape


_T = TABLE


def _primal(x):
    return x.value if x.__class__ is Dual else x


def _align(xdot, x, out):
    """Line a tangent (n, *x.shape) up with the output: insert the axes broadcasting adds."""
    extra = np.ndim(out) - np.ndim(x)
    if extra > 0:
        xdot = xdot.reshape((xdot.shape[0],) + (1,) * extra + np.shape(x))
    return xdot


def apply(prim, *args, **kw):
    vals = [a.value if a.__class__ is Dual else a for a in args]
    out = prim.impl(*vals, **kw)
    duals = [(k, a.tangent) for k, a in enumerate(args) if a.__class__ is Dual]
    if not duals:
        return out
    n = duals[0][1].shape[0]
    if prim.partials is None and prim.vjps is None:          # no gradient
        return Dual(out, np.zeros((n,) + np.shape(out)))
    if prim.elementwise:
        from .namespaces import NUMPY
        ydot = None
        for k, xdot in duals:
            t = prim.partials[k](NUMPY, out, *vals) * _align(xdot, vals[k], out)
            ydot = t if ydot is None else ydot + t
        full = (n,) + np.shape(out)
        if ydot.shape != full:
            ydot = np.broadcast_to(ydot, full)
    else:
        xdots = [None] * len(args)
        for k, xdot in duals:
            xdots[k] = xdot
        ydot = prim.jvp(xdots, out, *vals, **kw)
    return Dual(out, ydot)


def forward_op(prim):
    """The FORWARD namespace's function for one row of the table."""
    def f(*args, **kw):
        return apply(prim, *args, **kw)
    f.__name__ = prim.name
    return f


def make(f, params, chunk=CHUNK):
    """The ``autodiff-forward`` method: one forward pass per chunk of unit directions."""
    from .namespaces import FORWARD
    if not (isinstance(chunk, int) and chunk > 0):
        from .errors import BadOptionError
        raise BadOptionError(f"chunk must be a positive integer, got {chunk!r}")

    def call(params):
        names = list(params)
        sizes = [int(np.size(params[k])) for k in names]
        offsets = np.cumsum([0] + sizes)
        n = int(offsets[-1])
        flat = np.zeros(n)
        value = None
        passes = 0
        for lo in range(0, max(n, 1), chunk):
            hi = min(lo + chunk, n)
            m = hi - lo
            duals = {}
            for k, name in enumerate(names):
                v = params[name]
                t = np.zeros((m, sizes[k]))
                a, b = max(offsets[k], lo), min(offsets[k + 1], hi)
                if a < b:
                    t[np.arange(a - lo, b - lo), np.arange(a - offsets[k], b - offsets[k])] = 1.0
                duals[name] = Dual(v, t.reshape((m,) + np.shape(v)))
            out = f(duals, FORWARD)
            passes += 1
            if out.__class__ is not Dual:
                value = out
                break
            if np.ndim(out.value) != 0:
                raise NonScalarOutputError(
                    f"the function returned an array of shape {np.shape(out.value)}; gradients "
                    "need a scalar output")
            value = out.value
            flat[lo:hi] = out.tangent
        grads = {}
        for k, name in enumerate(names):
            g = flat[offsets[k]:offsets[k + 1]]
            v = params[name]
            grads[name] = g.reshape(np.shape(v)) if isinstance(v, np.ndarray) else float(g[0])
        return value, grads, {"forward_passes": passes}
    return call


def jvp(f, params, tangents):
    """``(value, directional derivative)`` of ``f`` at ``params`` along ``tangents`` (a dict
    shaped like params), in ONE forward pass -- what forward mode does best."""
    from .namespaces import FORWARD
    from .params import check_params
    params = check_params(params)
    tangents = check_params(tangents)
    if set(tangents) != set(params):
        from .errors import BadParamsError
        raise BadParamsError(f"tangents must have the params' names {sorted(params)}, got {sorted(tangents)}")
    duals = {}
    for k, v in params.items():
        t = np.asarray(tangents[k], dtype=float)
        if t.shape != np.shape(v):
            from .errors import BadParamsError
            raise BadParamsError(f"tangent {k!r} has shape {t.shape}, the param {np.shape(v)}")
        duals[k] = Dual(v, t[None])
    out = f(duals, FORWARD)
    if out.__class__ is not Dual:
        return out, 0.0
    if np.ndim(out.value) != 0:
        raise NonScalarOutputError(f"the function returned an array of shape {np.shape(out.value)}")
    return out.value, float(out.tangent[0])
