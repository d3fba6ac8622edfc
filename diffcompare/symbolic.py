"""The ``symbolic`` method: SymPy gradients of the SAME model, plus the pieces the swell
experiment measures (expression sizes counted over the DAG, the symbolic reverse sweep,
budgeted SymPy steps).

How a model becomes an expression: params become real SymPy symbols (arrays become object
arrays of symbols ``W1_0_1``...), scalar float data become symbols too (``x``, so the
expression is the lecture's ``D[Log[1+Exp[w x+b]], w]``, and the value is passed at call
time), and per-sample data arrays are replaced by ONE symbolic row. Why one row and not
object arrays of all N samples: a model that reduces over samples (``xp.mean``/``xp.sum``)
is ``mean_i g(params, row_i)``, so differentiating ``g`` once and evaluating the lambdified
derivative over the data columns (numpy broadcasting) gives the gradient at a cost that does
not grow with N; substituting all N rows would differentiate N copies. The decomposition is
checked numerically in ``make`` (mean, then sum, against ``f(params, NUMPY)`` at two points);
a model that is not a per-sample mean or sum (it normalises over the batch, say) falls back
to substituting the full data, which is always correct -- ``stats["per_sample"]`` says which.

Budgets: SymPy cannot be interrupted reliably inside a thread (long C-level big-int work,
``compile`` of huge generated code), so every budgeted step runs in a forked child that the
parent kills when the budget passes; past it, an ``IntractableError`` -- a finding, never a
hang. ``fork`` shares the parent's imported SymPy for free (a few ms per child).
"""
from __future__ import annotations

import dataclasses
import multiprocessing as mp
import sys
import time

import numpy as np
import sympy

from .errors import DiffcompareError, IntractableError
from .namespaces import NUMPY, SYMPY

__all__ = ["make", "ModelExpr", "build", "tree_size", "explicit_tree_size", "cse_ops",
           "reverse_gradient", "tangent_diff", "SymbolicSetupError", "run_budgeted", "exact", "collapsed_ops", "DEFAULT_BUDGET",
           "memo_namespace"]

DEFAULT_BUDGET = 20.0


class SymbolicSetupError(DiffcompareError):
    """An unexpected failure inside the symbolic setup (a table rule that does not run on
    SymPy values, say): reported with the exception's type and message, never raw."""


# --- exact constants -----------------------------------------------------------------------

def exact(v):
    """A Python float as an exact SymPy number (1.0 -> 1, 0.5 -> 1/2): the table's partials
    are written with float literals, and ``1.0*x`` would stay a distinct node in SymPy."""
    if v.__class__ is float:
        return sympy.Integer(int(v)) if v.is_integer() else sympy.Rational(v)
    return v


def as_expr(v):
    """A number or a SymPy expression as a SymPy expression (numbers only: never text)."""
    if isinstance(v, sympy.Basic):
        return v
    if isinstance(v, (int, np.integer)):
        return sympy.Integer(int(v))
    return sympy.Float(float(v))


def _exact_expr(e):
    if isinstance(e, sympy.Basic):
        fl = e.atoms(sympy.Float)
        if fl:
            e = e.xreplace({f: exact(float(f)) for f in fl})
        return e
    return exact(e)


# --- the model as an expression -------------------------------------------------------------

@dataclasses.dataclass
class ModelExpr:
    expr: object                 # the model's output as a SymPy expression
    params: dict                 # name -> Symbol or object array of Symbols
    data_syms: dict              # scalar data name -> Symbol
    row_syms: dict               # per-sample data name -> object array (1, ...) of Symbols
    n_samples: int               # 0 when no per-sample data
    substituted: bool = False    # full data substituted (not per-sample)

    def flat_params(self):
        out = []
        for v in self.params.values():
            out.extend(v.ravel().tolist() if isinstance(v, np.ndarray) else [v])
        return out

    def data_args(self):
        out = list(self.data_syms.values())
        for v in self.row_syms.values():
            out.extend(v.ravel().tolist())
        return out


def _symbols(name, value, real=True):
    if isinstance(value, np.ndarray):
        arr = np.empty(value.shape, dtype=object)
        for idx in np.ndindex(value.shape):
            arr[idx] = sympy.Symbol("_".join([name, *map(str, idx)]), real=real)
        return arr
    return sympy.Symbol(name, real=real)


