"""diffcompare compare: every method on one model -- a catalogue model or your own
MODULE:FUNC -- side by side: error against a named reference, time per gradient, counts."""
from __future__ import annotations

from .. import api
from ..compare import DEFAULT_BUDGET, compare
from ..errors import BadOptionError
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
    p.add_argument("--methods", default=",".join(api.METHODS), help="comma-separated methods (default: all)")
    p.add_argument("--reference", default=None,
                   help="what errors are measured against: a method name, or (default) SymPy at 50 digits "
                        "within --budget, else the best exact method")
    p.add_argument("--json", action="store_true", help="print the records as JSON")


def run(args):
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods + ([args.reference] if args.reference else []):
        api.backend(m, {})       # unknown names fail before any work
    f, params, name = target_model(args.target or args.model, args)
    cmp = compare(f, params, methods=methods, reference=args.reference, budget=args.budget, name=name)
    print(cmp.to_json() if args.json else cmp.table())
    return 0
