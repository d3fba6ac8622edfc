"""The Gradient checks section: seeded bugs in hand-written derivatives, what share each checker
catches (with the correct twin passing), its false alarms and inconclusive verdicts, and the
settings each peer ran with."""
from __future__ import annotations

from ...experiments import gradcheck as experiment
from ...experiments.gradcheck import DETECTION, FALSE_ALARMS, INCONCLUSIVE, OURS, UNRESOLVABLE_PASSED
from ...records import select
from ..section import Section, num


def _find(rs, method, metric, setting):
    return next((r for r in rs if r.method == method and r.metric == metric and r.setting == setting), None)


def _headline(rs, setting, checker):
    det = _find(rs, checker, DETECTION, setting)
    if det is None:
        return None
    if not num(det):
        return f"{checker} {det.reference or 'not run'}" if det.extra.get("skipped") else None
    t = f"{checker} catches {det.extra['caught']}/{det.extra['bugs']} ({det.value:.0%})"
    fa = _find(rs, checker, FALSE_ALARMS, setting)
    if fa is not None and num(fa):
        t += f", {fa.value} false alarm{'s' if fa.value != 1 else ''} on {fa.extra['correct']} correct"
    inc = _find(rs, checker, INCONCLUSIVE, setting)
    if inc is not None and num(inc):
        t += f", {inc.value} inconclusive ({inc.extra['correct']} correct, {inc.extra['bugs']} buggy)"
    up = _find(rs, checker, UNRESOLVABLE_PASSED, setting)
    if up is not None and num(up):
        t += f"; unresolvable cases passed: {up.value}/{up.extra['unresolvable']}"
    return t


def _conclude_gradcheck(records):
    rs = select(records, section="gradcheck")
    out = []
    ref = next((r.reference for r in rs if r.metric == DETECTION and num(r)), "")
    if ref:
        out.append(f"Detection: {ref}; inconclusive verdicts are counted in every line.")
    for setting in dict.fromkeys(r.setting for r in rs):
        parts = [p for p in (_headline(rs, setting, c) for c in dict.fromkeys(r.method for r in rs)) if p]
        if parts:
            out.append(f"{setting}: " + "; ".join(parts) + ".")
    settings = {}
    for r in rs:
        if r.metric == DETECTION and r.method != OURS and r.extra.get("settings") and not r.extra.get("skipped"):
            settings.setdefault(r.method, {})[r.extra["dtype"]] = r.extra["settings"]
    for checker, by in settings.items():
        out.append(f"{checker} ran with: " + "; ".join(f"{dt}: {s}" for dt, s in by.items()) + ".")
    missed = {}
    for r in rs:
        if r.metric == DETECTION and r.method == OURS and num(r):
            for m in r.extra.get("missed", []):
                key = (m["kind"], m["dtype"], m["status"], m.get("correct_status"))
                missed[key] = missed.get(key, 0) + 1
    if missed:
        out.append("Missed by our check: " + "; ".join(
            f"{kind} in {dt} ({k} case{'s' if k != 1 else ''}, status {st}, correct twin {cst})"
            for (kind, dt, st, cst), k in missed.items()) + ".")
    return out


def _figs_gradcheck(records):
    from ..fig_gradcheck import fig_gradcheck
    return [("detection", lambda: fig_gradcheck(records),
             "Per family of checks: share of seeded bugs caught (left; a skipped peer is absent, "
             "not 0%) and, on correct derivatives, the share reported fail and inconclusive (right).")]


SECTION = Section(
    "gradcheck", "Gradient checks",
    "Seeded bugs in hand-written gradients, vjp/jvp rules and Hessians: what share each check "
    "catches, its false alarms and its inconclusive verdicts on correct derivatives.",
    experiment.run, _figs_gradcheck, _conclude_gradcheck)
