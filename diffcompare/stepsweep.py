"""Step sweeps: the V-curve of finite differences -- error against the step h as a measured
number, next to the error model that explains it.

* :func:`sweep` -- error of every scheme for h from 1 to 1e-16 against the 50-digit
  reference (:func:`highprec.derivatives`), with the model's truncation and round-off terms,
  its optimum (h*, E*), the automatic step's error and the log-log slope in the truncation
  range;
* :func:`sweep_to_records`, :func:`sweep_records` -- sweeps as records (metric names are
  the constants below).

Nothing here prints or plots.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import numerical as nm
from .errors import DiffcompareError
from .highprec import derivatives
from .records import Record

__all__ = ["default_hs", "sweep", "Sweep", "slope", "sweep_records", "sweep_to_records", "SWEEP_SECTION",
           "ABS_ERROR", "BEST_ERROR", "BEST_H", "THEORY_ERROR", "THEORY_H", "AUTO_ERROR", "AUTO_H", "SLOPE",
           "EVALS_PER_COORDINATE", "DERIVATIVE"]

SWEEP_SECTION = "fd_sweep"
# metric names of a sweep's records (the V-curve figure and the Accuracy section read them)
DERIVATIVE = "derivative"            # the reference derivative (extra: f, x0)
ABS_ERROR = "abs_error"              # RMS |error| near h (extra: h, truncation, roundoff)
BEST_ERROR, BEST_H = "best_error", "best_h"            # the measured bottom of the V
THEORY_ERROR, THEORY_H = "theory_error", "theory_h"    # the error model's optimum
AUTO_ERROR, AUTO_H = "auto_error", "auto_h"            # the automatic step and its error
SLOPE = "slope"                      # log-log slope in the truncation range (extra: order)
EVALS_PER_COORDINATE = "evals_per_coordinate"


# --- the sweep ---------------------------------------------------------------------------------

def default_hs(hmax=1e-1, hmin=1e-16, per_decade=4):
    if not (hmax > 0 and hmin > 0 and math.isfinite(hmax) and math.isfinite(hmin)) or hmin >= hmax:
        from .errors import BadOptionError
        raise BadOptionError(f"need 0 < hmin < hmax, got hmin={hmin!r}, hmax={hmax!r}")
    n = int(round(math.log10(hmax / hmin) * per_decade)) + 1
    return np.logspace(math.log10(hmax), math.log10(hmin), n)


def _dp1_order(scheme, levels):
    return nm.order(scheme, levels) + 1


@dataclass
class Sweep:
    """One sweep: errors[scheme][i] is |D_h - f'| at hs[i] (nan where the step vanishes)."""
    model: str
    wrt: str
    index: tuple
    dtype: str
    x0: float
    hs: np.ndarray
    exact: dict
    reference: str
    errors: dict = field(default_factory=dict)
    estimates: dict = field(default_factory=dict)
    trunc: dict = field(default_factory=dict)
    roundoff: dict = field(default_factory=dict)
    theory: dict = field(default_factory=dict)     # scheme -> (h_opt, E_opt)
    auto: dict = field(default_factory=dict)       # scheme -> (h, error)
    slopes: dict = field(default_factory=dict)

    def best(self, scheme):
        e = self.errors[scheme]
        ok = np.isfinite(e)
        if not ok.any():
            return float("nan"), float("nan")
        i = int(np.nanargmin(np.where(ok, e, np.inf)))
        return float(self.hs[i]), float(e[i])


def slope(hs, errs, trunc, roundoff, ratio=30.0, max_rel=0.05, d1=1.0):
    """Least-squares log-log slope of the error over the truncation range: where the model's
    truncation term is >= ``ratio`` x its round-off term and still small (<= ``max_rel`` |f'|),
    so the leading h^p term dominates. None with fewer than 3 such points."""
    hs, errs = np.asarray(hs, float), np.asarray(errs, float)
    t, r = np.asarray(trunc, float), np.asarray(roundoff, float)
    sel = (t >= ratio * r) & (t <= max_rel * max(abs(d1), 1e-300)) & np.isfinite(errs) & (errs > 0)
    if sel.sum() < 3:
        return None
    return float(np.polyfit(np.log10(hs[sel]), np.log10(errs[sel]), 1)[0])


