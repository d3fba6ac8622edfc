"""The Accuracy section: error against h of every scheme beside the exact methods, and the V-curve with its error model."""
from __future__ import annotations

import math

from ...experiments import accuracy as experiment
from ...records import is_number, select
from ..section import Section, fmt_err, num


def _figs_accuracy(records):
    from ..fig_accuracy import fig_error_vs_h
    out = [("error_vs_h", lambda: fig_error_vs_h(records),
            "Relative gradient error against the step h for each finite-difference scheme "
            "(solid), and each exact method's error (dashed), float64 (top) and float32 (bottom).")]
    if select(records, section="fd_sweep"):
        from ..fig_fd import fig_vcurve
        out.append(("vcurve", lambda: fig_vcurve(records),
                    "The V-curve of softplus' derivative in w: measured error (markers, RMS over "
                    "jittered points) against the error model truncation + round-off (lines); "
                    "o = the model's optimum, x = the automatic step."))
    return out


def _conclude_accuracy(records):
    rs = [r for r in select(records, section="accuracy") if num(r)]
    out = []
    ref = next((r.reference for r in rs if r.reference), None)
    if ref:
        out.append(f"Errors are max-norm, relative to the largest gradient entry, against: {ref}.")
    for dt in ("float64", "float32"):
        best = [r for r in rs if r.metric == "best_rel_error" and r.extra.get("dtype") == dt]
        exact = [r for r in rs if r.metric == "rel_error" and "h" not in r.extra and r.extra.get("dtype") == dt]
        if not best:
            continue
        by = {}
        for r in best:
            by.setdefault(r.method, []).append(r)
        parts = []
        for m, lst in by.items():
            worst = max(lst, key=lambda r: r.value)
            parts.append(f"{m} {fmt_err(worst.value)} (h={worst.extra['h']:.0e}, {worst.model})")
        line = f"{dt}: best error of each scheme at its best h, worst over the models: " + "; ".join(parts) + "."
        if exact:
            w = max(exact, key=lambda r: r.value)
            line += f" The exact methods stay at or below {fmt_err(w.value)} ({w.method}, {w.model})."
        out.append(line)
    ctr = [r for r in rs if r.method == "central" and r.metric == "best_rel_error" and r.extra.get("dtype") == "float64"]
    cfl = [r for r in rs if r.method == "central" and r.metric == "best_rel_error" and r.extra.get("dtype") == "float32"]
    if ctr and cfl:
        a, b = max(r.value for r in ctr), max(r.value for r in cfl)
        out.append(f"Central differences lose {math.log10(b / a):.1f} more digits in float32 than in "
                   f"float64 ({fmt_err(b)} vs {fmt_err(a)}): round-off ~eps/h grows as eps does.")
    sl = [r for r in select(records, section="fd_sweep", metric="slope") if num(r)
          and r.extra.get("dtype") == "float64"]
    if sl:
        out.append("Measured order (log-log slope of the error in the truncation range, float64): "
                   + ", ".join(f"{r.method} {r.value:.2f} (theory {r.extra.get('order', '?')})" for r in sl) + ".")
    au = [r for r in select(records, section="fd_sweep", metric="auto_error") if num(r)
          and r.extra.get("dtype") == "float64"]
    if au:
        out.append("With the automatic step the error is: "
                   + ", ".join(f"{r.method} {fmt_err(r.value)} (h={r.extra['h']:.1e})" for r in au
                               if is_number(r.extra.get("h"))) + f" ({au[0].model}).")
    ref = [r for r in select(records, section="accuracy", metric="refused")]
    if ref:
        lo = max(ref, key=lambda r: r.extra.get("h", 0))
        out.append(f"In {lo.extra.get('dtype')} the schemes refuse steps of h={lo.extra['h']:.0e} and below "
                   f"instead of returning noise ({lo.value.split(': ', 1)[-1]}).")
    for r in select(records, section="accuracy", metric="part_failed"):
        out.append(str(r.value))
    small = [r for r in rs if r.metric == "rel_error" and r.method == "forward" and r.extra.get("dtype") == "float64"]
    if small:
        hmin = min(small, key=lambda r: r.extra["h"])
        same = [r for r in small if r.model == hmin.model]
        best = min(same, key=lambda r: r.value)
        if hmin.value > 10 * best.value:
            out.append(f"Too small a step is bad too: forward differences on {hmin.model} err by "
                       f"{fmt_err(hmin.value)} at h={hmin.extra['h']:.0e}, against {fmt_err(best.value)} at "
                       f"h={best.extra['h']:.0e}.")
    return out


SECTION = Section(
    "accuracy", "Accuracy",
    "How close each method's gradient is to the exact one: finite differences trade "
    "truncation error (large h) against round-off (small h); exact methods sit at the "
    "round-off floor.",
    experiment.run, _figs_accuracy, _conclude_accuracy)
