"""Step sweeps and stability cases: every word of "approximate, slow, numerically unstable"
as a measured number, next to the error model that explains it.

* :func:`reference_derivatives` -- the exact reference: the model run in the SYMPY namespace
  on 60-digit ``sympy.Float`` params with ONE coordinate symbolic, ``sympy.diff``'d and
  evaluated at 50 digits; when that expression is too big (the logistic map doubles per
  step) ``mpmath.diff`` of the same 60-digit evaluation; else autodiff (first order only).
* :func:`sweep` -- error of every scheme for h from 1e-1 to 1e-16, with the model's
  truncation and round-off terms, its optimum (h*, E*), the automatic step's error and the
  log-log slope in the truncation range.
* :func:`sweep_records`, :func:`stability_records` -- the experiments, as records.

Nothing here prints or plots.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import numerical as nm
from .errors import DiffcompareError
from .records import Record

__all__ = ["reference_derivatives", "default_hs", "sweep", "Sweep", "slope", "sweep_records",
           "stability_records", "sweep_to_records", "STABILITY_CASES"]

DPS = 50


# --- the exact reference --------------------------------------------------------------------

def _hi_model(f):
    """A Model's float32 data as exact float64 (SymPy would convert float32 via decimal text)."""
    from .models import Model
    if isinstance(f, Model):
        data = {k: v.astype(np.float64) for k, v in f.data.items()
                if isinstance(v, np.ndarray) and v.dtype == np.float32}
        if data:
            return f.with_data(**data)
    return f


def _sym_params(params, prec_dps):
    import sympy
    out = {}
    for k, v in params.items():
        if isinstance(v, np.ndarray):
            a = np.empty(v.shape, dtype=object)
            for i in np.ndindex(v.shape):
                a[i] = sympy.Float(float(v[i]), prec_dps)
            out[k] = a
        else:
            out[k] = sympy.Float(float(v), prec_dps)
    return out


def _with_coord(sp, wrt, index, value):
    v = sp[wrt]
    if isinstance(v, np.ndarray):
        a = v.copy()
        a[index] = value
        return {**sp, wrt: a}
    return {**sp, wrt: value}


def _small(expr, cap):
    import sympy
    n = 0
    for _ in sympy.preorder_traversal(expr):
        n += 1
        if n > cap:
            return False
    return True


def reference_derivatives(f, params, wrt, index=(), orders=(0, 1), dps=DPS, max_nodes=3000):
    """``({order: value}, label)``: the derivatives of ``f`` in ``params[wrt][index]`` (order 0
    is f itself) at ``dps`` digits, and the name of the reference used."""
    import mpmath
    import sympy

    from .namespaces import SYMPY
    index = tuple(index) if index is not None else ()
    g = _hi_model(f)
    sp = _sym_params(params, dps + 10)
    x0 = sp[wrt][index] if isinstance(sp[wrt], np.ndarray) else sp[wrt]
    try:
        t = sympy.Symbol("t", real=True)
        expr = g(_with_coord(sp, wrt, index, x0 + t), SYMPY)
        if _small(expr, max_nodes):
            out = {}
            for k in orders:
                d = sympy.diff(expr, t, k) if k else expr
                out[k] = float(sympy.N(d.subs(t, 0), dps))
            return out, f"SymPy diff evaluated at {dps} digits"

        def hi(tt):
            y = g(_with_coord(sp, wrt, index, x0 + sympy.Float(tt, precision=mpmath.mp.prec)), SYMPY)
            return mpmath.mpf(sympy.N(y, mpmath.mp.dps)._mpf_)
        with mpmath.workdps(dps):
            out = {k: float(mpmath.diff(hi, 0, k)) for k in orders}
        return out, f"mpmath.diff of the SymPy model at {dps} digits"
    except (DiffcompareError, TypeError, ValueError, AttributeError):
        from .api import value_and_grad
        v, gr = value_and_grad(f, "autodiff")(params)
        d = gr[wrt][index] if isinstance(gr[wrt], np.ndarray) else gr[wrt]
        out = {k: (float(v) if k == 0 else float(d) if k == 1 else float("nan")) for k in orders}
        return out, "autodiff (own tracer)"


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
        nm._check_scheme(s)
    hs = default_hs() if hs is None else np.asarray(hs, float)
    for h in hs:
        nm._check_h(float(h))
    index = tuple(index) if index is not None else ()
    dtype = nm.model_dtype(params)
    need = sorted({0, 1, 2} | {_dp1_order(s, levels) for s in schemes})
    exact, label = reference_derivatives(f, params, wrt, index, orders=need)
    x0 = params[wrt][index] if isinstance(params[wrt], np.ndarray) else params[wrt]
    sw = Sweep(model_name or getattr(f, "name", getattr(f, "__name__", "f")), wrt, index,
               dtype.name, float(x0), hs, exact, label)
    from .namespaces import NUMPY
    f0 = f(params, NUMPY)
    put = nm._putter(params, wrt, index)
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