def _sample_arrays(data):
    """Data entries that are float arrays sharing one leading (sample) axis."""
    arrs = {k: v for k, v in data.items()
            if isinstance(v, np.ndarray) and v.ndim >= 1 and v.dtype.kind == "f"}
    if not arrs:
        return {}, 0
    n = {v.shape[0] for v in arrs.values()}
    if len(n) != 1:
        return {}, 0
    return arrs, n.pop()


def memo_namespace(memo):
    """SYMPY with every elementwise function memoised in ``memo`` (a dict kept by the
    caller): building a deeper model again after a shallower one reuses the shallower
    layers' nodes (``exp``/``log`` evaluation asks assumptions, ~7 ms a layer). SymPy is
    deterministic, so the expressions are the same as a fresh build's (tested with ==)."""
    from .namespaces import Namespace
    from .primitives import ROWS
    fns = {}
    for r in ROWS:
        base = getattr(SYMPY, r.name)
        if not r.elementwise:
            fns[r.name] = base
            continue

        def f(*args, _name=r.name, _base=base):
            if any(isinstance(a, np.ndarray) for a in args):
                return _base(*args)
            key = (_name,) + args
            got = memo.get(key)
            if got is None:
                got = memo[key] = _base(*args)
            return got
        fns[r.name] = f
    fns["name"] = SYMPY.name
    return Namespace("SYMPY", fns)


def build(f, params, per_sample=True, symbolic_scalars=True, real=True, xp=None):
    """Run ``f`` over SymPy symbols: see the module docstring for how data are treated.

    ``real=False`` makes symbols without assumptions: the same expression for the
    catalogue's chains, built far faster at depth (with real symbols, ``exp``'s evaluation
    asks ``is_zero`` of its argument, which walks the whole uncached argument tree --
    quadratic or worse in the depth)."""
    psyms = {k: _symbols(k, np.asarray(v) if isinstance(v, np.ndarray) else v, real)
             for k, v in params.items()}
    data = dict(getattr(f, "data", {}) or {})
    kwargs, dsyms, rsyms, n = {}, {}, {}, 0
    if symbolic_scalars:
        for k, v in data.items():
            if isinstance(v, float):
                dsyms[k] = kwargs[k] = sympy.Symbol(k, real=real)
    arrs, n_all = _sample_arrays(data)
    if arrs and per_sample:
        n = n_all
        for k, v in arrs.items():
            rsyms[k] = kwargs[k] = _symbols(k, np.empty((1,) + v.shape[1:]), real)
    elif arrs:
        for k, v in arrs.items():
            kwargs[k] = np.array([exact(float(t)) for t in v.ravel()], dtype=object).reshape(v.shape)
    xp = SYMPY if xp is None else xp
    expr = f(psyms, xp, **kwargs) if kwargs else f(psyms, xp)
    if isinstance(expr, np.ndarray):
        expr = expr.reshape(-1)[0] if expr.size == 1 else expr
    expr = as_expr(expr)
    return ModelExpr(expr, psyms, dsyms, rsyms, n, substituted=bool(arrs) and not per_sample)


