"""diffcompare check: a derivative check for CI (exit 0 pass, 1 fail, 2 bad input; an
inconclusive check exits 0 with its reason printed, 2 under --strict)."""
from __future__ import annotations

import json

from ..usermodel import load_callable, load_params

HELP = ("check a hand-written gradient (or vjp/jvp, hvp/Hessian) of MODULE:FUNC against finite "
        "differences; MODULE is imported (its top-level code runs) with the current folder first "
        "on sys.path, like python -m (exit 0 pass, 1 fail, 2 bad input or --strict inconclusive)")


def add_arguments(p):
    p.add_argument("function", metavar="MODULE:FUNC",
                   help="f(params) -> a scalar (with --vjp/--jvp: an array), plain numpy; with --method "
                        "an xp-model f(params, xp). MODULE is imported: its top-level code runs")
    p.add_argument("--params", required=True, metavar="FILE|MODULE:OBJ",
                   help="the point: .json (a nested list, or an object name -> number/list), .npz, .npy, "
                        "or a Python object MODULE:OBJ")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--grad", metavar="MODULE:FUNC", help="the gradient under test: grad(params)")
    src.add_argument("--method", help="a diffcompare method (e.g. autodiff) as the gradient")
    src.add_argument("--vjp", metavar="MODULE:FUNC", help="vjp(params, ybar) -> shaped like params")
    src.add_argument("--jvp", metavar="MODULE:FUNC", help="jvp(params, xdot) -> shaped like f's output")
    two = p.add_mutually_exclusive_group()
    two.add_argument("--hvp", metavar="MODULE:FUNC", help="with --grad: hvp(params, v) -> shaped like params")
    two.add_argument("--hess", metavar="MODULE:FUNC", help="with --grad: hess(params) -> (n, n) over the "
                     "flat params")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tol", type=float, default=1.0, help="factor on the modelled error")
    p.add_argument("--points", type=int, default=3, help="given point + nearby points")
    p.add_argument("--max-evals", type=int, default=None, help="a hard bound on evaluations of f")
    p.add_argument("--strict", action="store_true", help="inconclusive exits 2 (default 0)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args):
    from ..gradcheck import gradcheck
    f = load_callable(args.function)
    params = load_params(args.params)
    kw = {}
    for key in ("grad", "vjp", "jvp", "hvp", "hess"):
        if getattr(args, key, None):
            kw[key] = load_callable(getattr(args, key))
    if args.method:
        kw["grad"] = args.method
    res = gradcheck(f, params, seed=args.seed, tol=args.tol, points=args.points, max_evals=args.max_evals, **kw)
    if args.json:
        d = res.as_dict()
        d["entries"] = d["entries"][:50]           # worst first: enough to act on
        print(json.dumps(d, indent=1, default=str))
    else:
        print(res.summary(max_lines=30))
    return {"pass": 0, "fail": 1}.get(res.status, 2 if args.strict else 0)
