"""The Speed section: time per gradient against n, cost in evaluations, SymPy's setup."""
from __future__ import annotations

from ...experiments import speed as sp
from ...records import select
from ..section import Section, faster, fmt_s, fmt_timing, fmt_x, num

# (SKIPPED and FAILED are read too, but only a slow or a broken method produces them)
READS = tuple((sp.SECTION, m) for m in (sp.S_PER_GRAD, sp.S_PER_EVAL, sp.COST_RATIO, sp.EVALS, sp.SETUP_S))
GLOSSARY = {"MLP 4-H-H-1": "the speed model: 4 inputs, two hidden layers of H sigmoid units, one output, "
                           "L2 loss on a batch of 32; n = H^2 + 7H + 1 parameters.",
            "cheap gradient": "the theorem (Baur-Strassen, Griewank) that reverse mode computes a gradient "
                              "for a small constant multiple of one evaluation's cost, whatever n."}


def _figs_speed(records):
    from .. import fig_speed
    return [("time_vs_n", lambda: fig_speed.fig_time_vs_n(records),
             "Seconds per gradient against the number of parameters n (log-log; median over rounds, "
             "bars from the fastest to the slowest round)."),
            ("cost_ratio", lambda: fig_speed.fig_cost_ratio(records),
             "Time per gradient divided by the time of one plain evaluation of the model."),
            ("symbolic_setup", lambda: fig_speed.fig_symbolic_setup(records),
             "SymPy's one-off setup (differentiate + lambdify) against its time per gradient and our tracer's.")]


def _rows(records):
    return [r for r in select(records, section=sp.SECTION) if num(r)]


def _pts(rs, method, metric=sp.COST_RATIO):
    return sorted(((r.extra["n"], r) for r in rs if r.method == method and r.metric == metric
                   and r.model == sp.SPEED_MODEL), key=lambda p: p[0])


def _largest(rs, method, metric):
    got = _pts(rs, method, metric)
    return got[-1][1] if got else None


def _takeaway_speed(records):
    rs = _rows(records)
    ad, ce = _pts(rs, "autodiff"), _pts(rs, "central", sp.EVALS)
    if not ad:
        return "Reverse mode costs a small multiple of one evaluation; finite differences cost ~n evaluations."
    lo, hi = min(r.value for _, r in ad), max(r.value for _, r in ad)
    line = (f"A reverse-mode gradient costs {lo:.1f}-{hi:.1f} evaluations of the model for every n from "
            f"{ad[0][0]} to {ad[-1][0]}")
    if ce:
        n, r = ce[-1]
        line += f", while central differences need {r.value} evaluations at n={n} (2n + 1)"
    return line + "."


def _conclude_speed(records):
    rs = _rows(records)
    out = []
    ad = _pts(rs, "autodiff")
    if len(ad) >= 2:
        (n0, c0), (n1, c1) = (ad[0][0], ad[0][1].value), (ad[-1][0], ad[-1][1].value)
        verdict = ("the ratio does not grow with n" if c1 < 2 * c0 else
                   f"the ratio grew {c1 / c0:.2g}× while n grew {n1 / n0:.3g}×")
        out.append(f"Reverse mode (our tracer): {c0:.1f} evaluations per gradient at n={n0}, {c1:.1f} at n={n1}: "
                   f"{verdict}.")
    for m in ("forward", "central", "autodiff-forward"):
        pts = _pts(rs, m)
        if len(pts) >= 2:
            (n0, a), (n1, b) = pts[0], pts[-1]
            out.append(f"{m}: {fmt_x(a.value)} an evaluation at n={n0}, {fmt_x(b.value)} at n={n1} "
                       f"(n grew {n1 / n0:.3g}×, the cost {b.value / a.value:.3g}×).")
    # the same n for both schemes: the cost per evaluation inside a gradient
    fw, ce = dict(_pts(rs, "forward")), dict(_pts(rs, "central"))
    ev = {m: dict(_pts(rs, m, sp.EVALS)) for m in ("forward", "central")}
    both = sorted(set(fw) & set(ce) & set(ev["forward"]) & set(ev["central"]))
    if both:
        n = both[-1]
        kf, kc = ev["forward"][n].value, ev["central"][n].value
        a, b = fw[n].value / kf, ce[n].value / kc
        out.append(f"At n={n} forward differences ({kf} evaluations) cost {fmt_x(fw[n].value)} one evaluation and "
                   f"central ({kc}) {fmt_x(ce[n].value)}: {a:.2f} and {b:.2f} evaluations' time each, so the count "
                   "of evaluations sets the cost; the rest is copying the params for every evaluation (the model "
                   "never sees the caller's arrays), which weighs most on a model this cheap.")
    a, b = _largest(rs, "autodiff", sp.S_PER_GRAD), _largest(rs, "autograd", sp.S_PER_GRAD)
    if a and b and a.extra["n"] == b.extra["n"]:
        out.append(f"At n={a.extra['n']}: our tracer {fmt_timing(a)} per gradient, autograd {fmt_timing(b)}: "
                   f"{faster(a.value, b.value, 'our tracer', 'autograd')}.")
    out += _symbolic_lines(rs)
    stopped = select(records, section=sp.SECTION, metric=sp.SKIPPED)
    if stopped:
        out.append("Stopped before the next size, where one gradient would pass the time cap (they grow ~n): "
                   + ", ".join(f"{r.method} after n={r.value}" for r in stopped) + ".")
    for r in select(records, section=sp.SECTION, metric=sp.FAILED):
        out.append(f"{r.method} ({r.setting}): {r.value}")
    return out


