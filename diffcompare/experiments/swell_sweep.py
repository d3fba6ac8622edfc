"""The swell sweep: every step (``swell_steps``) at every depth, each in its own process
under its CPU budget (``diffcompare.budget``).

How it runs. The sweep's process builds each depth's model (memoised across depths) and
forks one job per *root* step (a step that needs no other: tan, dag, diff1, se_diff1).
A job measures its step, then starts its dependents as its own children -- they inherit
what it computed (diff1's d/dp1 for count_ops, cse1, simplify1 and diff; diff's gradient for
cse, lambdify, nocse, simplify), so a prerequisite is computed once per depth and never
pickled back -- and returns every result of its subtree (numbers only). Each root step
walks the depths on its own, so the cheap DAG counts go deep while SymPy's steps are still
at shallow depths; siblings run side by side.

Budgets are CPU seconds of the step's own process, enforced by the kernel: a step past its
budget is "intractable at depth d" and it (and what needs it) is skipped at deeper depths,
never retried. Once every step has given up, the sweep stops building deeper -- so the
work is bounded by the budgets; ``estimate`` predicts it before anything runs, and a sweep
predicted past ``max_cost`` CPU seconds or ``max_memory`` bytes is refused.
"""
from __future__ import annotations

import dataclasses

import sympy

from .. import budget as runner
from ..errors import BadOptionError, DiffcompareError, IntractableError
from ..symbolic.defaults import DEFAULT_BUDGET, MAX_COST
from ..symbolic.engine import symengine as _symengine
from ..symbolic.expressions import memo_namespace
from . import silent
from .swell_steps import (
    ALIAS_KEYS,
    ALIASES,
    SE_DEFAULT,
    STEP_TABLE,
    STEPS,
    State,
    budget_of,
    chain_model,
    included,
    measure,
)

__all__ = ["Status", "depth_grid", "sweep", "estimate", "TooMuchWorkError", "MAX_COST",
           "INTRACTABLE", "SKIPPED", "FAILED"]

INTRACTABLE, SKIPPED, FAILED = "intractable", "skipped", "failed"
CHECK_BUDGET = 120.0           # CPU seconds for a step's unbudgeted checks (outside its budget)


class TooMuchWorkError(BadOptionError):
    """A sweep predicted to take more CPU time or memory than allowed."""


@dataclasses.dataclass(frozen=True)
class Status:
    """Why a step has no numbers at a depth. ``state``: intractable (past its ``budget``,
    having used ``cpu_used`` CPU seconds; ``kind`` cpu, memory or wall), skipped (``cause``
    -- this step or a prerequisite -- gave up at depth ``since``) or failed (``error``).
    ``includes``: a prerequisite whose time counts in this step's budget; ``same_as``: the
    step whose twin this is (one-parameter models)."""
    state: str
    step: str
    depth: int
    engine: str = "SymPy"
    budget: float | None = None
    cpu_used: float | None = None
    kind: str | None = None
    cause: str | None = None
    since: int | None = None
    error: str | None = None
    includes: str | None = None
    same_as: str | None = None


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


# --- the cost model --------------------------------------------------------------------------
# What grows with the depth d, measured on a 2-core machine: the build in the sweep's own
# process (memoised across depths for the chains; the logistic map's nodes come from
# operators, so each depth is built afresh) and our two sweeps, each ``a * d**p`` seconds;
# bytes held per layer. SymPy's own steps stop at their budget at small depths.
GROWTH = {
    ("softplus_chain", 1): {"build": (2.3e-3, 1), "tan": (4.5e-4, 1), "dag": (4e-5, 2), "bytes": 16e3},
    ("softplus_chain", 2): {"build": (5e-3, 1), "tan": (9e-4, 1), "dag": (1.6e-3, 1), "bytes": 32e3},
    ("logistic_map", 1): {"build": (6e-6, 2), "tan": (1.2e-4, 2), "dag": (1.3e-5, 2), "bytes": 27e3},
}


def estimate(name, width, depths, steps, budget):
    """(CPU seconds, bytes) the sweep is predicted to take: per depth, the build and every
    sweep step predicted within its budget (plus the attempt at the first depth past it)."""
    g = GROWTH[(name, 1 if name == "logistic_map" else width)]
    memo = name != "logistic_map"
    alive = [s for s in ("tan", "dag") if s in steps]
    cpu, built = 0.0, 0
    for d in depths:
        if not alive:
            break
        a, p = g["build"]
        cpu += a * (d ** p - (built ** p if memo else 0))
        built = d
        for s in list(alive):
            a, p = g[s]
            b = STEP_TABLE[s].budget(budget)
            cpu += min(a * d ** p, b)
            if a * d ** p > b:
                alive.remove(s)
    return cpu, 3 * g["bytes"] * built          # the build, and two sweeps' children beside it


# --- what runs in a step's process -------------------------------------------------------------

