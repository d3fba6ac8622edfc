"""Finite differences: the schemes, their error model, and the method backend.

A real scheme is a *stencil*: offsets ``s_i`` and weights ``w_i`` with

    f'(x) ~= sum_i w_i f(x + s_i h) / h .

Its Taylor moments ``m_k = sum_i w_i s_i**k`` give everything the error model needs, so
forward, backward, central, five-point and Richardson are one mechanism:

* order ``p``: the first ``k >= 2`` with ``m_k != 0`` is ``p + 1``; the truncation error is
  ``C |f^(p+1)| h^p`` with ``C = |m_{p+1}| / (p+1)!``;
* round-off: each evaluation of f is rounded, an error we model as independent and uniform
  in ``+-u |f|`` (``u`` the unit round-off, 2**-53 or 2**-24; RMS ``u |f| / sqrt 3``), so the
  quotient's round-off has RMS ``r(h) = Q u |f| / (sqrt(3) h)`` with ``Q = sqrt(sum w_i**2)``
  (the worst case would be ``sum |w_i| u |f| / h``);
* so ``E(h) = sqrt(t(h)**2 + r(h)**2)``, ``t(h) = C |f^(p+1)| h^p``, is a V on a log-log plot
  with its bottom at ``h* = (r(1) / (sqrt(p) t(1)))**(1/(p+1))``. The sweeps measure the RMS
  error over a few steps near each h, which is what E estimates.

The *automatic* step is that optimum with ``|f| = |f^(p+1)| = 1``, scaled by ``max(|x|, 1)``,
rounded to a power of two, then *realised*: ``h = (x + h) - x`` in the model's dtype, so
``x + h`` is a machine number and the step in the quotient is exactly the step taken.

The complex step ``Im f(x + ih) / h`` subtracts nothing, so it has no ``1/h`` round-off:
``E(h) = sqrt((|f'''| h^2 / 6)**2 + (u |f'| / sqrt 3)**2)``. It needs ``f`` to be complex-analytic; it is evaluated
in the ``COMPLEX`` namespace on :class:`Tracked` arrays, which *refuse* (``NotComplexSafe``)
any op that is not analytic -- abs, maximum, minimum, step, sign, comparisons, float() --
once the perturbation reaches it, instead of returning a silently wrong number.

Richardson extrapolates central differences at ``h, h/2, ..., h/2**(L-1)`` (order ``2L``)
and reports its own error estimate: the gap to the level below.

Float32 models: params are ``np.float32`` scalars or float32 arrays (a 0-d array becomes a
Python float in ``check_params``, so scalars must be ``np.float32``); every step and point is
then computed in float32, and the complex step runs in complex64. :func:`as_dtype` converts.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .errors import BadOptionError, DiffcompareError, UnknownNameError
from .namespaces import NUMPY, Namespace
from .primitives import ROWS

__all__ = ["SCHEMES", "Stencil", "stencil", "NotComplexSafe", "COMPLEX", "Tracked", "make",
           "gradient", "directional", "derivative", "auto_step", "unit_roundoff", "model_dtype",
           "as_dtype", "error_model", "order", "evals_per_coordinate"]

SCHEMES = ("forward", "backward", "central", "five-point", "complex-step", "richardson")


class NotComplexSafe(DiffcompareError):
    """The complex step met an op that is not complex-analytic (abs, max, a comparison...)."""


# --- stencils and their error model --------------------------------------------------------

@dataclass(frozen=True)
class Stencil:
    name: str
    offsets: tuple
    weights: tuple

    def moment(self, k):
        return sum(w * s ** k for s, w in zip(self.offsets, self.weights))

    @property
    def order(self):
        for k in range(2, 4 * len(self.offsets) + 4):
            if abs(self.moment(k)) > 1e-9:
                return k - 1
        raise AssertionError(f"stencil {self.name} is exact for polynomials")  # pragma: no cover

    @property
    def trunc_constant(self):
        p = self.order
        return abs(self.moment(p + 1)) / math.factorial(p + 1)

    @property
    def roundoff_factor(self):
        """Q = sqrt(sum w_i^2): RMS amplification of independent rounding errors."""
        return float(math.sqrt(sum(w * w for w in self.weights)))

    def apply(self, values, h):
        return sum(w * v for w, v in zip(self.weights, values)) / h


def _richardson(levels):
    """The extrapolated stencil of order 2*levels and the one of order 2*levels - 2 (its
    error estimate), both over offsets +-1, +-1/2, ..., +-1/2**(levels-1)."""
    offs = []
    for k in range(levels):
        offs += [-(0.5 ** k), 0.5 ** k]
    n = len(offs)
    # T[k][0] = central difference at h/2**k, as a weight vector over offs (per unit h).
    T = []
    for k in range(levels):
        v = np.zeros(n)
        v[2 * k], v[2 * k + 1] = -(2.0 ** k) / 2, (2.0 ** k) / 2
        row = [v]
        for j in range(1, k + 1):
            row.append(row[j - 1] + (row[j - 1] - T[k - 1][j - 1]) / (4.0 ** j - 1))
        T.append(row)
    best, below = T[-1][-1], T[-1][-2]
    return (Stencil("richardson", tuple(offs), tuple(best)),
            Stencil("richardson-estimate", tuple(offs), tuple(below)))


_STENCILS = {
    "forward": Stencil("forward", (0.0, 1.0), (-1.0, 1.0)),
    "backward": Stencil("backward", (-1.0, 0.0), (-1.0, 1.0)),
    "central": Stencil("central", (-1.0, 1.0), (-0.5, 0.5)),
    "five-point": Stencil("five-point", (-2.0, -1.0, 1.0, 2.0), (1 / 12, -8 / 12, 8 / 12, -1 / 12)),
}


@lru_cache(maxsize=None)
def stencil(scheme, levels=3):
    """The Stencil of a real scheme (Richardson: the extrapolated one)."""
    if scheme == "richardson":
        return _richardson(levels)[0]
    return _STENCILS[scheme]


def _check_scheme(scheme):
    if scheme not in SCHEMES:
        raise UnknownNameError(f"unknown finite-difference scheme {scheme!r}; known: {', '.join(SCHEMES)}")


def order(scheme, levels=3):
    """Order p of the truncation error (complex step: 2)."""
    _check_scheme(scheme)
    return 2 if scheme == "complex-step" else stencil(scheme, levels).order


def evals_per_coordinate(scheme, levels=3):
    """Evaluations of f per coordinate (forward/backward share f(x) across coordinates)."""
    _check_scheme(scheme)
    if scheme == "complex-step":
        return 1
    return sum(1 for s in stencil(scheme, levels).offsets if s != 0.0)


def unit_roundoff(dtype):
    """u = eps/2: 2**-53 for float64, 2**-24 for float32."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def error_model(scheme, dtype, f0, d1, dp1, levels=3):
    """The error model of ``scheme`` given |f|, |f'| and |f^(p+1)| at the point:
    ``(trunc(h), roundoff(h), h_opt, E_opt)``; trunc and roundoff are RMS terms (callables
    that take arrays) and ``E = sqrt(trunc**2 + roundoff**2)``."""
    _check_scheme(scheme)
    u3 = unit_roundoff(dtype) / math.sqrt(3.0)
    f0, d1, dp1 = abs(float(f0)), abs(float(d1)), abs(float(dp1))
    if scheme == "complex-step":
        def trunc(h):
            return dp1 * np.asarray(h, float) ** 2 / 6

        def roundoff(h):
            return u3 * d1 + 0 * np.asarray(h, float)
        # Any h below where truncation falls under rounding is optimal.
        h_opt = math.sqrt(6 * u3 * d1 / dp1) if dp1 > 0 and d1 > 0 else 1e-20
        return trunc, roundoff, h_opt, u3 * d1
    st = stencil(scheme, levels)
    p, a, b = st.order, st.trunc_constant * dp1, st.roundoff_factor * u3 * f0

    def trunc(h):
        return a * np.asarray(h, float) ** p

    def roundoff(h):
        return b / np.asarray(h, float)
    if a == 0 or b == 0:
        return trunc, roundoff, float("nan"), float("nan")
    h_opt = (b / (math.sqrt(p) * a)) ** (1.0 / (p + 1))
    return trunc, roundoff, h_opt, float(math.hypot(trunc(h_opt), roundoff(h_opt)))


