"""The Second derivatives section: the slide's three claims re-measured for Hessians --
finite differences against their error model, SymPy's Hessian against its gradient, and a
Hessian-vector product against one gradient."""
from __future__ import annotations

from ...experiments import second_order as so
from ...experiments.second_order_compare import EVALS, REL_ERROR, S_PER_HESSIAN
from ...experiments.second_order_sweep import AT_OPTIMUM, AUTO_ERROR, BEST_ERROR, ENTRY, SLOPE, THEORY_ERROR
from ...experiments.swell_laws import GAVE_UP, HESS_VS_GRAD
from ...records import select
from ..section import Section, big, fmt_err, fmt_timing, num

READS = tuple((so.SECTION, m) for m in (so.CLAIM, so.HVP_OVER_GRAD, so.S_PER_GRAD, so.S_PER_HVP, so.HESSIAN_OVER_HVP,
                                         so.POWER_LAW, REL_ERROR, EVALS, AT_OPTIMUM, THEORY_ERROR, SLOPE, ENTRY,
                                         BEST_ERROR, AUTO_ERROR, HESS_VS_GRAD))
# (GAVE_UP is read too, but only a full run goes deep enough for SymPy's Hessian to give up)
GLOSSARY = {
    "Hessian": "the n x n matrix of second derivatives of the loss, H_ij = d2 f / dx_i dx_j.",
    "HVP": "Hessian-vector product H v: what Newton-CG and trust-region methods need, without forming H.",
    "forward-over-reverse": "our HVP: the gradient's reverse sweep run on dual numbers, so every "
                            "cotangent carries its derivative along v -- from the same table of partials.",
    "second differences": "H_ij from values of f at x +- h e_i +- h e_j, divided by h^2 (error ~u^(1/2)).",
    "differences of the exact gradient": "H[:, j] = (g(x + h e_j) - g(x - h e_j)) / 2h with g our autodiff "
                                         "gradient (error ~u^(2/3)).",
    "optimal step h*": "the step at the bottom of the error model's V, where truncation and round-off balance.",
    "evaluation noise": "the RMS error of evaluating f (or a gradient entry) in floating point, measured "
                        "against its 50-digit value; the round-off term of the error model is made of it.",
}
CLAIM_WORDS = {so.EXACT: "autodiff's Hessian", so.GRAD_DIFFERENCES: "central differences of the exact gradient",
               so.SECOND_DIFFERENCES: "second differences at their model's optimum h*"}


def _figs(records):
    from .. import fig_second
    out = [("vcurves", lambda: fig_second.fig_vcurves(records),
            "Hessian entries by finite differences: measured error against h (faint markers, RMS over jittered "
            "points) against the error model -- truncation (dashed) plus round-off (dotted) -- with the "
            "model's optimum h* (open circle), the error measured there (dot) and at the automatic step (x).")]
    if select(records, section=so.SECTION, metric=EVALS):
        out.append(("costs", lambda: fig_second.fig_costs(records),
                    "The three claims for Hessians: evaluations per Hessian against n; SymPy's Hessian tree "
                    "against its gradient's by depth (log10 nodes; vertical line: where it gave up under the "
                    "budget); seconds per Hessian."))
    return out


def _rows(records, metric):
    return [r for r in select(records, section=so.SECTION, metric=metric) if num(r)]


def _claim(records, kind, dt):
    return next((r for r in select(records, section=so.SECTION, metric=so.CLAIM)
                 if r.extra.get("claim") == kind and r.extra.get("dtype") == dt), None)


def _takeaway(records):
    ex, gd = _claim(records, so.EXACT, "float64"), _claim(records, so.GRAD_DIFFERENCES, "float64")
    ce = [r for r in _rows(records, REL_ERROR) if r.method == "central" and r.extra.get("dtype") == "float64"]
    ratio = next(iter(_rows(records, so.HVP_OVER_GRAD)), None)
    if not (ex and gd and ce and ratio):
        return "Second derivatives repeat the slide: differences lose digits, SymPy swells, autodiff stays exact."
    return (f"A finite-difference Hessian keeps about half the digits (second differences: up to "
            f"{fmt_err(max(r.value for r in ce))}) or two thirds (differences of the exact gradient: up to "
            f"{fmt_err(gd.value)}), while forward-over-reverse gives the exact Hessian (within {fmt_err(ex.value)}) "
            f"and a Hessian-vector product for {ratio.value:.2g} gradients.")