# --- sizes counted over the DAG -------------------------------------------------------------

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
    1 + the tree sizes of its args, memoised per distinct subexpression, so a tree of 10^60
    nodes is counted in time linear in its DAG (Python ints never overflow). DAG size =
    number of distinct subexpressions (atoms included) over all ``exprs`` together."""
    sizes, memo = dag_fold(exprs, lambda e, a: 1 + sum(a))
    return sizes, len(memo)


def explicit_tree_size(expr):
    """The tree size by walking every node of the printed tree (only for small trees)."""
    return sum(1 for _ in sympy.preorder_traversal(expr))


def cse_ops(replacements, reduced):
    """Operation count (``count_ops``) of a ``sympy.cse`` result: what evaluating it costs."""
    return int(sum(sympy.count_ops(v) for _, v in replacements) + sum(sympy.count_ops(v) for v in reduced))


def collapsed_ops(tape_syms):
    """Ops of the tape whose SymPy result is not of the op's own kind because SymPy's
    automatic evaluation rewrote it (``exp(log(z)) -> z``): (count, examples)."""
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


# --- the symbolic reverse sweep --------------------------------------------------------------

_EXACT_PRIMS = {}


def _exact_partial(p):
    """A table partial evaluated as a small template on placeholder symbols, its float
    literals made exact, then the real arguments substituted (``xreplace`` walks only the
    template, never the big argument expressions)."""
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
            t = templates[key] = (ds, _exact_expr(p(xp, *shown)))
        ds, tmpl = t
        if not isinstance(tmpl, sympy.Basic):
            return tmpl
        return tmpl.xreplace({d: v for d, v in zip(ds, vals) if d is not None})
    return q


def _exact_prim(prim):
    if prim is None or prim.partials is None:
        return prim
    q = _EXACT_PRIMS.get(prim.name)
    if q is None:
        q = _EXACT_PRIMS[prim.name] = dataclasses.replace(
            prim, partials=tuple(_exact_partial(p) for p in prim.partials))
    return q


def symbolic_tape(f, params, mexpr=None, xp=None):
    """Record ``f`` with the tracer on the params' numbers, then replay the tape on SymPy
    values (same ops, ``prim.sym`` primals): a Tape whose values are expressions. Control
    flow is the numeric run's (the catalogue models have none that depends on values)."""
    from . import tracer
    mexpr = build(f, params) if mexpr is None else mexpr
    data = dict(getattr(f, "data", {}) or {})
    traced_data = {k: data[k] for k in mexpr.data_syms}
    syms = dict(mexpr.params, **mexpr.data_syms)
    if mexpr.row_syms:
        fn = f.with_data(**{k: np.asarray(data[k])[:1] for k in mexpr.row_syms})
    else:
        fn = f
    tape = tracer.record(fn, params, traced_data)
    row_vals = {}
    for k in mexpr.row_syms:
        row_vals[id(fn.data[k])] = mexpr.row_syms[k]
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
        v = (getattr(xp or SYMPY, prim.name) if prim.elementwise else prim.sym)(*a, **(kw or {}))
        vals.append(v)
        st.entries.append((_exact_prim(prim), links, tuple(a), v, kw))
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


def flat_exprs(grads):
    out = []
    for g in grads.values():
        out.extend(np.asarray(g, dtype=object).ravel().tolist() if isinstance(g, np.ndarray) else [g])
    return [as_expr(e) for e in out]


# --- the symbolic tangent sweep (d/d one symbol, SymPy's own form) ---------------------------

def tangent_diff(expr, s):
    """d expr / d s by a forward (tangent) sweep over the expression's DAG, each derivative
    node memoised and built once -- the SAME expression ``sympy.diff(expr, s)`` returns
    (checked by ``==`` in the tests), in time linear in the DAG instead of in the tree.

    The rules are the ones ``sympy.diff`` applies node by node: an n-ary ``Mul`` by Leibniz
    (``Mul(*args with one arg differentiated)``, summed: SymPy's ``_eval_derivative_n_times``),
    ``Add`` termwise, ``Pow`` as ``self*(e' log b + b' e/b)``; a one-argument function takes
    its partial from the primitive table (``exp: out``, ``log: 1/x``, ...; SymPy's ``fdiff``
    for a function the table lacks) times the argument's tangent. SymPy's nodes are n-ary
    and flattened, which the table's binary add/mul cannot mirror; so Add/Mul/Pow follow
    SymPy, and everything is constructed with SymPy's automatic evaluation so the result is
    SymPy's canonical form. ``sympy.diff`` itself re-differentiates shared subexpressions
    (and walks the whole tree in ``free_symbols``), which is why it stops at n ~ 17 on the
    logistic map while this sweep goes on."""
    Add, S = sympy.Add, sympy.S
    dep = {}
    stack = [expr]
    while stack:                                  # which nodes depend on s (memoised)
        e = stack[-1]
        if e in dep:
            stack.pop()
            continue
        if not e.args:
            dep[e] = e == s
            stack.pop()
            continue
        pend = [a for a in e.args if a not in dep]
        if pend:
            stack.extend(pend)
            continue
        stack.pop()
        dep[e] = any(dep[a] for a in e.args)
    table = _table_partials()
    _KEYS.clear()
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
            keys = _mul_keys(e)
            r = Add(*[_mul_replace(e, keys, i, memo[a]) for i, a in enumerate(args) if dep[a]])
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
                if not dep[a] or memo[a] is sympy.S.Zero:
                    continue
                part = table.get(e.func) if len(args) == 1 else None
                df = part(e, a) if part is not None else e.fdiff(i)
                da = memo[a]
                terms.append(_mul_replace(da, _mul_keys(da), None, df) if da.is_Mul else df * da)
            r = Add(*terms)
        memo[e] = r
    _KEYS.clear()
    return memo[expr]


