"""Expression swell: how big a symbolic derivative gets with depth, measured past where SymPy
can go. Produces plain rows / records; prints nothing.

Per depth d (for ``logistic_map``, d is the number of steps n) the steps below run, each
under its budget: CPU seconds of the step's own process (``budget``, the CLI's --budget, per
SymPy step). A step past its budget is killed and marked "intractable at depth d (budget
...)"; it (and what needs it) is skipped at deeper depths, never retried, while the DAG
counts go on. Each lane (SymPy steps; DAG counts) has one long-lived worker; per depth, a
step's prerequisite is computed once and every step that needs it is forked from the
process that holds it, side by side with its siblings (see "the worker" below): no
prerequisite is ever recomputed, and the give-ups of different steps overlap on the cores.
The tangent sweep's budget is max(30, 6*budget), the reverse sweep's 2*budget. Depths:
1..12, then x1.5 to 30, then x2 to the maximum (``depth_grid``; the measured depths are
listed in the findings). For a one-parameter model (the logistic map) the gradient steps
(diff, cse, simplify, se_diff) are their d/dp1 twins and are not run twice (ALIASES).

    tan        tangent (forward) sweep for d/dp1 over the expression's DAG, memoised
               (``symbolic.tangent_diff``): the SAME expression sympy.diff returns (tested
               with ==), tree (memoised big-int count) and DAG. This is the "tree d/dp1"
               column past sympy.diff's reach (own, larger cap).
    dag        reverse sweep of the primitive table on SymPy values: tree sizes (memoised
               over the DAG, exact big integers) and DAG sizes of d/dp1 and of the gradient.
               A different expression shape from sympy.diff's (the full gradient's shared
               DAG, each cotangent a product of table partials), reported beside it.
    diff1      sympy.diff w.r.t. the first parameter (w1, wa1, x): tree, DAG
    diff       sympy.diff w.r.t. every parameter (reusing diff1's d/dp1: diff1's time is
               included in diff's time and budget): summed tree, DAG
    count_ops  count_ops of d/dp1 (walks the tree)
    cse1, cse  sympy.cse of d/dp1 / of the gradient: ops after cse
    lambdify   lambdify(cse=True) of the gradient (its time includes the cse), and its cost
               per call over one evaluation of the (lambdified) model, in CPU time
    nocse      lambdify of the gradient without cse (CPython's parser can refuse it: a result)
    simplify1, simplify   sympy.simplify of d/dp1 / of the gradient: tree after
    se_diff1, se_diff     SymEngine (optional, the 'fast' extra): d/dp1 / the gradient of the
               same expression converted over its DAG; time of SymEngine's diff alone
               (tree counted where small). Run when symengine imports; else skipped.
"""
from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time

import sympy

from .. import models
from ..errors import BadOptionError
from ..records import Record
from ..symbolic import (
    _ctx,
    as_expr,
    build,
    collapsed_ops,
    cse_ops,
    dag_fold,
    explicit_tree_size,
    flat_exprs,
    memo_namespace,
    reverse_gradient,
    tangent_diff,
    tree_size,
)
from . import silent

__all__ = ["STEPS", "SE_STEPS", "to_symengine", "depth_grid", "sweep", "swell_records", "fit_laws", "rows_to_records",
           "lecture_examples", "logistic_table", "auto_evaluation", "SWELL_MODELS"]

STEPS = ("tan", "dag", "diff1", "diff", "count_ops", "cse1", "cse", "lambdify", "nocse", "simplify1", "simplify")
NEEDS = {"count_ops": "diff1", "cse1": "diff1", "simplify1": "diff1",
         "cse": "diff", "lambdify": "diff", "nocse": "diff", "simplify": "diff"}
# For a one-parameter model (the logistic map) the gradient IS d/dp1: these gradient steps
# would repeat their d/dp1 twin's work exactly, so they are not run; their columns are the
# twin's, their status says "same as".
ALIASES = {"diff": "diff1", "cse": "cse1", "simplify": "simplify1", "se_diff": "se_diff1"}
ALIAS_KEYS = {"diff": (("tree", "tree1"), ("dag", "dag1"), ("diff_s", "diff1_s")),
              "cse": (("cse_ops", "cse1_ops"), ("cse_s", "cse1_s")),
              "simplify": (("simplify_tree", "simplify1_tree"), ("simplify_s", "simplify1_s")),
              "se_diff": (("se_tree", "se_tree1"), ("se_dag", "se_dag1"), ("se_diff_s", "se_diff1_s"))}
SE_STEPS = ("se_diff1", "se_diff")
SE_DEFAULT = ("se_diff1",)               # added by symengine=True (se_diff on request: steps=)
LANE2 = ("tan", "dag") + SE_STEPS         # the DAG-count lane (no SymPy simplification)
SWELL_MODELS = ("softplus_chain", "logistic_map", "mlp4", "softplus", "neuron")
EXPLICIT_MAX = 20_000      # cross-check the memoised count by walking trees up to this size


def depth_grid(max_depth, dense=12, far=30):
    """1..dense, then steps of about x1.5 up to ``far``, then x2 (far past SymPy's reach,
    where only the DAG counts go on) up to max_depth (always included)."""
    ds = list(range(1, min(dense, max_depth) + 1))
    d = ds[-1] if ds else 1
    while d < max_depth:
        f = 1.5 if d < far else 2.0
        d = min(max_depth, max(d + 1, int(round(d * f / 5.0)) * 5 if d >= 10 else int(d * f)))
        if d < max_depth and d * 1.3 > max_depth:
            d = max_depth                       # no near-duplicate just below the end
        ds.append(d)
    return ds