def auto_step(scheme, x, dtype=np.float64, levels=3):
    """The automatic step: the model's optimum with |f| = |f^(p+1)| = 1, scaled by
    max(|x|, 1), rounded to a power of two (then realised against x by the caller)."""
    _check_scheme(scheme)
    u = unit_roundoff(dtype)
    scale = max(abs(float(x)), 1.0)
    if scheme == "complex-step":
        h = u * scale                   # anything this small is past truncation; no cancellation
    else:
        st = stencil(scheme, levels)
        p = st.order
        b = st.roundoff_factor * u / math.sqrt(3.0)
        h = (b / (math.sqrt(p) * st.trunc_constant)) ** (1.0 / (p + 1)) * scale
    return 2.0 ** round(math.log2(h))


# --- dtypes ------------------------------------------------------------------------------------

def model_dtype(params):
    """float32 if every param is float32, else float64."""
    kinds = {np.result_type(v) for v in params.values()}
    return np.dtype(np.float32) if kinds == {np.dtype(np.float32)} else np.dtype(np.float64)


def as_dtype(params, dtype):
    """Params converted to ``dtype`` (float32 scalars become ``np.float32``, float64 scalars
    Python floats)."""
    dtype = np.dtype(dtype)
    out = {}
    for k, v in params.items():
        if isinstance(v, np.ndarray):
            out[k] = v.astype(dtype)
        else:
            out[k] = dtype.type(v) if dtype == np.float32 else float(v)
    return out


