"""What the swell rows show, as structured findings: exact growth laws fitted where they hold
on every measured depth, the growth per level where none does, how far each count reached,
SymEngine against SymPy, and the first give-up of every step. Records only; the sentences
are written by the renderers (``report/sections/swell.py``)."""
from __future__ import annotations

import dataclasses

import sympy

from ..records import Record
from .swell_steps import (
    COST_CSE,
    COST_NOCSE,
    CSE1_OPS,
    DAG,
    DAG1,
    DIFF1_S,
    H_TREE,
    NOCSE_ERROR,
    REV_DAG,
    REV_DAG1,
    REV_TREE,
    REV_TREE1,
    SE_DIFF1_S,
    SE_TREE1,
    TAN_DAG1,
    TAN_EQUAL1,
    TAN_S,
    TAN_TREE1,
    TAPE,
    TREE,
    TREE1,
)
from .swell_sweep import FAILED, INTRACTABLE

__all__ = ["LAW", "GROWTH", "TANGENT_EQUAL", "REACH", "SE_SPEEDUP", "SE_REACH", "SE_SAME_TREE", "GAVE_UP",
           "NOCSE_CRASH", "LAMBDIFY_COST", "LAW_METRICS", "findings", "p1_name"]

LAW, GROWTH, TANGENT_EQUAL, REACH = "law", "growth_per_level", "tangent_equal", "reach"
SE_SPEEDUP, SE_REACH, SE_SAME_TREE = "se_speedup", "se_reach", "se_same_tree"
GAVE_UP, NOCSE_CRASH, LAMBDIFY_COST = "gave_up", "nocse_crash", "lambdify_cost"
# The counts an exact polynomial law is looked for in (in this order).
LAW_METRICS = (TREE1, DAG1, TAN_TREE1, TAN_DAG1, TREE, DAG, CSE1_OPS, TAPE, REV_TREE1, REV_DAG, H_TREE)


def p1_name(name, width):
    """The first parameter: the one d/dp1 differentiates by."""
    return "x" if name == "logistic_map" else ("wa1" if width == 2 else "w1")


def _exact_poly(points, degree):
    """The polynomial of ``degree`` through the first degree+1 points (exact rationals) if it
    also goes through all the others, else None."""
    if len(points) < degree + 2:
        return None
    d = sympy.Symbol("d")
    poly = sympy.expand(sympy.interpolate([(x, sympy.Integer(y)) for x, y in points[:degree + 1]], d))
    if all(poly.subs(d, x) == y for x, y in points):
        return poly
    return None


def _law(rows, key, degrees=(1, 2, 3)):
    pts = [(r["depth"], r[key]) for r in rows if isinstance(r.get(key), int) and not isinstance(r.get(key), bool)]
    for deg in degrees:
        p = _exact_poly(pts, deg)
        if p is not None:
            return p, pts
    return None, pts


def findings(rows, name="softplus_chain", width=1, budget=None):
    """The findings of one sweep as records (metric: one of the constants above)."""
    model = name if name == "logistic_map" else f"{name}(width={width})"
    var = "n" if name == "logistic_map" else "d"
    base = {"var": var, "p1": p1_name(name, width), "width": width, "budget": budget}
    out = []

    def add(metric, value, **extra):
        out.append(Record("swell", model, "symbolic", metric, value, "", "", extra={**base, **extra}))

    for key in LAW_METRICS:
        poly, pts = _law(rows, key)
        if poly is not None:
            add(LAW, str(poly.subs(sympy.Symbol("d"), sympy.Symbol(var))), of=key, points=len(pts),
                max_depth=max(x for x, _ in pts))
    for key, dag_key in ((TAN_TREE1, TAN_DAG1), (REV_TREE1, REV_DAG1)):
        poly, pts = _law(rows, key)
        if poly is None and len(pts) >= 3:
            (d0, a), (d1, b) = pts[-2], pts[-1]
            row = next(r for r in rows if r["depth"] == d1)
            extra = {"of": key, "depth": d1, "size": b, "dag": row.get(dag_key)}
            if name == "logistic_map":   # the constant of n^2 2^n and n 2^n, measured, not assumed
                extra.update(per_n2_2n=b / (d1 * d1 * 2 ** d1), per_n_2n=b / (d1 * 2 ** d1))
            add(GROWTH, (b / a) ** (1.0 / (d1 - d0)), **extra)
    same = [r["depth"] for r in rows if r.get(TAN_EQUAL1) is True]
    differ = [r["depth"] for r in rows if r.get(TAN_EQUAL1) is False]
    if same or differ:
        add(TANGENT_EQUAL, not differ, same=same, differ=differ)
    measured = [r["depth"] for r in rows]
    tan = [r for r in rows if isinstance(r.get(TAN_TREE1), int)]
    if tan:
        r = tan[-1]
        add(REACH, r["depth"], via="tangent", tree1=r[TAN_TREE1], dag1=r[TAN_DAG1], seconds=r[TAN_S],
            depths=measured)
    rev = [r for r in rows if isinstance(r.get(REV_TREE), int)]
    if rev:
        r = rev[-1]
        add(REACH, r["depth"], via="reverse", tree1=r[REV_TREE1], tree=r[REV_TREE], dag=r[REV_DAG],
            tape=r.get(TAPE), depths=measured)
    both = [r for r in rows if isinstance(r.get(SE_DIFF1_S), float) and isinstance(r.get(DIFF1_S), float)]
    if both:
        r = both[-1]
        add(SE_SPEEDUP, r[DIFF1_S] / max(r[SE_DIFF1_S], 1e-6), depth=r["depth"], se_s=r[SE_DIFF1_S],
            sympy_s=r[DIFF1_S])
    se = [r for r in rows if isinstance(r.get(SE_DIFF1_S), float)]
    if se and (not both or se[-1] is not both[-1]):
        r = se[-1]
        add(SE_REACH, r["depth"], se_s=r[SE_DIFF1_S], tan_s=r.get(TAN_S))
    same_tree = [r["depth"] for r in rows if isinstance(r.get(SE_TREE1), int) and r.get(TAN_TREE1) == r[SE_TREE1]]
    if same_tree:
        add(SE_SAME_TREE, len(same_tree), depths=same_tree)
    first = {}
    for r in rows:
        for step, st in r["status"].items():
            if st.state in (INTRACTABLE, FAILED) and step not in first:
                first[step] = st
    for step, st in first.items():
        add(GAVE_UP, st.depth, **{k: v for k, v in dataclasses.asdict(st).items() if v is not None})
    crash = next((r for r in rows if NOCSE_ERROR in r), None)
    if crash is not None:
        add(NOCSE_CRASH, crash["depth"], error=crash[NOCSE_ERROR])
    costs = [r for r in rows if r.get(COST_NOCSE)]
    if costs:
        r = costs[-1]
        add(LAMBDIFY_COST, r["depth"], nocse=r[COST_NOCSE], cse=r.get(COST_CSE))
    return out