def _model(name, depth, width):
    if name == "logistic_map":
        return models.get(name, n=depth)
    if name == "softplus_chain":
        return models.get(name, depth=depth, width=width)
    raise BadOptionError(f"swell sweeps softplus_chain (depth) or logistic_map (n), got {name!r}")


# --- the worker -----------------------------------------------------------------------------
#
# Process layout. Each lane (SymPy steps; DAG counts) has ONE long-lived lane worker
# (forked once, its own process group). Per depth it builds the model, then forks one child
# per step whose prerequisite is the built model; a child that finishes a step with
# dependents becomes their holder and forks them in turn (diff1 -> count_ops, cse1,
# simplify1, diff; diff -> cse, lambdify, nocse, simplify), so a prerequisite is computed
# once per depth and a killed step never costs its siblings their inputs. Siblings run side
# by side; each is killed when ITS OWN CPU time passes its budget (read from /proc), so a
# step marked intractable has really had its budget of CPU however many run at once on the
# shared cores (plus a wall cap, 6x budget + 30 s, for a machine that starves it).

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid):
    """CPU seconds (user + system) of process ``pid`` so far, or None without /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            s = fh.read()
        f = s[s.rindex(b")") + 2:].split()
        return (int(f[11]) + int(f[12])) / _TICK
    except (OSError, ValueError, IndexError):
        return None


class _State:
    def __init__(self, model, xp=None):
        self.model, self.params = model, model.params
        self.me = build(model, self.params, real=False, xp=xp)   # same expressions, fast at depth
        self.xp = xp
        self.syms = self.me.flat_params()
        self.p1 = self.syms[0]
        self.cache = {}


def _cpu_time(fn):
    t0 = time.process_time()
    r = fn()
    return r, time.process_time() - t0


def _args_values(st):
    m, me = st.model, st.me
    vals = [float(v) for v in st.params.values()] + [float(m.data[k]) for k in me.data_syms]
    return me.flat_params() + me.data_args(), vals


def _per_call(fn, vals, min_time=0.01, rounds=3):
    """CPU seconds per call (best of ``rounds``, each >= min_time): the ratio of two such
    timings in one process is what the cost columns report."""
    loops = 1
    while True:
        t0 = time.process_time()
        for _ in range(loops):
            fn(*vals)
        t = time.process_time() - t0
        if t >= min_time or loops >= 100_000:
            break
        loops *= 4
    best = t / loops
    for _ in range(rounds - 1):
        t0 = time.process_time()
        for _ in range(loops):
            fn(*vals)
        best = min(best, (time.process_time() - t0) / loops)
    return best


def _eval_cost(st, fn, vals):
    args, _ = _args_values(st)
    fexpr = sympy.lambdify(args, st.me.expr, modules="math", cse=True)
    return _per_call(fn, vals) / _per_call(fexpr, vals)


def _symengine():
    try:
        import symengine
    except ImportError:
        return None
    return symengine


def to_symengine(exprs, se=None):
    """SymPy expressions -> SymEngine, converted over the DAG with memoisation (a tree of
    10^60 nodes converts in time linear in its DAG). Add, Mul, Pow, exp, log, numbers and
    symbols map one to one; anything else goes through ``symengine.sympify`` of that node."""
    se = se or _symengine()

    def convert(e, a):
        if e.is_Symbol:
            return se.Symbol(e.name)
        if e.is_Integer:
            return se.Integer(int(e))
        if e.is_Rational:
            return se.Rational(int(e.p), int(e.q))
        if e.is_Add:
            return se.Add(*a)
        if e.is_Mul:
            return se.Mul(*a)
        if e.is_Pow:
            return se.Pow(*a)
        if isinstance(e, sympy.exp):
            return se.exp(*a)
        if isinstance(e, sympy.log):
            return se.log(*a)
        return se.sympify(e)        # a SymPy node (never text): SymEngine's own conversion
    return dag_fold(exprs, convert)[0]


def _step(st, name):
    """Run one step (its measured part) -> results; times are CPU seconds of the step."""
    c = st.cache
    if name == "tan":
        g, t = _cpu_time(lambda: tangent_diff(st.me.expr, st.p1))
        c["tan1"] = g
        (t1,), dag1 = tree_size([g])
        return {"tan_tree1": t1, "tan_dag1": dag1, "tan_s": t}
    if name == "dag":
        (grads, sweep_tape, tape), t = _cpu_time(lambda: reverse_gradient(st.model, st.params, st.me, st.xp))
        flat = flat_exprs(grads)
        (t1,), dag1 = tree_size(flat[:1])
        trees, dag = tree_size(flat)
        ncol, ex = collapsed_ops(sweep_tape)
        return {"rev_tree1": t1, "rev_dag1": dag1, "rev_tree": sum(trees), "rev_dag": dag,
                "rev_s": t, "tape": len(tape), "collapsed": ncol, "collapsed_examples": ex}
    if name in ("se_diff1", "se_diff"):
        se = _symengine()
        (e, *ps) = to_symengine([st.me.expr] + (st.syms if name == "se_diff" else [st.p1]), se)
        g, t = _cpu_time(lambda: [e.diff(p) for p in ps])
        c[name] = g
        return {f"{name}_s": t}
    if name == "diff1":
        g, t = _cpu_time(lambda: sympy.diff(st.me.expr, st.p1))
        c["g1"], c["diff1_s"] = g, t
        (t1,), dag1 = tree_size([g])
        c["tree1"] = t1
        return {"tree1": t1, "dag1": dag1, "diff1_s": t}
    if name == "diff":
        if "g1" in c:      # d/dp1 from the diff1 step (its time counts here, and in the budget)
            rest, t = _cpu_time(lambda: [sympy.diff(st.me.expr, s) for s in st.syms[1:]])
            g, t = [c["g1"]] + rest, t + c["diff1_s"]
        else:
            g, t = _cpu_time(lambda: [sympy.diff(st.me.expr, s) for s in st.syms])
        c["g"] = g
        trees, dag = tree_size(g)
        return {"tree": sum(trees), "dag": dag, "diff_s": t}
    if name == "count_ops":
        n, t = _cpu_time(lambda: int(sympy.count_ops(c["g1"])))
        return {"count_ops1": n, "count_ops_s": t}
    if name == "cse1":
        r, t = _cpu_time(lambda: sympy.cse(c["g1"]))
        return {"cse1_ops": cse_ops(*r), "cse1_s": t}
    if name == "cse":
        r, t = _cpu_time(lambda: sympy.cse(c["g"]))
        return {"cse_ops": cse_ops(*r), "cse_s": t}
    if name == "lambdify":
        args, vals = _args_values(st)
        g = c["g"] if "g" in c else [c["g1"]]
        fn, t = _cpu_time(lambda: sympy.lambdify(args, g, modules="math", cse=True))
        return {"lambdify_s": t, "cost_cse": _eval_cost(st, fn, vals)}
    if name == "nocse":
        args, vals = _args_values(st)
        try:
            g = c["g"] if "g" in c else [c["g1"]]
            fn, t = _cpu_time(lambda: sympy.lambdify(args, g, modules="math", cse=False))
        except (RecursionError, SyntaxError, MemoryError) as e:
            return {"nocse_error": f"{type(e).__name__}: {str(e).splitlines()[0][:80]}"}
        return {"lambdify_nocse_s": t, "cost_nocse": _eval_cost(st, fn, vals)}
    if name == "simplify1":
        g, t = _cpu_time(lambda: sympy.simplify(c["g1"]))
        return {"simplify1_tree": tree_size([g])[0][0], "simplify1_s": t}
    if name == "simplify":
        g, t = _cpu_time(lambda: [sympy.simplify(e) for e in c["g"]])
        return {"simplify_tree": sum(tree_size(g)[0]), "simplify_s": t}
    raise KeyError(name)


def _post(st, name):
    """Unbudgeted checks after a step (outside its measured time and budget)."""
    c = st.cache
    if name in SE_STEPS:       # SymEngine's tree, counted like SymPy's (slow past a few 1000 nodes)
        if tree_size([st.me.expr])[1] > 300:
            return {}
        trees, dag = tree_size(c[name])
        key = "se_tree1" if name == "se_diff1" else "se_tree"
        return {key: sum(trees), key.replace("tree", "dag"): dag}
    if name != "diff1":
        return {}
    g, out = c["g1"], {}
    if c["tree1"] <= EXPLICIT_MAX:
        out["tree1_explicit"] = explicit_tree_size(g)
        out["rev_equal1"] = bool(flat_exprs(reverse_gradient(st.model, st.params, st.me)[0])[0] == g)
    out["tan_equal1"] = bool(tangent_diff(st.me.expr, st.p1) == g)
    return out


def _budget_of(st, step, budgets):
    if step.startswith("post:"):
        return 4 * max(budgets.values()) + 30
    b = budgets[step]
    if step == "diff" and "diff1_s" in st.cache:
        b = max(b - st.cache["diff1_s"], 0.01)      # the step's budget includes diff1's time
    return b


HAS_POST = ("diff1",) + SE_STEPS


def _fork_step(st, step, plan, budgets):
    recv, send = multiprocessing.Pipe(duplex=False)
    gc.freeze()         # the children leave the parent's objects alone: fewer copied pages
    pid = os.fork()
    if pid == 0:                                     # the step's own process
        try:
            recv.close()
            if step.startswith("post:"):             # unbudgeted checks, beside the dependents
                send.send(("extra", step[5:], _post(st, step[5:])))
                send.send(("done", step, {}))
                os._exit(0)
            try:
                out = _step(st, step)
            except Exception as e:
                send.send(("error", step, f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"))
                os._exit(0)
            send.send(("done", step, out))
            kids = ([f"post:{step}"] if step in HAS_POST else []) + list(plan.get(step, ()))
            if kids:
                _hold(st, kids, plan, budgets, send.send)
        except BaseException:
            pass
        finally:
            os._exit(0)
    send.close()
    return pid, recv


def _reap(pid):
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


def _hold(st, steps, plan, budgets, emit):
    """Fork ``steps`` side by side, relay their messages with ``emit``, kill each at its
    CPU budget (-> ("intractable", step, cpu s)); returns when all are finished."""
    live = {}
    for s in steps:
        pid, conn = _fork_step(st, s, plan, budgets)
        live[conn] = [s, pid, True, time.monotonic(), _budget_of(st, s, budgets)]
    while live:
        for conn in multiprocessing.connection.wait(list(live), timeout=0.05):
            s, pid, running, _, _ = live[conn]
            try:
                msg = conn.recv()
            except EOFError:
                code = _reap(pid)
                if running:
                    emit(("error", s, f"worker died (wait status {code})"))
                conn.close()
                del live[conn]
                continue
            if msg[0] in ("done", "error") and msg[1] == s:
                live[conn][2] = False
            emit(msg)
        now = time.monotonic()
        for conn, (s, pid, running, t0, b) in list(live.items()):
            if not running:
                continue
            used = _cpu_of(pid)
            wall = now - t0
            if (used if used is not None else wall) > b or wall > 6 * b + 30:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                _reap(pid)
                conn.close()
                del live[conn]
                spent = (used if used is not None else wall) + budgets.get(s, b) - b   # + diff1's time
                emit(("intractable", s, spent, wall))


def _lane_worker(conn, name, width, memo_build, ahead=()):
    """The long-lived lane worker: per ("depth", d, plan, budgets) command, build and run the
    step tree, stream the messages, then ("end", d).

    ``memo_build`` (the DAG-count lane): the models are built with ``memo_namespace`` by a
    builder thread that goes through the depths ``ahead`` in order while the steps of the
    shallower depths run in their own processes -- so the deepest build (7 ms a layer, 14 s
    at the chain's d = 2000) overlaps the work before it instead of waiting for it. Those
    depths' steps are our own sweeps, timed as their own CPU time. The SymPy lane builds
    each depth after clearing SymPy's cache, as before."""
    os.setpgid(0, 0)
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 29)         # deep expressions recurse deeply inside SymPy
    memo = {} if memo_build else None
    built, cond = {}, threading.Condition()

    def builder():
        xp = memo_namespace(memo)
        for d in ahead:
            try:
                st = _State(_model(name, d, width), xp)
            except Exception as e:
                st = e
            with cond:
                built[d] = st
                cond.notify_all()

    if memo_build and ahead:
        threading.Thread(target=builder, daemon=True).start()

    def work():
        while True:
            try:
                cmd = conn.recv()
            except EOFError:
                return
            if cmd[0] != "depth":
                return
            _, d, plan, budgets = cmd
            try:
                if memo_build and d in ahead:
                    with cond:
                        cond.wait_for(lambda: d in built)
                        st = built.pop(d)
                    if isinstance(st, Exception):
                        raise st
                else:
                    sympy.core.cache.clear_cache()
                    xp = memo_namespace(memo) if memo is not None else None
                    st = _State(_model(name, d, width), xp)
                _hold(st, plan[None], plan, budgets, conn.send)
            except Exception as e:       # reported, never raised across the process boundary
                conn.send(("error", None, f"{type(e).__name__}: {str(e)[:120]}"))
            conn.send(("end", d))
    t = threading.Thread(target=work)
    t.start()
    t.join()
    conn.close()


