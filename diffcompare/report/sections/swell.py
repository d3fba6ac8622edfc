"""The Symbolic blow-up section: expression sizes against depth, where SymPy gives up, the
lecture's examples. Every sentence is written here from structured records; the CLI's
``swell`` prints the same sentences (``finding_lines``, ``lecture_rows``)."""
from __future__ import annotations

from ...experiments import swell as experiment
from ...experiments.swell_laws import (
    GAVE_UP,
    GROWTH,
    LAMBDIFY_COST,
    LAW,
    NOCSE_CRASH,
    REACH,
    SE_REACH,
    SE_SAME_TREE,
    SE_SPEEDUP,
    TANGENT_EQUAL,
)
from ...experiments.swell_steps import (
    CSE1_OPS,
    CSE_OPS,
    DAG,
    DAG1,
    H_TREE,
    REV_DAG,
    REV_TREE,
    REV_TREE1,
    TAN_DAG1,
    TAN_TREE1,
    TAPE,
    TREE,
    TREE1,
)
from ...experiments.swell_sweep import FAILED, INTRACTABLE, SKIPPED
from ...records import select
from ..section import Section, big, num

__all__ = ["SECTION", "STEP_NAMES", "status_text", "finding_lines", "lecture_rows", "ranges"]

# What each step is, in words (p1: the first parameter, the one d/dp1 differentiates by).
STEP_NAMES = {
    "tan": "our tangent sweep (SymPy's form of d/d{p1})", "dag": "our reverse sweep (the gradient's DAG)",
    "diff1": "sympy.diff by {p1}", "diff": "sympy.diff of the whole gradient",
    "count_ops": "count_ops of d/d{p1}", "cse1": "cse of d/d{p1}", "cse": "cse of the gradient",
    "lambdify": "lambdify of the gradient", "nocse": "lambdify of the gradient without cse",
    "simplify1": "simplify of d/d{p1}", "simplify": "simplify of the gradient",
    "se_diff1": "SymEngine's diff by {p1}", "se_diff": "SymEngine's gradient",
    "hess": "SymPy's Hessian", "hess_cse": "cse of the Hessian",
}
_SIZES = {
    TREE1: "tree of d/d{p1} (sympy.diff)", DAG1: "DAG of d/d{p1}",
    TAN_TREE1: "tree of d/d{p1} (SymPy's form, counted on its DAG)", TAN_DAG1: "DAG of d/d{p1} (tangent sweep)",
    TREE: "tree of the gradient (sympy.diff)", DAG: "DAG of the gradient", CSE1_OPS: "ops after cse of d/d{p1}",
    CSE_OPS: "ops after cse of the gradient", TAPE: "our autodiff tape", REV_TREE1: "tree of d/d{p1} (reverse sweep)",
    REV_TREE: "tree of the gradient (reverse sweep)", REV_DAG: "DAG of the gradient (reverse sweep)",
    H_TREE: "tree of the Hessian (sympy.diff)",
}
_EXTRAS = (experiment.LECTURE, experiment.BAYDIN_ROW, experiment.AUTO_EVALUATION_ROW)


def ranges(ds):
    """[1, 2, 3, 5, 10] -> '1-3, 5, 10'."""
    out, i = [], 0
    ds = sorted(ds)
    while i < len(ds):
        j = i
        while j + 1 < len(ds) and ds[j + 1] == ds[j] + 1:
            j += 1
        out.append(str(ds[i]) if i == j else f"{ds[i]}-{ds[j]}")
        i = j + 1
    return ", ".join(out)


def _step(name, p1):
    return STEP_NAMES.get(name, name).format(p1=p1)


def status_text(x, p1="p1"):
    """A Status (as a record's ``extra``, or its fields) in words."""
    state = x.get("state")
    if state == INTRACTABLE:
        inc = f", {_step(x['includes'], p1)} included" if x.get("includes") else ""
        used = f", used {x['cpu_used']:.2g} s" if x.get("cpu_used") is not None else ""
        why = {"memory": "memory cap reached", "wall": "not finished in wall time"}.get(x.get("kind"), "")
        return (f"intractable at depth {x['depth']} (budget {x['budget']:g} CPU s{used}{inc}"
                + (f"; {why}" if why else "") + ")")
    if state == SKIPPED:
        cause = "" if x.get("cause") == x.get("step") else f"{x.get('cause')} "
        return f"skipped ({cause}intractable at depth {x.get('since')})"
    if state == FAILED:
        return f"failed at depth {x['depth']}: {x.get('error', '')}"
    return str(state)


