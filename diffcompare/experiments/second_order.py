"""The second-derivatives experiment: the summary slide's three claims re-measured for
Hessians, against SymPy's Hessian at 50 digits.

* numerical -- the V-curve of one diagonal and one off-diagonal Hessian entry per model, in
  float64 and float32, for second differences of f (error ~u^(1/2)) and central differences
  of the exact gradient (~u^(2/3)), plain and Richardson, beside their error model
  (``second_order_sweep``); whole Hessians of the catalogue's smooth models by every method
  (``second_order_compare``); and what a Hessian costs in evaluations as n grows;
* symbolic -- SymPy's Hessian against its gradient by depth of the lecture's nested
  log(1 + exp(.)) chain (width 1 and 2), the fitted growth and where SymPy gives up under
  the one budget (``swell`` at order 2);
* automatic -- a Hessian-vector product against one gradient (forward-over-reverse on the
  one table), and a full Hessian as n of them.

``claims`` turns the measurements into the issue's checks, each with its bound stated once
(``bound``): the autodiff Hessian within ``EXACT_ULPS`` u, differences of the exact gradient
within ``GRAD_DIFF_FACTOR`` u^(2/3) at the automatic step, second differences within
``MODEL_FACTOR`` x their error model's optimum. Records only; nothing is printed.
"""
from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from .. import budget as runner
from .. import models
from ..hessian import hessian, hvp
from ..params import Layout
from ..records import Record
from ..timing import Timing, measure
from . import silent
from .accuracy import cast
from .second_order_compare import EVALS, REL_ERROR, S_PER_HESSIAN, compare_hessians
from .second_order_sweep import AT_OPTIMUM, SECTION, default_hs, entry_sweep
from .swell import swell_records
from .swell_steps import H_TREE, TREE

__all__ = ["run", "claims", "bound", "SECTION", "CLAIM", "HVP_OVER_GRAD", "S_PER_GRAD", "S_PER_HVP",
           "HESSIAN_OVER_HVP", "POWER_LAW", "COST_MODEL", "EXACT_ULPS", "GRAD_DIFF_FACTOR", "MODEL_FACTOR", "SMOOTH",
           "DTYPES", "EXACT", "GRAD_DIFFERENCES", "SECOND_DIFFERENCES"]

CLAIM = "claim"                     # value: the worst measured figure; extra: claim, dtype, bound, holds
HVP_OVER_GRAD = "hvp_over_grad"     # median of per-round ratios (extra: n, lo, hi, rounds)
S_PER_GRAD, S_PER_HVP = "s_per_grad", "s_per_hvp"      # timings (extra: n)
HESSIAN_OVER_HVP = "hessian_over_hvps"   # a full autodiff Hessian's time / (n x one HVP's)
POWER_LAW = "power_law"             # size ~ c d^k fitted by least squares (extra: of, c, depths, residual)

EXACT, GRAD_DIFFERENCES, SECOND_DIFFERENCES = "exact", "gradient differences", "second differences"
EXACT_ULPS = 90            # the autodiff Hessian within 90 u: 1.0e-14 in float64, 5.4e-6 in float32
GRAD_DIFF_FACTOR = 40      # central differences of the exact gradient within 40 u^(2/3): 9e-10, 1.4e-4
MODEL_FACTOR = 3.0         # second differences within 3x (either way) of their model's optimum
DTYPES = ("float64", "float32")
# The catalogue's smooth models at their default size. The logistic map is smooth too, but its
# derivatives grow ~4^k with the order k (f^(6) ~ 1.4e6 f'' at n = 4): the automatic step
# assumes derivatives of one size, so it is measured on its V-curve, at the model's own step.
SMOOTH = (("softplus", {}), ("neuron", {}), ("softplus_chain", {"depth": 2}), ("perceptron2", {}), ("mlp4", {}))
SMOOTH_QUICK = (("softplus", {}), ("neuron", {}))
# V-curves: (model, options, [(i, j)]) -- a diagonal and an off-diagonal entry (flat indices)
CURVES = (("softplus", {}, ((0, 0), (0, 1))), ("softplus_chain", {"depth": 2}, ((0, 0), (0, 2))),
          ("logistic_map", {}, ((0, 0),)))
