"""The Stability section: what each method returns where f overflows, the hard cases of finite
differences, and programs that are not differentiable as written."""
from __future__ import annotations

import math

from ...experiments import stability as st
from ...records import select
from ..section import Section, fmt_err, num

READS = tuple((st.SECTION, m) for m in (st.RETURNED, st.REL_ERROR, st.REFUSED, st.DERIVATIVE))
GLOSSARY = {"overflow": "a result too large for the float type, which becomes inf (exp(z) for z > 709 in "
                        "float64, z > 88 in float32).",
            "cancellation": "subtracting two nearly equal rounded numbers: the leading digits cancel and the "
                            "rounding errors remain.",
            "logistic map": "l(k+1) = 4 l(k) (1 - l(k)): a chaotic map whose derivative doubles at every step.",
            "kink": "a point where a function's slope jumps (|z| at 0, relu at 0): no derivative there."}
# why each hard case is hard (the experiment's case names are the keys)
WHY = {
    st.OVERFLOW: "exp(z) overflows to inf, so f = inf: a difference quotient computes inf - inf = nan and the "
                 "chain rule multiplies 1/(1 + exp(z)) = 0 by exp(z) = inf = nan; a method that returns a finite "
                 "number evaluated in a wider type or simplified the overflow away",
    st.CANCELLATION: "log(1 + exp(z)) at z = -28: 1 + exp(-28) keeps only 4 digits of exp(-28), so f is off by "
                     "~u while f' = 6.9e-13; every difference quotient divides that u by h. The complex step "
                     "and autodiff never subtract nearby values",
    st.OFFSET: "f = 1e8 + softplus: every evaluation is rounded at the scale of 1e8, so the round-off term "
               "grows 1e8-fold; the complex step carries f' in the imaginary part, untouched by the offset",
    st.FLOAT32: "softplus in float32: u = 6e-8, so the best forward error is ~sqrt(u) ~ 3e-4 and central "
                "~u^(2/3) ~ 2e-5; float64's step used in float32 loses more",
    st.KINK: "|z| at z = 1e-9, next to the kink: a stencil that straddles 0 averages the two slopes; only "
             "steps that stay on one side are right. The complex step refuses abs (not analytic)",
    st.LOGISTIC: "each step of the chaotic map doubles a perturbation, so the truncation error of a fixed-h "
                 "difference grows like 2^(2n); autodiff multiplies exact local derivatives",
    st.RELU_IDENTITY: "our maximum splits a tie in half, so both relus contribute 1/2 at 0 and the sum is right",
    st.MIN_RELU: "at 0 both the min and the max are ties; splitting each in half gives 1/2 + 1/2 * 1/2 = 0.75",
    st.SQRT_X4: "the chain rule multiplies sqrt'(0) = inf by d(x**4)/dx = 0: inf * 0 = nan, although the "
                "function x**2 is smooth there",
}


def _returned(v, exact):
    """What a method returned, in words: nan / inf / right / wrong (relative error)."""
    if isinstance(v, str):
        return "refused"
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf"
    err = abs(v - exact) / abs(exact) if exact else abs(v - exact)
    return f"{v:.4g} ({'right' if err < 1e-6 else 'wrong'}" + (f", rel. error {fmt_err(err)})" if exact else ")")


def _kind(r):
    if r.metric == st.REFUSED:
        return "refused"
    k = _returned(r.value, r.extra.get("exact", float("nan")))
    return k if k in ("nan", "inf") else ("the right value" if "right" in k else f"a wrong number ({k.split(' (')[0]})")


def part_of(records, part):
    return [r for r in select(records, section=st.SECTION) if r.extra.get("part") == part]


def outcomes(rs):
    kinds = {}
    for r in rs:
        kinds.setdefault(_kind(r), []).append(r.method)
    return "; ".join(f"{', '.join(ms)} " + (f"refuse{'s' if len(ms) == 1 else ''}" if k == "refused" else
                                             f"return{'s' if len(ms) == 1 else ''} {k}") for k, ms in kinds.items())


def _takeaway_stability(records):
    kink = [r for r in part_of(records, st.NOT_DIFFERENTIABLE) if r.method == "autodiff" and num(r)]
    ov = [r for r in part_of(records, st.OVERFLOW) if r.metric == st.RETURNED]
    line = "Finite differences break on cancellation, large offsets, float32 and chaos"
    if ov and all(not math.isfinite(r.value) for r in ov if r.method != "symbolic"):
        line += "; where f overflows every numeric method returns nan, autodiff included"
    wrong = [r for r in kink if not (math.isfinite(r.value) and abs(r.value - r.extra["exact"]) < 1e-12)]
    if wrong:
        r = wrong[0]
        line += (f"; autodiff's own failure is a program that is not differentiable as written: "
                 f"{r.model} returns {r.value:g}, the function is {r.extra['same_as']} with derivative "
                 f"{r.extra['exact']:g}")
    return line + "."


