"""The Accuracy section: error against h of every scheme beside the exact methods, and the
V-curve with its error model."""
from __future__ import annotations

import math

from ... import stepsweep as ss
from ...experiments import accuracy as acc
from ...records import is_number, select
from ..section import Section, fmt_err, num

READS = ((acc.SECTION, acc.REL_ERROR), (acc.SECTION, acc.BEST_REL_ERROR), (acc.SECTION, acc.EVALS),
         (acc.SECTION, acc.REFUSED), (ss.SWEEP_SECTION, ss.ABS_ERROR), (ss.SWEEP_SECTION, ss.SLOPE),
         (ss.SWEEP_SECTION, ss.AUTO_ERROR), (ss.SWEEP_SECTION, ss.THEORY_ERROR))
GLOSSARY = {"best h": "the step with the smallest measured error on the grid of steps tried (1e-1 ... 1e-14).",
            "computes in float64": "a method given float32 params whose result is not a float32 number: it "
                                   "computed (at least partly) in float64, so its float32 error is float64's."}


def _figs_accuracy(records):
    from ..fig_accuracy import fig_error_vs_h
    out = [("error_vs_h", lambda: fig_error_vs_h(records),
            "Relative gradient error against the step h: each finite-difference scheme (solid) and each "
            "exact method (dashed level; dotted where it computes in float64 although given float32), "
            "float64 on top, float32 below.")]
    ref = next((r for r in select(records, section=ss.SWEEP_SECTION, metric=ss.DERIVATIVE)), None)
    if ref is not None:
        from ..fig_fd import fig_vcurve
        out.append(("vcurve", lambda: fig_vcurve(records),
                    f"The V-curve of {ref.model}'s derivative in {ref.extra.get('wrt', 'its first parameter')}: "
                    "measured error (faint markers, RMS over jittered points) against the error model, truncation "
                    "plus round-off (lines); o marks the model's best step, x the automatic step."))
    return out


def _rows(records):
    return [r for r in select(records, section=acc.SECTION) if num(r)]


def _best(rs, dt):
    """scheme -> its worst-over-models best record, in dtype ``dt``."""
    by = {}
    for r in rs:
        if r.metric == acc.BEST_REL_ERROR and r.extra.get("dtype") == dt:
            if r.method not in by or r.value > by[r.method].value:
                by[r.method] = r
    return by


def _exact(rs, dt, honest=True):
    return [r for r in rs if r.metric == acc.REL_ERROR and "h" not in r.extra and r.extra.get("dtype") == dt
            and not (honest and r.extra.get("computes_in"))]


def _takeaway_accuracy(records):
    rs = _rows(records)
    c64, c32 = _best(rs, "float64").get("central"), _best(rs, "float32").get("central")
    ex = _exact(rs, "float64")
    if not (c64 and ex):
        return "Finite differences are approximate; the exact methods sit at the round-off floor."
    line = (f"Finite differences are approximate even at their best step: central differences err by "
            f"{fmt_err(c64.value)} in float64")
    if c32:
        line += f" and {fmt_err(c32.value)} in float32"
    return line + (f", while autodiff, autograd and SymPy stay within {fmt_err(max(r.value for r in ex))} "
                   "of the 50-digit reference.")