def _parent_of(step, run):
    if step == "diff":
        return "diff1" if "diff1" in run else None
    p = NEEDS.get(step)
    if p == "diff" and "diff" not in run and "diff1" in run:
        return "diff1"             # one parameter: the gradient is d/dp1 (see ALIASES)
    return p


def _plan(run):
    plan = {}
    for s in run:
        plan.setdefault(_parent_of(s, run), []).append(s)
    return plan


def _ancestors(step, run):
    out, p = [], _parent_of(step, run)
    while p is not None:
        out.append(p)
        p = _parent_of(p, run)
    return out


class _Lane:
    """The parent's end of a lane worker; restarted if it dies or passes the wall cap."""

    def __init__(self, name, width, memo_build, depths=()):
        self.args = (name, width, memo_build)
        self.depths = list(depths)
        self.p = None

    def start(self, d):
        ctx = _ctx()
        self.conn, child = ctx.Pipe()
        ahead = tuple(x for x in self.depths if x >= d)
        self.p = ctx.Process(target=_lane_worker, args=(child, *self.args, ahead), daemon=True)
        self.p.start()
        child.close()

    def stop(self):
        if self.p is None:
            return
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.p.is_alive():
            self.p.kill()
        self.p.join()
        self.conn.close()
        self.p = None

    def run_depth(self, d, run, budgets):
        """-> (results, status) for one depth; status[step] = ('intractable', cpu, wall) |
        message."""
        if self.p is None:
            self.start(d)
        plan = _plan(run)
        results, status = {}, {}
        cap = 30 + 6 * sum(budgets[s] for s in run)
        deadline = time.monotonic() + cap
        try:
            self.conn.send(("depth", d, plan, budgets))
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not self.conn.poll(left):
                    for s in run:
                        if s not in results and s not in status:
                            status[s] = f"not finished within the depth's wall cap ({cap:g} s)"
                    self.stop()
                    break
                msg = self.conn.recv()
                if msg[0] == "end":
                    break
                if msg[0] in ("done", "extra"):
                    results.update(msg[2])
                    if msg[0] == "done":
                        results.setdefault("_done", set()).add(msg[1])
                elif msg[0] == "intractable":
                    status[msg[1]] = ("intractable", msg[2], msg[3])
                elif msg[0] == "error":
                    status[msg[1] or run[0]] = msg[2]
        except (EOFError, OSError) as e:
            for s in run:
                if s not in status and s not in results.get("_done", ()):
                    status[s] = f"lane worker died ({type(e).__name__})"
            self.stop()
        done = results.pop("_done", set())
        for s in run:                 # never reported: a prerequisite failed
            if s not in done and s not in status:
                bad = next((a for a in _ancestors(s, run) if a in status), None)
                status[s] = ("dep", bad) if bad else "not run"
        return results, status


