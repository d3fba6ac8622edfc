"""The Stability section: what each method returns where f overflows, and the hard cases of finite differences."""
from __future__ import annotations

import math

from ...experiments import stability as experiment
from ...records import select
from ..section import Section, fmt_err, num


def _returned(r):
    """What a method returned, in words: nan / inf / right / wrong (relative error)."""
    v, exact = r.value, r.extra.get("exact")
    if isinstance(v, str):
        return "refused"
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf"
    if exact:
        rel = abs(v - exact) / abs(exact)
        return f"{v:.4g} ({'right' if rel < 1e-6 else 'wrong'}, rel. error {fmt_err(rel)})"
    return f"{v:.4g}"


def _figs_stability(records):
    # the overflow table's records are not fig_stability's (it draws relative errors)
    theirs = [r for r in records if r.metric not in ("returned", "refused_overflow")]
    from ..fig_fd import fig_stability
    return [("stability", lambda: fig_stability(theirs),
             "Left: relative error of each scheme at its automatic step and of autodiff "
             "on each hard case. Right: the chaotic logistic map, error against the "
             "number of steps n.")]


def _tables_stability(records):
    rs = [r for r in select(records, section="fd_stability") if r.metric in ("returned", "refused_overflow")]
    cases = list(dict.fromkeys(r.model for r in rs))
    if not cases:
        return []
    methods = list(dict.fromkeys(r.method for r in rs))
    rows = []
    for m in methods:
        row = [m]
        for c in cases:
            hit = next((r for r in rs if r.method == m and r.model == c), None)
            row.append(_returned(hit) if hit else "")
        rows.append(row)
    exact = [next((f"{r.extra['exact']:.6g}" for r in rs if r.model == c and "exact" in r.extra), "") for c in cases]
    rows.append(["exact (" + (rs[0].reference or "reference") + ")"] + exact)
    return [("What each method returns for dL/dw when the model's value overflows",
             ("method", *cases), rows)]


def _conclude_stability(records):
    ov = [r for r in select(records, section="fd_stability") if r.metric == "returned"]
    out = []
    for case in dict.fromkeys(r.model for r in ov):
        mine = [r for r in ov if r.model == case]
        kinds = {}
        for r in mine:
            k = _returned(r)
            k = k if k in ("nan", "inf") else ("the right value" if "right" in k else f"a wrong number ({k.split(' (')[0]})")
            kinds.setdefault(k, []).append(r.method)
        f = next((r.extra.get("f") for r in mine if "f" in r.extra), None)
        out.append(f"{case}: f = {f}; " + "; ".join(f"{', '.join(ms)} return{'s' if len(ms) == 1 else ''} {k}"
                                                    for k, ms in kinds.items())
                   + f" (exact {mine[0].extra.get('exact', float('nan')):.6g}). Why: {mine[0].extra.get('why', '')}.")
    rs = [r for r in select(records, section="fd_stability") if r.metric in ("rel_error", "refused", "derivative")]
    for case in dict.fromkeys(r.model for r in rs if r.model != "logistic_map"):
        mine = [r for r in rs if r.model == case and r.method != "reference"]
        errs = {}
        for r in mine:
            if r.metric == "rel_error" and num(r) and r.method not in errs:
                errs[r.method] = r.value
            elif r.metric == "refused" and r.method not in errs:
                errs[r.method] = "refused"
        why = next((r.extra.get("why") for r in rs if r.model == case and r.extra.get("why")), "")
        parts = ", ".join(f"{m} {v if isinstance(v, str) else fmt_err(v)}" for m, v in errs.items())
        out.append(f"{case}: relative error {parts}. {why}")
    lm = [r for r in rs if r.model == "logistic_map" and r.metric == "rel_error" and num(r)]
    if lm:
        n = max(r.extra.get("n", 0) for r in lm)
        parts = ", ".join(f"{r.method} ({r.setting.split(' ', 1)[-1]}) {fmt_err(r.value)}"
                          for r in lm if r.extra.get("n") == n)
        why = next((r.extra.get("why") for r in lm if r.extra.get("why")), "")
        out.append(f"Logistic map after n={n} steps: {parts}. {why}")
    return out


SECTION = Section(
    "fd_stability", "Stability",
    "Overflow, cancellation and float32: what each method returns (nan, inf, a wrong "
    "number) and why.",
    experiment.run, _figs_stability, _conclude_stability, _tables_stability)