def _run_step(st, name, children, budget):
    """In step ``name``'s own process: its measured part, then -- in children of this process,
    which inherit what it computed -- its checks and its dependents, side by side. Returns
    {step: metrics | Status-like tuple} for the subtree (numbers and short strings only)."""
    out = {name: measure(st, name)}
    jobs = {}
    check = STEP_TABLE[name].check
    if check is not None:
        jobs[runner.start(check, st, cpu=CHECK_BUDGET, what=f"{name} checks", deep=True)] = None
    for kid in children.get(name, ()):
        jobs[runner.start(_run_step, st, kid, children, budget, cpu=budget_of(st, kid, budget),
                          what=kid, deep=True)] = kid
    try:
        while jobs:
            for job in runner.wait_any(jobs):
                kid = jobs.pop(job)
                if kid is None:
                    try:
                        out[name] = {**out[name], **job.result()}
                    except DiffcompareError:
                        pass           # a check past its own budget: the step's numbers stand
                else:
                    out.update(_outcome(job, kid, STEP_TABLE[kid].budget(budget), included(st, kid)))
    finally:
        for job in jobs:
            job.kill()
    return out


def _outcome(job, name, budget, spent=0.0):
    """An ended job as {step: metrics | ("intractable", budget, cpu, kind) | ("failed", msg)};
    ``budget`` and the CPU used include ``spent``, the prerequisite work the step includes."""
    try:
        return job.result()
    except IntractableError as e:
        return {name: (INTRACTABLE, budget, (e.cpu_used or 0.0) + spent, e.kind)}
    except Exception as e:               # noqa: BLE001 -- a step's failure is a result
        msg = str(e).splitlines()[0][:120] if str(e) else ""
        return {name: (FAILED, f"{type(e).__name__}: {msg}")}


# --- the sweep ---------------------------------------------------------------------------------

def _plan(name, width, steps, symengine):
    """(steps to run, step -> the step it needs among them, aliased step -> twin)."""
    steps = list(steps)
    if symengine is None:
        symengine = _symengine() is not None and steps == list(STEPS)
    if symengine:
        if _symengine() is None:
            raise BadOptionError("symengine is not installed (pip install 'diffcompare[fast]')")
        steps += [s for s in SE_DEFAULT if s not in steps]
    for s in list(steps):                       # prerequisites run too (and are reported)
        need = STEP_TABLE[s].needs
        while need is not None and need not in steps:
            steps.insert(0, need)
            need = STEP_TABLE[need].needs or STEP_TABLE[need].reuses
    aliased = {}
    if len(chain_model(name, 1, width).params) == 1:
        aliased = {a: t for a, t in ALIASES.items() if a in steps and t in steps}
        steps = [s for s in steps if s not in aliased]
    parent = {}
    for s in steps:
        step = STEP_TABLE[s]
        p = step.needs or (step.reuses if step.reuses in steps else None)
        while p in aliased:                     # one parameter: the gradient is d/dp1
            p = aliased[p]
        parent[s] = p
    return steps, parent, aliased


class _Sweep:
    """The bookkeeping of one sweep: which step gave up where, each depth's row."""

    def __init__(self, steps, parent, depths, budget):
        self.steps, self.parent, self.depths, self.budget = steps, parent, depths, budget
        self.rows = {d: {"depth": d, "status": {}} for d in depths}
        self.gave_up = {}                        # step -> depth it gave up (or failed) at

    def ancestors(self, s):
        out, p = [], self.parent[s]
        while p is not None:
            out.append(p)
            p = self.parent[p]
        return out

    def alive(self, s):
        return s not in self.gave_up and not any(a in self.gave_up for a in self.ancestors(s))

    def subtree(self, root):
        """The alive steps under ``root`` as parent -> [children] (None if root is dead)."""
        if not self.alive(root):
            return None
        kids = {}
        for s in self.steps:
            if s != root and self.alive(s) and root in self.ancestors(s):
                kids.setdefault(self.parent[s], []).append(s)
        return kids

    def record(self, d, results, members):
        """Store one root job's results at depth ``d``; statuses for its ``members``."""
        row = self.rows[d]
        for s in members:                       # prerequisites come before their dependents
            r = results.get(s)
            if isinstance(r, dict):
                row.update(r)
                continue
            step = STEP_TABLE[s]
            if r is not None and r[0] == INTRACTABLE:
                inc = step.includes if self.parent[s] == step.includes else None
                st = Status(INTRACTABLE, s, d, step.engine, r[1], r[2], r[3], includes=inc)
            elif r is not None:
                st = Status(FAILED, s, d, step.engine, error=r[1])
            else:                               # never ran: a prerequisite gave up here
                cause = next((a for a in self.ancestors(s) if a in row["status"]), None)
                st = (Status(SKIPPED, s, d, step.engine, cause=cause, since=d) if cause is not None
                      else Status(FAILED, s, d, step.engine, error="no result came back"))
            row["status"][s] = st
            if st.state != SKIPPED:
                self.gave_up.setdefault(s, d)

    def skip(self, d, s):
        """Status of a step not run at depth ``d`` because it (or a prerequisite) gave up."""
        cause = s if s in self.gave_up else next(a for a in self.ancestors(s) if a in self.gave_up)
        self.rows[d]["status"][s] = Status(SKIPPED, s, d, STEP_TABLE[s].engine, cause=cause,
                                           since=self.gave_up[cause])