def sweep(name="softplus_chain", max_depth=12, budget=20.0, width=1, depths=None, steps=STEPS,
          dag_budget=None, progress=None, lanes=3, symengine=None):
    """One row (dict) per depth with every measured count and time; an intractable step
    leaves ``status[step] = 'intractable at depth d (budget B s)'`` and is skipped deeper.

    Budgets are CPU seconds of the step's own process: ``budget`` per SymPy step (``diff``
    reuses diff1's d/dp1, and diff1's time counts in diff's time and budget); the reverse
    sweep ("dag") 2x that; the tangent sweep ("tan", the reach column) ``dag_budget``
    (default max(30, 6*budget)); the SymEngine steps ``budget``. Times in the rows are CPU
    seconds. With ``lanes=2`` the DAG counts (tangent and reverse sweeps, SymEngine) run in
    a second lane worker beside the SymPy steps; with ``lanes=3`` (default) the simplify
    steps in a third (see below). ``symengine``: add the SymEngine columns
    (se_diff1; se_diff only when listed in ``steps``) -- default: when symengine imports."""
    if max_depth < 1:
        raise BadOptionError(f"max depth must be >= 1, got {max_depth}")
    if budget <= 0:
        raise BadOptionError(f"budget must be > 0 seconds, got {budget}")
    _model(name, 1, width)
    depths = depth_grid(max_depth) if depths is None else list(depths)
    dag_budget = max(30.0, 6 * budget) if dag_budget is None else dag_budget
    steps = list(steps)
    if symengine is None:
        symengine = _symengine() is not None and steps == list(STEPS)
    if symengine:
        if _symengine() is None:
            raise BadOptionError("symengine is not installed (pip install 'diffcompare[fast]')")
        steps += [s for s in SE_DEFAULT if s not in steps]
    for s in list(steps):                       # prerequisites run too (and are reported)
        if NEEDS.get(s) and NEEDS[s] not in steps:
            steps.insert(0, NEEDS[s])
    aliased = {}
    if len(_model(name, 1, width).params) == 1:
        aliased = {a: t for a, t in ALIASES.items() if a in steps and t in steps}
        steps = [s for s in steps if s not in aliased]
    budgets = {s: budget for s in steps}
    budgets.update({"tan": dag_budget, "dag": 2 * budget})
    done = [0]
    lock = threading.Lock()

    def tick(d):
        with lock:
            done[0] += 1
            if progress is not None:
                progress(min(done[0], len(depths)), len(depths), d)

    def lane(lane_steps, out, report, memo_build, hidden=(), keep=None):
        given_up = {}
        worker = _Lane(name, width, memo_build, depths)
        try:
            for d in depths:
                alive = [s for s in lane_steps if s not in hidden and s not in given_up
                         and not any(a in given_up for a in _ancestors(s, lane_steps))]
                need = set(alive) | {a for s in alive for a in _ancestors(s, lane_steps)}
                run = [s for s in lane_steps if s in need]
                if not run:           # nothing left for this lane, at any deeper depth either
                    worker.stop()
                results, status = worker.run_depth(d, run, budgets) if run else ({}, {})
                if keep is not None:
                    results = {k: v for k, v in results.items() if k.startswith(keep)}
                row = {"depth": d, **results, "status": {}}
                for s in lane_steps:
                    if s in hidden:
                        st = status.get(s)
                        if st is not None:
                            given_up.setdefault(s, d)
                        continue
                    st = status.get(s)
                    if isinstance(st, tuple) and st[0] == "intractable":
                        note = ", diff1's time included" if s == "diff" and "diff1" in lane_steps else ""
                        row["status"][s] = (f"intractable at depth {d} (budget {budgets[s]:g} s{note})")
                        row.setdefault("gave_up_cpu", {})[s] = round(st[1], 2)
                        given_up.setdefault(s, d)
                    elif isinstance(st, tuple) and st[0] == "dep":
                        row["status"][s] = f"skipped ({st[1]} intractable at depth {d})"
                        given_up.setdefault(s, d)
                    elif st is not None:
                        row["status"][s] = st
                        given_up.setdefault(s, d)
                    elif s in given_up:
                        row["status"][s] = f"skipped (intractable at depth {given_up[s]})"
                    else:
                        bad = next((a for a in _ancestors(s, lane_steps) if a in given_up), None)
                        if bad:
                            row["status"][s] = f"skipped ({bad} intractable at depth {given_up[bad]})"
                out.append(row)
                if report:
                    tick(d)
        finally:
            worker.stop()

    # Lanes run side by side, each with its own worker and its own depth progression: the DAG
    # counts; (lanes >= 3) the simplify steps, which give up early and would otherwise hold
    # every shallow depth up for their budgets, with diff1/diff recomputed for them as hidden
    # prerequisites (not reported); the other SymPy steps.
    sides = []
    mine = tuple(s for s in steps if s in LANE2)
    rest = [s for s in steps if s not in mine]
    if lanes >= 2 and mine and rest:
        sides.append((mine, True, (), None))
    else:
        rest = list(steps)
    simp = tuple(s for s in rest if s.startswith("simplify"))
    if lanes >= 3 and simp and len(simp) < len(rest) and not any(s in LANE2 for s in rest):
        pre = tuple(s for s in ("diff1", "diff") if s in steps
                    and any(s in _ancestors(x, steps) for x in simp))
        sides.append((pre + simp, False, pre, "simplify"))
        rest = [s for s in rest if s not in simp]
    rows, outs, threads = [], [], []
    for lane_steps, memo_build, hidden, keep in sides:
        outs.append([])
        t = threading.Thread(target=lane, args=(lane_steps, outs[-1], False, memo_build, hidden, keep),
                             daemon=True)
        t.start()
        threads.append(t)
    lane(tuple(rest), rows, True, not sides and all(s in LANE2 for s in rest))
    for t in threads:
        t.join()
    for side in outs:
        for r, o in zip(rows, side):
            st = {**o.pop("status"), **r["status"]}
            gcpu = {**o.pop("gave_up_cpu", {}), **r.get("gave_up_cpu", {})}
            r.update({k: v for k, v in o.items() if k not in r})
            r["status"] = st
            if gcpu:
                r["gave_up_cpu"] = gcpu
    for r in rows:
        for a, t in aliased.items():
            for ka, kt in ALIAS_KEYS[a]:
                if kt in r:
                    r[ka] = r[kt]
            if t in r["status"]:
                r["status"][a] = f"same as {t} (one parameter): {r['status'][t]}"
    return rows


