"""The Gradient checks section: seeded bugs in hand-written derivatives, what share each checker
catches (with the correct twin passing), its false alarms and inconclusive verdicts, and the
settings each peer ran with. Every sentence is written from the records' structured counts
(``extra``: caught, bugs, correct, ...); a peer compared with ours is compared on the same
cases (the settings -- dtype, suite, family -- where that peer ran)."""
from __future__ import annotations

from ...experiments import gradcheck as experiment
from ...experiments.gradcheck import DETECTION, FALSE_ALARMS, INCONCLUSIVE, OURS, UNRESOLVABLE_PASSED
from ...records import select
from ..section import Section, num

READS = tuple((experiment.SECTION, m) for m in (DETECTION, FALSE_ALARMS, INCONCLUSIVE, UNRESOLVABLE_PASSED))
GLOSSARY = {
    "seeded bug": "a deliberate mistake put into a hand-written derivative (a wrong sign, a missing factor, a "
                  "transposed matrix...) to see whether a gradient check catches it.",
    "correct twin": "the same case with the derivative written right; a bug counts as caught only when the check "
                    "fails on the bug AND passes its correct twin (failing both is not catching).",
    "false alarm": "a correct derivative that a check reports as fail.",
    "inconclusive": "the check's verdict when it cannot tell (a kink, noise, or f not finite at the point): it "
                    "says so with the reason instead of guessing pass or fail.",
    "own / held-out suite": "our suite is the seeds and sizes the check was tuned on; the held-out suite draws "
                            "the same kinds of bugs with seeds and sizes never seen while tuning.",
    "unresolvable case": "a case no finite difference in its dtype can see (e.g. a 1e8 offset in float32, f "
                         "NaN at the point): pass there would be a guess, so the right verdict is not pass.",
    "vjp / jvp": "vector-Jacobian product (reverse mode's building block: v·J) and Jacobian-vector product "
                 "(forward mode's: J·v) of a vector-valued function.",
    "first-order / vjp/jvp / second-order": "the families of checks: a gradient; a vjp or jvp rule; a "
                                            "Hessian-vector product or a Hessian.",
    "peer": "another library's gradient check run on the same cases (scipy.optimize.check_grad, "
            "autograd's check_grads, torch.autograd.gradcheck when installed), with the settings its docs give.",
}


def _rows(records):
    return select(records, section=experiment.SECTION)


def _find(rs, method, metric, setting):
    return next((r for r in rs if r.method == method and r.metric == metric and r.setting == setting), None)


# what a checker's tally sums, per metric: (tally key, the record's extra field; None: its value)
_SUMS = {DETECTION: (("caught", "caught"), ("bugs", "bugs")),
         FALSE_ALARMS: (("alarms", None), ("correct", "correct")),
         INCONCLUSIVE: (("inc_correct", "correct"), ("inc_bugs", "bugs")),
         UNRESOLVABLE_PASSED: (("unres_passed", None), ("unres", "unresolvable"))}


def _tally(rs, checker, settings=None):
    """A checker's counts summed over the settings where it has a detection rate (or over
    ``settings``): caught, bugs, alarms, correct, inconclusive (correct, buggy), unresolvable
    passed and unresolvable, and the settings summed."""
    t = {k: 0 for pairs in _SUMS.values() for k, _ in pairs}
    mine = [r for r in rs if r.method == checker]
    ran = [r.setting for r in mine if r.metric == DETECTION and num(r)]
    where = [s for s in ran if settings is None or s in settings]
    for r in mine:
        if r.setting in where and num(r):
            for key, field in _SUMS.get(r.metric, ()):
                t[key] += r.value if field is None else r.extra[field]
    t["settings"] = where
    return t


def _share(t):
    return f"{t['caught']}/{t['bugs']} ({t['caught'] / t['bugs']:.0%})" if t["bugs"] else "no bugs"


def _alarms(t):
    return f"{t['alarms']} false alarm{'s' * (t['alarms'] != 1)} on {t['correct']} correct"


def _checkers(rs):
    found = list(dict.fromkeys(r.method for r in rs if r.metric == DETECTION and num(r)))
    return sorted(found, key=lambda c: c != OURS)


def _takeaway_gradcheck(records):
    rs = _rows(records)
    ours = _tally(rs, OURS)
    if not ours["bugs"]:
        return "A gradient check compares a hand-written derivative with a numerical one; this run scored none."
    line = (f"Our gradient check caught {ours['caught']} of {ours['bugs']} seeded bugs "
            f"({ours['caught'] / ours['bugs']:.0%}) with {_alarms(ours)} derivatives")
    peers = []
    for c in _checkers(rs)[1:]:
        t = _tally(rs, c)
        if t["bugs"]:
            peers.append(f"{c} {t['caught'] / t['bugs']:.0%} ({t['alarms']} false alarm{'s' * (t['alarms'] != 1)})")
    return line + ("; on the cases each peer runs, " + ", ".join(peers) if peers else "") + "."