CURVES_QUICK = (("softplus", {}, ((0, 0), (0, 1))),)
SWELL = ({"width": 1, "max_depth": 8}, {"width": 2, "max_depth": 4})
SWELL_CPU = 300.0          # CPU seconds of the sweep's own process (each SymPy step has its budget)
# the HVP's cost: an MLP with n >= 1000 (quick too: fewer rounds); the full Hessian on a smaller one
HVP_MLP, HESS_MLP = (2, 32, 32, 1), (2, 8, 8, 1)
COST_WIDTHS, COST_WIDTHS_QUICK = (2, 4, 8), (2, 3)     # MLP 2-k-1: n = 4k + 1
COST_MODEL = "mlp 2-k-1"                                # the cost records' model (extra: n)


def bound(kind, dtype):
    """The bound a claim is checked against, from the dtype's unit round-off u."""
    u = float(np.finfo(np.dtype(dtype)).eps) / 2
    return {EXACT: EXACT_ULPS * u, GRAD_DIFFERENCES: GRAD_DIFF_FACTOR * u ** (2 / 3),
            SECOND_DIFFERENCES: MODEL_FACTOR}[kind]


def _vcurves(quick, progress):
    out = []
    hs = default_hs(per_decade=2 if quick else 4)
    for name, opts, entries in (CURVES_QUICK if quick else CURVES):
        m = models.get(name, **opts)
        for dt in DTYPES:
            model, params = cast(m, m.params, dt)
            for i, j in entries:
                out += entry_sweep(model, params, i, j, hs=hs, jitter=4 if quick else 8, name=name,
                                   progress=progress)
    return out


def _accuracy(quick, progress):
    out = []
    for name, opts in (SMOOTH_QUICK if quick else SMOOTH):
        m = models.get(name, **opts)
        for dt in DTYPES:
            model, params = cast(m, m.params, dt)
            methods = [x for x in ("autodiff", "symbolic", "central", "central-grad", "richardson",
                                   "richardson-grad", "autograd") if not (quick and x == "symbolic")]
            out += compare_hessians(model, params, methods, name=name, repeats=3, min_time=0.002,
                                    progress=progress, timed=not quick)
    return out


def _interleaved(fns, rounds, min_time):
    """CPU seconds per call of each function, the functions taking turns within a round (a
    busy machine slows them alike): {name: Timing}, and each one's per-round times."""
    times = {k: [] for k in fns}
    loops = {}
    for _ in range(rounds):
        for k, fn in fns.items():
            t = measure(fn, repeats=1, min_time=min_time, clock=time.process_time, warmup=k not in loops)
            times[k].append(t.median)
            loops[k] = t.loops
    return {k: Timing(float(np.median(v)), min(v), max(v), rounds, loops[k]) for k, v in times.items()}, times


def _mlp(sizes):
    """An MLP, its params, their layout and a fixed random direction v."""
    m = models.get("mlp", sizes=sizes)
    L = Layout(m.params)
    return m, m.params, L, L.unflatten(np.random.default_rng(0).standard_normal(L.n))


def _costs(quick, progress):
    """The HVP against one gradient; a full Hessian against n HVPs; evaluations per Hessian."""
    from ..api import grad
    m, p, L, v = _mlp(HVP_MLP)
    g, h = grad(m), hvp(m)
    progress(f"second derivatives: HVP against a gradient, n={L.n}")
    t, per = _interleaved({"grad": lambda: g(p), "hvp": lambda: h(p, v)}, 3 if quick else 11,
                          0.01 if quick else 0.02)
    ratios = np.array(per["hvp"]) / np.array(per["grad"])
    base = {"n": L.n, "sizes": list(m.options["sizes"])}
    out = [Record.timing(SECTION, "mlp", "autodiff", S_PER_GRAD, t["grad"], extra=base),
           Record.timing(SECTION, "mlp", "autodiff", S_PER_HVP, t["hvp"], extra=base),
           Record(SECTION, "mlp", "autodiff", HVP_OVER_GRAD, float(np.median(ratios)), "x", f"n={L.n}",
                  extra=dict(base, lo=float(ratios.min()), hi=float(ratios.max()), rounds=len(ratios)))]
    m, p, L, v = _mlp(HESS_MLP)
    H, h = hessian(m), hvp(m)
    progress(f"second derivatives: a full Hessian against n HVPs, n={L.n}")
    t, per = _interleaved({"hessian": lambda: H(p), "hvp": lambda: h(p, v)}, 3 if quick else 7,
                          0.01 if quick else 0.02)
    ratios = np.array(per["hessian"]) / (L.n * np.array(per["hvp"]))
    out.append(Record(SECTION, "mlp", "autodiff", HESSIAN_OVER_HVP, float(np.median(ratios)), "x", f"n={L.n}",
                      extra={"n": L.n, "lo": float(ratios.min()), "hi": float(ratios.max()),
                             "sweeps": H.info.get("sweeps"), "directions": H.info.get("directions_per_sweep"),
                             "s_per_hessian": t["hessian"].median,
                             "s_per_hvp": t["hvp"].median}))
    for k in (COST_WIDTHS_QUICK if quick else COST_WIDTHS):
        m = models.get("mlp", sizes=(2, k, 1), batch=16)
        out += [r for r in compare_hessians(m, m.params, ("autodiff", "central", "central-grad", "richardson",
                                                          "richardson-grad"), reference="autodiff",
                                            name=COST_MODEL, repeats=3, min_time=0.002, progress=progress)
                if r.metric in (EVALS, S_PER_HESSIAN)]
    return out