def _symbolic_lines(rs):
    out = []
    sym = [r for r in rs if r.model == sp.CHAIN_MODEL and r.method == "symbolic"]
    if sym:
        d = max(r.extra["depth"] for r in sym)
        pick = {(r.method, r.metric): r for r in rs if r.model == sp.CHAIN_MODEL and r.extra.get("depth") == d}
        setup, call, ad = (pick.get(("symbolic", sp.SETUP_S)), pick.get(("symbolic", sp.S_PER_GRAD)),
                           pick.get(("autodiff", sp.S_PER_GRAD)))
        if setup and call:
            line = f"SymPy on the depth-{d} chain: setup {fmt_s(setup.value)} once, then {fmt_timing(call)} per gradient"
            if ad and ad.value > call.value:
                line += (f", against {fmt_timing(ad)} for our tracer: the setup pays off after "
                         f"{setup.value / (ad.value - call.value):.3g} gradients.")
            elif ad:
                line += f", no faster than our tracer ({fmt_timing(ad)}): the setup never pays off."
            out.append(line)
    msym = {r.metric: r for r in rs if r.model == sp.SPEED_MODEL and r.method == "symbolic"}
    if sp.SETUP_S in msym and sp.S_PER_GRAD in msym:
        line = (f"SymPy on the MLP (n={msym[sp.S_PER_GRAD].extra.get('n')}): setup {fmt_s(msym[sp.SETUP_S].value)}, "
                f"then {fmt_timing(msym[sp.S_PER_GRAD])} per gradient")
        if sp.COST_RATIO in msym:
            line += f" ({msym[sp.COST_RATIO].value:.2g} evaluations)"
        out.append(line + ".")
    return out


def _tables_speed(records):
    rs = _rows(records)
    ns = sorted({r.extra["n"] for r in rs if r.model == sp.SPEED_MODEL and r.metric == sp.S_PER_GRAD})
    methods = list(dict.fromkeys(r.method for r in rs if r.model == sp.SPEED_MODEL and r.metric == sp.S_PER_GRAD))
    if not ns:
        return []
    cell = {(r.method, r.extra["n"]): r for r in rs if r.model == sp.SPEED_MODEL and r.metric == sp.S_PER_GRAD}
    ev = {r.extra["n"]: r for r in rs if r.model == sp.SPEED_MODEL and r.metric == sp.S_PER_EVAL}
    rows = [["one evaluation"] + [fmt_timing(ev[n]) if n in ev else "" for n in ns]]
    rows += [[m] + [fmt_timing(cell[(m, n)]) if (m, n) in cell else "" for n in ns] for m in methods]
    return [("Seconds per gradient, median [min–max] over the rounds (MLP 4-H-H-1, batch 32)",
             ("method", *(f"n={n}" for n in ns)), rows)]


SECTION = Section(
    "speed", "Speed",
    "Time per gradient against the number of parameters, and what one gradient costs in evaluations "
    "of the model.",
    sp.run, _figs_speed, _conclude_speed, _tables_speed,
    takeaway=_takeaway_speed, reads=READS, glossary=GLOSSARY)