def _checker_line(rs, checker):
    t = _tally(rs, checker)
    fams = list(dict.fromkeys(r.extra.get("family") for r in rs if r.method == checker and r.setting in t["settings"]))
    line = f"{checker} ({', '.join(f for f in fams if f)}): caught {_share(t)}"
    if checker != OURS:
        o = _tally(rs, OURS, set(t["settings"]))
        line += f" -- ours {_share(o)} on the same cases"
    line += f"; {_alarms(t)}; {t['inc_correct'] + t['inc_bugs']} inconclusive ({t['inc_correct']} correct, " \
            f"{t['inc_bugs']} buggy)"
    if t["unres"]:
        line += f"; {t['unres_passed']} of {t['unres']} unresolvable cases reported pass"
    return line + "."


def _suites(rs):
    suites = list(dict.fromkeys(r.extra.get("suite") for r in rs if r.method == OURS and r.metric == DETECTION))
    if len(suites) < 2:
        return []
    parts = []
    for s in suites:
        t = _tally(rs, OURS, {r.setting for r in rs if r.extra.get("suite") == s})
        parts.append(f"{s} suite {_share(t)}, {_alarms(t)}")
    return ["Our check on each suite: " + "; ".join(parts) + "."]


def _missed(rs):
    missed = {}
    for r in rs:
        if r.metric == DETECTION and r.method == OURS and num(r):
            for m in r.extra.get("missed", []):
                key = (m["kind"], m["dtype"], m["status"], m.get("correct_status"))
                missed[key] = missed.get(key, 0) + 1
    if not missed:
        return []
    return ["Missed by our check: " + "; ".join(
        f"{kind} in {dt} ({k} case{'s' if k != 1 else ''}, status {st}, correct twin {cst})"
        for (kind, dt, st, cst), k in missed.items()) + "."]


def _skipped(rs):
    why = {}
    for r in rs:
        if r.metric == DETECTION and not num(r) and r.extra.get("skipped"):
            why.setdefault((r.method, r.extra["skipped"]), []).append(r)
    return [f"{m} skipped: {reason} (left out of every share, not counted as 0%)." for m, reason in why]


def _conclude_gradcheck(records):
    rs = _rows(records)
    out = [_checker_line(rs, c) for c in _checkers(rs)]
    return out + _suites(rs) + _missed(rs) + _skipped(rs)


def _details_gradcheck(records):
    """The settings each peer ran with (ours: its defaults)."""
    settings = {}
    for r in _rows(records):
        if r.metric == DETECTION and r.method != OURS and r.extra.get("settings") and not r.extra.get("skipped"):
            settings.setdefault(r.method, {})[r.extra["dtype"]] = r.extra["settings"]
    return [f"{checker} ran with: " + "; ".join(f"{dt}: {s}" for dt, s in by.items()) + "."
            for checker, by in settings.items()]


def _tables_gradcheck(records):
    rs = _rows(records)
    rows = []
    for setting in dict.fromkeys(r.setting for r in rs if r.metric == DETECTION):
        for c in dict.fromkeys(r.method for r in rs if r.setting == setting):
            det = _find(rs, c, DETECTION, setting)
            if det is None:
                continue
            if not num(det):
                rows.append((setting, c, det.reference or "not run", "", "", ""))
                continue
            t = _tally(rs, c, {setting})
            rows.append((setting, c, _share(t), f"{t['alarms']}/{t['correct']}",
                         f"{t['inc_correct']} / {t['inc_bugs']}", f"{t['unres_passed']}/{t['unres']}" if t["unres"] else ""))
    if not rows:
        return []
    return [("Every checker in every setting (dtype, suite, family of checks)",
             ("setting", "checker", "bugs caught", "false alarms / correct", "inconclusive: correct / buggy",
              "unresolvable reported pass"), rows)]


def _figs_gradcheck(records):
    from ..fig_gradcheck import fig_gradcheck
    return [("detection", lambda: fig_gradcheck(records),
             "Per family of checks: the share of seeded bugs each checker catches (left; a skipped peer is "
             "left out, not drawn as 0%) and, on correct derivatives, the share it reports fail or "
             "inconclusive (right).")]


SECTION = Section(
    "gradcheck", "Gradient checks",
    "Seeded bugs in hand-written gradients, vjp/jvp rules and Hessians, checked by our gradient check and "
    "by its peers: the share each catches, its false alarms and its inconclusive verdicts on correct "
    "derivatives.",
    experiment.run, _figs_gradcheck, _conclude_gradcheck, _tables_gradcheck,
    takeaway=_takeaway_gradcheck, details=_details_gradcheck, reads=READS, glossary=GLOSSARY)
