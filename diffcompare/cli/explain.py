"""diffcompare explain: one expression differentiated three ways, side by side.

    $ diffcompare explain "log(1+exp(w*x+b))" --wrt w --at w=0.5,x=2,b=0.1

shows (1) the symbolic derivative, pretty-printed, with its tree and DAG sizes; (2) finite
differences across step sizes h with their errors; (3) the autodiff tape (forward values,
backward adjoints) and its result; and a summary saying whether the three agree. Every error
is measured against the SymPy derivative evaluated at 50 digits (mpmath) at the exact
binary values of the point.

``explain_expression`` computes (plain data, no printing); ``render`` writes the text.
"""
from __future__ import annotations

import json
import math
import sys
import warnings

import numpy as np

from .. import api
from .. import budget as runner
from ..errors import BadOptionError, DiffcompareError, IntractableError, UnknownNameError
from ..expr import parse
from ..options import parse_values
from ..symbolic.defaults import DEFAULT_BUDGET
from .trace import BackwardError, backward_format, label_ops, tape_rows

HELP = "show an expression's symbolic derivative, finite differences and autodiff side by side"

DEFAULT_H = tuple(10.0 ** -k for k in range(1, 16))
DEFAULT_SCHEMES = ("forward", "central")
REFERENCE = "SymPy derivative at 50 digits (mpmath)"
TOL_EXACT = 1e-10        # autodiff and symbolic vs the reference (relative)
TOL_FD = 1e-5            # the best finite difference vs the reference (relative)


def add_arguments(p):
    p.add_argument("expression", help='the expression, quoted: "log(1+exp(w*x+b))"; one that '
                                      'starts with "-" needs a leading space (" -x**2") or the '
                                      'options first, then -- EXPR')
    p.add_argument("--wrt", help="the name to differentiate with respect to (default: the first)")
    p.add_argument("--at", action="append", default=[], metavar="NAME=VALUE,...",
                   help="a value for every name in the expression, e.g. --at w=0.5,x=2,b=0.1")
    p.add_argument("--h", metavar="H1,H2,...",
                   help="finite-difference steps (default 1e-1, 1e-2, ..., 1e-15)")
    p.add_argument("--schemes", default=",".join(DEFAULT_SCHEMES),
                   help="finite-difference schemes (default forward,central; also backward, "
                        "five-point, complex-step, richardson)")
    p.add_argument("--ascii", action="store_true", help="pretty-print without Unicode")
    p.add_argument("--budget", type=float, default=DEFAULT_BUDGET,
                   help=f"CPU seconds allowed for the symbolic steps (default {DEFAULT_BUDGET:g}, "
                        "the swell command's definition of intractable); past it the symbolic column "
                        "says 'intractable'")
    p.add_argument("--json", action="store_true", help="print the results as JSON")


# --- computation -----------------------------------------------------------------------------

def sympy_sizes(e):
    """``(tree_size, dag_size)`` of a SymPy expression: nodes counted with repeats (the tree
    a printer walks) and without (the DAG a computer could share), counted over the DAG."""
    from ..symbolic.sizes import tree_size
    (tree,), dag = tree_size([e])
    return tree, dag


def _rel(g, ref):
    if g is None or ref is None or not math.isfinite(g):
        return None
    return abs(g - ref) / abs(ref) if ref != 0 else abs(g - ref)


def _derive(expr, values, wrt, use_unicode):
    """The derivative as a SymPy expression, built from our parse through the SYMPY
    namespace (never from the text), its pretty form, sizes and 50-digit value at the exact
    binary values of the point. Plain, picklable data (it may run in a budgeted child)."""
    import sympy
    symbols = {n: sympy.Symbol(n, real=True) for n in expr.names}
    e = expr.sympy(symbols)
    d = sympy.diff(e, symbols[wrt])
    exact = {symbols[n]: sympy.Rational(v) for n, v in values.items()}
    ref = None
    try:
        r = sympy.N(d.xreplace(exact), 50)
        ref_text = str(r)
        if r.is_real and r.is_finite and math.isfinite(float(r)):
            ref = float(r)
    except (TypeError, ValueError, ArithmeticError) as err:   # an unevaluable derivative
        ref_text = f"not evaluable ({err})"
    d_sizes, e_sizes = sympy_sizes(d), sympy_sizes(e)
    return {"expression": str(e), "derivative": str(d), "sympy": d,
            "pretty": sympy.pretty(d, use_unicode=use_unicode),
            "tree_size": d_sizes[0], "dag_size": d_sizes[1],
            "expression_tree_size": e_sizes[0], "expression_dag_size": e_sizes[1],
            "reference": ref, "reference_digits": ref_text}


