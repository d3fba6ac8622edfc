"""The symbolic tangent sweep: ``d expr / d s`` over the expression's DAG, each derivative
node built once -- the SAME expression ``sympy.diff(expr, s)`` returns (checked by ``==`` in
the tests), in time linear in the DAG instead of in the tree.

The rules are the ones ``sympy.diff`` applies node by node: an n-ary ``Mul`` by Leibniz
(``Mul(*args with one arg differentiated)``, summed: SymPy's ``_eval_derivative_n_times``),
``Add`` termwise, ``Pow`` as ``self*(e' log b + b' e/b)``; a one-argument function takes its
partial from the primitive table (``exp: out``, ``log: 1/x``, ...; SymPy's ``fdiff`` for a
function the table lacks) times the argument's tangent. SymPy's nodes are n-ary and
flattened, which the table's binary add/mul cannot mirror; so Add/Mul/Pow follow SymPy, and
everything is built with SymPy's automatic evaluation so the result is SymPy's canonical
form. ``sympy.diff`` itself re-differentiates shared subexpressions (and walks the whole
tree in ``free_symbols``), which is why it stops at n ~ 17 on the logistic map while this
sweep goes on.
"""
from __future__ import annotations

import bisect
from functools import cmp_to_key

import sympy

from .reverse import ExactRules
from .sizes import dag_fold

__all__ = ["tangent_diff"]


def _depends(expr, s):
    """node -> whether it depends on ``s``, for every node of the DAG (iterative)."""
    return dag_fold([expr], lambda e, deps: any(deps) if e.args else e == s)[1]


def tangent_diff(expr, s, verify=False):
    """``d expr / d s`` as ``sympy.diff`` builds it (see the module docstring). ``verify``
    checks every product built by the fast path against SymPy's own ``Mul`` (tests)."""
    Add, S = sympy.Add, sympy.S
    dep = _depends(expr, s)
    table = ExactRules().table_partials()
    muls = _Products(verify)
    memo = {}
    stack = [expr]
    while stack:
        e = stack[-1]
        if e in memo:
            stack.pop()
            continue
        if not dep[e]:
            memo[e] = S.Zero
            stack.pop()
            continue
        if e == s:
            memo[e] = S.One
            stack.pop()
            continue
        pend = [a for a in e.args if dep[a] and a not in memo]
        if pend:
            stack.extend(pend)
            continue
        stack.pop()
        args = list(e.args)
        if e.is_Add:
            r = Add(*[memo[a] for a in args if dep[a]])
        elif e.is_Mul:
            keys = muls.keys(e)
            r = Add(*[muls.replace(e, keys, i, memo[a]) for i, a in enumerate(args) if dep[a]])
        elif e.is_Pow:
            b, x = args
            db = memo[b] if dep[b] else S.Zero
            dx = memo[x] if dep[x] else S.Zero
            r = e * (dx * sympy.log(b) + db * x / b)
        elif type(e)._eval_derivative is not sympy.Function._eval_derivative:
            r = e._eval_derivative(s)             # a node with its own rule (Abs, Max...)
        else:
            terms = []
            for i, a in enumerate(args, 1):
                if not dep[a] or memo[a] is S.Zero:
                    continue
                part = table.get(e.func) if len(args) == 1 else None
                df = part(e, a) if part is not None else e.fdiff(i)
                da = memo[a]
                terms.append(muls.replace(da, muls.keys(da), None, df) if da.is_Mul else df * da)
            r = Add(*terms)
        memo[e] = r
    return memo[expr]


def _gather_key(o):
    b, x = o.as_base_exp()
    return b, x.as_coeff_Mul()[1]


class _Products:
    """The Mul fast path, for one sweep.

    SymPy's ``Mul(*factors)`` sorts and re-gathers all k factors of a flat product (k log k
    deep comparisons), so a chain's derivative -- one product of ~4d factors, grown by one
    factor per level -- costs O(d^2 log d) in SymPy. When the product is already canonical
    (one leading number at most) and the new factor cannot combine with any other (its
    gather key (base, exponent without its numeric coefficient) is new, as in
    ``Mul.flatten``'s ``_gather``), ``Mul.flatten`` would return the old factors plus the
    new one in sorted position: built here directly by binary insertion. Anything else
    goes to SymPy. The gather keys of the products built are kept here, per sweep."""

    def __init__(self, verify=False):
        self.verify = verify
        self._keys = {}
        self._cmp = cmp_to_key(sympy.Basic.compare)

    def keys(self, m):
        """Gather keys of a Mul's non-number factors (None: not a plain canonical product)."""
        got = self._keys.get(m, False)
        if got is not False:
            return got
        args = m.args
        start = 1 if args and args[0].is_Number else 0
        if any(a.is_Number or not a.is_commutative or (a.is_Pow and a.base.is_Number) for a in args[start:]):
            return None
        keys = {}
        for a in args[start:]:
            k = _gather_key(a)
            if k in keys:
                return None
            keys[k] = a
        self._keys[m] = keys
        return keys

    def replace(self, m, keys, i, new):
        """``Mul(*(m.args with arg i replaced by new))`` -- or, with i None, ``Mul(new, m)`` --
        as SymPy builds it, by the fast path where it provably applies."""
        args = list(m.args)
        slow = args[:i] + [new] + args[i + 1:] if i is not None else [new] + args
        if i is not None and new.is_Mul and not args[i].is_Number:
            # a small product whose one factor's tangent is a big product: insert the others
            # into the big one
            r = self._insert(new, self.keys(new), args[:i] + args[i + 1:], None)
        else:
            r = self._insert(m, keys, [new], i)
        if r is None:
            return sympy.Mul(*slow)
        if self.verify:
            want = sympy.Mul(*slow)
            assert r == want, (r, want)
        return r

    def _insert(self, m, keys, extras, drop):
        """m's factors (minus factor ``drop``) plus ``extras`` in canonical order, if no
        factor can combine with another (else None: SymPy decides)."""
        if keys is None:
            return None
        args = list(m.args)
        coeff = args[:1] if args[0].is_Number else []
        rest = args[len(coeff):]
        if drop is not None:
            if args[drop].is_Number:
                return None
            del rest[drop - len(coeff)]
        dropped_key = _gather_key(args[drop]) if drop is not None else None
        seen = set()
        for f in extras:
            if (f.is_Number or f.is_Mul or not f.is_commutative or f is sympy.S.Zero
                    or (f.is_Pow and f.base.is_Number)):
                return None
            k = _gather_key(f)
            if (k in keys and k != dropped_key) or k in seen:
                return None
            seen.add(k)
        if len(coeff) + len(rest) + len(extras) <= 2:      # SymPy's 2-arg rules (distribution)
            return None
        for f in extras:
            rest.insert(bisect.bisect_left(rest, self._cmp(f), key=self._cmp), f)
        r = sympy.Mul._from_args(coeff + rest, True)
        if r not in self._keys:
            nk = dict(keys)
            if dropped_key is not None:
                del nk[dropped_key]
            for f in extras:
                nk[_gather_key(f)] = f
            self._keys[r] = nk
        return r
