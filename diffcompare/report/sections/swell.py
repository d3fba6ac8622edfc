"""The Symbolic blow-up section: expression sizes against depth, SymPy's give-ups, the lecture's examples."""
from __future__ import annotations

from ...experiments import swell as experiment
from ...records import select
from ..section import Section, big, num


def _tables_swell(records):
    rs = select(records, section="swell")
    out = []
    lec = sorted((r for r in rs if r.metric == "lecture_example"), key=lambda r: r.extra.get("row", 0))
    if lec:
        out.append(("The lecture's two symbolic examples, recomputed with SymPy (Mathematica form)",
                    ("", "SymPy"), [(r.setting, r.value) for r in lec]))
    bay = [r.extra for r in rs if r.metric == "baydin_row"]
    if bay:
        out.append(("Baydin et al. (2018), Table 1, the logistic map l_{n+1} = 4 l_n (1 - l_n): published vs "
                    "recomputed", ("n", "published d l_n / dx", "tree of l_n", "tree of d/dx (sympy.diff)",
                                   "expanded derivative = published"),
                    [(b.get("n"), b.get("published_simplified", b.get("published_d", "")), b.get("tree_l"),
                      b.get("tree_d"), "yes" if b.get("matches_published") else "NO") for b in bay]))
    auto = [r.extra for r in rs if r.metric == "auto_evaluation_row"]
    if auto:
        out.append(("SymPy's automatic evaluation: rewrites that collapse a nest as it is built",
                    ("model", "tape ops", "ops collapsed by SymPy", "example"),
                    [(a.get("model"), a.get("tape"), a.get("collapsed"), a.get("example") or "-") for a in auto]))
    return out


def _figs_swell(records):
    rs = select(records, section="swell")
    figs = []
    for model in dict.fromkeys(r.model for r in rs if r.model and r.metric not in _SWELL_EXTRAS):
        mine = [r for r in rs if r.model == model]
        var = "n" if model == "logistic_map" else "depth"

        def build(mine=mine, model=model, var=var):
            from ..fig_swell import swell_figure
            return swell_figure(mine, title=f"Expression swell of {model}'s derivative (log scale)", var=var)
        tag = "".join(c for c in model if c.isalnum() or c == "_")
        figs.append((f"sizes_{tag}", build,
                     f"{model}: sizes against depth, log10 scale - the derivative's tree (what a printed "
                     "formula shows), its DAG, ops after cse, and our autodiff tape."))
    if any(r.metric.endswith("_s") and num(r) for r in rs):
        from ..fig_speed import fig_swell_time
        figs.append(("time", lambda: fig_swell_time(rs), "Seconds per SymPy step against depth "
                                                        "(a step past its budget stops there)."))
    return figs


_SWELL_EXTRAS = ("lecture_example", "baydin_row", "auto_evaluation_row", "part_failed")


def _conclude_swell(records):
    rs = select(records, section="swell")
    out = []
    for r in rs:
        if r.metric == "part_failed":
            out.append(f"Not shown: {r.value}")
    for model in dict.fromkeys(r.model for r in rs if r.model and r.metric not in _SWELL_EXTRAS):
        mine = [r for r in rs if r.model == model]
        parts = []
        for metric, what in (("tree", "gradient tree (sympy.diff)"),
                             ("rev_tree", "gradient tree (reverse sweep, counted on the DAG)"),
                             ("dag", "its DAG"), ("cse_ops", "ops after cse"), ("tape", "our autodiff tape")):
            got = [r for r in mine if r.metric == metric and num(r) and "depth" in r.extra]
            if got:
                r = max(got, key=lambda r: r.extra["depth"])
                parts.append(f"{what} {big(r.value)} at depth {r.extra['depth']}")
        if parts:
            out.append(f"{model}: " + "; ".join(parts) + ".")
        finds = [r.value for r in mine if r.metric == "finding" and isinstance(r.value, str)]
        gave = [f[len("SymPy gave up: "):] for f in finds if f.startswith("SymPy gave up: ")]
        out += [f"{model}: {f}" for f in finds if not f.startswith("SymPy gave up: ")]
        if gave:
            out.append(f"{model}: SymPy gave up - " + "; ".join(gave) + ".")
    return out


SECTION = Section(
    "swell", "Symbolic blow-up",
    "Expression size of the symbolic derivative (tree, DAG, after cse) against our "
    "tape, by depth of the nested model, and the time to differentiate.",
    experiment.run, _figs_swell, _conclude_swell, _tables_swell)