def sweep(f, params, wrt, index=(), schemes=nm.SCHEMES, hs=None, levels=3, model_name=None,
          jitter=8, progress=None):
    """Errors of each scheme over the steps ``hs`` against the exact reference, with the error
    model. ``progress(done, total)`` is called per scheme.

    The error at h is the RMS over ``jitter`` draws, draw k moving the point by 7k units in
    the last place (the reference follows to first order: f' + f'' dx, exact to 1e-30) and the
    step to h (1 + 0.1 k / jitter): round-off is a pseudo-random sign, and with one fixed
    point f(x)'s own rounding can cancel the truncation at some h (an error far below the
    model); the draws re-roll every rounding while the truncation term moves by <= 10 p %.
    ``jitter=1`` gives the single error at (x, h).
    """
    for s in schemes:
        nm.check_scheme(s)
    hs = default_hs() if hs is None else np.asarray(hs, float)
    for h in hs:
        nm.check_h(float(h))
    index = tuple(index) if index is not None else ()
    dtype = nm.model_dtype(params)
    need = sorted({0, 1, 2} | {_dp1_order(s, levels) for s in schemes})
    exact, label = derivatives(f, params, wrt, index, orders=need)
    x0 = params[wrt][index] if isinstance(params[wrt], np.ndarray) else params[wrt]
    sw = Sweep(model_name or getattr(f, "name", getattr(f, "__name__", "f")), wrt, index,
               dtype.name, float(x0), hs, exact, label)
    from .namespaces import NUMPY
    f0 = f(params, NUMPY)
    put = nm.putter(params, wrt, index)
    draws = []
    for k in range(jitter):
        dx = dtype.type(7 * k) * np.spacing(dtype.type(x0))
        xk = dtype.type(x0) + dx
        pk = put(xk)
        draws.append((pk, float(xk) - float(x0), 1 + 0.1 * k / jitter, f(pk, NUMPY)))
    for j, s in enumerate(schemes):
        errs, ests = np.full(len(hs), np.nan), np.full(len(hs), np.nan)
        for i, h in enumerate(hs):
            sq, est = [], None
            for k, (pk, dx, hk, fk) in enumerate(draws):
                try:
                    d, e, _, _ = nm.derivative(f, pk, wrt, index, s, float(h) * hk, levels, f0=fk)
                except nm.NotComplexSafe:
                    raise
                except DiffcompareError:          # the step vanished next to x in this dtype
                    continue
                sq.append((d - (exact[1] + exact[2] * dx)) ** 2)
                est = e if k == 0 else est
            if sq:
                errs[i] = math.sqrt(sum(sq) / len(sq))
            if est is not None:
                ests[i] = est
        sw.errors[s] = errs
        if s == "richardson":
            sw.estimates[s] = ests
        trunc, roundoff, h_opt, e_opt = nm.error_model(s, dtype, exact[0], exact[1],
                                                      exact[_dp1_order(s, levels)], levels)
        sw.trunc[s], sw.roundoff[s] = trunc(hs), roundoff(hs)
        sw.theory[s] = (h_opt, e_opt)
        try:
            d, _, _, h_used = nm.derivative(f, params, wrt, index, s, None, levels, f0=f0)
            sw.auto[s] = (h_used, abs(d - exact[1]))
        except DiffcompareError:
            sw.auto[s] = (float("nan"), float("nan"))
        sw.slopes[s] = slope(hs, errs, sw.trunc[s], sw.roundoff[s], d1=exact[1])
        if progress:
            progress(j + 1, len(schemes))
    return sw


def sweep_to_records(sw, section=SWEEP_SECTION):
    """A Sweep as flat records: one ``abs_error`` per (scheme, h), then per scheme the
    summary (best, theory, automatic step, slope). Curves are grouped by ``extra['curve']``."""
    curve = f"{sw.dtype} wrt={sw.wrt}{'' if not sw.index else list(sw.index)}"
    ref = sw.reference
    recs = [Record(section, sw.model, "reference", DERIVATIVE, sw.exact[1], "", curve, ref,
                   {"curve": curve, "dtype": sw.dtype, "x0": sw.x0, "f": sw.exact[0], "wrt": sw.wrt})]
    for s, errs in sw.errors.items():
        for i, h in enumerate(sw.hs):
            extra = {"curve": curve, "h": float(h), "dtype": sw.dtype,
                     "truncation": float(sw.trunc[s][i]), "roundoff": float(sw.roundoff[s][i])}
            if s in sw.estimates and np.isfinite(sw.estimates[s][i]):
                extra["estimate"] = float(sw.estimates[s][i])
            recs.append(Record(section, sw.model, s, ABS_ERROR, float(errs[i]), "",
                               f"{curve} h={h:.3e}", ref, extra))
        bh, be = sw.best(s)
        h_opt, e_opt = sw.theory[s]
        ah, ae = sw.auto[s]
        base = {"curve": curve, "dtype": sw.dtype, "wrt": sw.wrt}
        recs += [
            Record(section, sw.model, s, BEST_ERROR, be, "", curve, ref, dict(base, h=bh)),
            Record(section, sw.model, s, BEST_H, bh, "", curve, "", base),
            Record(section, sw.model, s, THEORY_ERROR, e_opt, "", curve, "error model", dict(base, h=h_opt)),
            Record(section, sw.model, s, THEORY_H, h_opt, "", curve, "error model", base),
            Record(section, sw.model, s, AUTO_ERROR, ae, "", curve, ref, dict(base, h=ah)),
            Record(section, sw.model, s, AUTO_H, ah, "", curve, "", base),
            Record(section, sw.model, s, SLOPE, sw.slopes[s], "", curve, ref,
                   dict(base, order=nm.order(s))),
            Record(section, sw.model, s, EVALS_PER_COORDINATE, nm.evals_per_coordinate(s), "",
                   curve, "", base),
        ]
    return recs


# The default sweep point: the lecture's softplus (w, b) = (0.5, 0.1), x = 2.
_SWEEP_MODELS = {"softplus": ("w",), "neuron": ("w",), "mlp4": ("w1",), "softplus_chain": ("w1",)}


def sweep_records(model_names=("softplus",), dtypes=("float64", "float32"), quick=False,
                  progress=None):
    """The V-curves: every scheme on each model (first parameter of interest) in each dtype.
    Steps from 1 (so float32 Richardson's optimum, h* ~ 0.4, is on the grid) to 1e-16;
    quick: 2 steps per decade and jitter 2 instead of 8 and 8."""
    from . import models
    recs = []
    hs = default_hs(hmax=1.0, per_decade=2 if quick else 8)
    for name in model_names:
        m = models.get(name)
        wrt = _SWEEP_MODELS.get(name, (next(iter(m.params)),))[0]
        for dt in dtypes:
            p = nm.as_dtype(m.params, dt)
            recs += sweep_to_records(sweep(m, p, wrt, hs=hs, model_name=name, jitter=2 if quick else 8,
                                          progress=progress))
    return recs
