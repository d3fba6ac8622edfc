"""The Gradient checks section: seeded bugs, what share each checker catches, its false alarms."""
from __future__ import annotations

from ...experiments import gradcheck as experiment
from ...records import select
from ..section import Section, num


def _conclude_gradcheck(records):
    rs = select(records, section="gradcheck")
    out = []
    ref = next((r.reference for r in rs if r.metric == "detection_rate" and r.reference), "")
    if ref:
        out.append(f"Detection: {ref}.")
    for dt in dict.fromkeys(r.setting for r in rs if r.metric in ("detection_rate", "false_alarms")):
        parts = []
        for checker in dict.fromkeys(r.method for r in rs if r.setting == dt):
            det = next((r for r in rs if r.setting == dt and r.method == checker and r.metric == "detection_rate"), None)
            fa = next((r for r in rs if r.setting == dt and r.method == checker and r.metric == "false_alarms"), None)
            if det is None:
                continue
            if not num(det):
                parts.append(f"{checker} {det.reference or 'not run'}")
                continue
            t = f"{checker} catches {det.extra.get('caught', '?')}/{det.extra.get('bugs', '?')} ({det.value:.0%})"
            if fa is not None and num(fa):
                t += f", {fa.value} false alarm{'s' if fa.value != 1 else ''} on {fa.extra.get('correct', '?')} correct gradients"
                if fa.extra.get("inconclusive"):
                    t += f" ({fa.extra['inconclusive']} inconclusive)"
            parts.append(t)
        if parts:
            out.append(f"{dt}: " + "; ".join(parts) + ".")
    missed = {}
    for r in rs:
        if r.metric == "detection_rate" and r.method == "diffcompare":
            for m in r.extra.get("missed") or []:
                # "name/bug/dtype/seed:status" -> grouped by bug name and status
                name, _, rest = str(m).partition("/")
                status = str(m).rsplit(":", 1)[-1] if ":" in str(m) else "?"
                dtype = next((p for p in str(m).split("/") if p.startswith("float")), "")
                missed.setdefault((name, dtype, status), 0)
                missed[(name, dtype, status)] += 1
    if missed:
        out.append("Missed by our check: " + "; ".join(
            f"{name} in {dt} ({k} case{'s' if k != 1 else ''}, status {st})" for (name, dt, st), k in missed.items())
            + " - bugs below the dtype's resolution.")
    return out



def _figs_gradcheck(records):
    from ..fig_gradcheck import fig_gradcheck
    return [("detection", lambda: fig_gradcheck(records),
             "Share of seeded bugs caught (left) and of correct gradients falsely failed (right), "
             "per checker and dtype.")]


SECTION = Section(
    "gradcheck", "Gradient checks",
    "Seeded bugs in hand-written gradients: what share each check catches, and its "
    "false alarms on correct gradients.",
    experiment.run, _figs_gradcheck, _conclude_gradcheck)
