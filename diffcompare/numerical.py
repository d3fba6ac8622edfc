"""Finite differences: the method backend (forward, backward, central, five-point,
complex-step, richardson), one coordinate at a time.

The schemes are stencils whose Taylor moments give their order and error model
(``stencils.py``); the automatic step is that model's optimum, rounded to a power of two and
*realised* against x (``h = (x + h) - x`` in the model's dtype), so ``x + h`` is a machine
number and the step in the quotient is exactly the step taken.

The complex step ``Im f(x + ih) / h`` subtracts nothing, so it has no ``1/h`` round-off:
``E(h) = sqrt((|f'''| h^2 / 6)**2 + (u |f'| / sqrt 3)**2)``. It needs ``f`` to be complex-analytic and
real on the reals; it runs in ``complexstep.COMPLEX``, which *refuses* (``NotComplexSafe``)
any op that is not analytic (abs, maximum, step, comparisons, float()...), and it refuses
a function that is not real at the point (nan there in real arithmetic: a square root or a
fractional power of a negative number, whose branch would give a huge wrong "derivative").

Richardson extrapolates central differences at ``h, h/2, ..., h/2**(L-1)`` (order ``2L``)
and reports its own error estimate: the gap to the level below.

Float32 models: params are ``np.float32`` scalars or float32 arrays (a 0-d array becomes a
Python float in ``check_params``, so scalars must be ``np.float32``); every step and point is
then computed in float32, and the complex step runs in complex64. :func:`as_dtype` converts.
Any other mix (float16, float32 beside float64) is computed in float64: a float16 param
cannot even hold ``x + h`` for a useful step (its spacing at 1 is 1e-3).

Safety: the model gets fresh copies of the params at every evaluation, so a model that
mutates or rebinds them neither corrupts the next evaluation nor touches the caller's
arrays. Cost: a gradient needs ``n x evals_per_coordinate`` evaluations; before starting,
that count times one evaluation's time is checked against ``budget`` (default
``DEFAULT_BUDGET`` s), and past it the method refuses with an ``IntractableError`` that
names the estimate and the option that raises it.
"""
from __future__ import annotations

import math
import time
import warnings

import numpy as np

from .complexstep import COMPLEX, NotComplexSafe, Tracked
from .errors import BadOptionError, DiffcompareError, IntractableError, NonScalarOutputError
from .namespaces import NUMPY
from .params import Layout, scalar_output, size
from .stencils import (
    SCHEMES,
    Stencil,
    auto_step,
    check_scheme,
    error_model,
    estimate_stencil,
    evals_per_coordinate,
    order,
    stencil,
    unit_roundoff,
)

__all__ = ["SCHEMES", "Stencil", "stencil", "NotComplexSafe", "COMPLEX", "Tracked", "make",
           "gradient", "directional", "derivative", "auto_step", "unit_roundoff", "model_dtype",
           "as_dtype", "error_model", "order", "evals_per_coordinate", "DEFAULT_BUDGET",
           "MAX_LEVELS", "estimate_seconds", "check_scheme", "check_h", "putter", "textbook_central", "StencilError"]

class StencilError(DiffcompareError):
    """The function raised (a pole, a domain error) at a point of the stencil."""


DEFAULT_BUDGET = 60.0     # estimated seconds a gradient may take before the method refuses
MAX_LEVELS = 5            # Richardson levels: order 2L; past 5 the weights lose the digits
                          # that cancel the lower-order terms (float64 moments)

# --- dtypes ------------------------------------------------------------------------------------

def model_dtype(params):
    """float32 if every param is float32, else float64 (the precision differences run in)."""
    kinds = {np.result_type(v) for v in params.values()}
    return np.dtype(np.float32) if kinds == {np.dtype(np.float32)} else np.dtype(np.float64)


def _working(params):
    """``(params in the precision differences run in, that dtype)``: float32 stays float32,
    anything else (float16, a float32 array beside float64...) becomes float64 -- a step
    written into a float16 array would round away."""
    dt = model_dtype(params)
    if all(v.__class__ is float or (isinstance(v, np.ndarray) and v.dtype == dt) or
           (dt == np.float32 and isinstance(v, np.float32)) for v in params.values()):
        return params, dt
    return as_dtype(params, dt), dt


def _fresh(params):
    """Copies of the params for one evaluation: whatever the model does to them stays there."""
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in params.items()}


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


# --- one coordinate ------------------------------------------------------------------------------

def _coords(params):
    for name, v in params.items():
        if isinstance(v, np.ndarray):
            for idx in np.ndindex(v.shape):
                yield name, idx
        else:
            yield name, ()


