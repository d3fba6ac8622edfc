"""diffcompare check: a gradient check for CI (exit 0 pass, 1 fail, 2 bad input/inconclusive)."""
from __future__ import annotations

import importlib
import json
import os
import sys

import numpy as np

from ..errors import BadOptionError, DiffcompareError

HELP = "check a hand-written gradient MODULE:FUNC against finite differences (exit 0/1/2)"


class ImportTargetError(DiffcompareError):
    """A MODULE:NAME that cannot be imported or found (never evaluated as code)."""


def add_arguments(p):
    p.add_argument("function", metavar="MODULE:FUNC", help="f(params) -> scalar, plain numpy "
                   "(with --method: an xp-model f(params, xp))")
    p.add_argument("--params", required=True, metavar="FILE.json|MODULE:OBJ",
                   help="the point: a JSON file (an array, or an object name -> number/array) "
                        "or a Python object")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--grad", metavar="MODULE:FUNC", help="the gradient under test")
    src.add_argument("--method", help="a diffcompare method (e.g. autodiff) as the gradient")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tol", type=float, default=1.0, help="factor on the modelled error")
    p.add_argument("--points", type=int, default=3, help="given point + nearby points")
    p.add_argument("--strict", action="store_true", help="inconclusive exits 2 (default 0)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def load(target):
    """MODULE:NAME -> the object (the current directory is importable, like python -m)."""
    mod, sep, attr = target.partition(":")
    if not sep or not mod or not all(a.isidentifier() for a in attr.split(".")):
        raise ImportTargetError(f"expected MODULE:NAME, got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj = importlib.import_module(mod)
    except ImportError as e:
        raise ImportTargetError(f"cannot import {mod!r}: {e}") from None
    for a in attr.split("."):
        if not hasattr(obj, a):
            raise ImportTargetError(f"{mod!r} has no {attr!r}")
        obj = getattr(obj, a)
    return obj


def load_params(text):
    if text.endswith(".json") or os.path.exists(text):
        try:
            with open(text) as fh:
                data = json.load(fh)
        except (OSError, ValueError) as e:
            raise BadOptionError(f"cannot read params from {text}: {e}") from None
        if isinstance(data, dict):
            return {k: np.asarray(v, dtype=float) if isinstance(v, list) else float(v)
                    for k, v in data.items()}
        return np.asarray(data, dtype=float)
    return load(text)


def run(args):
    from ..gradcheck import gradcheck
    f = load(args.function)
    params = load_params(args.params)
    grad = args.method if args.method else load(args.grad)
    res = gradcheck(f, params, grad, seed=args.seed, tol=args.tol, points=args.points)
    if args.json:
        d = res.as_dict()
        d["entries"] = d["entries"][:50]           # worst first: enough to act on
        print(json.dumps(d, indent=1))
    else:
        print(res.summary(max_lines=30))
    return {"pass": 0, "fail": 1}.get(res.status, 2 if args.strict else 0)
