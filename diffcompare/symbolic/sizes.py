"""Expression sizes, counted over the DAG: what a printed formula shows (the tree), what a
computer could share (the DAG), and what evaluating it costs after ``cse``.

Every count here is iterative and memoised per distinct subexpression, so a tree of 10^60
nodes is counted in time linear in its DAG (Python ints never overflow).
"""
from __future__ import annotations

import sympy

__all__ = ["dag_fold", "tree_size", "explicit_tree_size", "cse_ops", "fast_cse", "collapsed_ops"]


def dag_fold(exprs, combine):
    """Fold over the DAG of expressions (anything with ``.args``: SymPy or SymEngine) in
    post-order, once per distinct subexpression and without recursion:
    ``combine(node, [results of its args]) -> result``. Returns (root results, memo)."""
    memo = {}
    out = []
    for root in exprs:
        stack = [root]
        while stack:
            e = stack[-1]
            if e in memo:
                stack.pop()
                continue
            args = e.args
            pending = [a for a in args if a not in memo]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            memo[e] = combine(e, [memo[a] for a in args])
        out.append(memo[root])
    return out, memo


def tree_size(exprs):
    """(tree sizes, DAG size) of SymPy (or SymEngine) expressions: the tree size of a node is
    1 + the tree sizes of its args; DAG size = number of distinct subexpressions (atoms
    included) over all ``exprs`` together."""
    sizes, memo = dag_fold(exprs, lambda e, a: 1 + sum(a))
    return sizes, len(memo)


def explicit_tree_size(expr):
    """The tree size by walking every node of the printed tree (only for small trees)."""
    return sum(1 for _ in sympy.preorder_traversal(expr))


def cse_ops(replacements, reduced):
    """Operation count (``count_ops``) of a ``sympy.cse`` result: what evaluating it costs."""
    return int(sum(sympy.count_ops(v) for _, v in replacements) + sum(sympy.count_ops(v) for v in reduced))


def fast_cse(exprs):
    """SymPy's core common-subexpression pass alone (``tree_cse``, linear in the DAG),
    without ``cse``'s Add/Mul argument matching, which costs 10x more on a DAG that the
    reverse sweep already shares."""
    from sympy.simplify.cse_main import tree_cse
    return tree_cse(exprs, sympy.numbered_symbols("x"), opt_subs={}, order="none")


def collapsed_ops(tape_syms):
    """Ops of a symbolic tape whose SymPy result is not of the op's own kind because
    SymPy's automatic evaluation rewrote it (``exp(log(z)) -> z``): (count, examples)."""
    n, examples = 0, []
    probe = sympy.Dummy("u", real=True)
    for prim, links, args, out, kw in tape_syms.entries:
        if prim is None or not prim.elementwise or prim.nargs != 1 or not isinstance(out, sympy.Basic):
            continue
        kind = prim.sym(probe).func
        if out.func is not kind and kind not in (sympy.Mul, sympy.Pow, sympy.Add):
            n += 1
            if len(examples) < 3:
                examples.append(f"{prim.name}({_short(args[0])}) -> {_short(out)}")
    return n, examples


def _short(e, n=40):
    s = str(e)
    return s if len(s) <= n else s[: n - 3] + "..."