def putter(params, name, idx):
    """point -> fresh params with params[name][idx] = point (a Tracked point: complex)."""
    v = params[name]
    if isinstance(v, np.ndarray):
        def put(x):
            a = v.astype(x.dtype).view(Tracked) if isinstance(x, Tracked) else v.copy()
            a[idx] = x
            return {**_fresh(params), name: a}
    else:
        keep_float = isinstance(v, float)

        def put(x):
            if keep_float and not isinstance(x, Tracked):
                x = float(x)
            return {**_fresh(params), name: x}
    return put


def check_h(h):
    if h is None:
        return None
    if isinstance(h, bool) or not isinstance(h, (int, float, np.integer, np.floating)):
        raise BadOptionError(f"step h must be a positive number, got {h!r}")
    h = float(h)
    if not math.isfinite(h) or h <= 0:
        raise BadOptionError(f"step h must be positive and finite, got {h!r}")
    return h


def _real_value(f0):
    """f(x) checked: a real scalar."""
    f0 = scalar_output(f0, "the function")
    if np.iscomplexobj(f0):
        if np.imag(f0) != 0:
            raise NonScalarOutputError(f"the function returned a complex value ({complex(f0):.6g}); "
                                       "gradients need a real scalar")
        f0 = np.real(f0)
    return f0


def _on_the_reals(f0):
    """The complex step needs f to be a number at x: a nan in real arithmetic means x is on
    a branch cut, where Im f(x + ih) / h is no derivative (w**0.5 at w < 0 gives 6e15)."""
    if np.isnan(f0):
        raise NotComplexSafe(
            "complex step: f is nan at this point in real arithmetic (a square root, log or "
            "fractional power of a negative number?); off the reals its imaginary part is a "
            "branch, not a derivative -- use central differences or autodiff")


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
        x = x0 + dt.type(s) * h_eff
        try:
            vals.append(evaluate(x))
        except ArithmeticError as e:          # 1.0 / 0.0 in Python floats: a pole within the step
            raise StencilError(f"{scheme} differences: the function raised {type(e).__name__} ({e}) at "
                               f"{float(x):.17g}, a point of the stencil {float(h_eff):.3g} from x="
                               f"{float(x0):.17g}: a singularity within the step; use a smaller h") from None
        n += 1
    vals = [float(np.real(v)) for v in vals]
    d = st.apply(vals, float(h_eff))
    est = None
    if scheme == "richardson":
        est = abs(d - estimate_stencil(levels).apply(vals, float(h_eff)))
    return d, est, n, float(h_eff)


def derivative(f, params, wrt, index=(), scheme="central", h=None, levels=3, f0=None):
    """d f / d params[wrt][index] by one scheme: ``(value, error_estimate, evals, h_used)``."""
    check_scheme(scheme)
    h = check_h(h)
    params, dtype = _working(params)
    if f0 is None:
        f0 = _real_value(f(_fresh(params), NUMPY))
    if scheme == "complex-step":
        _on_the_reals(f0)
    index = tuple(index) if index is not None else ()
    put = putter(params, wrt, index)
    ns = COMPLEX if scheme == "complex-step" else NUMPY
    x0 = params[wrt][index] if isinstance(params[wrt], np.ndarray) else params[wrt]
    return _one(lambda x: f(put(x), ns), x0, scheme, h, dtype, levels, f0)


def estimate_seconds(f, params, scheme, levels=3, seconds=None):
    """Estimated seconds of one gradient: n x evaluations per coordinate x one evaluation
    (``seconds``, or timed here on the better of two calls)."""
    if seconds is None:
        seconds = min(_timed(f, params)[1] for _ in range(2))
    return size(params) * evals_per_coordinate(scheme, levels) * seconds


def _timed(f, params):
    t0 = time.perf_counter()
    out = f(_fresh(params), NUMPY)
    return out, time.perf_counter() - t0


def _within_budget(f, params, scheme, levels, budget, seconds):
    if budget is None:
        return
    est = estimate_seconds(f, params, scheme, levels, seconds)
    if est > budget:
        est = estimate_seconds(f, params, scheme, levels)       # the first call may be a cold one
    if est > budget:
        n, k = size(params), evals_per_coordinate(scheme, levels)
        raise IntractableError(
            f"{scheme} differences: a gradient needs {n * k:,} evaluations of the function "
            f"(n = {n:,} parameters x {k}), about {_duration(est)} -- past the budget of "
            f"{budget:g} s; pass budget=SECONDS (or budget=None) to allow it, or use autodiff",
            budget=budget, step=f"{scheme} differences", kind="estimate")