def _figs_stability(records):
    from ..fig_fd import fig_stability
    return [("stability", lambda: fig_stability(records),
             "Left: relative error of each scheme at its automatic step and of autodiff on each hard case. "
             "Right: the chaotic logistic map, error against the number of steps n.")]


def _hard(records):
    return [r for r in part_of(records, st.HARD_CASE) if r.metric in (st.REL_ERROR, st.REFUSED)
            and r.method != "reference" and r.extra.get("h_choice") != st.FLOAT64_AUTO]


def _conclude_stability(records):
    out = []
    nd = part_of(records, st.NOT_DIFFERENTIABLE)
    for case in dict.fromkeys(r.model for r in nd):
        mine = [r for r in nd if r.model == case]
        same = next((r.extra["same_as"] for r in mine if "same_as" in r.extra), "?")
        exact = next((r.extra["exact"] for r in mine if "exact" in r.extra), float("nan"))
        out.append(f"{case} (the function is {same}, derivative {exact:g}): {outcomes(mine)}.")
    ov = part_of(records, st.OVERFLOW)
    if ov:
        out.append("Where f overflows: " + "; ".join(
            f"{case}: {outcomes([r for r in ov if r.model == case])}" for case in dict.fromkeys(r.model for r in ov))
            + f" (exact {ov[0].extra.get('exact', float('nan')):.6g}).")
    hard = _hard(records)
    if hard:
        def worst(case, methods):
            errs = [r.value for r in hard if r.model == case and r.method in methods and num(r)]
            refused = any(r.model == case and r.method in methods and r.metric == st.REFUSED for r in hard)
            return fmt_err(max(errs)) if errs else "refused" if refused else "-"
        diffs = ("forward", "backward", "central", "five-point", "richardson")
        out.append("Relative error at the automatic step, worst difference quotient / complex step / autodiff: "
                   + "; ".join(f"{c} {worst(c, diffs)} / {worst(c, ('complex-step',))} / {worst(c, ('autodiff',))}"
                               for c in dict.fromkeys(r.model for r in hard)) + ".")
    lm = [r for r in part_of(records, st.LOGISTIC) if num(r)]
    if lm:
        n = max(r.extra["n"] for r in lm)
        out.append(f"Logistic map after n={n} steps: " + ", ".join(
            f"{r.method}{'' if r.extra.get('h_choice') in (None, st.AUTO) else f' (h={st.H_FIXED:.0e})'} "
            f"{fmt_err(r.value)}" for r in lm if r.extra["n"] == n) + ".")
    return out


def _details_stability(records):
    cases = [st.OVERFLOW, st.CANCELLATION, st.OFFSET, st.FLOAT32, st.KINK, st.LOGISTIC, st.RELU_IDENTITY,
             st.MIN_RELU, st.SQRT_X4]
    return [f"Why {c}: {WHY[c]}." for c in cases]


def returned_table(rs, caption):
    cases = list(dict.fromkeys(r.model for r in rs))
    if not cases:
        return []
    rows = []
    for m in dict.fromkeys(r.method for r in rs):
        row = [m]
        for c in cases:
            hit = next((r for r in rs if r.method == m and r.model == c), None)
            row.append("" if hit is None else _returned(hit.value, hit.extra.get("exact", float("nan"))))
        rows.append(row)
    rows.append([f"exact ({rs[0].reference or 'reference'})"]
                + [next((f"{r.extra['exact']:.6g}" for r in rs if r.model == c and "exact" in r.extra), "")
                   for c in cases])
    return [(caption, ("method", *cases), rows)]


def _hard_table(records):
    hard = _hard(records)
    cases = list(dict.fromkeys(r.model for r in hard))
    if not cases:
        return []
    rows = []
    for m in dict.fromkeys(r.method for r in hard):
        cell = {r.model: ("refused" if r.metric == st.REFUSED else fmt_err(r.value)) for r in hard if r.method == m}
        rows.append([m] + [cell.get(c, "") for c in cases])
    return [("Relative error of each scheme at its automatic step, and of autodiff, on the hard cases",
             ("method", *cases), rows)]


def _tables_stability(records):
    pick = (st.RETURNED, st.REFUSED)
    return (returned_table([r for r in part_of(records, st.NOT_DIFFERENTIABLE) if r.metric in pick],
                   "What each method returns where the program is not differentiable as written")
            + returned_table([r for r in part_of(records, st.OVERFLOW) if r.metric in pick],
                     "What each method returns for dL/dw where the model's value overflows")
            + _hard_table(records))


SECTION = Section(
    "fd_stability", "Stability",
    "Overflow, cancellation, float32, chaos and kinks: what each method returns (nan, inf, a wrong number, "
    "a refusal) and why.",
    st.run, _figs_stability, _conclude_stability, _tables_stability,
    takeaway=_takeaway_stability, details=_details_stability, reads=READS, glossary=GLOSSARY)
