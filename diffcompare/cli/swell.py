"""diffcompare swell: how big symbolic derivatives get with depth, and where SymPy gives up."""
from __future__ import annotations

import json
import sys

from ..errors import BadOptionError
from ..symbolic.defaults import DEFAULT_BUDGET, MAX_COST
from ._common import add_model_arguments

HELP = "measure symbolic expression swell with depth (tree, DAG, cse, simplify, tape, times)"
WIDTH = 120            # the table fits this many columns; --wide shows every column in up to WIDE
WIDE = 250

# (row key, header): the columns shown by default, then those --wide adds.
_NARROW = (("tan_tree1", "tree d/dp1"), ("tan_dag1", "DAG d/dp1"), ("tree", "tree grad"), ("dag", "DAG grad"),
           ("rev_tree", "rev tree grad"), ("cse_ops", "cse ops"), ("tape", "tape"), ("diff_s", "diff s"),
           ("lambdify_s", "lambdify s"))
_WIDE = (("tan_equal1", "=diff"), ("rev_tree1", "rev tree d/dp1"), ("rev_dag", "rev DAG"), ("count_ops1", "count_ops"),
         ("cse1_ops", "cse ops d/dp1"), ("simplify1_tree", "simpl."), ("diff1_s", "diff1 s"),
         ("se_diff1_s", "SymEngine diff1 s"), ("se_diff_s", "SymEngine diff s"), ("simplify1_s", "simpl. s"),
         ("cost_cse", "cost cse"), ("cost_nocse", "cost no cse"),
         ("hess_tree", "tree Hessian"), ("hess_dag", "DAG Hessian"), ("hess_cse_ops", "cse ops Hessian"),
         ("hess_s", "Hessian s"))


def add_arguments(p):
    add_model_arguments(p, default="softplus_chain")
    p.add_argument("--max-depth", type=int, default=12, help="deepest level (steps n for logistic_map)")
    p.add_argument("--budget", type=float, default=DEFAULT_BUDGET,
                   help=f"CPU seconds per SymPy step, in its own process; past it a step is intractable "
                        f"(default {DEFAULT_BUDGET:g}, the report's definition too)")
    p.add_argument("--depths", default=None,
                   help="comma-separated depths to measure instead of the default grid "
                        "(1..12, then x1.5 to 30, then x2)")
    p.add_argument("--order", type=int, choices=(1, 2), default=1,
                   help="2: SymPy's Hessian beside the gradient (tree, DAG, cse, growth law, give-up depth)")
    p.add_argument("--max-cost", type=float, default=None, metavar="SECONDS",
                   help=f"refuse a sweep estimated to need more CPU seconds than this (default {MAX_COST:g})")
    p.add_argument("--max-memory", type=float, default=None, metavar="GIB",
                   help="refuse a sweep estimated to hold more memory than this (default: a quarter of RAM)")
    p.add_argument("--json", action="store_true", help="print the table as JSON, one object per depth")
    p.add_argument("--wide", action="store_true", help=f"every column (the default table fits {WIDTH} columns)")
    p.add_argument("--out", default="reports/swell", help="directory for the plot (PNG)")
    p.add_argument("--no-examples", action="store_true", help="skip the lecture's examples / published table")
    p.add_argument("--engine", choices=("auto", "sympy", "symengine"), default="auto",
                   help="symengine: add SymEngine's diff times beside SymPy's (needs the 'fast' extra); "
                        "sympy: SymPy only; auto (default): SymEngine columns when it is installed")


def _fmt(v):
    from ..report.section import big
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return big(v)
    if isinstance(v, float):
        return f"{v:.2g}"
    return "" if v is None else str(v)


def _options(args):
    width = 1
    for item in args.set:
        key, _, val = item.partition("=")
        if key != "width" or val not in ("1", "2"):
            raise BadOptionError(f"swell takes --set width=1|2 only, got {item!r}")
        width = int(val)
    if args.model not in ("softplus_chain", "logistic_map"):
        raise BadOptionError(f"swell sweeps softplus_chain or logistic_map, got {args.model!r}")
    depths = None
    if args.depths:
        try:
            depths = sorted({int(t) for t in args.depths.split(",") if t.strip()})
        except ValueError:
            raise BadOptionError(f"--depths takes comma-separated integers, got {args.depths[:40]!r}") from None
        if not depths or depths[0] < 1:
            raise BadOptionError(f"--depths must be integers >= 1, got {args.depths[:40]!r}")
    limits = {}
    if args.max_cost is not None:
        limits["max_cost"] = args.max_cost
    if args.max_memory is not None:
        limits["max_memory"] = args.max_memory * 2 ** 30
    return width, depths, limits