# Mul fast path. SymPy's Mul(*factors) sorts and re-gathers all k factors of a flat product
# (k log k deep comparisons), so a chain's derivative -- one product of ~4d factors, grown by
# one factor per level -- costs O(d^2 log d) in SymPy. When the product is already canonical
# (one leading number at most) and the new factor cannot combine with any other (its gather
# key (base, exponent without its numeric coefficient) is new, as in Mul.flatten's _gather),
# Mul.flatten would return the old factors plus the new one in sorted position: built here
# directly by binary insertion. Anything else goes to SymPy. VERIFY (tests) checks each
# fast result against SymPy's own Mul with ==.
VERIFY = False
_CMP = None


def _mul_key(o):
    b, x = o.as_base_exp()
    return b, x.as_coeff_Mul()[1]


_KEYS = {}     # Mul -> its gather keys, filled as the fast path builds products


def _mul_keys(m):
    """Gather keys of a Mul's non-number factors (None: not a plain canonical product)."""
    got = _KEYS.get(m, False)
    if got is not False:
        return got
    args = m.args
    start = 1 if args and args[0].is_Number else 0
    if any(a.is_Number or not a.is_commutative or (a.is_Pow and a.base.is_Number) for a in args[start:]):
        return None
    keys = {}
    for a in args[start:]:
        k = _mul_key(a)
        if k in keys:
            return None
        keys[k] = a
    _KEYS[m] = keys
    return keys


def _mul_replace(m, keys, i, new):
    """Mul(*(m.args with arg i replaced by ``new``)) -- or, with i None, Mul(new, m) -- as
    SymPy builds it, by the fast path where it provably applies."""
    args = list(m.args)
    slow = args[:i] + [new] + args[i + 1:] if i is not None else [new] + args
    if i is not None and new.is_Mul and not args[i].is_Number:
        # a small product whose one factor's tangent is a big product: insert the others
        # into the big one
        r = _mul_insert(new, _mul_keys(new), args[:i] + args[i + 1:], None)
    else:
        r = _mul_insert(m, keys, [new], i)
    if r is None:
        return sympy.Mul(*slow)
    if VERIFY:
        want = sympy.Mul(*slow)
        assert r == want, (r, want)
    return r


def _mul_insert(m, keys, extras, drop):
    """m's factors (minus factor ``drop``) plus ``extras`` in canonical order, if no factor
    can combine with another (else None: SymPy decides)."""
    global _CMP
    if keys is None:
        return None
    args = list(m.args)
    coeff = args[:1] if args[0].is_Number else []
    rest = args[len(coeff):]
    if drop is not None:
        if args[drop].is_Number:
            return None
        del rest[drop - len(coeff)]
    dropped_key = _mul_key(args[drop]) if drop is not None else None
    seen = set()
    for f in extras:
        if (f.is_Number or f.is_Mul or not f.is_commutative or f is sympy.S.Zero
                or (f.is_Pow and f.base.is_Number)):
            return None
        k = _mul_key(f)
        if (k in keys and k != dropped_key) or k in seen:
            return None
        seen.add(k)
    if len(coeff) + len(rest) + len(extras) <= 2:      # SymPy's 2-arg rules (distribution)
        return None
    if _CMP is None:
        from functools import cmp_to_key
        _CMP = cmp_to_key(sympy.Basic.compare)
    import bisect
    for f in extras:
        rest.insert(bisect.bisect_left(rest, _CMP(f), key=_CMP), f)
    r = sympy.Mul._from_args(coeff + rest, True)
    if r not in _KEYS:
        nk = dict(keys)
        if dropped_key is not None:
            del nk[dropped_key]
        for f in extras:
            nk[_mul_key(f)] = f
        _KEYS[r] = nk
    return r


_TABLE_PARTIALS = {}


