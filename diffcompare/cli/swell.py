"""diffcompare swell: how big symbolic derivatives get with depth, and where SymPy gives up."""
from __future__ import annotations

import json

from ..errors import BadOptionError
from ._common import add_model_arguments

HELP = "measure symbolic expression swell with depth (tree, DAG, cse, simplify, tape, times)"

_COLS = (("tan_tree1", "tree d/dp1"), ("tan_dag1", "DAG"), ("tan_equal1", "=diff"),
         ("tree", "tree grad"), ("dag", "DAG grad"),
         ("rev_tree1", "rev tree d/dp1"), ("rev_tree", "rev tree grad"), ("rev_dag", "rev DAG"),
         ("count_ops1", "count_ops"), ("cse1_ops", "cse ops"), ("simplify1_tree", "simpl."),
         ("tape", "tape"), ("diff1_s", "diff1 s"), ("se_diff1_s", "SymEngine diff1 s"),
         ("diff_s", "diff s"), ("se_diff_s", "SymEngine diff s"),
         ("simplify1_s", "simpl. s"),
         ("lambdify_s", "lambdify s"), ("cost_cse", "cost cse"), ("cost_nocse", "cost no cse"))


def add_arguments(p):
    add_model_arguments(p, default="softplus_chain")
    p.add_argument("--max-depth", type=int, default=12, help="deepest level (steps n for logistic_map)")
    p.add_argument("--budget", type=float, default=20.0,
                   help="CPU seconds per SymPy step, in its own process (default 20)")
    p.add_argument("--depths", default=None,
                   help="comma-separated depths to measure instead of the default grid "
                        "(1..12, then x1.5 to 30, then x2)")
    p.add_argument("--json", action="store_true", help="print the table as JSON, one object per depth")
    p.add_argument("--out", default="reports/swell", help="directory for the plot (PNG)")
    p.add_argument("--no-examples", action="store_true", help="skip the lecture's examples / published table")
    p.add_argument("--engine", choices=("auto", "sympy", "symengine"), default="auto",
                   help="symengine: add SymEngine's diff times beside SymPy's (needs the 'fast' extra); "
                        "sympy: SymPy only; auto (default): SymEngine columns when it is installed")


def _fmt(v):
    from ..experiments.swell import _big
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return _big(v)
    if isinstance(v, float):
        return f"{v:.2g}"
    return "" if v is None else str(v)


def run(args):
    from pathlib import Path

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from ..experiments import swell
    from ..report.fig_swell import swell_figure
    from ..report.io import save_figure

    width = 1
    for item in args.set:
        key, _, val = item.partition("=")
        if key != "width":
            raise BadOptionError(f"swell takes --set width=1|2 only, got {item!r}")
        try:
            width = int(val)
        except ValueError:
            raise BadOptionError(f"width must be 1 or 2, got {val!r}") from None
    if args.model not in ("softplus_chain", "logistic_map"):
        raise BadOptionError(f"swell sweeps softplus_chain or logistic_map, got {args.model!r}")
    depths = None
    if args.depths:
        try:
            depths = sorted({int(t) for t in args.depths.split(",") if t.strip()})
        except ValueError:
            raise BadOptionError(f"--depths takes comma-separated integers, got {args.depths!r}") from None
        if not depths or depths[0] < 1:
            raise BadOptionError(f"--depths must be integers >= 1, got {args.depths!r}")
    err = Console(stderr=True)
    with Progress(console=err, transient=True) as prog:
        task = prog.add_task(f"{args.model} up to {args.max_depth}", total=None)
        se = {"auto": None, "sympy": False, "symengine": True}[args.engine]
        rows = swell.sweep(args.model, max(depths) if depths else args.max_depth, args.budget, width,
                           depths=depths, symengine=se,
                           progress=lambda i, n, d: prog.update(task, completed=i, total=n,
                                                                description=f"{args.model}: depth {d} done"))
    laws = swell.fit_laws(rows, args.model, width)
    var = "n" if args.model == "logistic_map" else "d"
    png = Path(args.out) / f"swell_{args.model}_w{width}.png"
    save_figure(swell_figure(rows, f"{args.model} (width {width}): expression swell", var), png)
    if args.json:
        print(json.dumps([{k: (str(v) if isinstance(v, int) and v > 2 ** 53 else v) for k, v in r.items()}
                          for r in rows], indent=1))
        return 0
    out = Console(width=max(Console().width, 190))
    if not args.no_examples:
        if args.model == "softplus_chain":
            for label, text in swell.lecture_examples():
                out.print(f"[bold]{label}[/bold]  {text}", highlight=False, soft_wrap=True)
            for r in swell.auto_evaluation():
                out.print(f"auto-evaluation: {r['model']}: {r['collapsed']} of {r['tape']} ops collapsed"
                          + (f" (e.g. {r['example']})" if r["example"] else ""), highlight=False)
        else:
            t = Table(title="logistic map vs Baydin et al. (JMLR 2018) Table 1 (l_1 = x)")
            for c in ("n", "published d/dx (simplified)", "SymPy diff, expanded", "tree", "equal"):
                t.add_column(c)
            for r in swell.logistic_table():
                t.add_row(str(r["n"]), r["published_simplified"], r["sympy_expanded"], str(r["tree_d"]),
                          "yes" if r["matches_published"] else "NO")
            out.print(t)
    present = [(k, h) for k, h in _COLS if any(k in r for r in rows)]
    t = Table(title=f"{args.model} width {width}: budget {args.budget:g} s per SymPy step")
    t.add_column(var, justify="right")
    for _, h in present:
        t.add_column(h, justify="right")
    for r in rows:
        t.add_row(str(r["depth"]), *[_fmt(r.get(k)) for k, _ in present])
    out.print(t)
    if args.engine == "auto" and swell._symengine() is None:
        out.print("SymEngine is not installed (pip install 'diffcompare[fast]'): its columns are skipped",
                  highlight=False)
    out.print("(times and budgets are CPU seconds of each step's own process; tree d/dp1 = the tangent sweep's "
              "derivative, the same expression as sympy.diff (=diff "
              "where both ran), counted over its DAG; rev = the primitive table's reverse sweep on SymPy "
              "values, a different shape: the whole gradient's shared DAG; cost = lambdified gradient per "
              "call / one lambdified evaluation of the model)", highlight=False, soft_wrap=True)
    for line in laws:
        out.print("• " + line, highlight=False, soft_wrap=True)
    out.print(f"plot: {png}", highlight=False)
    return 0