# --- the complex-safe namespace --------------------------------------------------------------

_UNSAFE = {np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
           np.maximum, np.minimum, np.fmax, np.fmin, np.absolute, np.fabs, np.sign, np.heaviside,
           np.floor, np.ceil, np.rint, np.trunc}


def _has_imag(a):
    return np.iscomplexobj(a) and bool(np.any(np.imag(a) != 0))


class Tracked(np.ndarray):
    """A complex array that refuses every op that is not complex-analytic once its
    imaginary part is nonzero (a comparison, abs, max, sign, float()...): those would
    silently drop or garble the imaginary part that carries the derivative."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raw = [np.asarray(a) if isinstance(a, Tracked) else a for a in inputs]
        if ufunc in _UNSAFE and any(_has_imag(a) for a in raw):
            raise NotComplexSafe(
                f"complex step: the function applies {ufunc.__name__} to a value carrying the "
                "perturbation, which is not complex-analytic (abs, maximum, minimum, step, sign "
                "and comparisons are not); use central differences or autodiff")
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(o) for o in kwargs["out"])
        return _track(getattr(ufunc, method)(*raw, **kwargs))

    def __getitem__(self, index):
        return _track(np.asarray(self)[index])

    def _refuse(self, *_):
        raise NotComplexSafe("complex step: the function converts a perturbed value to a real "
                             "Python number (float()/int()), which drops the derivative")

    __float__ = __int__ = __index__ = _refuse

    def __bool__(self):
        if _has_imag(np.asarray(self)):
            raise NotComplexSafe("complex step: the function branches on a perturbed value")
        return bool(np.asarray(self))


def _track(r):
    if isinstance(r, (np.ndarray, np.generic)) and r.dtype.kind in "fc":
        return np.asarray(r).view(Tracked)
    return r


def _complex_sigmoid(x):
    # Both branches are the same analytic function; pick by the real part so neither overflows.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x = np.asarray(x) if not isinstance(x, Tracked) else x
        pos = 1.0 / (1.0 + np.exp(-x))
        e = np.exp(x)
        neg = e / (1.0 + e)
        return _track(np.where(np.real(np.asarray(x)) >= 0, np.asarray(pos), np.asarray(neg)))


def _complex_logsumexp(x, axis=None, keepdims=False):
    # Any shift is exact; shifting by the max of the REAL parts keeps it analytic.
    raw = np.asarray(x)
    m = np.max(np.real(raw), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    r = np.log(np.sum(np.exp(raw - m), axis=axis, keepdims=True)) + m
    r = r if keepdims else (np.squeeze(r, axis=axis) if axis is not None else r.reshape(()))
    return _track(r)


def _build_complex():
    fns = {r.name: r.impl for r in ROWS}        # every other row is analytic in numpy already,
    fns["sigmoid"] = _complex_sigmoid           # or refuses through Tracked (abs, max, sign...)
    fns["logsumexp"] = _complex_logsumexp
    fns["name"] = lambda x, label: x
    return Namespace("COMPLEX", fns)


COMPLEX = _build_complex()


# --- one coordinate ------------------------------------------------------------------------------

def _coords(params):
    for name, v in params.items():
        if isinstance(v, np.ndarray):
            for idx in np.ndindex(v.shape):
                yield name, idx
        else:
            yield name, ()


def _putter(params, name, idx):
    """point -> params with params[name][idx] = point."""
    v = params[name]
    if isinstance(v, np.ndarray):
        def put(x):
            if isinstance(x, Tracked):
                a = v.astype(x.dtype).view(Tracked)
            else:
                a = v.copy()
            a[idx] = x
            return {**params, name: a}
    else:
        keep_float = isinstance(v, float)

        def put(x):
            if keep_float and not isinstance(x, Tracked):
                x = float(x)
            return {**params, name: x}
    return put


def _check_h(h):
    if h is None:
        return None
    if isinstance(h, bool) or not isinstance(h, (int, float, np.integer, np.floating)):
        raise BadOptionError(f"step h must be a positive number, got {h!r}")
    h = float(h)
    if not math.isfinite(h) or h <= 0:
        raise BadOptionError(f"step h must be positive and finite, got {h!r}")
    return h


def _one(evaluate, x0, scheme, h, dtype, levels, f0=None):
    """Derivative of t -> evaluate(point) at x0 by ``scheme``: (value, estimate, evals, h_eff).
    ``evaluate`` takes the point (a dtype number, or a Tracked complex 0-d array)."""
    dt = np.dtype(dtype)
    x0 = dt.type(x0)
    if h is None:
        h = auto_step(scheme, x0, dt, levels)
    if scheme == "complex-step":
        z = np.zeros((), dtype=np.result_type(dt, np.complex64)).view(Tracked)
        z[()] = complex(float(x0), float(h))
        out = np.asarray(evaluate(z))
        if not np.isfinite(out):
            # An overflowed evaluation leaves a finite but meaningless imaginary part
            # (log(inf + inf*i) = inf + i*pi/4): no number is better than a wrong one.
            return float("nan"), None, 1, float(dt.type(h))
        return float(np.imag(out)) / float(dt.type(h)), None, 1, float(dt.type(h))
    # Realise the step: x0 + h is a machine number and the step taken is exactly h_eff.
    h_eff = (x0 + dt.type(h)) - x0
    if h_eff == 0:
        raise BadOptionError(f"step h={h:.3g} vanishes next to x={float(x0):.6g} in {dt.name} "
                             f"(the spacing there is {float(np.spacing(x0)):.3g})")
    st = stencil(scheme, levels)
    vals, n = [], 0
    for s in st.offsets:
        if s == 0.0 and f0 is not None:
            vals.append(f0)
            continue
        vals.append(evaluate(x0 + dt.type(s) * h_eff))
        n += 1
    vals = [np.asarray(v, dtype=np.float64) for v in vals]
    d = float(st.apply(vals, float(h_eff)))
    est = None
    if scheme == "richardson":
        est = abs(d - float(_richardson(levels)[1].apply(vals, float(h_eff))))
    return d, est, n, float(h_eff)


def derivative(f, params, wrt, index=(), scheme="central", h=None, levels=3, f0=None):
    """d f / d params[wrt][index] by one scheme: ``(value, error_estimate, evals, h_used)``."""
    _check_scheme(scheme)
    h = _check_h(h)
    dtype = model_dtype(params)
    put = _putter(params, wrt, tuple(index) if index is not None else ())
    ns = COMPLEX if scheme == "complex-step" else NUMPY
    x0 = params[wrt][index] if isinstance(params[wrt], np.ndarray) else params[wrt]
    return _one(lambda x: f(put(x), ns), x0, scheme, h, dtype, levels, f0)


def gradient(f, params, scheme="central", h=None, levels=3, on_unsafe="raise"):
    """The full gradient: ``(value, grads, stats)`` with ``stats = {"evals": ..., and for
    Richardson "error_estimate": max over coordinates}``."""
    _check_scheme(scheme)
    h = _check_h(h)
    f0 = f(params, NUMPY)
    evals = 1
    if scheme == "complex-step":
        try:
            grads, n = _gradient(f, params, scheme, h, levels, f0)
            return f0, grads, {"evals": evals + n}
        except NotComplexSafe as e:
            if on_unsafe != "central":
                raise
            warnings.warn(f"{e}; falling back to central differences", RuntimeWarning, stacklevel=2)
            scheme, h = "central", None
    grads, n, est = _gradient(f, params, scheme, h, levels, f0, with_estimate=True)
    stats = {"evals": evals + n}
    if scheme == "richardson":
        stats["error_estimate"] = est
    return f0, grads, stats


def _gradient(f, params, scheme, h, levels, f0, with_estimate=False):
    grads = {k: (np.zeros(v.shape, dtype=np.float64) if isinstance(v, np.ndarray) else 0.0)
             for k, v in params.items()}
    n, est = 0, 0.0
    for name, idx in _coords(params):
        d, e, k, _ = derivative(f, params, name, idx, scheme, h, levels, f0=f0)
        n += k
        if e is not None:
            est = max(est, e)
        if isinstance(grads[name], np.ndarray):
            grads[name][idx] = d
        else:
            grads[name] = d
    for k, v in params.items():
        if isinstance(v, np.ndarray) and v.dtype == np.float32:
            grads[k] = grads[k].astype(np.float32)
    return (grads, n, est) if with_estimate else (grads, n)


def directional(f, params, v, scheme="central", h=None, levels=3):
    """The directional derivative d/dt f(params + t v) at t = 0, ``v`` a dict like params:
    ``(value, derivative, stats)``. The automatic step is scaled by max(1, max|x|) / max|v|."""
    _check_scheme(scheme)
    h = _check_h(h)
    dtype = model_dtype(params)
    vmax = max(float(np.max(np.abs(np.asarray(v[k], dtype=np.float64)))) for k in params)
    if vmax == 0:
        raise BadOptionError("the direction v is zero")
    xmax = max(float(np.max(np.abs(np.asarray(p, dtype=np.float64)))) for p in params.values())
    if h is None:
        h = auto_step(scheme, xmax, dtype, levels) / 2.0 ** round(math.log2(vmax))
    ns = COMPLEX if scheme == "complex-step" else NUMPY

    def at(t):
        out = {}
        for k, x in params.items():
            if isinstance(t, Tracked):
                y = (np.asarray(x, dtype=t.dtype) + np.asarray(t) * np.asarray(v[k], dtype=dtype)).view(Tracked)
            else:
                y = np.asarray(x, dtype=dtype) + t * np.asarray(v[k], dtype=dtype)
                y = y.astype(dtype)
                if not isinstance(x, np.ndarray):
                    y = float(y) if isinstance(x, float) else dtype.type(y)
            out[k] = y
        return f(out, ns)

    f0 = f(params, NUMPY)
    # t = 0 is exact, so the step needs no realising against x: pass x0 = 0 with h fixed.
    d, est, n, h_used = _one(at, 0.0, scheme, h, dtype, levels, f0)
    stats = {"evals": n + 1}
    if est is not None:
        stats["error_estimate"] = est
    return f0, d, stats


def make(f, params, scheme="central", h=None, levels=3, on_unsafe="raise"):
    """The finite-difference METHOD backend (api.py maps forward, backward, central,
    five-point, complex-step, richardson here). ``h``: a fixed step, or None for the
    automatic one per coordinate; ``levels``: Richardson's extrapolation depth;
    ``on_unsafe``: "raise" (default) or "central" (warn and fall back) when the complex step
    meets an op that is not complex-analytic."""
    _check_scheme(scheme)
    h = _check_h(h)
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
        raise BadOptionError(f"richardson levels must be an integer >= 2, got {levels!r}")
    if on_unsafe not in ("raise", "central"):
        raise BadOptionError(f"on_unsafe must be 'raise' or 'central', got {on_unsafe!r}")

    def call(params):
        return gradient(f, params, scheme, h, int(levels), on_unsafe)
    return call
