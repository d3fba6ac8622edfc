"""diffcompare compare: every method on one model, side by side."""
from __future__ import annotations

from .. import api
from ..compare import compare_methods
from ..records import to_json
from ._common import add_model_arguments, model_from_args

HELP = "differentiate one catalogue model with every method and compare error and time"


def add_arguments(p):
    add_model_arguments(p)
    p.add_argument("--methods", default=",".join(api.METHODS),
                   help="comma-separated methods (default: all)")
    p.add_argument("--reference", default="autograd", help="method the errors are measured against")
    p.add_argument("--json", action="store_true", help="print the records as JSON")


def run(args):
    from rich.console import Console
    from rich.table import Table

    model = model_from_args(args)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods + [args.reference]:
        api.backend(m, {})       # unknown names fail before any work
    records = compare_methods(model, methods=methods, reference=args.reference)
    if args.json:
        print(to_json(records, model=repr(model)))
        return 0
    by = {}
    for r in records:
        by.setdefault(r.method, {})[r.metric] = r.value
    t = Table(title=f"{model.description}: gradient by every method "
                    f"(error relative to max|grad|, reference: {args.reference})")
    for col in ("method", "rel. error", "µs / gradient", "setup ms", "counts"):
        t.add_column(col, justify="left" if col in ("method", "counts") else "right")
    for m in methods:
        d = by.get(m, {})
        if "failed" in d:
            t.add_row(m, "failed", "", "", str(d["failed"])[:60])
            continue
        counts = ", ".join(f"{k}={v}" for k, v in d.items()
                           if k not in ("rel_error", "s_per_grad", "setup_s"))
        t.add_row(m, f"{d['rel_error']:.1e}", f"{d['s_per_grad'] * 1e6:.1f}",
                  f"{d.get('setup_s', 0) * 1e3:.2f}", counts)
    Console().print(t)
    return 0