def _table_partials():
    """SymPy function class -> partial(out, arg) from the primitive table (elementwise
    one-argument rows whose SymPy primal is a SymPy function class), exact constants."""
    if not _TABLE_PARTIALS:
        from .primitives import ROWS
        for prim in ROWS:
            if prim.elementwise and prim.nargs == 1 and prim.partials and isinstance(prim.sym, type):
                q = _exact_prim(prim).partials[0]
                _TABLE_PARTIALS[prim.sym] = lambda out, a, q=q: q(SYMPY, out, a)
    return _TABLE_PARTIALS


# --- budgets: a forked child per budgeted piece of work ---------------------------------------

def _ctx():
    try:
        return mp.get_context("fork")
    except ValueError:                                      # pragma: no cover (no fork)
        return mp.get_context()


def _child(conn, fn, args):
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as e:                              # sent back, re-raised in parent
        try:
            conn.send(("err", e))
        except Exception:
            conn.send(("err", RuntimeError(f"{type(e).__name__}: {e}")))
    finally:
        conn.close()


def run_budgeted(fn, *args, budget=DEFAULT_BUDGET, what="symbolic step"):
    """``fn(*args)`` in a forked child, killed after ``budget`` seconds -> IntractableError.
    The result comes back pickled (keep it small or flat)."""
    if budget is None or budget <= 0:
        raise IntractableError(f"{what}: intractable (budget {budget} s)", budget=budget, step=what)
    ctx = _ctx()
    recv, send = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
    p.start()
    send.close()
    try:
        if not recv.poll(budget):
            raise IntractableError(f"{what}: intractable (budget {budget:g} s)", budget=budget, step=what)
        try:
            status, value = recv.recv()
        except EOFError:
            raise IntractableError(f"{what}: the worker died (exit code {p.exitcode})",
                                   budget=budget, step=what) from None
    finally:
        if p.is_alive():
            p.kill()
        p.join()
        recv.close()
    if status == "err":
        raise value
    return value


# --- the method ------------------------------------------------------------------------------

ENGINES = ("auto", "diff", "reverse")
AUTO_DIFF_MAX = 32    # scalar params up to which "auto" uses sympy.diff (see make)


def _prepare(f, params, per_sample, cse, engine):
    """Child side of ``make``: build, differentiate, cse (and a trial lambdify, so its cost
    is known to fit the budget). Returns flat, picklable pieces."""
    sympy.core.cache.clear_cache()
    t0 = time.perf_counter()
    me = build(f, params, per_sample=per_sample)
    t1 = time.perf_counter()
    ps = me.flat_params()
    if engine == "auto":
        engine = "diff" if len(ps) <= AUTO_DIFF_MAX else "reverse"
    if engine == "diff":
        # d step/dx = DiracDelta(x): the table's step and sign have no gradient (zero almost
        # everywhere), and numpy has no DiracDelta -- take the a.e. derivative, as autodiff does.
        grads = [_drop_deltas(sympy.diff(me.expr, s)) for s in ps]
    else:
        grads = flat_exprs(reverse_gradient(f, params, me)[0])
    t2 = time.perf_counter()
    exprs = [me.expr] + grads
    (tree_f, *trees), dag = tree_size(exprs)
    if cse:
        repl, red = fast_cse(exprs) if engine == "reverse" else sympy.cse(exprs)
        ops = cse_ops(repl, red)
    else:
        repl, red, ops = [], exprs, None
    t3 = time.perf_counter()
    args = ps + me.data_args()
    sympy.lambdify(args, red, modules="numpy", cse=(lambda e: (repl, red)) if cse else False)
    t4 = time.perf_counter()
    stats = {"engine": engine, "expr_tree": tree_f, "grad_tree": sum(trees), "dag_size": dag,
             "build_s": t1 - t0, "diff_s": t2 - t1, "cse_s": t3 - t2, "lambdify_s": t4 - t3}
    if ops is not None:
        stats["cse_ops"] = ops
    return me, repl, red, args, stats


def _drop_deltas(e):
    return e.replace(sympy.DiracDelta, lambda *a: sympy.S.Zero) if e.has(sympy.DiracDelta) else e