def progress_printer(console):
    """THE progress protocol rendered: a rich bar when stderr is a terminal, else one line
    per step on stderr (so a log or a pipe sees the sweep move). Returns (progress, close)."""
    if console.is_terminal:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                       TimeElapsedColumn(), console=console, transient=True)
        task = bar.add_task("swell", total=None)
        bar.start()

        def show(what, done=None, total=None):
            bar.update(task, description=what, completed=done or 0, total=total)
        return show, bar.stop

    def line(what, done=None, total=None):
        count = f" [{done}/{total}]" if done is not None and total else ""
        sys.stderr.write(f"swell: {what}{count}\n")
        sys.stderr.flush()
    return line, lambda: None


def run(args):
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from ..experiments import swell, swell_steps
    from ..experiments.swell_sweep import sweep
    from ..report.fig_swell import swell_figure
    from ..report.io import save_figure
    from ..report.sections.swell import finding_lines, lecture_rows
    from ..symbolic.engine import symengine

    width, depths, limits = _options(args)
    steps = swell_steps.HESSIAN_STEPS if args.order == 2 else swell_steps.STEPS
    se = {"auto": None, "sympy": False, "symengine": True}[args.engine]
    show, close = progress_printer(Console(stderr=True))
    try:
        rows = sweep(args.model, max(depths) if depths else args.max_depth, args.budget, width, depths=depths,
                     steps=steps, symengine=se if args.order == 1 else False, progress=show, **limits)
    finally:
        close()
    records = swell.rows_to_records(rows, args.model, width, args.budget)
    var = "n" if args.model == "logistic_map" else "d"
    png = Path(args.out) / f"swell_{args.model}_w{width}{'_order2' if args.order == 2 else ''}.png"
    save_figure(swell_figure(rows, f"{args.model} (width {width}): expression swell", var), png)
    if args.json:
        print(json.dumps([_jsonable(r) for r in rows], indent=1))
        return 0
    term = Console()
    width = WIDE if args.wide else min(term.width, WIDTH) if term.is_terminal else WIDTH
    out = Console(width=width, highlight=False)
    if not args.no_examples and args.order == 1:
        _examples(out, args.model, swell, lecture_rows)
    cols = _NARROW + _WIDE if args.wide else _NARROW + (_WIDE[-4:] if args.order == 2 else ())
    present = [(k, h) for k, h in cols if any(k in r for r in rows)]
    t = Table(title=f"{args.model} width {width}: budget {args.budget:g} CPU s per SymPy step")
    t.add_column(var, justify="right")
    for _, h in present:
        t.add_column(h, justify="right")
    for r in rows:
        t.add_row(str(r["depth"]), *[_fmt(r.get(k)) for k, _ in present])
    out.print(t)
    if args.engine == "auto" and args.order == 1 and symengine() is None:
        out.print("SymEngine is not installed (pip install 'diffcompare[fast]'): its columns are skipped", markup=False)
    out.print("(times and budgets are CPU seconds of each step's own process; tree d/dp1 = SymPy's own derivative "
              "by the first parameter, counted over its DAG by our tangent sweep; rev = the primitive table's "
              "reverse sweep on SymPy values, a different shape: the whole gradient's shared DAG; cost = "
              "lambdified gradient per call / one lambdified evaluation of the model"
              + ("" if args.wide else "; --wide for every column") + ")", markup=False)
    for line in finding_lines([r for r in records if not r.setting]):
        out.print("• " + line, markup=False)
    out.print(f"plot: {png}", markup=False)
    return 0


def _examples(out, model, swell, lecture_rows):
    from rich.markup import escape
    from rich.table import Table

    from ..symbolic.lecture import auto_evaluation, logistic_table
    if model == "softplus_chain":             # Mathematica's [...] printed as it is, not as markup
        for label, text in lecture_rows(swell.lecture_records()):
            out.print(f"{label:8} {text}", markup=False)
        for r in auto_evaluation():
            out.print(f"auto-evaluation: {r['form']}, depth {r['depth']}: {r['collapsed']} of {r['tape']} ops "
                      "collapsed" + (f" (e.g. {r['example']})" if r["example"] else ""), markup=False)
        return
    t = Table(title="logistic map vs Baydin et al. (JMLR 2018) Table 1 (l_1 = x)")
    for c in ("n", "published d/dx (simplified)", "SymPy diff, expanded", "tree", "equal"):
        t.add_column(c)
    for r in logistic_table():
        t.add_row(str(r["n"]), escape(r["published_simplified"]), escape(r["sympy_expanded"]), str(r["tree_d"]),
                  "yes" if r["matches_published"] else "NO")
    out.print(t)


def _jsonable(row):
    import dataclasses
    out = {k: (str(v) if isinstance(v, int) and not isinstance(v, bool) and v > 2 ** 53 else v)
           for k, v in row.items() if k != "status"}
    out["status"] = {k: {f: v for f, v in dataclasses.asdict(s).items() if v is not None}
                     for k, s in row["status"].items()}
    return out
