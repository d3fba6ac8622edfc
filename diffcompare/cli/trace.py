"""diffcompare trace: an expression's primitive-operation sequence, as on the lecture's slide.

    $ diffcompare trace "(1/(1+exp(-(w*x+b))) - t)**2/2" --at w=0.5,x=2,b=0.1,t=1 \\
          --names t1,z,t3,t4,t5,y,t6,t7,L
    forward:
    t1 = w*x      = 1
    z  = t1 + b   = 1.1
    ...
    backward:
    dL/dL = 1
    ...

Every name in the expression is a named input of the trace, so it prints by name
(``t1 = w*x``, not ``t1 = 0.5*2``); values come from ``--at`` and are read with ``float()``.
"""
from __future__ import annotations

import json
import math
import re
import warnings

import numpy as np

from .. import graph, tracer
from ..errors import BadOptionError, DiffcompareError
from ..expr import parse
from ..options import parse_values

HELP = "print an expression's primitive ops with forward values, then the backward adjoints"

# The lecture's names for the sigmoid neuron's nine ops (``--names slide``).
SLIDE_NAMES = ("t1", "z", "t3", "t4", "t5", "y", "t6", "t7", "L")


class BackwardError(DiffcompareError):
    """The reverse sweep raised at this point (a partial derivative divided by zero)."""


def backward_format(tape, digits=6):
    """``tape.format(adjoints=True)``, with a Python ZeroDivisionError in a partial (sqrt or
    log at 0: the derivative is infinite there) turned into one clear error."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return tape.format(adjoints=True, digits=digits)
    except ArithmeticError as e:
        raise BackwardError(f"the backward pass failed at this point ({type(e).__name__}: {e}): "
                            "a derivative is infinite here (sqrt or log at 0?)") from None


def add_arguments(p):
    p.add_argument("expression", help='the expression, quoted: "log(1+exp(w*x+b))"; one that '
                                      'starts with "-" needs a leading space (" -x**2") or the '
                                      'options first, then -- EXPR')
    p.add_argument("--at", action="append", default=[], metavar="NAME=VALUE,...",
                   help="a value for every name in the expression, e.g. --at w=0.5,x=2,b=0.1")
    p.add_argument("--names", metavar="N1,N2,...",
                   help="labels for the ops in order (default t1, t2, ...); 'slide' gives the "
                        "lecture's t1,z,t3,t4,t5,y,t6,t7,L for its nine-op sigmoid neuron")
    p.add_argument("--digits", type=int, default=6, help="significant digits shown (default 6)")
    p.add_argument("--json", action="store_true", help="print the trace as JSON")
    p.add_argument("--graph", metavar="FILE.svg|png",
                   help="also draw the computational graph (values and adjoints) to this file")
    p.add_argument("--dot", metavar="FILE.dot", help="also write the graph as DOT text for graphviz")
    p.add_argument("--code", action="store_true",
                   help="print the adjoint program autodiff-compiled emits for it (forward, then backward)")


def trace_expression(text, at, names=None):
    """Parse ``text``, trace it at the ``at`` values (a dict, or ``--at`` strings) and label
    its ops; returns ``(expression, values, tape)``."""
    expr = parse(text)
    values = parse_values(at, expr.names) if not isinstance(at, dict) else dict(at)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tape = tracer.trace(expr, values)
    label_ops(tape, names)
    return expr, values, tape


def label_ops(tape, names=None):
    """Give every op of ``tape`` a label: ``names`` (all of them, in order) or t1, t2, ...
    -- with another letter if an input is itself called like t1."""
    ops = [i for i, e in enumerate(tape.entries) if e[0] is not None]
    if isinstance(names, str):
        names = SLIDE_NAMES if names.strip() == "slide" else [n.strip() for n in names.split(",")]
    if names:
        names = list(names)
        if len(names) != len(ops):
            raise BadOptionError(f"--names gives {len(names)} labels but the trace has "
                                 f"{len(ops)} ops: give one per op, in order")
        bad = [n for n in names if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n)]
        if bad:
            raise BadOptionError(f"--names: {bad[0]!r} is not a plain name")
        if len(set(names)) != len(names):
            raise BadOptionError("--names: the labels must be distinct")
        taken = set(tape.inputs) & set(names)
        if taken:
            raise BadOptionError(f"--names: {', '.join(sorted(taken))} already names an input")
    else:
        prefix = next(p for p in ("t", "v", "u", "s", "tmp")
                      if not any(re.fullmatch(p + r"[0-9]+", k) for k in tape.inputs))
        names = [f"{prefix}{k}" for k in range(1, len(ops) + 1)]
    for i, label in zip(ops, names):
        tape.labels[i] = label
    return tape


def _num(v):
    v = float(v)
    return v if math.isfinite(v) else repr(v)       # JSON has no nan/inf


def tape_rows(tape, digits=6):
    """The tape as plain data: forward rows (name, op, expr, value), backward adjoints, and
    the output's gradient with respect to every input."""
    names = tape.labels
    forward = []
    for i, (prim, links, args, out, kw) in enumerate(tape.entries):
        if prim is None:
            continue
        shown = [f"{float(a):.{digits}g}" for a in args]
        for pos, p in links:
            shown[pos] = names[p]
        forward.append({"name": names[i], "op": prim.name,
                        "expr": prim.show.format(*shown, **(kw or {})), "value": _num(out)})
    try:
        with np.errstate(all="ignore"):
            bars = tape.backward(keep=True) if tape.output is not None else {}
    except ArithmeticError as e:
        raise BackwardError(f"the backward pass failed at this point ({type(e).__name__}: {e})") from None
    backward = [{"name": names[i], "adjoint": _num(bars[i])} for i in sorted(bars, reverse=True)]
    grad = {k: _num(bars.get(i, 0.0)) for k, i in tape.inputs.items() if k != "const"}
    return {"forward": forward, "backward": backward, "value": _num(tape.value), "grad": grad,
            "output": names.get(tape.output)}


def run(args):
    if args.digits < 1 or args.digits > 17:
        raise BadOptionError(f"--digits must be between 1 and 17, got {args.digits}")
    if args.dot is not None and graph.check_path(args.dot) != ".dot":
        raise BadOptionError(f"--dot writes DOT text: give a .dot file, got {args.dot!r}")
    if args.graph is not None:
        graph.check_path(args.graph)
    expr, values, tape = trace_expression(args.expression, args.at, args.names)
    drawn = [p for p in (args.graph, args.dot) if p is not None]
    for path in drawn:
        with np.errstate(all="ignore"):
            graph.draw(tape, path)
    if args.json:
        data = {"expression": expr.text, "at": values, "ops": len(tape)}
        data.update(tape_rows(tape, args.digits))
        if args.code:
            data["code"] = tape.source()
        print(json.dumps(data, indent=1))
        return 0
    at = ", ".join(f"{k}={v:g}" for k, v in values.items())
    n = len(tape)
    print(f"{expr.text}" + (f"  at {at}" if at else "") + f"  ({n} primitive op{'s' * (n != 1)})")
    if n == 0:
        print(f"value = {tape.value:.{args.digits}g}: nothing to trace (a constant or a lone name)")
        return 0
    print(backward_format(tape, args.digits))
    if args.code:
        print("\nthe adjoint program (autodiff-compiled):")
        print(tape.source().rstrip())
    for path in drawn:
        print(f"graph: {path}")
    return 0