def _symbolic(expr, values, wrt, use_unicode, budget):
    """``_derive`` in a child under the CPU budget (``diffcompare.budget``: past it the
    column says intractable), then the float64 value by ``dc.grad(method='symbolic')``."""
    try:
        out = runner.run(_derive, expr, values, wrt, use_unicode, cpu=budget, what="symbolic derivative",
                         deep=True)
    except IntractableError as err:
        return {"intractable": " ".join(str(err).split()), "reference": None, "value": None,
                "reference_digits": "n/a (intractable)", "via": "n/a"}
    except Exception as err:    # SymPy's own failure on a valid expression: shown, not raised
        why = f"failed ({type(err).__name__}: {' '.join(str(err).split())[:200]})"
        return {"intractable": why, "reference": None, "value": None,
                "reference_digits": f"n/a ({why})", "via": "n/a"}
    try:
        g = api.value_and_grad(expr, method="symbolic", budget=budget)
        out["value"] = float(g(values)[1][wrt])
        out["via"] = "dc.grad(method='symbolic'): lambdified, float64"
        out["stats"] = {k: v for k, v in g.info.items() if isinstance(v, (int, float))
                        and not isinstance(v, bool)}
    except DiffcompareError as err:
        out["value"], out["via"] = None, " ".join(str(err).split())
    return out


def _finite_differences(expr, values, wrt, schemes, hs, ref):
    rows = []
    for scheme in schemes:
        for h in hs:
            row = {"scheme": scheme, "h": h, "value": None, "rel_error": None, "note": ""}
            try:
                g = api.grad(expr, method=scheme, h=h)(values)[wrt]
                row["value"] = float(g)
                row["rel_error"] = _rel(row["value"], ref)
            except DiffcompareError as err:
                row["note"] = " ".join(str(err).split())
            rows.append(row)
    return rows


def explain_expression(text, at, wrt=None, hs=DEFAULT_H, schemes=DEFAULT_SCHEMES,
                       use_unicode=True, budget=DEFAULT_BUDGET):
    """Differentiate ``text`` with respect to ``wrt`` at ``at`` three ways; plain data.
    (Floating-point warnings are silenced: an inf or nan shows up in the numbers.)"""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _explain(text, at, wrt, hs, schemes, use_unicode, budget)


def _explain(text, at, wrt, hs, schemes, use_unicode, budget):
    from .. import tracer
    expr = parse(text)
    values = parse_values(at, expr.names) if not isinstance(at, dict) else parse_values(
        [f"{k}={v!r}" for k, v in at.items()], expr.names)
    if not expr.names:
        raise BadOptionError(f"{text!r} has no names: nothing to differentiate")
    wrt = expr.names[0] if wrt is None else wrt
    if wrt not in expr.names:
        raise UnknownNameError(f"--wrt {wrt}: not a name in the expression (its names: "
                               f"{', '.join(expr.names)})")
    for s in schemes:
        if s not in api.FD_METHODS:
            raise UnknownNameError(f"unknown finite-difference scheme {s!r}; known: "
                                   f"{', '.join(api.FD_METHODS)}")
    for h in hs:
        if not (math.isfinite(h) and h > 0):
            raise BadOptionError(f"a step h must be positive and finite, got {h!r}")
    value = float(expr(values))
    if not (isinstance(budget, (int, float)) and budget > 0):
        raise BadOptionError(f"--budget must be a positive number of seconds, got {budget!r}")
    sym = _symbolic(expr, values, wrt, use_unicode, budget)
    ref = sym["reference"]
    fd = _finite_differences(expr, values, wrt, schemes, hs, ref)
    tape = label_ops(tracer.trace(expr, values))
    autodiff = {"value": None, "tape_length": len(tape), "rel_error": None, "note": ""}
    try:
        ad = api.grad(expr, method="autodiff")(values)
        autodiff.update(value=float(ad[wrt]), rel_error=_rel(float(ad[wrt]), ref),
                        tape=backward_format(tape) if len(tape) else "", rows=tape_rows(tape))
    except (BackwardError, ArithmeticError) as e:
        autodiff.update(tape=tape.format(), note=" ".join(str(e).split()))
    sym["rel_error"] = _rel(sym["value"], ref)
    best = {}
    for row in fd:
        if row["rel_error"] is not None and (row["scheme"] not in best
                                             or row["rel_error"] < best[row["scheme"]]["rel_error"]):
            best[row["scheme"]] = row
    exact_ok = all(e is not None and e <= TOL_EXACT for e in (sym["rel_error"], autodiff["rel_error"]))
    fd_ok = any(r["rel_error"] <= TOL_FD for r in best.values())
    return {"expression": text, "wrt": wrt, "at": values, "value": value, "reference": REFERENCE,
            "symbolic": sym, "finite_differences": fd, "best": best, "autodiff": autodiff,
            "agree": None if ref is None else bool(exact_ok and fd_ok),
            "tolerances": {"exact": TOL_EXACT, "fd": TOL_FD}}


# --- rendering -------------------------------------------------------------------------------

def _g(v, digits=17):
    return "n/a" if v is None else f"{v:.{digits}g}"


def _e(v):
    return "n/a" if v is None else f"{v:.1e}"