def _duration(s):
    for unit, k in (("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        if s >= k:
            return f"{s / k:.3g} {unit}"
    return f"{s * 1e3:.3g} ms"


def gradient(f, params, scheme="central", h=None, levels=3, on_unsafe="raise", budget=DEFAULT_BUDGET):
    """The full gradient: ``(value, grads, stats)`` with ``stats = {"evals": ..., and for
    Richardson "error_estimate": max over coordinates}``."""
    check_scheme(scheme)
    h = check_h(h)
    params, dtype = _working(params)
    f0, seconds = _timed(f, params)
    f0 = _real_value(f0)
    _within_budget(f, params, scheme, levels, budget, seconds)
    if scheme == "complex-step":
        try:
            _on_the_reals(f0)
            grads, n, _ = _gradient(f, params, dtype, scheme, h, levels, f0)
            return f0, grads, {"evals": 1 + n}
        except NotComplexSafe as e:
            if on_unsafe != "central":
                raise
            warnings.warn(f"{e}; falling back to central differences", RuntimeWarning, stacklevel=2)
            scheme, h = "central", None
    grads, n, est = _gradient(f, params, dtype, scheme, h, levels, f0)
    stats = {"evals": 1 + n}
    if scheme == "richardson":
        stats["error_estimate"] = est
    return f0, grads, stats


def _gradient(f, params, dtype, scheme, h, levels, f0):
    grads = {k: (np.zeros(v.shape, dtype=np.float64) if isinstance(v, np.ndarray) else 0.0)
             for k, v in params.items()}
    ns = COMPLEX if scheme == "complex-step" else NUMPY
    n, est = 0, 0.0
    for name, idx in _coords(params):
        put = putter(params, name, idx)
        x0 = params[name][idx] if idx else params[name]
        d, e, k, _ = _one(lambda x: f(put(x), ns), x0, scheme, h, dtype, levels, f0)
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
    return grads, n, est


def directional(f, params, v, scheme="central", h=None, levels=3):
    """The directional derivative d/dt f(params + t v) at t = 0, ``v`` a dict like params:
    ``(value, derivative, stats)``. The automatic step is scaled by max(1, max|x|) / max|v|."""
    check_scheme(scheme)
    h = check_h(h)
    params, dtype = _working(params)
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

    f0 = _real_value(f(_fresh(params), NUMPY))
    if scheme == "complex-step":
        _on_the_reals(f0)
    # t = 0 is exact, so the step needs no realising against x: pass x0 = 0 with h fixed.
    d, est, n, h_used = _one(at, 0.0, scheme, h, dtype, levels, f0)
    stats = {"evals": n + 1}
    if est is not None:
        stats["error_estimate"] = est
    return f0, d, stats


def make(f, params, scheme="central", h=None, levels=3, on_unsafe="raise", budget=DEFAULT_BUDGET):
    """The finite-difference METHOD backend (api.py maps forward, backward, central,
    five-point, complex-step, richardson here). ``h``: a fixed step, or None for the
    automatic one per coordinate; ``levels``: Richardson's extrapolation depth (2..5);
    ``on_unsafe``: "raise" (default) or "central" (warn and fall back) when the complex step
    meets an op that is not complex-analytic; ``budget``: estimated seconds a gradient may
    take (None: no limit)."""
    check_scheme(scheme)
    h = check_h(h)
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or not 2 <= levels <= MAX_LEVELS:
        raise BadOptionError(f"richardson levels must be an integer from 2 to {MAX_LEVELS}, got {levels!r}")
    if on_unsafe not in ("raise", "central"):
        raise BadOptionError(f"on_unsafe must be 'raise' or 'central', got {on_unsafe!r}")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                               or not budget > 0):
        raise BadOptionError(f"budget must be a positive number of seconds or None, got {budget!r}")

    def call(params):
        return gradient(f, params, scheme, h, int(levels), on_unsafe, budget)
    return call


def textbook_central(f, params, h=1e-5):
    """Central differences as a textbook writes them: one fixed h, every coordinate in turn,
    no step choice, no dtype care, no checks. The lecture's "easy to implement", whose lines
    the report counts; use ``dc.grad(f, "central")`` for real work."""
    layout = Layout(params)
    theta = layout.flatten(params)
    g = np.zeros_like(theta)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = h
        g[k] = (f(layout.unflatten(theta + e), NUMPY) - f(layout.unflatten(theta - e), NUMPY)) / (2 * h)
    return layout.unflatten(g)
