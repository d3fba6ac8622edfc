"""The steps the swell experiment runs per depth: what each measures, what it needs, whose
engine it times, and its CPU budget. The metric names are the constants below (the report's
renderers import them through ``experiments.swell``).

    tan        tangent (forward) sweep for d/dp1 over the expression's DAG, memoised
               (``symbolic.tangent.tangent_diff``): the SAME expression sympy.diff returns
               (tested with ==); its tree (memoised big-int count) and DAG. The "tree d/dp1"
               column past sympy.diff's reach (own, larger budget).
    dag        reverse sweep of the primitive table on SymPy values: tree and DAG sizes of
               d/dp1 and of the gradient -- the full gradient's shared DAG, each cotangent a
               product of table partials: a different shape from sympy.diff's.
    diff1      sympy.diff w.r.t. the first parameter (w1, wa1, x): tree, DAG
    diff       sympy.diff w.r.t. every parameter (reusing diff1's d/dp1: diff1's time counts in
               diff's time and budget): summed tree, DAG
    count_ops  count_ops of d/dp1 (walks the tree)
    cse1, cse  sympy.cse of d/dp1 / of the gradient: ops after cse
    lambdify   lambdify(cse=True) of the gradient (its time includes the cse), and its cost per
               call over one evaluation of the (lambdified) model, in CPU time
    nocse      lambdify of the gradient without cse (CPython's parser can refuse it: a result)
    simplify1, simplify   sympy.simplify of d/dp1 / of the gradient: tree after
    se_diff1, se_diff     SymEngine (the optional 'fast' extra): d/dp1 / the gradient of the same
               expression converted over its DAG; time of SymEngine's diff alone
    hess       (order 2) SymPy's Hessian: sympy.diff of every gradient entry w.r.t. every
               parameter (upper triangle, mirrored): summed tree of the n x n entries, DAG
    hess_cse   (order 2) sympy.cse of the Hessian: ops after cse
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

import sympy

from .. import models
from ..errors import BadOptionError
from ..symbolic.engine import symengine, to_symengine
from ..symbolic.expressions import build, flat_exprs
from ..symbolic.reverse import reverse_gradient
from ..symbolic.sizes import collapsed_ops, cse_ops, explicit_tree_size, tree_size
from ..symbolic.tangent import tangent_diff

# --- metric names --------------------------------------------------------------------------
TAN_TREE1, TAN_DAG1, TAN_S = "tan_tree1", "tan_dag1", "tan_s"
REV_TREE1, REV_DAG1, REV_TREE, REV_DAG, REV_S = "rev_tree1", "rev_dag1", "rev_tree", "rev_dag", "rev_s"
TAPE, COLLAPSED = "tape", "collapsed"
TREE1, DAG1, DIFF1_S = "tree1", "dag1", "diff1_s"
TREE, DAG, DIFF_S = "tree", "dag", "diff_s"
COUNT_OPS1, COUNT_OPS_S = "count_ops1", "count_ops_s"
CSE1_OPS, CSE1_S, CSE_OPS, CSE_S = "cse1_ops", "cse1_s", "cse_ops", "cse_s"
LAMBDIFY_S, COST_CSE = "lambdify_s", "cost_cse"
NOCSE_S, COST_NOCSE, NOCSE_ERROR = "lambdify_nocse_s", "cost_nocse", "nocse_error"
SIMPLIFY1_TREE, SIMPLIFY1_S, SIMPLIFY_TREE, SIMPLIFY_S = "simplify1_tree", "simplify1_s", "simplify_tree", "simplify_s"
SE_DIFF1_S, SE_TREE1, SE_DAG1 = "se_diff1_s", "se_tree1", "se_dag1"
SE_DIFF_S, SE_TREE, SE_DAG = "se_diff_s", "se_tree", "se_dag"
TREE1_EXPLICIT, REV_EQUAL1, TAN_EQUAL1 = "tree1_explicit", "rev_equal1", "tan_equal1"
H_TREE, H_DAG, H_S, H_CSE_OPS, H_CSE_S = "hess_tree", "hess_dag", "hess_s", "hess_cse_ops", "hess_cse_s"

EXPLICIT_MAX = 20_000      # cross-check the memoised count by walking trees up to this size
SE_CHECK_DAG = 300         # SymEngine's tree is counted (slowly) up to this expression DAG


class State:
    """One depth's model, built once in the sweep's process (children inherit it): the
    expression (symbols without assumptions: the same expressions, built fast at depth),
    its first parameter, ``held`` -- what a step computed for its dependents -- and
    ``spent``, the CPU seconds of the steps whose time a dependent includes."""

    def __init__(self, model, xp=None):
        self.model, self.params, self.xp = model, model.params, xp
        self.me = build(model, self.params, real=False, xp=xp)
        self.syms = self.me.flat_params()
        self.p1 = self.syms[0]
        self.held, self.spent = {}, {}


def chain_model(name, depth, width):
    if name == "logistic_map":
        return models.get(name, n=depth)
    if name == "softplus_chain":
        return models.get(name, depth=depth, width=width)
    raise BadOptionError(f"swell sweeps softplus_chain (depth) or logistic_map (n), got {name!r}")


def _cpu(fn):
    """(fn(), CPU seconds of this thread). Not process_time: under RLIMIT_CPU (a budgeted
    child) the kernel's process clock only advances by ticks; the thread clock stays exact,
    and a step runs in one thread."""
    t0 = time.thread_time()
    r = fn()
    return r, time.thread_time() - t0


def _per_call(fn, vals, min_time=0.01, rounds=3):
    """CPU seconds per call (best of ``rounds``, each >= min_time): the ratio of two such
    timings in one process is what the cost columns report."""
    loops = 1
    while True:
        t0 = time.thread_time()
        for _ in range(loops):
            fn(*vals)
        t = time.thread_time() - t0
        if t >= min_time or loops >= 100_000:
            break
        loops *= 4
    best = t / loops
    for _ in range(rounds - 1):
        t0 = time.thread_time()
        for _ in range(loops):
            fn(*vals)
        best = min(best, (time.thread_time() - t0) / loops)
    return best


def _lambdify_cost(st, g, cse):
    """(seconds to lambdify the gradient, its cost per call over one model evaluation)."""
    m, me = st.model, st.me
    args = me.flat_params() + me.data_args()
    vals = [float(v) for v in st.params.values()] + [float(m.data[k]) for k in me.data_syms]
    fn, t = _cpu(lambda: sympy.lambdify(args, g, modules="math", cse=cse))
    model = sympy.lambdify(args, me.expr, modules="math", cse=True)
    return t, _per_call(fn, vals) / _per_call(model, vals)


def _gradient(st):
    return st.held["g"] if "g" in st.held else [st.held["g1"]]


# --- the measured part of each step (CPU seconds of the step's own process) ---------------

def _tan(st):
    g, t = _cpu(lambda: tangent_diff(st.me.expr, st.p1))
    (t1,), dag1 = tree_size([g])
    return {TAN_TREE1: t1, TAN_DAG1: dag1, TAN_S: t}


def _dag(st):
    (grads, sweep_tape, tape), t = _cpu(lambda: reverse_gradient(st.model, st.params, st.me, st.xp))
    flat = flat_exprs(grads)
    (t1,), dag1 = tree_size(flat[:1])
    trees, dag = tree_size(flat)
    return {REV_TREE1: t1, REV_DAG1: dag1, REV_TREE: sum(trees), REV_DAG: dag, REV_S: t,
            TAPE: len(tape), COLLAPSED: collapsed_ops(sweep_tape)[0]}


def _diff1(st):
    g, t = _cpu(lambda: sympy.diff(st.me.expr, st.p1))
    st.held["g1"], st.spent["diff1"] = g, t
    (t1,), dag1 = tree_size([g])
    return {TREE1: t1, DAG1: dag1, DIFF1_S: t}


def _diff(st):
    if "g1" in st.held:       # d/dp1 from the diff1 step: its time counts here, and in the budget
        rest, t = _cpu(lambda: [sympy.diff(st.me.expr, s) for s in st.syms[1:]])
        g, t = [st.held["g1"]] + rest, t + st.spent["diff1"]
    else:
        g, t = _cpu(lambda: [sympy.diff(st.me.expr, s) for s in st.syms])
    st.held["g"], st.spent["diff"] = g, t
    trees, dag = tree_size(g)
    return {TREE: sum(trees), DAG: dag, DIFF_S: t}


def _count_ops(st):
    n, t = _cpu(lambda: int(sympy.count_ops(st.held["g1"])))
    return {COUNT_OPS1: n, COUNT_OPS_S: t}


def _cse1(st):
    r, t = _cpu(lambda: sympy.cse(st.held["g1"]))
    return {CSE1_OPS: cse_ops(*r), CSE1_S: t}


def _cse(st):
    r, t = _cpu(lambda: sympy.cse(_gradient(st)))
    return {CSE_OPS: cse_ops(*r), CSE_S: t}


def _lambdify(st):
    t, cost = _lambdify_cost(st, _gradient(st), cse=True)
    return {LAMBDIFY_S: t, COST_CSE: cost}


def _nocse(st):
    try:
        t, cost = _lambdify_cost(st, _gradient(st), cse=False)
    except (RecursionError, SyntaxError, MemoryError) as e:
        return {NOCSE_ERROR: f"{type(e).__name__}: {str(e).splitlines()[0][:80] if str(e) else ''}"}
    return {NOCSE_S: t, COST_NOCSE: cost}


def _simplify1(st):
    g, t = _cpu(lambda: sympy.simplify(st.held["g1"]))
    return {SIMPLIFY1_TREE: tree_size([g])[0][0], SIMPLIFY1_S: t}


def _simplify(st):
    g, t = _cpu(lambda: [sympy.simplify(e) for e in _gradient(st)])
    return {SIMPLIFY_TREE: sum(tree_size(g)[0]), SIMPLIFY_S: t}


def _se(one):
    key_s = SE_DIFF1_S if one else SE_DIFF_S

    def run(st):
        se = symengine()
        e, *ps = to_symengine([st.me.expr] + ([st.p1] if one else st.syms), se)
        g, t = _cpu(lambda: [e.diff(p) for p in ps])
        st.held["se1" if one else "se"] = g
        return {key_s: t}
    return run


def _hess(st):
    g = _gradient(st)
    n = len(st.syms)

    def hessian():
        h = [[None] * n for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                h[i][j] = h[j][i] = sympy.diff(g[i], st.syms[j])
        return [e for row in h for e in row]
    h, t = _cpu(hessian)
    st.held["h"] = h
    trees, dag = tree_size(h)
    return {H_TREE: sum(trees), H_DAG: dag, H_S: t + st.spent.get("diff", 0.0)}


def _hess_cse(st):
    r, t = _cpu(lambda: sympy.cse(st.held["h"]))
    return {H_CSE_OPS: cse_ops(*r), H_CSE_S: t}


# --- unbudgeted checks after a step (outside its measured time and budget) ----------------

def _check_diff1(st):
    g, out = st.held["g1"], {}
    if tree_size([g])[0][0] <= EXPLICIT_MAX:
        out[TREE1_EXPLICIT] = explicit_tree_size(g)
        out[REV_EQUAL1] = bool(flat_exprs(reverse_gradient(st.model, st.params, st.me)[0])[0] == g)
    out[TAN_EQUAL1] = bool(tangent_diff(st.me.expr, st.p1) == g)
    return out


def _check_se(one):
    tree_key, dag_key = (SE_TREE1, SE_DAG1) if one else (SE_TREE, SE_DAG)

    def check(st):            # SymEngine's tree, counted like SymPy's (slow past a few 1000 nodes)
        if tree_size([st.me.expr])[1] > SE_CHECK_DAG:
            return {}
        trees, dag = tree_size(st.held["se1" if one else "se"])
        return {tree_key: sum(trees), dag_key: dag}
    return check


# --- the table of steps ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Step:
    name: str
    run: Callable                       # State -> {metric: value}; holds what dependents need
    needs: str | None = None            # the step whose process holds this step's input
    reuses: str | None = None           # a step whose result this one reuses when it runs too
    engine: str = "SymPy"               # whose work is timed: "SymPy", "SymEngine", "our sweep"
    budget: Callable = lambda b: b      # the step's CPU budget from the sweep's budget
    includes: str | None = None         # a prerequisite whose time counts in this step's budget
    check: Callable | None = None       # unbudgeted checks after the step, beside its dependents


STEP_TABLE = {s.name: s for s in (
    Step("tan", _tan, engine="our sweep", budget=lambda b: max(30.0, 6 * b)),
    Step("dag", _dag, engine="our sweep", budget=lambda b: 2 * b),
    Step("diff1", _diff1, check=_check_diff1),
    Step("diff", _diff, reuses="diff1", includes="diff1"),
    Step("count_ops", _count_ops, needs="diff1"),
    Step("cse1", _cse1, needs="diff1"),
    Step("cse", _cse, needs="diff"),
    Step("lambdify", _lambdify, needs="diff"),
    Step("nocse", _nocse, needs="diff"),
    Step("simplify1", _simplify1, needs="diff1"),
    Step("simplify", _simplify, needs="diff"),
    Step("se_diff1", _se(True), engine="SymEngine", check=_check_se(True)),
    Step("se_diff", _se(False), engine="SymEngine", check=_check_se(False)),
    Step("hess", _hess, needs="diff", includes="diff"),
    Step("hess_cse", _hess_cse, needs="hess"),
)}
STEPS = ("tan", "dag", "diff1", "diff", "count_ops", "cse1", "cse", "lambdify", "nocse", "simplify1", "simplify")
SE_STEPS = ("se_diff1", "se_diff")
SE_DEFAULT = ("se_diff1",)               # added by symengine=True (se_diff on request: steps=)
HESSIAN_STEPS = ("dag", "diff1", "diff", "cse", "hess", "hess_cse")
# For a one-parameter model (the logistic map) the gradient IS d/dp1: these gradient steps
# would repeat their d/dp1 twin's work exactly, so they are not run; their columns are the
# twin's, their status "same as" the twin.
ALIASES = {"diff": "diff1", "cse": "cse1", "simplify": "simplify1", "se_diff": "se_diff1"}
ALIAS_KEYS = {"diff": ((TREE, TREE1), (DAG, DAG1), (DIFF_S, DIFF1_S)),
              "cse": ((CSE_OPS, CSE1_OPS), (CSE_S, CSE1_S)),
              "simplify": ((SIMPLIFY_TREE, SIMPLIFY1_TREE), (SIMPLIFY_S, SIMPLIFY1_S)),
              "se_diff": ((SE_TREE, SE_TREE1), (SE_DAG, SE_DAG1), (SE_DIFF_S, SE_DIFF1_S))}


def measure(st, name):
    """Run step ``name`` on the depth's state; its budget is enforced by its process."""
    return STEP_TABLE[name].run(st)


def budget_of(st, name, budget):
    """The CPU seconds step ``name``'s process gets: its rule, less the time of the
    prerequisite whose work it includes (diff reuses diff1's d/dp1, so diff1's time counts
    in diff's budget)."""
    step = STEP_TABLE[name]
    return max(step.budget(budget) - included(st, name), 0.01)


def included(st, name):
    """CPU seconds of the prerequisite work step ``name`` includes (0 when it ran alone)."""
    inc = STEP_TABLE[name].includes
    return st.spent.get(inc, 0.0) if inc is not None else 0.0