# --- growth laws, fitted from the measurements ------------------------------------------------

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
    pts = [(r["depth"], r[key]) for r in rows if isinstance(r.get(key), int)]
    for deg in degrees:
        p = _exact_poly(pts, deg)
        if p is not None:
            return p, len(pts), max(x for x, _ in pts)
    return None, len(pts), max((x for x, _ in pts), default=0)


def fit_laws(rows, name="softplus_chain", width=1):
    """Plain-text findings fitted from the rows: exact polynomial laws where they hold on
    every measured depth, else the growth factor per level and the reach of the counts."""
    var = "n" if name == "logistic_map" else "d"
    out = []
    labels = {"tree1": f"tree of d/d{_p1(name, width)} (sympy.diff)", "dag1": f"DAG of d/d{_p1(name, width)}",
              "tan_tree1": f"tree of d/d{_p1(name, width)} (tangent sweep = sympy.diff's form)",
              "tan_dag1": f"DAG of d/d{_p1(name, width)} (tangent sweep)",
              "tree": "tree of the full gradient (sympy.diff)", "dag": "DAG of the full gradient",
              "cse1_ops": f"ops after cse of d/d{_p1(name, width)}", "tape": "autodiff tape length",
              "rev_tree1": f"tree of d/d{_p1(name, width)} (reverse sweep)",
              "rev_dag": "DAG of the gradient (reverse sweep)"}
    for key, label in labels.items():
        poly, n, top = _law(rows, key)
        if poly is not None:
            out.append(f"{label} = {str(poly).replace('d', var)}  (exact on all {n} measured {var} <= {top})")
    # growth per level where no polynomial holds
    if name == "logistic_map":
        out.append("indexing: n = number of steps from l_0 = x (Baydin et al. number from l_1 = x, "
                   "so their n is our n + 1)")
    same = [r["depth"] for r in rows if r.get("tan_equal1") is True]
    differ = [r["depth"] for r in rows if r.get("tan_equal1") is False]
    if same or differ:
        out.append(f"tangent sweep == sympy.diff (same expression) at {var} = "
                   f"{_ranges(same) or 'none'}" + (f"; DIFFERENT at {_ranges(differ)}" if differ else ""))
    for key in ("tan_tree1", "rev_tree1"):
        pts = [(r["depth"], r[key]) for r in rows if isinstance(r.get(key), int)]
        if len(pts) >= 3 and _law(rows, key)[0] is None:
            (d0, a), (d1, b) = pts[-2], pts[-1]
            f = (b / a) ** (1.0 / (d1 - d0))
            out.append(f"{labels[key]} grows x{f:.2f} per level at {var} = {d1}: {_big(b)} nodes "
                       f"(DAG {rows[[r['depth'] for r in rows].index(d1)].get(key.replace('tree', 'dag'))})")
            if name == "logistic_map":
                c = b / (d1 * d1 * 2 ** d1)
                c2 = b / (d1 * 2 ** d1)
                out.append(f"  at {var} = {d1}: {labels[key]} = {c:.3g}*n^2*2^n = {c2:.3g}*n*2^n "
                           f"(the constant drifts with n: the law is measured, not assumed)")
    last = rows[-1]
    tan = [r for r in rows if isinstance(r.get("tan_tree1"), int)]
    if tan:
        r = tan[-1]
        out.append(f"reach (tangent sweep, SymPy's own form, counted exactly): {var} = {r['depth']}: "
                   f"tree of d/d{_p1(name, width)} {_big(r['tan_tree1'])}, DAG {r['tan_dag1']}, "
                   f"{r['tan_s']:.1f} s; depths measured: {_ranges([r['depth'] for r in rows])}")
    rev = [r for r in rows if isinstance(r.get("rev_tree"), int)]
    if rev and rev[-1] is not last:
        last = rev[-1]
    if "rev_tree" in last:
        out.append(f"reach (reverse-sweep DAG, counted exactly): {var} = {last['depth']}: tree of "
                   f"d/d{_p1(name, width)} {_big(last['rev_tree1'])}, gradient {_big(last['rev_tree'])}, "
                   f"DAG {last['rev_dag']}, tape {last['tape']}")
    p1 = _p1(name, width)
    both = [r for r in rows if isinstance(r.get("se_diff1_s"), float) and isinstance(r.get("diff1_s"), float)]
    if both:
        r = both[-1]
        out.append(f"SymEngine d/d{p1} at {var} = {r['depth']}: {r['se_diff1_s'] * 1e3:.3g} ms CPU vs "
                   f"sympy.diff {r['diff1_s'] * 1e3:.3g} ms (x{r['diff1_s'] / max(r['se_diff1_s'], 1e-6):.0f})")
    se = [r for r in rows if isinstance(r.get("se_diff1_s"), float)]
    if se and (not both or se[-1] is not both[-1]):
        r = se[-1]
        tan = f", SymPy-form tangent sweep {r['tan_s']:.3g} s" if isinstance(r.get("tan_s"), float) else ""
        out.append(f"SymEngine d/d{p1} reaches {var} = {r['depth']}: {r['se_diff1_s']:.3g} s CPU{tan}")
    same = [r["depth"] for r in rows if isinstance(r.get("se_tree1"), int) and r.get("tan_tree1") == r["se_tree1"]]
    if same:
        out.append(f"SymEngine's d/d{p1} has SymPy's tree size at {var} = {_ranges(same)}")
    for step in ("tan", "dag", "diff1", "diff", "count_ops", "cse1", "cse", "lambdify", "nocse",
                 "simplify1", "simplify", "se_diff1", "se_diff"):
        first = next((r for r in rows if step in r.get("status", {}) and r["status"][step].startswith("intractable")), None)
        if first is not None:
            who = "SymEngine" if step.startswith("se_") else "our sweep" if step in ("tan", "dag") else "SymPy"
            out.append(f"{who} gave up: {step} {first['status'][step]} (CPU budget; ran "
                       f"{first.get('gave_up_cpu', {}).get(step, float('nan')):.1f} s)")
    for r in rows:
        if "nocse_error" in r:
            out.append(f"lambdify without cse crashed at {var} = {r['depth']}: {r['nocse_error']}")
            break
    costs = [(r["depth"], r.get("cost_nocse"), r.get("cost_cse")) for r in rows if r.get("cost_nocse")]
    if costs:
        d, a, b = costs[-1]
        out.append(f"lambdified gradient at {var} = {d}: {a:.0f}x one evaluation without cse, "
                   f"{b:.1f}x with cse")
    if name == "softplus_chain" and width == 1:
        out.append("the slide implies symbolic derivatives explode; measured, the lecture's chain "
                   "grows polynomially (no value reused); the explosion comes with reuse (width 2, "
                   "the logistic map)")
    return out


