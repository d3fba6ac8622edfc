"""The Symbolic blow-up section: expression sizes against depth, where SymPy gives up, the
lecture's examples. Every sentence is written here from structured records; the CLI's
``swell`` prints the same sentences (``finding_lines``, ``lecture_rows``).

``READS`` lists what a quick run must produce; a full run adds what only deeper or slower
steps make (GROWTH, GAVE_UP, SymEngine's and simplify's numbers), read when present."""
from __future__ import annotations

from ...experiments import swell as experiment
from ...experiments.swell_laws import (
    GAVE_UP,
    GROWTH,
    HESS_VS_GRAD,
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
    CSE_S,
    DAG,
    DAG1,
    DIFF_S,
    H_DAG,
    H_TREE,
    REV_DAG,
    REV_S,
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
from ..section import Section, big, fmt_s, num

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
    H_TREE: "tree of the Hessian (sympy.diff)", H_DAG: "DAG of the Hessian",
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
                       f"{big(x['tree1'])}, DAG {x['dag1']}, {fmt_s(x['seconds'])} CPU (one run); depths "
                       f"measured: {ranges(x['depths'])}")
        elif m == REACH:
            out.append(f"reach of the reverse sweep's count: {var} = {r.value}: tree of d/d{p1} {big(x['tree1'])}, "
                       f"of the gradient {big(x['tree'])}, DAG {x['dag']}, tape {x['tape']}")
        elif m == SE_SPEEDUP:
            out.append(f"SymEngine's d/d{p1} at {var} = {x['depth']}: {fmt_s(x['se_s'])} CPU vs sympy.diff "
                       f"{fmt_s(x['sympy_s'])} (one run each: x{r.value:.0f})")
        elif m == SE_REACH:
            tan = f", SymPy's form by our tangent sweep {fmt_s(x['tan_s'])}" if x.get("tan_s") is not None else ""
            out.append(f"SymEngine's d/d{p1} reaches {var} = {r.value}: {fmt_s(x['se_s'])} CPU{tan} (one run)")
        elif m == SE_SAME_TREE:
            out.append(f"SymEngine's d/d{p1} has SymPy's tree size at {var} = {ranges(x['depths'])}")
        elif m == GAVE_UP:
            out.append(f"{x.get('engine', 'SymPy')} gave up: {_step(x['step'], p1)} {status_text(x, p1)}")
        elif m == NOCSE_CRASH:
            out.append(f"lambdify without cse crashed at {var} = {r.value}: {x['error']}")
        elif m == HESS_VS_GRAD:
            cse = f"; after cse x{x['cse_ratio']:.1f} the gradient's ops" if x.get("cse_ratio") else ""
            out.append(f"SymPy's Hessian at {var} = {x['depth']}: tree {big(x['hess_tree'])} = x{r.value:.0f} the "
                       f"gradient's {big(x['grad_tree'])}{cse} (by depth: "
                       + ", ".join(f"{d}: x{q:.0f}" for d, q in x["ratios"]) + ")")
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
    rs = select(records, section=KEY)
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
    rs = select(records, section=KEY)
    figs = []
    for model in _models(rs):
        mine = [r for r in rs if r.model == model]

        def build(mine=mine, model=model):
            from ..fig_swell import swell_figure
            p1 = next((r.extra["p1"] for r in mine if r.extra.get("p1")), "p1")
            return swell_figure(mine, title=f"Expression swell of {model}'s derivative (log scale)", var="depth",
                                p1=p1)
        tag = "".join(c for c in model if c.isalnum() or c == "_")
        figs.append((f"sizes_{tag}", build,
                     f"{model}: sizes against depth, log10 scale: the derivative as a tree (what a printed "
                     "formula shows), as a DAG (shared subexpressions counted once), after cse, and our "
                     "autodiff tape; the reverse sweep's trees are counted on its DAG, never built."))
    if any(r.unit == "s" and num(r) for r in rs):
        from ..fig_swell import fig_swell_time
        figs.append(("time", lambda: fig_swell_time(rs), "CPU seconds of each symbolic step against depth, one "
                                                        "run each; a step that runs past the budget line is "
                                                        "intractable and stops (X: the depth where it gave up)."))
    return figs


def _deepest(mine, metric, depth=None):
    """The record of ``metric`` at ``depth`` (default: the deepest it reached)."""
    got = [r for r in mine if r.metric == metric and num(r) and "depth" in r.extra
           and (depth is None or r.extra["depth"] == depth)]
    return max(got, key=lambda r: r.extra["depth"]) if got else None