def _claims(records):
    out = []
    for kind, words in CLAIM_WORDS.items():
        got = [c for c in (_claim(records, kind, dt) for dt in so.DTYPES) if c is not None]
        if not got:
            continue
        parts = []
        for c in got:
            fig = f"{c.value:.2g}x" if kind == so.SECOND_DIFFERENCES else fmt_err(c.value)
            lim = f"{c.extra['bound']:g}x" if kind == so.SECOND_DIFFERENCES else fmt_err(c.extra["bound"])
            parts.append(f"{c.extra['dtype']} worst {fig} ({c.model}, {c.method}) against {lim}: "
                         + ("holds" if c.extra["holds"] else "DOES NOT HOLD"))
        what = "model's optimum, either way" if kind == so.SECOND_DIFFERENCES else "50-digit Hessian, relative"
        out.append(f"{words} (against the {what}, over {got[0].extra['cases']} cases): " + "; ".join(parts) + ".")
    return out


def _slopes(records):
    sl = [r for r in _rows(records, SLOPE) if r.extra.get("dtype") == "float64"]
    if not sl:
        return []
    by = {}
    for r in sl:
        by.setdefault(r.method, []).append(r.value)
    return ["Measured order where truncation dominates (float64 slopes of log error against log h): "
            + ", ".join(f"{m} {min(v):.2f}-{max(v):.2f}" for m, v in by.items())
            + " -- 2 for central differences, 4 with Richardson, as the stencils' moments say."]


def _noise(records):
    th = [r for r in _rows(records, THEORY_ERROR) if r.extra.get("noise") and r.method == "central"]
    if not th:
        return []
    worst = max(th, key=lambda r: r.extra["noise"]["f"] / max(r.extra["naive"]["f"], 1e-300))
    q = worst.extra["noise"]["f"] / worst.extra["naive"]["f"]
    return [f"The round-off arm is Q sigma / h^q with sigma the measured evaluation noise of f (or of a gradient "
            f"entry); for {worst.model} ({worst.extra['dtype']}) sigma is {q:.3g}x the rounding of f alone, "
            "u|f|/sqrt 3 -- with it the model still lands on the measured V."]


def _costs(records):
    ev = [r for r in _rows(records, EVALS) if r.model == so.COST_MODEL]
    if not ev:
        return []
    n = max(r.extra["n"] for r in ev)
    at = {r.method: r.value for r in ev if r.extra["n"] == n}
    line = f"Cost at n={n}: " + ", ".join(f"{m} {at[m]:,} evaluations of {'the gradient' if m.endswith('-grad') else 'f'}"
                                          for m in ("central", "richardson", "central-grad", "richardson-grad") if m in at)
    return [line + ": second differences need ~2n^2 evaluations (O(n^2)), differences of a gradient 2n gradients."]


def _symbolic(records):
    out = []
    for r in _rows(records, HESS_VS_GRAD):
        line = (f"{r.model}: SymPy's Hessian tree is {r.value:.3g}x its gradient's at depth {r.extra['depth']} "
                f"({big(r.extra['hess_tree'])} nodes; by depth " + ", ".join(f"{d}: x{q:.3g}" for d, q in r.extra["ratios"]))
        law = next((p for p in _rows(records, so.POWER_LAW) if p.model == r.model and p.extra.get("of") == "hess_tree"),
                   None)
        if law is not None:
            line += f"; fitted ~{law.extra['c']:.3g} d^{law.value:.2f}"
        gave = next((g for g in select(records, section=so.SECTION, metric=GAVE_UP)
                     if g.model == r.model and g.extra.get("step") == "hess"), None)
        if gave is not None:
            line += f"); gave up at depth {gave.value} under {gave.extra.get('budget', '?')} CPU s"
        else:
            line += ")"
        out.append(line + ".")
    return out