def render(res):
    """The text of ``explain``: three sections and a side-by-side summary."""
    sym, ad, wrt = res["symbolic"], res["autodiff"], res["wrt"]
    at = ", ".join(f"{k}={v:g}" for k, v in res["at"].items())
    out = [f"d/d{wrt} of {res['expression']}  at {at}", f"value = {res['value']:.17g}", ""]

    if "intractable" in sym:
        out.append(f"1. symbolic (SymPy): {sym['intractable']}")
    else:
        out.append(f"1. symbolic (SymPy): expression tree {sym['expression_tree_size']} / DAG "
                   f"{sym['expression_dag_size']} nodes; derivative tree {sym['tree_size']} / "
                   f"DAG {sym['dag_size']} nodes")
        out += ["   " + line for line in sym["pretty"].splitlines()]
        out.append(f"   = {_g(sym['value'])}   ({sym['via']})")
    out.append(f"   reference ({res['reference']}): {sym['reference_digits']}")
    out.append("")

    fd = res["finite_differences"]
    schemes = list(dict.fromkeys(r["scheme"] for r in fd))
    hs = list(dict.fromkeys(r["h"] for r in fd))
    by = {(r["scheme"], r["h"]): r for r in fd}
    out.append("2. finite differences (relative error vs the reference; absolute where it is 0)")
    head = f"   {'h':>7}" + "".join(f"  {s:>24} {'rel.err':>8}" for s in schemes)
    out.append(head)
    notes = []
    for h in hs:
        line = f"   {h:>7.0e}"
        for s in schemes:
            r = by[(s, h)]
            if r["value"] is None:
                line += f"  {'-':>24} {'-':>8}"
                if r["note"] and r["note"] not in notes:
                    notes.append(r["note"])
            else:
                line += f"  {r['value']:>24.17g} {_e(r['rel_error']):>8}"
        out.append(line)
    out += [f"   note: {n}" for n in notes]
    for s, r in res["best"].items():
        out.append(f"   best {s}: h={r['h']:.0e}, rel. error {r['rel_error']:.1e}")
    out.append("")

    out.append(f"3. autodiff (own reverse-mode tracer): {ad['tape_length']} primitive ops")
    out += ["   " + line for line in ad["tape"].splitlines()]
    if ad["note"]:
        out.append(f"   failed: {ad['note']}")
    out.append(f"   d/d{wrt} = {_g(ad['value'])}")
    out.append("")

    out.append(f"summary: d/d{wrt}, side by side (error vs the {res['reference']})")
    out.append(f"   {'method':<24} {'value':>24} {'rel.err':>8}   cost")
    cost = ("intractable" if "intractable" in sym
            else f"derivative tree {sym['tree_size']} / DAG {sym['dag_size']} nodes")
    out.append(f"   {'symbolic':<24} {_g(sym['value']):>24} {_e(sym['rel_error']):>8}   {cost}")
    for s, r in res["best"].items():
        out.append(f"   {s + ' h=' + format(r['h'], '.0e'):<24} {_g(r['value']):>24} "
                   f"{_e(r['rel_error']):>8}   best of {len(hs)} steps")
    out.append(f"   {'autodiff':<24} {_g(ad['value']):>24} {_e(ad['rel_error']):>8}   "
               f"{ad['tape_length']} ops forward + 1 reverse sweep")
    tol = res["tolerances"]
    if res["agree"] is None:
        out.append(f"   agree: cannot tell (the reference is not a finite float: "
                   f"{sym['reference_digits'][:60]})")
    else:
        out.append(f"   agree: {'yes' if res['agree'] else 'NO'} (symbolic and autodiff within "
                   f"{tol['exact']:.0e}, the best finite difference within {tol['fd']:.0e})")
    return "\n".join(out)


def _jsonable(res):
    def num(v):
        return v if not isinstance(v, float) or math.isfinite(v) else repr(v)
    sym = {k: num(v) for k, v in res["symbolic"].items() if k != "sympy"}
    return {**{k: v for k, v in res.items() if k not in ("symbolic", "finite_differences", "best")},
            "symbolic": sym,
            "finite_differences": [{k: num(v) for k, v in r.items()} for r in res["finite_differences"]],
            "best": {s: {"h": r["h"], "rel_error": r["rel_error"]} for s, r in res["best"].items()}}


def _floats(text, what):
    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            v = float(part)
        except ValueError:
            raise BadOptionError(f"{what}: {part!r} is not a number") from None
        out.append(v)
    return tuple(out)


def run(args):
    hs = DEFAULT_H if not args.h else _floats(args.h, "--h")
    schemes = tuple(s.strip() for s in args.schemes.split(",") if s.strip())
    enc = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    res = explain_expression(args.expression, args.at, args.wrt, hs, schemes,
                             use_unicode=not args.ascii and enc.startswith("utf"),
                             budget=args.budget)
    if args.json:
        print(json.dumps(_jsonable(res), indent=1, default=str))
        return 0
    print(render(res))
    return 0