def _ranges(ds):
    """[1, 2, 3, 5, 10] -> '1-3, 5, 10'."""
    out, i = [], 0
    ds = sorted(ds)
    while i < len(ds):
        j = i
        while j + 1 < len(ds) and ds[j + 1] == ds[j] + 1:
            j += 1
        out.append(str(ds[i]) if i == j else f"{ds[i]}-{ds[j]}")
        i = j + 1
    return ", ".join(out)


def _p1(name, width):
    return "x" if name == "logistic_map" else ("wa1" if width == 2 else "w1")


def _big(n):
    if not isinstance(n, int):
        return str(n)
    if n < 10 ** 7:
        return f"{n:,}"
    s = str(n)
    return f"{s[0]}.{s[1:3]}e{len(s) - 1}"


# --- records for the report ------------------------------------------------------------------

_UNITS = {"_s": "s", "cost": "x eval"}


def rows_to_records(rows, name="softplus_chain", width=1, budget=None):
    model = name if name == "logistic_map" else f"{name}(width={width})"
    var = "n" if name == "logistic_map" else "depth"
    recs = []
    for r in rows:
        setting = f"{var}={r['depth']}"
        for k, v in r.items():
            if k in ("depth", "status", "collapsed_examples", "gave_up_cpu"):
                continue
            method = "reverse-sweep" if k.startswith("rev_") else "autodiff" if k == "tape" else "symbolic"
            unit = "s" if k.endswith("_s") else "x eval" if k.startswith("cost") else ""
            recs.append(Record("swell", model, method, k, v, unit, setting,
                               extra={"depth": r["depth"], "budget": budget}))
        for k, cpu in r.get("gave_up_cpu", {}).items():
            recs.append(Record("swell", model, "symbolic", f"{k}_gave_up_cpu_s", cpu, "s", setting,
                               extra={"depth": r["depth"], "budget": budget}))
        for k, msg in r.get("status", {}).items():
            recs.append(Record("swell", model, "symbolic", f"{k}_status", msg, "", setting,
                               extra={"depth": r["depth"], "budget": budget}))
    for line in fit_laws(rows, name, width):
        recs.append(Record("swell", model, "symbolic", "finding", line, "", ""))
    return recs


