"""The gradient-check experiment: seeded bugs in hand-written derivatives (gradients, vjp/jvp,
Hessians), scored for our check and its peers per dtype and suite (ours, held-out).

Records: one per (suite, dtype, family, checker) and metric. ``extra`` holds the structured
counts (``caught``, ``bugs``, ``correct``, ``inconclusive_correct``, ...), ``dtype``,
``suite``, ``family``, ``settings`` (the peer's settings, from its docs) and ``missed``: a list
of ``{"kind", "family", "seed", "dtype", "status", "correct_status"}`` -- renderers read fields,
never parse strings. A skipped peer has ``value`` None and ``extra["skipped"]`` with the reason.
"""
from __future__ import annotations

from ..gradcheck import score as sc
from ..records import Record
from . import silent

__all__ = ["run", "DETECTION", "FALSE_ALARMS", "INCONCLUSIVE", "UNRESOLVABLE_PASSED", "SECTION",
           "OURS", "QUICK_KINDS"]

SECTION = "gradcheck"
MODEL = "bugsuite"
OURS = "diffcompare"
DETECTION = "detection_rate"              # bugs caught (fail, with the correct twin passing) / bugs
FALSE_ALARMS = "false_alarms"             # correct derivatives reported fail
INCONCLUSIVE = "inconclusive"             # inconclusive verdicts, correct and buggy
UNRESOLVABLE_PASSED = "unresolvable_passed"   # cases no difference can see, reported pass
REFERENCE = "seeded bugs (diffcompare.gradcheck.suite): caught iff fail while the correct twin passes"

QUICK_KINDS = ("half", "sign", "transpose", "bias", "off-by-one", "rel-1e-4", "kink-near", "huber-switch",
               "offset-1e8", "nan-f", "vec-transpose", "vec-batch-sum", "hess-upper", "hvp-second-block")


def _records(sname, dtype, family, name, s):
    base = dict(dtype=dtype, suite=sname, family=family, settings=sc.SETTINGS[name][dtype])
    setting = f"{dtype}, {sname} suite, {family}"
    det = s["caught"] / s["bugs"] if s["bugs"] else None
    out = [Record(SECTION, MODEL, name, DETECTION, det, "fraction", setting, REFERENCE,
                  dict(base, caught=s["caught"], bugs=s["bugs"], caught_unpaired=s["caught_unpaired"],
                       missed=s["missed"])),
           Record(SECTION, MODEL, name, FALSE_ALARMS, s["false_alarms"], "count", setting,
                  "correct derivatives reported fail",
                  dict(base, correct=s["correct"], alarms=s["alarms"], errors=s["errors"],
                       inconclusive=s["inconclusive_correct"])),
           Record(SECTION, MODEL, name, INCONCLUSIVE, s["inconclusive_correct"] + s["inconclusive_bugs"],
                  "count", setting, "inconclusive verdicts",
                  dict(base, correct=s["inconclusive_correct"], bugs=s["inconclusive_bugs"]))]
    if s["unresolvable"]:
        out.append(Record(SECTION, MODEL, name, UNRESOLVABLE_PASSED, s["unresolvable_passed"], "count", setting,
                          "cases no finite difference can resolve, reported pass",
                          dict(base, unresolvable=s["unresolvable"])))
    return out


def run(quick=False, progress=silent):
    """Quick: our suite, seed 0, a few kinds of each family (a few seconds). Full: every
    kind, our suite and the held-out one (~1 min)."""
    out = []
    suites = [("own", False)] if quick else [("own", False), ("held-out", True)]
    plan = [(s, h, dt, fam) for s, h in suites for dt in ("float64", "float32") for fam in sc.FAMILIES]
    for i, (sname, held, dtype, family) in enumerate(plan):
        progress(f"gradient checks: {family}, {dtype}, {sname} suite", i, len(plan))
        cs = sc.cases(dtype, held, family, kinds=QUICK_KINDS if quick else None)
        if quick:
            cs = [c for c in cs if c.seed == 0]
        for name, chk in sc.CHECKERS.items():
            s = sc.score(cs, chk)
            if s["not_applicable"] == len(cs):
                continue
            out.extend(_records(sname, dtype, family, name, s))
        if family != "second-order" and not sc.torch_available():
            out.append(Record(SECTION, MODEL, "torch.autograd.gradcheck", DETECTION, None, "",
                              f"{dtype}, {sname} suite, {family}", "skipped: torch is not installed",
                              dict(dtype=dtype, suite=sname, family=family, skipped="torch is not installed",
                                   settings=sc.SETTINGS["torch.autograd.gradcheck"][dtype])))
    progress("gradient checks", len(plan), len(plan))
    return out