def _automatic(records):
    out = []
    ratio = next(iter(_rows(records, so.HVP_OVER_GRAD)), None)
    g, h = next(iter(_rows(records, so.S_PER_GRAD)), None), next(iter(_rows(records, so.S_PER_HVP)), None)
    if ratio and g and h:
        out.append(f"One Hessian-vector product costs {ratio.value:.2f} gradients [{ratio.extra['lo']:.2f}-"
                   f"{ratio.extra['hi']:.2f} over {ratio.extra['rounds']} rounds] on an MLP with n={ratio.extra['n']} "
                   f"(HVP {fmt_timing(h)}, gradient {fmt_timing(g)}, CPU time), whatever v.")
    full = next(iter(_rows(records, so.HESSIAN_OVER_HVP)), None)
    if full:
        out.append(f"A full Hessian is n HVPs: at n={full.extra['n']} it takes {full.value:.2g}x the time of n separate "
                   f"HVPs, as {full.extra['sweeps']} sweeps of at most {full.extra.get('directions')} directions.")
    return out


def _conclude(records):
    return _claims(records) + _automatic(records) + _symbolic(records) + _costs(records) + _slopes(records) \
        + _noise(records)


def _tables(records):
    acc = _rows(records, REL_ERROR)
    cols = list(dict.fromkeys((r.model, r.extra["dtype"]) for r in acc if r.model != so.COST_MODEL))
    methods = list(dict.fromkeys(r.method for r in acc))
    out = []
    if cols:
        cell = {(r.method, r.model, r.extra["dtype"]): r for r in acc}
        rows = [[m] + [(fmt_err(cell[(m, *c)].value) + (" *" if cell[(m, *c)].extra.get("computes_in") else ""))
                       if (m, *c) in cell else "" for c in cols] for m in methods]
        out.append(("Relative error (max-norm) of each method's Hessian against the 50-digit SymPy Hessian, at the "
                    "automatic step (* computes in float64 inside)", ("method", *(f"{m}, {d}" for m, d in cols)), rows))
    opt = _rows(records, AT_OPTIMUM)
    if opt:
        th = {(r.model, r.setting, r.method): r for r in _rows(records, THEORY_ERROR)}
        rows = [[r.model, r.setting, r.method, f"{r.extra['h']:.2g}", fmt_err(r.extra["model"]), fmt_err(r.value),
                 f"{r.extra['ratio']:.2f}", str(th[(r.model, r.setting, r.method)].extra.get("order", ""))
                 if (r.model, r.setting, r.method) in th else ""] for r in opt]
        out.append(("Each V-curve's bottom: the model's optimum h* and error E*, the error measured at h*",
                    ("model", "entry", "scheme", "h*", "model E*", "measured", "ratio", "order p"), rows))
    cost = [r for r in select(records, section=so.SECTION, metric=S_PER_HESSIAN) if r.model == so.COST_MODEL]
    if cost:
        ns = sorted({r.extra["n"] for r in cost})
        cell = {(r.method, r.extra["n"]): r for r in cost}
        rows = [[m] + [fmt_timing(cell[(m, n)]) if (m, n) in cell else "" for n in ns]
                for m in dict.fromkeys(r.method for r in cost)]
        out.append(("Seconds per Hessian, median [min–max] (MLP 2-k-1, batch 16)", ("method", *(f"n={n}" for n in ns)),
                    rows))
    return out


SECTION = Section(
    so.SECTION, "Second derivatives",
    "The slide's three claims for Hessians: finite differences against their error model, SymPy's Hessian "
    "against its gradient, and forward-over-reverse against one gradient -- errors against SymPy's Hessian at "
    "50 digits.",
    so.run, _figs, _conclude, _tables, takeaway=_takeaway, reads=READS, glossary=GLOSSARY)