def _conclude_accuracy(records):
    rs = _rows(records)
    out = []
    ref = next((r.reference for r in rs if r.reference), None)
    if ref:
        out.append(f"Errors are max-norm, relative to the largest gradient entry, against the {ref}.")
    for dt in ("float64", "float32"):
        best = _best(rs, dt)
        if not best:
            continue
        parts = "; ".join(f"{m} {fmt_err(r.value)} (h={r.extra['h']:.0e})" for m, r in best.items())
        line = f"{dt}, each scheme at its best h (worst model): {parts}."
        exact = _exact(rs, dt)
        if exact:
            w = max(exact, key=lambda r: r.value)
            line += f" Exact methods: at most {fmt_err(w.value)} ({w.method}, {w.model})."
        wide = sorted({r.method for r in _exact(rs, dt, honest=False) if r.extra.get("computes_in")})
        if wide:
            verb = "computes" if len(wide) == 1 else "compute"
            line += f" ({', '.join(wide)} {verb} in float64 inside, so their float32 error is not shown as float32's.)"
        out.append(line)
    c64, c32 = _best(rs, "float64").get("central"), _best(rs, "float32").get("central")
    if c64 and c32 and c64.value > 0:
        out.append(f"Central differences lose {math.log10(c32.value / c64.value):.1f} more decimal digits in "
                   f"float32 than in float64 ({fmt_err(c32.value)} vs {fmt_err(c64.value)}): the round-off "
                   "term u/h grows with u.")
    sl = [r for r in select(records, section=ss.SWEEP_SECTION, metric=ss.SLOPE) if num(r)
          and r.extra.get("dtype") == "float64"]
    if sl:
        out.append("Measured order (log-log slope of the error where truncation dominates, float64): "
                   + ", ".join(f"{r.method} {r.value:.2f} (theory {r.extra.get('order', '?')})" for r in sl) + ".")
    au = [r for r in select(records, section=ss.SWEEP_SECTION, metric=ss.AUTO_ERROR) if num(r)
          and r.extra.get("dtype") == "float64" and is_number(r.extra.get("h"))]
    if au:
        out.append(f"With the automatic step ({au[0].model}, float64): "
                   + ", ".join(f"{r.method} {fmt_err(r.value)} (h={r.extra['h']:.1e})" for r in au) + ".")
    refused = select(records, section=acc.SECTION, metric=acc.REFUSED)
    if refused:
        lo = max(refused, key=lambda r: r.extra.get("h", 0))
        out.append(f"In {lo.extra.get('dtype')} the schemes refuse steps of h={lo.extra['h']:.0e} and below "
                   "instead of returning noise: x + h rounds back to x.")
    small = [r for r in rs if r.metric == acc.REL_ERROR and r.method == "forward" and r.extra.get("dtype") == "float64"]
    if small:
        hmin = min(small, key=lambda r: r.extra["h"])
        best = min((r for r in small if r.model == hmin.model), key=lambda r: r.value)
        if hmin.value > 10 * best.value:
            out.append(f"Too small a step is bad too: forward differences on {hmin.model} err by "
                       f"{fmt_err(hmin.value)} at h={hmin.extra['h']:.0e}, against {fmt_err(best.value)} at "
                       f"h={best.extra['h']:.0e}.")
    return out


def _tables_accuracy(records):
    rs = _rows(records)
    cols = list(dict.fromkeys((r.model, r.extra.get("dtype")) for r in rs if r.metric == acc.REL_ERROR))
    methods = list(dict.fromkeys(r.method for r in rs if r.metric in (acc.REL_ERROR, acc.BEST_REL_ERROR)
                                 and (r.metric == acc.BEST_REL_ERROR or "h" not in r.extra)))
    if not cols:
        return []
    rows = []
    for m in methods:
        row = [m]
        for model, dt in cols:
            hit = [r for r in rs if r.method == m and r.model == model and r.extra.get("dtype") == dt
                   and (r.metric == acc.BEST_REL_ERROR or (r.metric == acc.REL_ERROR and "h" not in r.extra))]
            if not hit:
                row.append("")
                continue
            r = hit[0]
            row.append(fmt_err(r.value) + (f" (h={r.extra['h']:.0e})" if "h" in r.extra else "")
                       + (" *" if r.extra.get("computes_in") else ""))
        rows.append(row)
    return [("Relative error of each method per model and dtype (finite differences: at their best h; "
             "* computes in float64 inside)", ("method", *(f"{m}, {dt}" for m, dt in cols)), rows)]


SECTION = Section(
    "accuracy", "Accuracy",
    "How close each method's gradient is to the exact one: finite differences trade truncation error "
    "(large h) against round-off (small h); exact methods sit at the round-off floor.",
    acc.run, _figs_accuracy, _conclude_accuracy, _tables_accuracy,
    takeaway=_takeaway_accuracy, reads=READS, glossary=GLOSSARY)