def swell_records(model_name="softplus_chain", max_depth=12, budget=20.0, width=1, quick=False,
                  progress=None):
    """The swell experiment as records (``quick``: depth <= 4, budget <= 2 s, ~2 s)."""
    if quick:
        max_depth, budget = min(max_depth, 4), min(budget, 2.0)
        steps = ("tan", "dag", "diff1", "diff", "cse1", "cse")
    else:
        steps = STEPS
    rows = sweep(model_name, max_depth, budget, width, steps=steps, progress=progress)
    return rows_to_records(rows, model_name, width, budget)


# --- the lecture's examples, the published table, SymPy's automatic evaluation --------------

def lecture_examples():
    """The slide's two derivatives, computed and printed in Mathematica's form. Returns a
    list of (label, text) lines; the check against the slide's Out[11] is computed."""
    from sympy.printing.mathematica import mathematica_code as mc
    w, b, x, w1, w2, b1, b2 = sympy.symbols("w b x w1 w2 b1 b2", real=True)
    f1 = sympy.log(1 + sympy.exp(w * x + b))
    d1 = sympy.diff(f1, w)
    e = sympy.exp(w * x + b)
    slide = e * w / (1 + e)
    right = e * x / (1 + e)
    ok = sympy.simplify(d1 - right) == 0
    slide_wrong = sympy.simplify(d1 - slide) != 0
    f2 = sympy.log(1 + sympy.exp(w2 * sympy.log(1 + sympy.exp(w1 * x + b1)) + b2))
    d2 = sympy.diff(f2, w1)
    e1, e2 = sympy.exp(b1 + w1 * x), sympy.exp(b2 + w2 * sympy.log(1 + sympy.exp(b1 + w1 * x)))
    slide19 = sympy.exp(b1 + b2 + w1 * x + w2 * sympy.log(1 + e1)) * w2 * x / ((1 + e1) * (1 + e2))
    ok19 = sympy.simplify(sympy.expand(sympy.powsimp(d2 - slide19))) == 0
    return [
        ("In[11]", "D[Log[1 + Exp[w*x + b]], w]"),
        ("Out", mc(d1)),
        ("check", f"= x e^(wx+b)/(1+e^(wx+b)): {'yes' if ok else 'NO'}; the slide's Out[11] shows "
                  f"w in the numerator where x belongs (d(wx+b)/dw = x): slide form "
                  f"{'differs from' if slide_wrong else 'equals'} the derivative"),
        ("In[19]", "D[Log[1 + Exp[w2*Log[1 + Exp[w1*x + b1]] + b2]], w1]"),
        ("Out", mc(d2)),
        ("check", f"equals the slide's Out[19] (exponentials merged): {'yes' if ok19 else 'NO'}"),
    ]