def sweep_to_records(sw, section="fd_sweep"):
    """A Sweep as flat records: one ``abs_error`` per (scheme, h), then per scheme the
    summary (best, theory, automatic step, slope). Curves are grouped by ``extra['curve']``."""
    curve = f"{sw.dtype} wrt={sw.wrt}{'' if not sw.index else list(sw.index)}"
    ref = sw.reference
    recs = [Record(section, sw.model, "reference", "derivative", sw.exact[1], "", curve, ref,
                   {"curve": curve, "dtype": sw.dtype, "x0": sw.x0, "f": sw.exact[0]})]
    for s, errs in sw.errors.items():
        for i, h in enumerate(sw.hs):
            extra = {"curve": curve, "h": float(h), "dtype": sw.dtype,
                     "truncation": float(sw.trunc[s][i]), "roundoff": float(sw.roundoff[s][i])}
            if s in sw.estimates and np.isfinite(sw.estimates[s][i]):
                extra["estimate"] = float(sw.estimates[s][i])
            recs.append(Record(section, sw.model, s, "abs_error", float(errs[i]), "",
                               f"{curve} h={h:.3e}", ref, extra))
        bh, be = sw.best(s)
        h_opt, e_opt = sw.theory[s]
        ah, ae = sw.auto[s]
        base = {"curve": curve, "dtype": sw.dtype}
        recs += [
            Record(section, sw.model, s, "best_error", be, "", curve, ref, dict(base, h=bh)),
            Record(section, sw.model, s, "best_h", bh, "", curve, "", base),
            Record(section, sw.model, s, "theory_error", e_opt, "", curve, "error model", dict(base, h=h_opt)),
            Record(section, sw.model, s, "theory_h", h_opt, "", curve, "error model", base),
            Record(section, sw.model, s, "auto_error", ae, "", curve, ref, dict(base, h=ah)),
            Record(section, sw.model, s, "auto_h", ah, "", curve, "", base),
            Record(section, sw.model, s, "slope", sw.slopes[s], "", curve, ref,
                   dict(base, order=nm.order(s))),
            Record(section, sw.model, s, "evals_per_coordinate", nm.evals_per_coordinate(s), "",
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


# --- stability cases ----------------------------------------------------------------------------

def _softplus_z(params, xp):
    return xp.log(1 + xp.exp(params["z"]))


def _offset_softplus(params, xp):
    return 1e8 + xp.log(1 + xp.exp(params["w"] * 2.0 + 0.1))


def _softplus_w(params, xp):
    return xp.log(1 + xp.exp(params["w"] * 2.0 + 0.1))


def _abs_z(params, xp):
    return xp.abs(params["z"])


STABILITY_CASES = {
    "cancellation": (_softplus_z, {"z": -28.0}, "z",
                     "naive log(1+exp(z)) at z=-28: 1+exp(-28) keeps only 4 digits of exp(-28), "
                     "so f itself is off by ~u absolutely while f' = 6.9e-13; every difference "
                     "quotient divides that u by h. The complex step and autodiff never subtract "
                     "nearby values and stay exact."),
    "offset": (_offset_softplus, {"w": 0.5}, "w",
               "f = 1e8 + softplus: each evaluation is rounded at the scale of 1e8 (u|f| ~ 1e-8), "
               "so the round-off term grows 1e8-fold and the best step moves up; the complex "
               "step carries f' in the imaginary part, untouched by the real offset."),
    "float32": (_softplus_w, {"w": np.float32(0.5)}, "w",
                "softplus in float32: u = 6e-8, so the best forward error is ~sqrt(u) ~ 3e-4 and "
                "central ~u^(2/3) ~ 2e-5; the float64 step (2^-17) in float32 loses more."),
    "kink": (_abs_z, {"z": 1e-9}, "z",
             "|z| at z=1e-9, 1e-9 from the kink: any stencil that straddles 0 averages the two "
             "slopes (central returns z/h, backward ~ -1); only steps that stay on one side are "
             "right. The complex step is refused: abs is not complex-analytic."),
}


def _case_records(case, quick):
    from .api import value_and_grad
    f, params, wrt, why = STABILITY_CASES[case]
    exact, ref = reference_derivatives(f, params, wrt, orders=(0, 1))
    d_exact = exact[1]
    dtype = nm.model_dtype(params)
    recs = [Record("fd_stability", case, "reference", "derivative", d_exact, "", dtype.name, ref,
                   {"why": why})]

    def add(method, setting, value, h=None):
        rel = abs(value - d_exact) / abs(d_exact)
        extra = {"why": why, "exact": d_exact}
        if h is not None:
            extra["h"] = h
        recs.append(Record("fd_stability", case, method, "derivative", float(value), "", setting, ref, extra))
        recs.append(Record("fd_stability", case, method, "rel_error", float(rel), "", setting, ref, extra))

    for s in nm.SCHEMES:
        try:
            d, _, _, h = nm.derivative(f, params, wrt, (), s, None)
        except nm.NotComplexSafe as e:
            recs.append(Record("fd_stability", case, s, "refused", str(e), "", "h=auto", ref, {"why": why}))
            continue
        add(s, f"h=auto ({h:.2e})", d, h)
    if case == "float32":
        h64 = nm.auto_step("central", 0.5, np.float64)
        d, _, _, h = nm.derivative(f, params, wrt, (), "central", h64)
        add("central", f"h=float64 auto ({h:.2e})", d, h)
    v, g = value_and_grad(f, "autodiff")(params)
    add("autodiff", "exact rules", float(g[wrt]))
    return recs


def _logistic_records(ns, h_fixed=3e-7):
    from . import models
    from .api import value_and_grad
    recs = []
    for n in ns:
        m = models.get("logistic_map", n=n)
        p = m.params
        exact, ref = reference_derivatives(m, p, "x", orders=(0, 1))
        d_exact = exact[1]
        rows = []
        for s, h in (("central", h_fixed), ("central", None), ("forward", None),
                     ("five-point", None), ("complex-step", None), ("richardson", None)):
            d, _, _, hu = nm.derivative(m, p, "x", (), s, h)
            rows.append((s, f"n={n} h={'auto' if h is None else f'{h:.0e}'}", d, hu))
        _, g = value_and_grad(m, "autodiff")(p)
        rows.append(("autodiff", f"n={n}", float(g["x"]), None))
        for s, setting, d, hu in rows:
            extra = {"n": n, "exact": d_exact, "h": hu,
                     "why": "each step of the chaotic map doubles a perturbation: |f'| ~ 2^n and "
                            "|f'''| ~ 2^(3n), so the truncation error of a fixed-h difference "
                            "grows like 2^(2n) relative; autodiff multiplies exact local derivatives"}
            recs.append(Record("fd_stability", "logistic_map", s, "rel_error",
                               abs(d - d_exact) / abs(d_exact), "", setting, ref, extra))
    return recs


def stability_records(quick=False):
    """What each scheme returns, and why, on the hard cases: cancellation, a 1e8 offset,
    float32, a kink, and the chaotic logistic map (n = 4..20)."""
    recs = []
    for case in STABILITY_CASES:
        recs += _case_records(case, quick)
    recs += _logistic_records((4, 12, 20) if quick else (4, 8, 12, 16, 20))
    return recs
