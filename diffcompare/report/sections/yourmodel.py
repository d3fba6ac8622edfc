"""The sections of a report on the user's own model: which gradient to trust (every method
against the reference, its time and counts), error against h and the V-curve, what each
method returns near the model's overflow, the user's gradient checked -- and what does not
apply, with the reason. ``sections(f, params, ...)`` builds them around one run."""
from __future__ import annotations

from dataclasses import replace

from ...compare import COUNTS, DEFAULT_BUDGET, FAILED, REFERENCE, REL_ERROR, S_PER_GRAD, SECTION, SETUP_S
from ...experiments import stability as st
from ...experiments import yourmodel as ym
from ...records import select
from ..section import Section, fmt_err, fmt_s, fmt_timing, num
from . import accuracy, stability

__all__ = ["sections", "READS"]

READS = ((SECTION, REL_ERROR), (SECTION, S_PER_GRAD), (SECTION, REFERENCE))


def _rows(records):
    by = {}
    for r in select(records, section=SECTION):
        by.setdefault(r.method, {})[r.metric] = r
    return by


def _reference(records):
    r = next((r for r in select(records, section=SECTION, metric=REFERENCE)), None)
    return (r.value, r.extra.get("why", "")) if r else ("?", "")


def _takeaway(records):
    by = _rows(records)
    ok = {m: d for m, d in by.items() if REL_ERROR in d and num(d[REL_ERROR]) and S_PER_GRAD in d}
    if not ok:
        return "No method produced a gradient of this model."
    ref, _ = _reference(records)
    exact = [m for m, d in ok.items() if d[REL_ERROR].value < 1e-12]
    fastest = min(exact or ok, key=lambda m: ok[m][S_PER_GRAD].value)
    fd = [m for m in ok if m in ("forward", "backward", "central", "five-point", "richardson")]
    line = (f"Against the {ref}, {fastest} is the fastest exact gradient here ({fmt_timing(ok[fastest][S_PER_GRAD])}, "
            f"error {fmt_err(ok[fastest][REL_ERROR].value)})")
    if fd:
        best = min(fd, key=lambda m: ok[m][REL_ERROR].value)
        line += f"; the best finite difference, {best}, errs by {fmt_err(ok[best][REL_ERROR].value)}"
    return line + "."


def _conclude(records):
    ref, why = _reference(records)
    out = [f"Every error is relative to max|gradient|, against the {ref}" + (f" ({why})." if why else ".")]
    for m, d in _rows(records).items():
        if FAILED in d:
            out.append(f"{m} does not apply: {d[FAILED].value}")
    for r in select(records, section=ym.SECTION, metric=ym.NOT_APPLICABLE):
        if r.extra.get("part") != ym.PART_COST:
            out.append(f"{r.method} does not apply: {r.value}")
    for r in select(records, section=ym.SECTION, metric=ym.GRADCHECK):
        out.append(f"Your gradient, checked: {r.value} ({r.extra.get('summary', '')}).")
    return out


def _tables(records):
    rows = []
    for m, d in _rows(records).items():
        if REL_ERROR not in d:
            continue
        counts = ", ".join(f"{label}={d[k].value:,}" for k, label in COUNTS.items() if k in d)
        rows.append((m, fmt_err(d[REL_ERROR].value), fmt_timing(d[S_PER_GRAD]) if S_PER_GRAD in d else "",
                     fmt_s(d[SETUP_S].value) if SETUP_S in d else "", counts))
    ref, _ = _reference(records)
    return [(f"Every method on this model (errors against the {ref})",
             ("method", "rel. error", "time per gradient", "setup", "counts"), rows)]


def _figs(records):
    from ..fig_compare import fig_error_vs_time
    return [("error_vs_time", lambda: fig_error_vs_time(records),
             "Each method's error against its time per gradient: lower left is better.")]


def _overflow_conclude(records):
    ov = stability.part_of(records, st.OVERFLOW)
    out = [f"{case}: {stability.outcomes([r for r in ov if r.model == case])}."
           for case in dict.fromkeys(r.model for r in ov)]
    out += [f"Not measured: {r.value}." for r in select(records, section=ym.SECTION, metric=ym.NOT_APPLICABLE)
            if r.extra.get("part") == ym.PART_OVERFLOW]
    return out


def _overflow_tables(records):
    rs = [r for r in stability.part_of(records, st.OVERFLOW) if r.metric in (st.RETURNED, st.REFUSED)]
    return stability.returned_table(rs, "What each method returns where the model's value overflows")


def sections(f, params, name, quick=False, budget=DEFAULT_BUDGET, grad=None):
    """The report's sections for ``f`` at ``params``: the first runs every part; the others
    render from its records."""
    def run(quick_, progress):
        return ym.run(f, params, name, quick=quick_, budget=budget, grad=grad, progress=progress)

    def nothing(quick_, progress):
        return []
    main = Section("yourmodel", f"Your model: {name}", "Every differentiation method on your model: its gradient's "
                   "error against one reference, its time per gradient, setup and counts; and what does not apply, "
                   "with the reason.", run, _figs, _conclude, _tables, takeaway=_takeaway, reads=READS)
    acc = replace(accuracy.SECTION, run=nothing, derived=True, reads=())
    over = Section("overflow", "Near your model's overflow", "The model's params scaled up by powers of two until "
                   "its value overflows, and what each method returns there.", nothing, lambda records: [],
                   _overflow_conclude, _overflow_tables, derived=True)
    return [main, acc, over]