def fast_cse(exprs):
    """SymPy's core common-subexpression pass alone (``tree_cse``, linear in the DAG),
    without ``cse``'s Add/Mul argument matching, which costs 10x more on a DAG that the
    reverse sweep already shares."""
    from sympy.simplify.cse_main import tree_cse
    return tree_cse(exprs, sympy.numbered_symbols("x"), opt_subs={}, order="none")


def make(f, params, budget=DEFAULT_BUDGET, cse=True, per_sample=True, engine="auto"):
    """The ``symbolic`` method: the gradient as SymPy expressions, ``lambdify``-ed (with
    ``cse``) to numpy. ``engine="diff"`` is ``sympy.diff`` w.r.t. every parameter;
    ``"reverse"`` runs the primitive table's reverse sweep on SymPy values (one sweep for
    all parameters: ``sympy.diff`` of the default 337-parameter MLP takes ~100 s here, the
    sweep under 1 s); ``"auto"`` takes ``diff`` up to AUTO_DIFF_MAX scalar parameters.
    Setup runs in a forked child under ``budget`` seconds (IntractableError past it), with
    SymPy's cache cleared first. Per-sample data are evaluated vectorised over the columns."""
    from .errors import BadOptionError
    if engine not in ENGINES:
        raise BadOptionError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    try:
        me, repl, red, args, stats = run_budgeted(_prepare, f, params, per_sample, cse, engine,
                                                  budget=budget, what="symbolic setup (diff, cse, lambdify)")
    except DiffcompareError:
        raise
    except Exception as e:       # a rule that does not run on SymPy values, say: typed, not raw
        raise SymbolicSetupError(
            f"symbolic setup of {getattr(f, 'name', 'the model')} failed ({engine} engine): "
            f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}") from e
    fn = sympy.lambdify(args, red, modules="numpy", cse=(lambda e: (repl, red)) if cse else False)
    data = dict(getattr(f, "data", {}) or {})
    shapes = {k: np.shape(v) for k, v in params.items()}
    reduce = None
    if me.row_syms:
        reduce = _check_decomposition(fn, me, f, data, params)
        if reduce is None:                   # not a per-sample mean or sum: substitute all
            return make(f, params, budget=budget, cse=cse, per_sample=False, engine=engine)
    stats["per_sample"] = bool(me.row_syms)
    stats["samples"] = me.n_samples

    def call(params):
        out = _evaluate(fn, me, data, params, reduce)
        value, flat = out[0], out[1:]
        grads, i = {}, 0
        for k, shape in shapes.items():
            n = int(np.prod(shape)) if shape else 1
            chunk = flat[i:i + n]
            i += n
            grads[k] = np.array(chunk, dtype=float).reshape(shape) if shape else float(chunk[0])
        return float(value), grads, dict(stats)
    return call


def _data_values(me, data):
    vals = [float(data[k]) for k in me.data_syms]
    for k, rows in me.row_syms.items():
        arr = np.asarray(data[k], dtype=float)
        cols = arr.reshape(arr.shape[0], -1)
        vals.extend(cols[:, j] for j in range(cols.shape[1]))
    return vals


def _evaluate(fn, me, data, params, reduce):
    flat = []
    for k in me.params:
        v = params[k]
        flat.extend(np.asarray(v, dtype=float).ravel().tolist() if isinstance(v, np.ndarray) else [float(v)])
    res = fn(*flat, *_data_values(me, data))
    if reduce is None:
        return [float(r) for r in res]
    n = me.n_samples
    out = []
    for r in res:
        r = np.asarray(r, dtype=float)
        s = float(np.sum(r)) if r.ndim else float(r) * n     # a constant per sample
        out.append(s / n if reduce == "mean" else s)
    return out


def _check_decomposition(fn, me, f, data, params):
    """'mean' or 'sum' if the model equals the mean or sum of its one-row expression over
    the samples (checked numerically at the params and at a perturbed point), else None."""
    rng = np.random.default_rng(12345)
    points = [params, {k: v * (1 + 0.1 * rng.standard_normal(np.shape(v))) + 0.05 for k, v in params.items()}]
    for how in ("mean", "sum"):
        ok = True
        for p in points:
            want = float(f(p, NUMPY))
            got = _evaluate(fn, me, data, p, how)[0]
            if not np.isfinite(want) or abs(got - want) > 1e-9 * max(1.0, abs(want)):
                ok = False
                break
        if ok:
            return how
    return None
