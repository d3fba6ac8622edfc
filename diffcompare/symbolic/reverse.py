"""The symbolic reverse sweep: the primitive table's partials evaluated on SymPy values over
the tracer's tape -- the derivative as a DAG, one sweep for all parameters.

The tape is recorded on the params' numbers, then replayed on SymPy values (same ops, the
rows' SymPy primals), and ``Tape.backward(xp=SYMPY)`` runs the SAME partials autodiff runs.
Control flow is the numeric run's (the catalogue's models have none that depends on values).

    >>> grads, st, tape = reverse_gradient(m, m.params)     # doctest: +SKIP
    >>> grads["w1"] == sympy.diff(build(m, m.params).expr, w1)   # on the lecture's chain
    True
"""
from __future__ import annotations

import dataclasses

import numpy as np
import sympy

from .. import tracer
from ..namespaces import SYMPY
from .expressions import build, exact, exact_expr

__all__ = ["ExactRules", "symbolic_tape", "reverse_gradient"]


class ExactRules:
    """The table's rows with exact partials, for one computation.

    A row's partial is evaluated once per argument pattern as a small template on
    placeholder symbols, its float literals made exact (``0.5`` -> ``1/2``), then the real
    arguments are substituted (``xreplace`` walks only the template, never the big argument
    expressions). The templates live in this object, made per sweep: nothing is kept
    between computations."""

    def __init__(self):
        self._rows = {}

    def row(self, prim):
        """``prim`` with exact partials (a row without partials as it is)."""
        if prim is None or prim.partials is None:
            return prim
        q = self._rows.get(prim.name)
        if q is None:
            q = self._rows[prim.name] = dataclasses.replace(
                prim, partials=tuple(_exact_partial(p) for p in prim.partials))
        return q

    def table_partials(self):
        """SymPy function class -> partial(out, arg), from the elementwise one-argument rows
        whose SymPy primal is a SymPy function class (``exp``, ``log``, ``tanh``...)."""
        from ..primitives import ROWS
        out = {}
        for prim in ROWS:
            if prim.elementwise and prim.nargs == 1 and prim.partials and isinstance(prim.sym, type):
                q = self.row(prim).partials[0]
                out[prim.sym] = lambda out_, a, q=q: q(SYMPY, out_, a)
        return out


def _exact_partial(p):
    templates = {}

    def q(xp, out, *args):
        vals = (out,) + args
        if any(isinstance(v, np.ndarray) for v in vals):
            return p(xp, out, *args)
        key = tuple(isinstance(v, sympy.Basic) and not v.is_Number for v in vals)
        t = templates.get(key)
        if t is None:
            ds = [sympy.Dummy(f"a{i}") if s else None for i, s in enumerate(key)]
            shown = [d if d is not None else v for d, v in zip(ds, vals)]
            t = templates[key] = (ds, exact_expr(p(xp, *shown)))
        ds, tmpl = t
        if not isinstance(tmpl, sympy.Basic):
            return tmpl
        return tmpl.xreplace({d: v for d, v in zip(ds, vals) if d is not None})
    return q


def symbolic_tape(f, params, mexpr=None, xp=None):
    """Record ``f`` with the tracer on the params' numbers, then replay the tape on SymPy
    values: (a Tape whose values are expressions, the numeric tape)."""
    mexpr = build(f, params) if mexpr is None else mexpr
    data = dict(getattr(f, "data", {}) or {})
    traced_data = {k: data[k] for k in mexpr.data_syms}
    syms = dict(mexpr.params, **mexpr.data_syms)
    if mexpr.row_syms:
        fn = f.with_data(**{k: np.asarray(data[k])[:1] for k in mexpr.row_syms})
    else:
        fn = f
    tape = tracer.record(fn, params, traced_data)
    row_vals = {id(fn.data[k]): mexpr.row_syms[k] for k in mexpr.row_syms}
    rules = ExactRules()
    xp = SYMPY if xp is None else xp
    st = tracer.Tape()
    st.labels, st.inputs, st.output = dict(tape.labels), dict(tape.inputs), tape.output
    vals = []
    for prim, links, args, out, kw in tape.entries:
        if prim is None:
            v = syms[tape.labels[len(vals)]]
            st.entries.append((None, (), (), v, None))
            vals.append(v)
            continue
        a = [row_vals.get(id(x), exact(x) if isinstance(x, float) else x) for x in args]
        for k, p in links:
            a[k] = vals[p]
        v = (getattr(xp, prim.name) if prim.elementwise else prim.sym)(*a, **(kw or {}))
        vals.append(v)
        st.entries.append((rules.row(prim), links, tuple(a), v, kw))
    return st, tape


def reverse_gradient(f, params, mexpr=None, xp=None):
    """The derivative as a DAG by the reverse sweep of the primitive table on SymPy values
    (``Tape.backward(xp=SYMPY)``): name -> expression (or object array), the symbolic tape
    and the numeric tape (its length is the autodiff tape length)."""
    st, tape = symbolic_tape(f, params, mexpr, xp)
    bars = st.backward(seed=sympy.S.One, xp=SYMPY)
    grads = {}
    for k, v in params.items():
        g = bars.get(st.inputs[k])
        if g is None:
            g = np.full(np.shape(v), sympy.S.Zero, dtype=object) if isinstance(v, np.ndarray) else sympy.S.Zero
        grads[k] = g
    return grads, st, tape