def _shape(mine):
    """The finding that says how the derivative's tree grows: an exact law (polynomial) or
    a growth per level (exponential), of d/dp1 first."""
    laws = [r for r in mine if r.metric in (LAW, GROWTH) and r.extra.get("of") in (TREE1, TAN_TREE1, TREE)]
    return (sorted(laws, key=lambda r: r.metric != GROWTH)[:1] or [None])[0]


def _budget(rs):
    return next((r.extra["budget"] for r in rs if r.extra.get("budget") and "depth" in r.extra), None)


def _takeaway_swell(records):
    rs = select(records, section=KEY)
    shapes = {m: _shape([r for r in rs if r.model == m]) for m in _models(rs)}
    grow = [(m, r) for m, r in shapes.items() if r is not None and r.metric == GROWTH]
    poly = [(m, r) for m, r in shapes.items() if r is not None and r.metric == LAW]
    if grow:
        m, g = grow[0]
        x, mine = g.extra, [r for r in rs if r.model == m]
        tape = _deepest(mine, TAPE, x["depth"])
        line = (f"Once the model reuses values, SymPy's derivative swells exponentially: for {m} the tree of "
                f"d/d{x.get('p1', 'p1')} grows x{g.value:.2f} per level, {big(x['size'])} nodes at depth "
                f"{x['depth']}" + (f", while our autodiff tape has {big(tape.value)} ops" if tape else ""))
        gave = sorted((r for r in mine if r.metric == GAVE_UP and r.extra.get("step") == "diff"), key=lambda r: r.value)
        if gave:
            line += (f", and sympy.diff of the whole gradient ran past its {gave[0].extra['budget']:g} CPU s "
                     f"budget at depth {gave[0].value}")
        if poly:
            line += f"; without reuse ({poly[0][0]}) it grows only polynomially"
        return line + "."
    if poly:
        m, law = poly[0]
        mine = [r for r in rs if r.model == m]
        tree = _deepest(mine, TREE)
        tape = _deepest(mine, TAPE, tree.extra["depth"]) if tree else None
        line = (f"Without reused values the derivative grows only polynomially: for {m} the tree of "
                f"d/d{law.extra.get('p1', 'p1')} is {law.value} nodes exactly")
        if tree and tape:
            line += (f", and the whole gradient's tree is {big(tree.value)} nodes at depth {tree.extra['depth']} "
                     f"against our tape's {big(tape.value)} ops")
        return line + "."
    return "How big a symbolic derivative gets as the model nests deeper, against our autodiff tape."


def _sizes(model, mine):
    """The model's sizes at ONE depth: the deepest where sympy.diff built the whole gradient."""
    tree = _deepest(mine, TREE)
    if tree is None:
        return []
    d = tree.extra["depth"]
    parts = [f"the gradient's tree {big(tree.value)} nodes (sympy.diff)"]
    for metric, what in ((DAG, "its DAG {} nodes"), (CSE_OPS, "{} ops after cse"), (TAPE, "our tape {} ops")):
        r = _deepest(mine, metric, d)
        if r is not None:
            parts.append(what.format(big(r.value)))
    line = f"{model} at depth {d}: " + ", ".join(parts)
    shape = _shape(mine)
    if shape is not None:
        kind = ("polynomial: no value is reused" if shape.metric == LAW
                else "exponential: values are reused, and each use is a copy in the tree")
        line += "; " + finding_lines([shape])[0] + f" -- {kind}"
    return [line + "."]


def _gave_up(model, mine):
    gave = sorted((r for r in mine if r.metric == GAVE_UP), key=lambda r: r.value)
    if not gave:
        return []
    p1 = gave[0].extra.get("p1", "p1")
    return [f"{model}: SymPy gave up (past the budget) on " + "; ".join(
        f"{_step(r.extra['step'], p1)} at depth {r.value}" for r in gave) + "."]


def _lecture(rs):
    ex = sorted((r for r in rs if r.metric == experiment.LECTURE), key=lambda r: r.extra.get("row", 0))
    if not ex:
        return []
    parts = []
    for r in ex:
        x, cell = r.extra, f"Out[{r.extra['cell']}]"
        if x["equals_slide"]:
            parts.append(f"{cell} equals the slide's")
        elif x.get("equals_by_hand"):
            parts.append(f"{cell} is the derivative worked by hand, {x['by_hand']}, but the slide's {cell} "
                         "differs from it: it shows w in the numerator where x belongs")
        else:
            parts.append(f"{cell} differs from the slide's")
    return ["The lecture's Mathematica examples, recomputed with SymPy: " + "; ".join(parts) + "."]