def _power_law(recs, of):
    """size ~ c d^k by least squares on log-log over the measured depths >= 2."""
    pts = sorted((r.extra["depth"], r.value) for r in recs if r.metric == of and isinstance(r.value, int)
                 and r.extra.get("depth", 0) >= 2)
    if len(pts) < 3:
        return None
    x, y = np.log([d for d, _ in pts]), np.log([s for _, s in pts])
    k, logc = np.polyfit(x, y, 1)
    resid = float(np.max(np.abs(np.exp(logc + k * x) / np.exp(y) - 1)))
    return float(k), float(math.exp(logc)), [d for d, _ in pts], resid


def _symbolic(quick, progress):
    out = []
    for kw in ({"width": 1, "max_depth": 4},) if quick else SWELL:
        recs = [dataclasses.replace(r, section=SECTION)
                for r in swell_records("softplus_chain", quick=quick, progress=progress, order=2, **kw)]
        for of in (H_TREE, TREE):
            fit = _power_law(recs, of)
            if fit is not None:
                k, c, depths, resid = fit
                recs.append(Record(SECTION, recs[0].model, "symbolic", POWER_LAW, k, "", "",
                                   extra={"of": of, "c": c, "depths": depths, "residual": resid,
                                          "width": kw["width"]}))
        out += recs
    return out


def claims(records):
    """The issue's checks as records: per claim and dtype the worst measured figure, its
    bound, whether it holds, and where the worst was."""
    out = []
    acc = [r for r in records if r.section == SECTION and r.metric == REL_ERROR and not r.extra.get("computes_in")
           and r.model in {name for name, _ in SMOOTH}]
    opt = [r for r in records if r.section == SECTION and r.metric == AT_OPTIMUM
           and r.method in ("central", "richardson")]
    for dt in DTYPES:
        for kind, mine, value in (
                (EXACT, [r for r in acc if r.method == "autodiff"], lambda r: r.value),
                (GRAD_DIFFERENCES, [r for r in acc if r.method == "central-grad"], lambda r: r.value),
                (SECOND_DIFFERENCES, opt, lambda r: max(r.extra["ratio"], 1 / r.extra["ratio"]))):
            mine = [r for r in mine if r.extra.get("dtype") == dt and math.isfinite(value(r))]
            if not mine:
                continue
            worst = max(mine, key=value)
            b = bound(kind, dt)
            out.append(Record(SECTION, worst.model, worst.method, CLAIM, value(worst), "", dt, worst.reference,
                              {"claim": kind, "dtype": dt, "bound": b, "holds": value(worst) <= b,
                               "cases": len(mine), "where": worst.setting}))
    return out


def run(quick=False, progress=silent):
    """The section's records: V-curves, whole Hessians, costs, the symbolic Hessian's swell,
    then the claims checked on them. Quick: softplus and neuron, coarser grids, fewer rounds and
    the width-1 chain to depth 4 (a few seconds)."""
    # SymPy's sweep runs in its own process beside the accuracy runs (its steps are budgeted in
    # CPU seconds, so sharing the machine changes no give-up); the timings run last, alone.
    job = runner.start(_symbolic, quick, silent, cpu=SWELL_CPU, what="SymPy's Hessian by depth")
    try:
        out = _vcurves(quick, progress) + _accuracy(quick, progress)
        progress("second derivatives: SymPy's Hessian against its gradient, by depth")
        symbolic = job.result()
    except BaseException:
        job.kill()
        raise
    out += _costs(quick, progress) + symbolic
    return out + claims(out)
