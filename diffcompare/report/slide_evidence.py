"""The slide's evidence from the swell and gradient-check experiments' records, and the
``Evidence`` every line of the slide is.

Every metric name is its experiment's constant (``experiments.gradcheck``,
``experiments.swell`` and its step table ``swell_steps``).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..experiments.gradcheck import DETECTION as DETECTION_RATE
from ..experiments.gradcheck import FALSE_ALARMS, OURS
from ..experiments.gradcheck import SECTION as GRADCHECK_SECTION
from ..experiments.swell import STATUS
from ..experiments.swell_steps import DIFF_S, TAPE, TREE
from ..experiments.swell_sweep import INTRACTABLE
from ..records import is_number, select
from .section import big, fmt_s

__all__ = ["Evidence", "swell_budgets", "swell_evidence", "symbolic_advice", "gradcheck_share", "SWELL_SECTION",
           "GRADCHECK_SECTION", "GROWTH"]


@dataclass
class Evidence:
    """One number on the slide: its text, its mark, and the word of the claim it bears on."""
    text: str
    supports: bool | None = None     # True supports the claim, False qualifies it, None context
    word: str = ""                   # "exact", "fast", "intractable", ...

SWELL_SECTION = "swell"      # the swell section's key
DIFF_STEP = "diff"          # the swell step that is sympy.diff of the whole gradient
GROWTH = 1.5                # tree(d) / tree(d - 1) past this at the deepest depth: exponential growth


def swell_budgets(records):
    """The CPU budgets (seconds per SymPy step) the swell records carry."""
    return [r.extra["budget"] for r in select(records, section=SWELL_SECTION) if is_number(r.extra.get("budget"))]


def _gave_up(r):
    """A swell STATUS record: sympy.diff of the whole gradient past its budget."""
    return r.metric == STATUS and r.value == INTRACTABLE and r.extra.get("step") == DIFF_STEP and "depth" in r.extra


def swell_evidence(records, swell_factor):
    """Evidence for "often intractable": SymPy giving up within the budget the records state,
    SymPy's own tree against our tape, and the lecture's chain's polynomial growth."""
    sw = select(records, section=SWELL_SECTION)
    out = []
    gave = [r for r in sw if _gave_up(r)]
    for model in dict.fromkeys(r.model for r in gave):
        r = min((x for x in gave if x.model == model), key=lambda x: x.extra["depth"])
        out.append(Evidence(f"sympy.diff of the whole gradient of {model} is intractable at depth "
                            f"{r.extra['depth']} (CPU budget {r.extra.get('budget', '?'):g} s)", True, "intractable"))
    ran = [r for r in sw if r.metric == DIFF_S and is_number(r.value) and "depth" in r.extra]
    for model in dict.fromkeys(r.model for r in ran if r.model not in {g.model for g in gave}):
        r = max((x for x in ran if x.model == model), key=lambda x: x.extra["depth"])
        budget = r.extra.get("budget")
        out.append(Evidence(f"sympy.diff finished {model} up to depth {r.extra['depth']} ({fmt_s(r.value)}"
                            + (f", budget {budget:g} s" if is_number(budget) else "") + ")", False, "intractable"))
    trees = [r for r in sw if r.metric == TREE and is_number(r.value) and "depth" in r.extra]
    tapes = {(r.model, r.extra.get("depth")): r.value for r in sw if r.metric == TAPE and is_number(r.value)}
    for model in dict.fromkeys(r.model for r in trees):
        mine = sorted((r for r in trees if r.model == model), key=lambda r: r.extra["depth"])
        r = mine[-1]
        tape = tapes.get((model, r.extra["depth"]))
        if tape:
            out.append(Evidence(f"{model}: SymPy's gradient tree has {big(r.value)} nodes at depth {r.extra['depth']}, "
                                f"our tape {big(tape)} ops", r.value > swell_factor * tape, "intractable"))
        if len(mine) >= 2 and mine[-2].value > 0:
            growth = r.value / mine[-2].value
            if growth < GROWTH:
                out.append(Evidence(f"{model}: the tree grows only {growth:.2f}× per depth step at depth "
                                    f"{r.extra['depth']} (polynomial, not exponential)", False, "intractable"))
    return out


def symbolic_advice(records):
    """'softplus_chain up to depth 4 (39 ms), intractable at ...' for the advice line."""
    sw = select(records, section=SWELL_SECTION)
    parts = []
    for model in dict.fromkeys(r.model for r in sw if r.metric == DIFF_S):
        diffs = [r for r in sw if r.model == model and r.metric == DIFF_S and is_number(r.value) and "depth" in r.extra]
        if not diffs:
            continue
        r = max(diffs, key=lambda r: r.extra["depth"])
        t = f"{model} up to depth {r.extra['depth']} ({fmt_s(r.value)})"
        stop = [x for x in sw if x.model == model and _gave_up(x)]
        if stop:
            x = min(stop, key=lambda x: x.extra["depth"])
            t += f", intractable at depth {x.extra['depth']}"
        parts.append(t)
    return ("sympy.diff of the whole gradient finished for " + "; ".join(parts)) if parts else ""


def gradcheck_share(records):
    """'catches k of N seeded gradient bugs (..), with f false alarms on c correct gradients'."""
    gc = select(records, section=GRADCHECK_SECTION)
    det = [r for r in gc if is_number(r.value) and r.metric == DETECTION_RATE and r.method == OURS]
    if not det:
        return None
    caught = sum(int(r.extra.get("caught", 0)) for r in det)
    bugs = sum(int(r.extra.get("bugs", 0)) for r in det)
    where = f"{len(det)} settings (dtype, suite, kind of check)" if len(det) > 1 else det[0].setting
    share = "" if not bugs else f"{caught / bugs:.0%}" if caught == bugs else f"{caught / bugs:.1%}"
    t = (f"our gradient check catches {caught} of {bugs} seeded bugs in hand-written gradients ({share}, {where})"
         if bugs else f"our gradient check: {where}")
    fa = [x for x in gc if x.metric == FALSE_ALARMS and x.method == OURS and is_number(x.value)]
    if fa:
        alarms = sum(x.value for x in fa)
        correct = sum(int(x.extra.get("correct", 0)) for x in fa)
        t += f", with {alarms} false alarm{'s' if alarms != 1 else ''} on {correct} correct gradients"
    return t