def _baydin(rs):
    bay = [r.extra for r in rs if r.metric == experiment.BAYDIN_ROW]
    if not bay:
        return []
    ok = sum(bool(b.get("matches_published")) for b in bay)
    last = max(bay, key=lambda b: b.get("n", 0))
    return [f"Baydin et al.'s Table 1 (the logistic map), recomputed: {ok} of {len(bay)} published derivatives "
            f"match; at n = {last.get('n')} the tree of l_n is {last.get('tree_l')} nodes and of its derivative "
            f"{last.get('tree_d')}."]


def _conclude_swell(records):
    """The budget, then per model its sizes and growth and its give-ups, then the lecture's
    examples and Baydin et al.'s table."""
    rs = select(records, section=KEY)
    out = []
    budget = _budget(rs)
    if budget is not None:
        out.append(f"A symbolic step is called intractable when it runs past {budget:g} CPU seconds in its own "
                   "process.")
    for model in _models(rs):
        mine = [r for r in rs if r.model == model]
        out += _sizes(model, mine) + _gave_up(model, mine)
    return out + _lecture(rs) + _baydin(rs)


KEY = "swell"
READS = tuple((KEY, m) for m in (TREE, DAG, CSE_OPS, TAPE, TREE1, TAN_TREE1, REV_TREE, DIFF_S, CSE_S, REV_S, LAW,
                                  REACH, TANGENT_EQUAL, experiment.LECTURE, experiment.BAYDIN_ROW,
                                  experiment.AUTO_EVALUATION_ROW))
GLOSSARY = {
    "depth": "how many times the model nests: the lecture's log(1 + exp(w h + b)) applied d times; for the "
             "logistic map, n steps.",
    "width": "units per level of the chain: width 1 is the lecture's chain (each level reads the one below); "
             "width 2 has two units per level, each reading both below, so every value is used twice.",
    "d/dp1": "the derivative by the model's first parameter (w1, or wa1 at width 2; x for the logistic map).",
    "tree": "an expression counted as printed: every use of a subexpression is a separate copy, so reused "
            "values multiply its size.",
    "DAG": "an expression with every distinct subexpression counted once (shared, as a computer stores it).",
    "cse": "common-subexpression elimination (sympy.cse): names each repeated subexpression once; 'ops after "
           "cse' is what a generated gradient program computes.",
    "sympy.diff": "SymPy's differentiation of an expression; here by one parameter (d/dp1) and by every "
                  "parameter (the whole gradient).",
    "tangent sweep": "our forward-mode pass over SymPy's expression DAG that builds exactly sympy.diff's "
                     "derivative, memoised, so its tree can be counted past where sympy.diff stops.",
    "reverse sweep (symbolic)": "our reverse mode run on SymPy values: the gradient as a DAG of products of "
                                "the primitive table's partials -- another form than sympy.diff's; its tree is "
                                "counted, never built.",
    "reach": "the deepest depth a count was measured at within the budget.",
    "law": "an exact polynomial in the depth that every measured size satisfies (fitted on a few depths, "
           "checked on all the others).",
    "growth per level": "size(d) / size(d - 1) at the deepest depths: a constant above 1 means exponential "
                        "growth.",
    "simplify": "sympy.simplify: SymPy's search for a shorter equivalent expression (slow on big ones).",
    "lambdify": "SymPy's translation of an expression into a numpy function; with cse (default here) or "
                "without.",
    "SymEngine": "a C++ symbolic engine with a SymPy-like interface (the optional 'fast' extra), timed on the "
                 "same expression.",
    "Mathematica form": "SymPy's result printed as Mathematica writes it (D[...], Exp[...]), to compare with the "
                        "lecture's slides.",
    "automatic evaluation": "SymPy's rewrites as an expression is built (log(exp(z)) -> z), which can collapse "
                            "a nested model before it is differentiated.",
    "logistic map": "l_{n+1} = 4 l_n (1 - l_n), Baydin et al.'s (2018) example of expression swell.",
}

SECTION = Section(
    KEY, "Symbolic blow-up",
    "How big a symbolic derivative gets as the model nests deeper: the tree a printed formula shows, the "
    "DAG a computer could share, the operations left after common-subexpression elimination (cse) and our "
    "autodiff tape, by depth -- and where SymPy gives up.",
    experiment.run, _figs_swell, _conclude_swell, _tables_swell,
    takeaway=_takeaway_swell, reads=READS, glossary=GLOSSARY)