def _size_label(of, p1):
    return _SIZES.get(of, of).format(p1=p1)


def finding_lines(records):
    """One sentence per finding record (records of one model, in their order)."""
    out = []
    for r in records:
        x, m = r.extra, r.metric
        p1, var = x.get("p1", "p1"), x.get("var", "d")
        if m == LAW:
            out.append(f"{_size_label(x['of'], p1)} = {r.value}  (exact on all {x['points']} measured "
                       f"{var} <= {x['max_depth']})")
        elif m == GROWTH:
            line = (f"{_size_label(x['of'], p1)} grows x{r.value:.2f} per level at {var} = {x['depth']}: "
                    f"{big(x['size'])} nodes (DAG {x.get('dag')})")
            if "per_n2_2n" in x:
                line += (f"; = {x['per_n2_2n']:.3g}*n^2*2^n = {x['per_n_2n']:.3g}*n*2^n (the constant drifts "
                         "with n: the law is measured, not assumed)")
            out.append(line)
        elif m == TANGENT_EQUAL:
            out.append(f"our tangent sweep builds exactly sympy.diff's expression at {var} = "
                       f"{ranges(x['same']) or 'none'}" + (f"; DIFFERENT at {ranges(x['differ'])}" if x["differ"] else ""))
        elif m == REACH and x["via"] == "tangent":
            out.append(f"reach of the exact count (SymPy's form): {var} = {r.value}: tree of d/d{p1} "
                       f"{big(x['tree1'])}, DAG {x['dag1']}, {x['seconds']:.2g} CPU s; depths measured: "
                       f"{ranges(x['depths'])}")
        elif m == REACH:
            out.append(f"reach of the reverse sweep's count: {var} = {r.value}: tree of d/d{p1} {big(x['tree1'])}, "
                       f"of the gradient {big(x['tree'])}, DAG {x['dag']}, tape {x['tape']}")
        elif m == SE_SPEEDUP:
            out.append(f"SymEngine's d/d{p1} at {var} = {x['depth']}: {x['se_s'] * 1e3:.3g} ms CPU vs sympy.diff "
                       f"{x['sympy_s'] * 1e3:.3g} ms (x{r.value:.0f})")
        elif m == SE_REACH:
            tan = f", SymPy's form by our tangent sweep {x['tan_s']:.3g} s" if x.get("tan_s") is not None else ""
            out.append(f"SymEngine's d/d{p1} reaches {var} = {r.value}: {x['se_s']:.3g} CPU s{tan}")
        elif m == SE_SAME_TREE:
            out.append(f"SymEngine's d/d{p1} has SymPy's tree size at {var} = {ranges(x['depths'])}")
        elif m == GAVE_UP:
            out.append(f"{x.get('engine', 'SymPy')} gave up: {_step(x['step'], p1)} {status_text(x, p1)}")
        elif m == NOCSE_CRASH:
            out.append(f"lambdify without cse crashed at {var} = {r.value}: {x['error']}")
        elif m == LAMBDIFY_COST:
            out.append(f"the lambdified gradient at {var} = {r.value} costs {x['nocse']:.0f}x one evaluation "
                       f"without cse, {x['cse']:.1f}x with cse")
    return out


def lecture_rows(records):
    """The lecture's examples as (label, text) rows: input, SymPy's output, the check."""
    rows = []
    for r in sorted((r for r in records if r.metric == experiment.LECTURE), key=lambda r: r.extra.get("row", 0)):
        ex = r.extra
        out_cell = f"Out[{ex['cell']}]"
        rows.append((f"In[{ex['cell']}]", ex["input"]))
        rows.append((out_cell, r.value))
        if ex.get("by_hand"):
            check = f"= {ex['by_hand']}: {'yes' if ex['equals_by_hand'] else 'NO'}"
            if not ex["equals_slide"]:
                check += (f"; the slide's {out_cell} ({ex['slide']}) differs from the derivative: it shows w "
                          "in the numerator where x belongs (d(wx+b)/dw = x)")
        else:
            check = f"equals the slide's {out_cell} (exponentials merged): {'yes' if ex['equals_slide'] else 'NO'}"
        rows.append(("check", check))
    return rows


def _models(rs):
    return list(dict.fromkeys(r.model for r in rs if r.metric not in _EXTRAS and r.model))


