"""The lecture's summary slide, rebuilt with evidence.

    Numerical gradient: easy to implement, bad to use.
    Symbolic gradient:  sometimes useful, often intractable.
    Automatic gradient: exact, fast, error-prone.
    In practice: use symbolic gradient for small/trivial programs; almost always use the
    analytic gradient, but check it with a numerical gradient (a gradient check).

Every mark is EARNED: each word of a claim gets the numbers of this run that bear on it,
and each number's mark is computed from a threshold stated once (``THRESHOLDS``, shown in
the legend): ✓ the number supports the word, ≈ it qualifies it (the report's own data say
"not always"), · context. A word with no number says so. Nothing here measures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..experiments import accuracy as acc
from ..experiments import codesize as cs
from ..experiments import speed as sp
from ..experiments import stability as st
from ..records import is_number, select
from . import slide_evidence
from .section import faster, fmt_err, fmt_s, fmt_x
from .slide_evidence import Evidence, gradcheck_share, swell_evidence, symbolic_advice

__all__ = ["slide_rows", "advice_lines", "slide_text", "slide_figure", "CLAIMS", "THRESHOLDS", "LEGEND", "legend",
           "Evidence", "Row", "READS"]

CLAIMS = (("numerical", "Numerical gradient", "easy to implement, bad to use"),
          ("symbolic", "Symbolic gradient", "sometimes useful, often intractable"),
          ("automatic", "Automatic gradient", "exact, fast, error-prone"))
# The thresholds every mark is computed from (stated once, shown on the slide).
EXACT = 1e-13        # a float64 gradient error below this is "exact" (round-off level)
FAST = 10.0          # a gradient for at most this many evaluations' time is "fast"
BAD = 100.0          # a finite difference this many times the exact methods' error is "bad"
EASY = 0.1           # a textbook core at most this share of reverse mode's lines is "easy"
SWELL = 100.0        # a derivative tree this many times our tape is "intractable" as a formula
GROWTH = slide_evidence.GROWTH
THRESHOLDS = {"exact": f"error < {EXACT:g}", "fast": f"< {FAST:g} evaluations per gradient",
              "bad": f"error > {BAD:g}× the exact methods'", "easy": f"< {EASY:g}× reverse mode's lines",
              "intractable": f"past the CPU budget the records state, or a tree > {SWELL:g}× our tape; "
                              f"polynomial: the tree grows < {GROWTH:g}× per depth step"}
LEGEND = ("✓ the number supports the claim, ≈ it qualifies it, · context; thresholds: "
          + "; ".join(f"{k}: {v}" for k, v in THRESHOLDS.items()))


def legend(records):
    """The legend with the one definition of "intractable" this run used: the CPU budget of
    one SymPy step that the swell records carry."""
    budgets = sorted({b for b in slide_evidence.swell_budgets(records)})
    if not budgets:
        return LEGEND
    stated = " or ".join(f"{b:g} s" for b in budgets)
    return LEGEND + f"; intractable here means one SymPy step (diff, cse, simplify...) ran past {stated} of CPU"


ADVICE = ("Use symbolic gradient for small/trivial programs.",
          "Almost always use analytic gradient, but check correctness of implementation with "
          "numerical gradient (a gradient check).")
READS = ((cs.SECTION, cs.LOC), (acc.SECTION, acc.BEST_REL_ERROR), (acc.SECTION, acc.REL_ERROR),
         (sp.SECTION, sp.EVALS), (sp.SECTION, sp.COST_RATIO), (sp.SECTION, sp.S_PER_GRAD),
         (sp.SECTION, sp.SETUP_S), (st.SECTION, st.RETURNED)) + tuple(
    (slide_evidence.SWELL_SECTION, m) for m in (slide_evidence.TREE, slide_evidence.TAPE, slide_evidence.DIFF_S)) + (
    (slide_evidence.GRADCHECK_SECTION, slide_evidence.DETECTION_RATE),
    (slide_evidence.GRADCHECK_SECTION, slide_evidence.FALSE_ALARMS))


@dataclass
class Row:
    key: str
    method: str
    claim: str
    evidence: list = field(default_factory=list)


def _nums(records, **where):
    return [r for r in select(records, **where) if is_number(r.value)]


def _loc(records, fam, scope):
    got = [r for r in _nums(records, section=cs.SECTION, method=fam, metric=cs.LOC) if r.extra.get("scope") == scope]
    return got[0] if got else None


def _exact_floor(records, dtype="float64"):
    ex = [r.value for r in _nums(records, section=acc.SECTION, metric=acc.REL_ERROR)
          if "h" not in r.extra and r.extra.get("dtype") == dtype and not r.extra.get("computes_in")]
    return max(ex) if ex else None


def _numerical(records):
    ev = []
    core, whole, ad = _loc(records, "numerical", cs.TEXTBOOK), _loc(records, "numerical", cs.WHOLE), \
        _loc(records, "automatic", cs.WHOLE)
    if core and ad:
        ev.append(Evidence(f"a textbook central difference is {core.value} lines ({core.setting}) against "
                           f"{ad.value} for reverse-mode autodiff ({ad.setting})", core.value < EASY * ad.value, "easy"))
    if whole:
        ev.append(Evidence(f"done carefully (step choice, error model, float32, complex step) it is {whole.value} "
                           f"lines ({whole.setting})", False if ad and whole.value > EASY * ad.value else None, "easy"))
    best = _nums(records, section=acc.SECTION, method="central", metric=acc.BEST_REL_ERROR)
    floor = _exact_floor(records)
    b64 = [r for r in best if r.extra.get("dtype") == "float64"]
    if b64 and floor is not None:
        w = max(b64, key=lambda r: r.value)
        ev.append(Evidence(f"central differences at their best step err by {fmt_err(w.value)} ({w.model}, "
                           f"h={w.extra['h']:.0e}) against {fmt_err(floor)} for the exact methods",
                           w.value > BAD * max(floor, 1e-16), "bad"))
    b32 = [r for r in best if r.extra.get("dtype") == "float32"]
    f32 = _exact_floor(records, "float32")
    if b32 and f32 is not None:
        w = max(b32, key=lambda r: r.value)
        ev.append(Evidence(f"in float32 {fmt_err(w.value)} at best (autodiff {fmt_err(f32)})",
                           w.value > BAD * max(f32, 1e-16), "bad"))
    evals = _nums(records, section=sp.SECTION, method="central", metric=sp.EVALS)
    if evals:
        r = max(evals, key=lambda r: r.extra.get("n", 0))
        n = r.extra.get("n", 0)
        ev.append(Evidence(f"{r.value} evaluations per gradient at n={n}", r.value > FAST, "bad"))
    cplx = [r for r in _nums(records, section=acc.SECTION, method="complex-step", metric=acc.BEST_REL_ERROR)
            if r.extra.get("dtype") == "float64"]
    if cplx:
        w = max(cplx, key=lambda r: r.value)
        ev.append(Evidence(f"the complex step, a numerical method too, errs by {fmt_err(w.value)} (float64)",
                           False if w.value < EXACT else None, "bad"))
    check = gradcheck_share(records)
    if check:
        ev.append(Evidence(f"the gradient check the slide recommends is itself a numerical gradient: {check}",
                           False, "bad"))
    return ev


def _symbolic(records):
    ev = []
    e64 = [r.value for r in _nums(records, section=acc.SECTION, method="symbolic", metric=acc.REL_ERROR)
           if r.extra.get("dtype") == "float64"]
    if e64:
        ev.append(Evidence(f"error {fmt_err(max(e64))} on the lecture's small models (float64)",
                           max(e64) < EXACT, "useful"))
    chain = {(r.method, r.metric): r for r in _nums(records, section=sp.SECTION, model=sp.CHAIN_MODEL)
             if r.extra.get("depth") == max((x.extra.get("depth", 0) for x in
                                             _nums(records, section=sp.SECTION, model=sp.CHAIN_MODEL)), default=0)}
    setup, call, ad = (chain.get(("symbolic", sp.SETUP_S)), chain.get(("symbolic", sp.S_PER_GRAD)),
                       chain.get(("autodiff", sp.S_PER_GRAD)))
    if setup and call and ad:
        ev.append(Evidence(f"after a setup of {fmt_s(setup.value)}, a gradient takes {fmt_s(call.value)}: "
                           f"{faster(call.value, ad.value, 'SymPy', 'our tracer')} (depth {setup.extra['depth']})",
                           call.value < ad.value, "useful"))
    ev += swell_evidence(records, SWELL)
    return ev


def _automatic(records):
    ev = []
    a64 = [r for r in _nums(records, section=acc.SECTION, method="autodiff", metric=acc.REL_ERROR)
           if r.extra.get("dtype") == "float64"]
    if a64:
        worst = max(r.value for r in a64)
        ev.append(Evidence(f"autodiff errs by {fmt_err(worst)} against the 50-digit reference (float64, "
                           f"{len(a64)} model{'s' * (len(a64) != 1)})", worst < EXACT, "exact"))
    ratio = _nums(records, section=sp.SECTION, method="autodiff", metric=sp.COST_RATIO)
    if ratio:
        r = max(ratio, key=lambda r: r.extra.get("n", 0))
        ev.append(Evidence(f"a gradient costs {fmt_x(r.value)} one evaluation at n={r.extra.get('n')}",
                           r.value < FAST, "fast"))
    big = _nums(records, section=sp.SECTION, model=sp.SPEED_MODEL, metric=sp.S_PER_GRAD)
    a = max((r for r in big if r.method == "autodiff"), key=lambda r: r.extra.get("n", 0), default=None)
    b = next((r for r in big if r.method == "autograd" and a and r.extra.get("n") == a.extra.get("n")), None)
    if a and b:
        ev.append(Evidence(f"{faster(a.value, b.value, 'our tracer', 'autograd')} at n={a.extra['n']}", None, "fast"))
    for r in select(records, section=st.SECTION, method="autodiff", metric=st.RETURNED):
        if r.extra.get("part") != st.NOT_DIFFERENTIABLE:
            continue
        right = is_number(r.value) and abs(r.value - r.extra["exact"]) < 1e-12
        got = "nan" if isinstance(r.value, float) and math.isnan(r.value) else f"{r.value:g}"
        ev.append(Evidence(f"{r.model}: autodiff returns {got}; the function is {r.extra['same_as']}, derivative "
                           f"{r.extra['exact']:g}" + (" (right: ties are split)" if right else ""),
                           not right, "error-prone"))
    check = gradcheck_share(records)
    if check:
        ev.append(Evidence(f"hand-written gradients: {check}", True, "error-prone"))
    return ev


def slide_rows(records):
    rows = []
    for (key, method, claim), build in zip(CLAIMS, (_numerical, _symbolic, _automatic)):
        rows.append(Row(key, method, claim, [e for e in build(records) if e is not None]))
    return rows


def mark(e):
    return "✓" if e.supports else "≈" if e.supports is False else "·"


def advice_lines(records):
    """The "in practice" advice, each part with the numbers behind it."""
    first = f"In practice: {ADVICE[0]}"
    sym = symbolic_advice(records)
    if sym:
        first += f" Measured: {sym}."
    second = ADVICE[1]
    share = gradcheck_share(records)
    if share:
        second += f" Measured: {share}."
    return [first, second]


def slide_text(records, source=""):
    """The slide as plain text (what ``diffcompare slide`` prints)."""
    lines = ["In summary" + (f"  [{source}]" if source else "")]
    for row in slide_rows(records):
        lines.append(f"- {row.method}: {row.claim}.")
        for e in row.evidence or [Evidence("not measured in this run")]:
            lines.append(f"      {mark(e)} {e.word + ': ' if e.word else ''}{e.text}")
    lines += ["", *advice_lines(records), "", legend(records)]
    return "\n".join(lines)


def slide_figure(records):
    """The slide as a 16:9 matplotlib Figure."""
    import textwrap

    import matplotlib.pyplot as plt
    rows, advice = slide_rows(records), advice_lines(records)
    items, y = [(0.6, 0.5, "In summary", dict(fontsize=26, weight="bold"))], 1.25
    for row in rows:
        items.append((0.6, y, f"{row.method}:", dict(fontsize=17, weight="bold")))
        items.append((4.2, y, row.claim, dict(fontsize=17)))
        y += 0.42
        for e in row.evidence or [Evidence("not measured in this run")]:
            color = "#1a7f37" if e.supports else "#9a6700" if e.supports is False else "#57606a"
            for k, part in enumerate(textwrap.wrap(f"{e.word}: {e.text}" if e.word else e.text, 100)):
                items.append((4.3, y, mark(e) if k == 0 else "", dict(fontsize=11.5, color=color, weight="bold")))
                items.append((4.55, y, part, dict(fontsize=11, color="#24292f")))
                y += 0.25
        y += 0.18
    y += 0.1
    for line in advice:
        for part in textwrap.wrap(line, 118):
            items.append((0.6, y, part, dict(fontsize=12.5, color="#143")))
            y += 0.3
        y += 0.08
    for part in textwrap.wrap(legend(records) + ". Every number comes from this run's records.", 170):
        items.append((0.6, y + 0.1, part, dict(fontsize=8, color="#666")))
        y += 0.2
    height = max(7.2, y + 0.5)
    fig = plt.figure(figsize=(12.8, height))
    fig.patch.set_facecolor("white")
    for x, yy, text, kw in items:
        fig.text(x / 12.8, 1 - yy / height, text, va="top", **kw)
    return fig
