"""The symbolic Hessian: SymPy's second derivatives of the SAME model, lambdified with cse,
under the same budget as the gradient.

The gradient comes as in ``method`` (``sympy.diff`` by each parameter, or the reverse sweep
past AUTO_DIFF_MAX parameters); the Hessian is ``sympy.diff`` of each gradient entry by each
parameter -- the upper triangle, n(n+1)/2 expressions (second derivatives commute), mirrored
when evaluated. Its sizes are recorded beside the gradient's: SymPy's Hessian of the lecture's
chain is tens of times the gradient's tree at a few layers, which is the swell the slide's
"often intractable" is about (``diffcompare swell --order 2`` measures it against depth).

    >>> call = make_hessian(f, params)                    # doctest: +SKIP
    >>> value, H, stats = call(params)                    # H: (n, n) in params.Layout order
"""
from __future__ import annotations

import time

import numpy as np
import sympy

from .defaults import SETUP_BUDGET
from .evaluate import compile_exprs
from .method import built_gradient, compiled, cse_parts, drop_deltas
from .sizes import tree_size

__all__ = ["make_hessian", "hessian_exprs"]


def hessian_exprs(grads, syms):
    """The upper triangle of the Hessian, row by row: ``d grads[i] / d syms[j]``, j >= i."""
    n = len(syms)
    return [drop_deltas(sympy.diff(grads[i], syms[j])) for i in range(n) for j in range(i, n)]


def _prepare(f, params, per_sample, cse, engine, evaluator):
    """Child side of ``make_hessian``: build, the gradient, the Hessian, cse, a trial
    compile. Returns flat, picklable pieces (the value, then the upper triangle)."""
    me, engine, grads, build_s, diff_s = built_gradient(f, params, per_sample, engine)
    t2 = time.perf_counter()
    upper = hessian_exprs(grads, me.flat_params())
    t3 = time.perf_counter()
    n = len(grads)
    mirrored = [upper[_upper_index(n, min(i, j), max(i, j))] for i in range(n) for j in range(n)]
    (tree_f,), _ = tree_size([me.expr])
    g_trees, g_dag = tree_size(grads)
    h_trees, h_dag = tree_size(mirrored)
    repl, red, ops = cse_parts([me.expr] + upper, cse, fast=engine == "reverse")
    t4 = time.perf_counter()
    args = me.flat_params() + me.data_args()
    compile_exprs(args, repl, red, evaluator)
    t5 = time.perf_counter()
    stats = {"engine": engine, "n": n, "expr_tree": tree_f, "grad_tree": sum(g_trees), "grad_dag": g_dag,
             "hess_tree": sum(h_trees), "dag_size": h_dag, "build_s": build_s, "diff_s": diff_s,
             "hess_diff_s": t3 - t2, "cse_s": t4 - t3, "lambdify_s": t5 - t4}
    if ops is not None:
        stats["cse_ops"] = ops
    return me, repl, red, args, stats


def _upper_index(n, i, j):
    """Position of (i, j), i <= j, in the row-by-row upper triangle of an n x n matrix."""
    return i * n - i * (i - 1) // 2 + (j - i)


def make_hessian(f, params, budget=SETUP_BUDGET, cse=True, per_sample=True, engine="auto", evaluator="auto"):
    """The symbolic Hessian's backend: ``call(params) -> (value, H, stats)`` with ``H`` the
    (n, n) Hessian over the flattened params in ``params.Layout`` order. Setup (build, the
    gradient, its derivatives, cse, compile) runs in a child under ``budget`` CPU seconds
    (IntractableError past it); ``stats`` holds the sizes (``hess_tree``, ``dag_size``,
    ``cse_ops`` beside ``grad_tree``, ``grad_dag``) and the times, as the gradient's do."""
    outputs, _, stats = compiled(_prepare, f, params, budget, cse, per_sample, engine, evaluator,
                                 what="symbolic Hessian setup (diff, diff, cse, lambdify)")
    n = stats["n"]
    rows, cols = np.triu_indices(n)

    def call(params):
        out = outputs(params)
        H = np.empty((n, n))
        H[rows, cols] = out[1:]
        H[cols, rows] = out[1:]
        return float(out[0]), H, dict(stats)
    return call