def _tables_swell(records):
    rs = select(records, section="swell")
    out = []
    lec = lecture_rows(rs)
    if lec:
        out.append(("The lecture's two symbolic examples, recomputed with SymPy (Mathematica form)",
                    ("", "Mathematica / SymPy"), lec))
    bay = [r.extra for r in rs if r.metric == experiment.BAYDIN_ROW]
    if bay:
        out.append(("Baydin et al. (2018), Table 1, the logistic map l_{n+1} = 4 l_n (1 - l_n): published vs "
                    "recomputed", ("n", "published d l_n / dx", "tree of l_n", "tree of d/dx (sympy.diff)",
                                   "expanded derivative = published"),
                    [(b.get("n"), b.get("published_simplified", b.get("published_d", "")), b.get("tree_l"),
                      b.get("tree_d"), "yes" if b.get("matches_published") else "NO") for b in bay]))
    auto = [r.extra for r in rs if r.metric == experiment.AUTO_EVALUATION_ROW]
    if auto:
        out.append(("SymPy's automatic evaluation: rewrites that collapse a nest as it is built",
                    ("nest", "tape ops", "ops collapsed by SymPy", "example"),
                    [(f"{a.get('form')}, depth {a.get('depth')}", a.get("tape"), a.get("collapsed"),
                      a.get("example") or "-") for a in auto]))
    for model in _models(rs):
        finds = finding_lines([r for r in rs if r.model == model and not r.setting])
        if finds:
            out.append((f"{model}: what the sizes show", ("finding",), [(f,) for f in finds]))
    return out


def _figs_swell(records):
    rs = select(records, section="swell")
    figs = []
    for model in _models(rs):
        mine = [r for r in rs if r.model == model]

        def build(mine=mine, model=model):
            from ..fig_swell import swell_figure
            return swell_figure(mine, title=f"Expression swell of {model}'s derivative (log scale)", var="depth")
        tag = "".join(c for c in model if c.isalnum() or c == "_")
        figs.append((f"sizes_{tag}", build,
                     f"{model}: sizes against depth, log10 scale: the derivative as a tree (what a printed "
                     "formula shows), as a DAG (shared subexpressions counted once), after cse, and our "
                     "autodiff tape."))
    if any(r.unit == "s" and num(r) for r in rs):
        from ..fig_swell import fig_swell_time
        figs.append(("time", lambda: fig_swell_time(rs), "CPU seconds per symbolic step against depth; a "
                                                        "step past the budget line is intractable and stops."))
    return figs


def _deepest(mine, metric):
    got = [r for r in mine if r.metric == metric and num(r) and "depth" in r.extra]
    return max(got, key=lambda r: r.extra["depth"]) if got else None


def _conclude_swell(records):
    """A takeaway, then per model: its sizes at the deepest depth, its growth, its give-ups."""
    rs = select(records, section="swell")
    out = []
    budget = next((r.extra["budget"] for r in rs if r.extra.get("budget") and "depth" in r.extra), None)
    if budget is not None:
        out.append(f"A symbolic step is called intractable past {budget:g} CPU seconds in its own process.")
    for model in _models(rs):
        mine = [r for r in rs if r.model == model]
        parts = []
        for metric, what in ((TREE, "gradient tree (sympy.diff)"),
                             (REV_TREE, "gradient tree (reverse sweep, counted on the DAG)"),
                             (DAG, "its DAG"), (CSE_OPS, "ops after cse"), (TAPE, "our autodiff tape")):
            r = _deepest(mine, metric)
            if r is not None:
                parts.append(f"{what} {big(r.value)} at depth {r.extra['depth']}")
        if parts:
            out.append(f"{model}: " + "; ".join(parts) + ".")
        laws = [r for r in mine if r.metric in (LAW, GROWTH) and r.extra.get("of") in (TREE1, TAN_TREE1, TREE)]
        if laws:
            kind = ("polynomial: no value is reused" if laws[0].metric == LAW
                    else "exponential: values are reused, and each use is a copy in the tree")
            out.append(f"{model}: " + finding_lines(laws[:1])[0] + f" -- {kind}.")
        gave = [r for r in mine if r.metric == GAVE_UP]
        if gave:
            p1 = gave[0].extra.get("p1", "p1")
            out.append(f"{model}: gave up - " + "; ".join(
                f"{_step(r.extra['step'], p1)} at depth {r.value}" for r in sorted(gave, key=lambda r: r.value)) + ".")
    return out


SECTION = Section(
    "swell", "Symbolic blow-up",
    "How big a symbolic derivative gets as the model nests deeper: the tree a printed formula "
    "shows, the DAG a computer could share, the operations left after common-subexpression "
    "elimination (cse), and our autodiff tape, by depth -- and where SymPy gives up.",
    experiment.run, _figs_swell, _conclude_swell, _tables_swell)
