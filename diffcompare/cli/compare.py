"""diffcompare compare: every method on one model -- a catalogue model or your own
MODULE:FUNC -- side by side: error against a named reference, time per gradient, counts."""
from __future__ import annotations

from .. import api
from ..compare import DEFAULT_BUDGET, compare
from ..errors import BadOptionError, UnknownNameError
from ._common import model_from_args

HELP = "differentiate one model (a catalogue name or your MODULE:FUNC) with every method; compare error and time"


def add_target_arguments(p, default="softplus"):
    """--model NAME|MODULE:FUNC, --set KEY=VALUE, --params FILE, --budget: the model a command
    works on (shared by compare and report)."""
    from .. import models
    p.add_argument("--model", default=default, metavar="NAME|MODULE:FUNC",
                   help=f"a catalogue model ({', '.join(models.NAMES)}) or your function f(params, xp) as "
                        "MODULE:FUNC (MODULE is imported, so its top-level code runs; the current folder is "
                        "put on sys.path)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="catalogue model option, e.g. --set depth=5 (repeatable)")
    p.add_argument("--params", default=None, metavar="FILE",
                   help="params for MODULE:FUNC: JSON (name -> number or nested list) or .npz")
    p.add_argument("--budget", type=float, default=DEFAULT_BUDGET,
                   help=f"CPU seconds for the 50-digit SymPy reference and the symbolic setup (default "
                        f"{DEFAULT_BUDGET:g}); past it the reference is the best exact method")


def target_model(target, args):
    """``(f, params, name)`` for a catalogue name or a MODULE:FUNC with ``--params``."""
    if ":" in target:
        from ..usermodel import load_callable, load_params
        if not args.params:
            raise BadOptionError(f"{target}: give its params with --params FILE (JSON or .npz)")
        return load_callable(target), load_params(args.params), target
    if args.params:
        raise BadOptionError("--params is for MODULE:FUNC; a catalogue model brings its own (use --set)")
    args.model = target
    model = model_from_args(args)
    return model, model.params, model.name


def add_arguments(p):
    p.add_argument("target", nargs="?", default=None, metavar="MODULE:FUNC",
                   help="your model f(params, xp) (instead of --model)")
    add_target_arguments(p)
    p.add_argument("--order", type=int, default=1, choices=(1, 2),
                   help="2: Hessians, by every second-derivative method (errors against SymPy's Hessian at 50 "
                        "digits)")
    p.add_argument("--methods", default=None, help="comma-separated methods (default: all of the order's)")
    p.add_argument("--reference", default=None,
                   help="what errors are measured against: a method name, or (default) SymPy at 50 digits "
                        "within --budget, else the best exact method")
    p.add_argument("--json", action="store_true", help="print the records as JSON")


def run(args):
    if args.order == 2:
        return _hessians(args)
    methods = [m.strip() for m in (args.methods or ",".join(api.METHODS)).split(",") if m.strip()]
    for m in methods + ([args.reference] if args.reference else []):
        api.backend(m, {})       # unknown names fail before any work
    f, params, name = target_model(args.target or args.model, args)
    cmp = compare(f, params, methods=methods, reference=args.reference, budget=args.budget, name=name)
    print(cmp.to_json() if args.json else cmp.table())
    return 0


def _hessians(args):
    """--order 2: every Hessian method, error against the reference, time median [min–max], setup."""
    from ..experiments import second_order_compare as sc
    from ..hessian import HESSIAN_METHODS
    from ..records import to_json
    from ..report.section import fmt_err, fmt_s, fmt_timing
    methods = [m.strip() for m in (args.methods or ",".join(HESSIAN_METHODS)).split(",") if m.strip()]
    for m in methods + ([args.reference] if args.reference not in (None, "50-digit") else []):
        if m not in HESSIAN_METHODS:
            raise UnknownNameError(f"unknown second-derivative method {m!r}; known: {', '.join(HESSIAN_METHODS)}")
    f, params, name = target_model(args.target or args.model, args)
    recs = sc.compare_hessians(f, params, methods, args.reference, args.budget, name=name)
    ref = next(r for r in recs if r.metric == sc.REFERENCE)
    if args.json:
        print(to_json(recs, model=name, reference=ref.value, why=ref.extra["why"], n=ref.extra["n"]))
        return 0
    by = {}
    for r in recs:
        by.setdefault(r.method, {})[r.metric] = r
    rows = [("method", "rel. error", "time per Hessian", "setup", "evaluations")]
    for m in methods:
        d = by.get(m, {})
        if sc.FAILED in d:
            rows.append((m, "failed", "", "", " ".join(str(d[sc.FAILED].value).split())[:70]))
            continue
        ev = d.get(sc.EVALS)
        rows.append((m, fmt_err(d[sc.REL_ERROR].value) + (" *" if d[sc.REL_ERROR].extra.get("computes_in") else ""),
                     fmt_timing(d[sc.S_PER_HESSIAN]), fmt_s(d[sc.SETUP_S].value),
                     f"{ev.value:,} of {ev.extra['of']}" if ev else ""))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    print(f"{name}: n = {ref.extra['n']} parameters ({ref.extra['dtype']}); Hessian errors relative to max|H|, "
          f"against the {ref.value}" + (f" ({ref.extra['why']})" if ref.extra["why"] else ""))
    for k, r in enumerate(rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))
    if any("computes_in" in d[sc.REL_ERROR].extra for d in by.values() if sc.REL_ERROR in d):
        print("* computes in float64 inside")
    return 0