def sweep(name="softplus_chain", max_depth=12, budget=DEFAULT_BUDGET, width=1, depths=None, steps=STEPS,
          progress=silent, symengine=None, max_cost=MAX_COST, max_memory=runner.DEFAULT_MEMORY):
    """One row (dict) per depth with every measured count and CPU time; a step without
    numbers at a depth has ``row["status"][step]``, a ``Status``. Budgets: ``budget`` CPU
    seconds per SymPy and SymEngine step (``diff`` reuses diff1's d/dp1, and diff1's time
    counts in diff's time and budget); the reverse sweep ("dag") 2x that; the tangent sweep
    ("tan", the reach column) max(30, 6x). ``symengine``: add the SymEngine column (se_diff1;
    se_diff only when listed in ``steps``) -- default: when symengine imports."""
    if not (isinstance(max_depth, int) and max_depth >= 1):
        raise BadOptionError(f"max depth must be an integer >= 1, got {max_depth!r}")
    if not (isinstance(budget, (int, float)) and budget > 0):
        raise BadOptionError(f"budget must be > 0 CPU seconds, got {budget!r}")
    chain_model(name, 1, width)
    depths = depth_grid(max_depth) if depths is None else sorted(set(depths))
    steps, parent, aliased = _plan(name, width, steps, symengine)
    cpu, mem = estimate(name, width, depths, steps, budget)
    if cpu > max_cost or mem > max_memory:
        raise TooMuchWorkError(
            f"swell of {name} up to depth {depths[-1]} is estimated at {cpu:.0f} CPU seconds and "
            f"{mem / 2**30:.2g} GiB (limits: --max-cost {max_cost:g} s, --max-memory "
            f"{max_memory / 2**30:.2g} GiB); raise them to run it anyway, or lower --max-depth")
    sw = _Sweep(steps, parent, depths, budget)
    roots = [s for s in steps if parent[s] is None]
    lanes = {r: 0 for r in roots}                 # root -> index of its next depth
    states, running, memo = {}, {}, {}
    total, done = len(roots) * len(depths), 0
    label = name if name == "logistic_map" else f"{name} (width {width})"
    progress(f"{label}: estimated {cpu:.0f} CPU seconds", 0, total)
    try:
        while True:
            for r in roots:
                while r not in {v[0] for v in running.values()} and lanes[r] < len(depths):
                    d = depths[lanes[r]]
                    kids = sw.subtree(r)
                    if kids is None:              # the whole subtree gave up: skipped from here on
                        for s in [r] + [s for s in steps if r in sw.ancestors(s)]:
                            sw.skip(d, s)
                        lanes[r] += 1
                        done += 1
                        progress(f"{label}: {r} skipped at depth {d}", done, total)
                        continue
                    if d not in states:
                        progress(f"{label}: building depth {d}", done, total)
                        if any(STEP_TABLE[s].engine != "our sweep" for s in steps if sw.alive(s)):
                            sympy.core.cache.clear_cache()   # SymPy's steps: a fresh build, as alone
                            memo.clear()
                        states[d] = State(chain_model(name, d, width), memo_namespace(memo))
                    for s in steps:               # dead steps of this subtree are skipped here
                        if s != r and r in sw.ancestors(s) and not sw.alive(s):
                            sw.skip(d, s)
                    job = runner.start(_run_step, states[d], r, kids, budget, deep=True, what=r,
                                       cpu=budget_of(states[d], r, budget))
                    running[job] = (r, d, [r] + [s for ks in kids.values() for s in ks])
            if not running:
                break
            for job in runner.wait_any(running):
                r, d, members = running.pop(job)
                sw.record(d, _outcome(job, r, STEP_TABLE[r].budget(budget)), members)
                lanes[r] += 1
                done += 1
                progress(f"{label}: {r} done at depth {d}", done, total)
            busy = {d for _, d, _ in running.values()} | {depths[i] for i in lanes.values() if i < len(depths)}
            for d in [d for d in states if d not in busy]:
                del states[d]
    finally:
        for job in running:
            job.kill()
    rows = [sw.rows[d] for d in depths]
    for r in rows:
        for a, t in aliased.items():
            for ka, kt in ALIAS_KEYS[a]:
                if kt in r:
                    r[ka] = r[kt]
            if t in r["status"]:
                r["status"][a] = dataclasses.replace(r["status"][t], step=a, same_as=t)
    return rows