# Baydin, Pearlmutter, Radul & Siskind (JMLR 2018), Table 1: l_1 = x, l_{n+1} = 4 l_n (1 - l_n).
# The published simplified derivatives, as coefficient lists (low order first) times a factor.
BAYDIN_PUBLISHED = {
    1: ("x", "1", "1", (1, [1])),
    2: ("4x(1-x)", "4(1-x) - 4x", "4 - 8x", (4, [1, -2])),
    3: ("16x(1-x)(1-2x)^2", "16(1-x)(1-2x)^2 - 16x(1-2x)^2 - 64x(1-x)(1-2x)",
        "16(1 - 10x + 24x^2 - 16x^3)", (16, [1, -10, 24, -16])),
    4: ("64x(1-x)(1-2x)^2(1-8x+8x^2)^2",
        "128x(1-x)(-8+16x)(1-2x)^2(1-8x+8x^2) + 64(1-x)(1-2x)^2(1-8x+8x^2)^2 - 64x(1-2x)^2(1-8x+8x^2)^2 "
        "- 256x(1-x)(1-2x)(1-8x+8x^2)^2",
        "64(1 - 42x + 504x^2 - 2640x^3 + 7040x^4 - 9984x^5 + 7168x^6 - 2048x^7)",
        (64, [1, -42, 504, -2640, 7040, -9984, 7168, -2048])),
}


def logistic_table():
    """Rows for n = 1..4 (Baydin's numbering; our model runs n-1 steps): the published l_n,
    d/dx and simplified form beside SymPy's l_n, sympy.diff and expand, their tree sizes, and
    whether the expanded derivative equals the published polynomial exactly."""
    from ..namespaces import SYMPY
    x = sympy.Symbol("x", real=True)
    rows = []
    for n, (pl, pd, ps, (k, coeffs)) in BAYDIN_PUBLISHED.items():
        m = models.get("logistic_map", n=n - 1)
        l = as_expr(m({"x": x}, SYMPY))
        dl = sympy.diff(l, x)
        published = k * sum(c * x ** i for i, c in enumerate(coeffs))
        rows.append({"n": n, "published_l": pl, "published_d": pd, "published_simplified": ps,
                     "sympy_l": str(l), "sympy_d": str(dl), "sympy_expanded": str(sympy.expand(dl)),
                     "tree_l": tree_size([l])[0][0], "tree_d": tree_size([dl])[0][0],
                     "matches_published": sympy.expand(dl - published) == 0})
    return rows


def auto_evaluation(depth=4):
    """SymPy's automatic evaluation, detected: a naive nest log(exp(w h + b)) collapses
    (exp(log z) -> z rewrites happen as the expression is built), the lecture's
    log(1 + exp(...)) does not. Returns (description, ops on the tape, ops collapsed, example)."""
    from ..symbolic import symbolic_tape
    out = []

    def naive(params, xp, x):
        h = x
        for k in range(1, depth + 1):
            h = xp.log(xp.exp(params[f"w{k}"] * h + params[f"b{k}"]))
        return h
    naive_model = models.Model("naive_nest", naive, lambda rng: {}, {"x": 0.5})
    params = {f"{k}{i}": 0.5 for i in range(1, depth + 1) for k in "wb"}
    for label, m, p in ((f"naive nest log(exp(w h + b)), depth {depth}", naive_model, params),
                        (f"lecture chain log(1 + exp(w h + b)), depth {depth}",
                         models.get("softplus_chain", depth=depth), models.get("softplus_chain", depth=depth).params)):
        st, tape = symbolic_tape(m, p)
        n, ex = collapsed_ops(st)
        out.append({"model": label, "tape": len(tape), "collapsed": n, "example": ex[0] if ex else "",
                    "expr": str(st.entries[st.output][3])[:90]})
    return out


# The full run's sweeps: the lecture's nested log-exp (width 1: no value reused) and its
# width-2 variant (each unit reads both units below), each SymPy step under a budget (past
# it: "intractable at depth d", then skipped deeper). Quick: width 1, depth <= 4.
SWELL_FULL = ({"width": 1, "max_depth": 10, "budget": 1.0},
              {"width": 2, "max_depth": 12, "budget": 1.0})


def run(quick=False, progress=silent):
    """The swell section's records: the sweeps, then the lecture's two examples recomputed,
    Baydin et al.'s logistic-map table and SymPy's automatic evaluation."""
    out = []
    for kw in ({"width": 1},) if quick else SWELL_FULL:
        w = kw["width"]
        out += swell_records("softplus_chain", quick=quick, **kw,
                             progress=lambda i, n, d, w=w: progress(f"symbolic blow-up: width {w}, depth {d}", i, n))
    progress("symbolic blow-up: the lecture's examples")
    for name, fn in (("lecture", lecture_examples), ("baydin", logistic_table), ("auto_evaluation", auto_evaluation)):
        rows = fn()
        for i, row in enumerate(rows):
            if name == "lecture":
                out.append(Record("swell", "lecture", "symbolic", "lecture_example", str(row[1]), "", str(row[0]),
                                  extra={"row": i}))
            else:
                out.append(Record("swell", name, "symbolic", f"{name}_row", i, "", "", extra=dict(row)))
    return out
